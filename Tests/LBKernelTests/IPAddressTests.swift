import LBKernel
import Testing

// Table tests for the address model and the small value types around it: parse/format round trips (IPv6 in the
// RFC 5952 canonical form), ordering, containment, stepping, and range-to-prefix summarisation.

@Suite("IPv4Address")
struct IPv4AddressTests {
    @Test(arguments: [
        ("0.0.0.0", 0), ("255.255.255.255", 0xFFFF_FFFF), ("10.0.0.1", 0x0A00_0001), ("192.168.1.254", 0xC0A8_01FE),
        ("1.2.3.4", 0x0102_0304), ("100.64.0.0", 0x6440_0000),
    ] as [(String, UInt32)])
    func parsesAndFormats(_ row: (String, UInt32)) throws {
        let address = try #require(IPv4Address(row.0))
        #expect(address.value == row.1)
        #expect(address.description == row.0)
        #expect(IPv4Address(row.1).octets.map { Int($0) } == row.0.split(separator: ".").map { Int($0)! })
    }

    @Test(arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.256", "010.1.1.1", "1.02.3.4", "1.2.3.00", "0x1.2.3.4",
        " 1.2.3.4", "1.2.3.4 ", "1..2.3", "1.2.3.", ".1.2.3", "-1.2.3.4", "+1.2.3.4", "1.2.3.4/32", "1.2.3.4%eth0",
        "1000.1.1.1", "1.2.3.4:80", "١.2.3.4",
    ])
    func rejects(_ text: String) {
        #expect(IPv4Address(text) == nil)
        #expect(IPAddress(text) == nil)
    }
}

@Suite("IPv6Address")
struct IPv6AddressTests {
    /// Input, then its RFC 5952 §4 canonical form.
    @Test(arguments: [
        ("::", "::"), ("::1", "::1"), ("1::", "1::"), ("0:0:0:0:0:0:0:0", "::"), ("0:0:0:0:0:0:0:1", "::1"),
        ("2001:DB8::1", "2001:db8::1"), ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),  // §4.2.3: the first of two equal runs
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),  // §4.2.3: the longest run
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),  // §4.2.2: no "::" for a single group
        ("1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0"), ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
        ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
        ("fe80::1", "fe80::1"), ("FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),  // §5: IPv4-mapped keeps its dotted quad
        ("::FFFF:0102:0304", "::ffff:1.2.3.4"), ("0:0:0:0:0:ffff:255.255.255.255", "::ffff:255.255.255.255"),
        ("::1.2.3.4", "::102:304"), ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
        ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"), ("2001:db8:a::", "2001:db8:a::"),
        ("0:0:1:0:0:0:0:0", "0:0:1::"), ("0001:0002::0003", "1:2::3"), ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
    ] as [(String, String)])
    func formatsCanonically(_ row: (String, String)) throws {
        let address = try #require(IPv6Address(row.0))
        #expect(address.description == row.1)
        #expect(IPv6Address(row.1) == address)  // round trip
        #expect(IPAddress(row.0) == .v6(address))
    }

    @Test(arguments: [
        "", ":", ":::", "1::2::3", ":1::", "1::2:", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:", "1:2:3:4:5:6:7",
        "1:2:3:4:5:6:7:8:9", "::1:2:3:4:5:6:7:8", "1:2:3:4::5:6:7:8", "12345::", "::00000", "1:2:3:4:5:6:7:10000",
        "fe80::1%eth0", "fe80::1%1", "g::1", "::ffff:1.2.3", "::ffff:1.2.3.4.5", "::ffff:01.2.3.4", "::1.2.3.4:5",
        "1.2.3.4::", "1:2:3:4:5:6:7:1.2.3.4", "1:2:3:4:5:1.2.3.4", "::1 ", " ::1", "[::1]", "::1/128", "1:::2",
    ])
    func rejects(_ text: String) {
        #expect(IPv6Address(text) == nil)
        #expect(IPAddress(text) == nil)
    }

    @Test func groupsAndBytes() throws {
        let address = try #require(IPv6Address("2001:db8::ff00:42:8329"))
        #expect(address.groups == [0x2001, 0xdb8, 0, 0, 0, 0xff00, 0x42, 0x8329])
        #expect(address.bytes.prefix(4) == [0x20, 0x01, 0x0d, 0xb8])
        #expect(address.bytes.count == 16)
    }
}

@Suite("IPAddress")
struct IPAddressTests {
    @Test(arguments: [
        ("0.0.0.0", "0.0.0.1"), ("9.255.255.255", "10.0.0.0"), ("255.255.255.255", "::"), ("10.0.0.1", "::1"),
        ("::", "::1"), ("::ffff:1.2.3.4", "2001:db8::"), ("fe80::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ] as [(String, String)])
    func ordersByFamilyThenValue(_ row: (String, String)) throws {
        let a = try #require(IPAddress(row.0)), b = try #require(IPAddress(row.1))
        #expect(a < b)
        #expect(!(b < a))
        #expect(a != b)
    }

    @Test func mappedIPv6IsNotTheIPv4Address() throws {
        let mapped = try #require(IPAddress("::ffff:1.2.3.4"))
        #expect(mapped.family == .ipv6)
        #expect(mapped != IPAddress("1.2.3.4"))
    }

    /// Address, offset, expected result (nil past either end of the family).
    @Test(arguments: [
        ("10.0.0.1", 1, "10.0.0.2"), ("10.0.0.255", 1, "10.0.1.0"), ("10.0.1.0", -1, "10.0.0.255"),
        ("255.255.255.255", 1, nil), ("255.255.255.254", 1, "255.255.255.255"), ("0.0.0.0", -1, nil),
        ("0.0.0.0", 0, "0.0.0.0"), ("0.0.0.0", Int(UInt32.max), "255.255.255.255"), ("0.0.0.1", Int(UInt32.max), nil),
        ("10.0.0.0", 1 << 40, nil), ("10.0.0.0", Int.min, nil),
        ("::", -1, nil), ("::", 1, "::1"), ("::ffff", 1, "::1:0"),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1, nil), ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 1,
                                                              "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        ("::1", Int.min, nil), ("::", Int.max, "::7fff:ffff:ffff:ffff"), ("2001:db8::", -1, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff"),
    ] as [(String, Int, String?)])
    func steps(_ row: (String, Int, String?)) throws {
        let address = try #require(IPAddress(row.0))
        #expect(address.advanced(by: row.1)?.description == row.2)
        if row.1 == 1 { #expect(address.next?.description == row.2) }
        if row.1 == -1 { #expect(address.previous?.description == row.2) }
    }

    @Test(arguments: [("10.0.0.0", true), ("10.0.0.255", true), ("10.0.0.1", false), ("10.0.0.254", false),
                      ("::", false), ("::ff", false)] as [(String, Bool)])
    func buggyIPv4(_ row: (String, Bool)) throws {
        #expect(try #require(IPAddress(row.0)).isBuggyIPv4 == row.1)
    }
}

@Suite("IPPrefix")
struct IPPrefixTests {
    /// Text, canonical form, first, last, had host bits.
    @Test(arguments: [
        ("10.0.0.0/24", "10.0.0.0/24", "10.0.0.0", "10.0.0.255", false),
        ("10.0.0.1/24", "10.0.0.0/24", "10.0.0.0", "10.0.0.255", true),
        ("0.0.0.0/0", "0.0.0.0/0", "0.0.0.0", "255.255.255.255", false),
        ("1.2.3.4/0", "0.0.0.0/0", "0.0.0.0", "255.255.255.255", true),
        ("255.255.255.255/32", "255.255.255.255/32", "255.255.255.255", "255.255.255.255", false),
        ("192.168.1.129/25", "192.168.1.128/25", "192.168.1.128", "192.168.1.255", true),
        ("::/0", "::/0", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false),
        ("::1/128", "::1/128", "::1", "::1", false),
        ("2001:DB8::1/64", "2001:db8::/64", "2001:db8::", "2001:db8::ffff:ffff:ffff:ffff", true),
        ("::ffff:10.0.0.0/120", "::ffff:10.0.0.0/120", "::ffff:10.0.0.0", "::ffff:10.0.0.255", false),
        ("2001:db8::/127", "2001:db8::/127", "2001:db8::", "2001:db8::1", false),
    ] as [(String, String, String, String, Bool)])
    func parses(_ row: (String, String, String, String, Bool)) throws {
        let prefix = try #require(IPPrefix(row.0))
        #expect(prefix.description == row.1)
        #expect(prefix.first.description == row.2)
        #expect(prefix.last.description == row.3)
        #expect(prefix.hadHostBits == row.4)
        #expect(IPPrefix(row.1) == prefix)
        #expect(prefix.contains(prefix.first) && prefix.contains(prefix.last))
    }

    @Test(arguments: [
        "10.0.0.0/33", "::/129", "10.0.0.0", "10.0.0.0/", "/24", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/08",
        "10.0.0.0/ 8", " 10.0.0.0/8", "10.0.0.0/8 ", "10.0.0/8", "010.0.0.0/8", "fe80::%eth0/64", "1::2::3/64",
        "10.0.0.0/8/8", "10.0.0.0/1000", "10.0.0.0/٣",
    ])
    func rejects(_ text: String) {
        #expect(IPPrefix(text) == nil)
    }

    @Test(arguments: [("10.0.0.0/24", 256), ("10.0.0.0/32", 1), ("0.0.0.0/0", 1 << 32), ("::/64", 1 << 64),
                      ("::/127", 2), ("::/128", 1)] as [(String, UInt128)])
    func counts(_ row: (String, UInt128)) {
        #expect(IPPrefix(row.0)?.count == row.1)
    }

    @Test func wholeIPv6SpaceCountSaturates() {
        #expect(IPPrefix("::/0")?.count == UInt128.max)
        #expect(IPPrefix("::/0")?.range.count == UInt128.max)
    }

    @Test(arguments: [
        ("10.0.0.0/24", "10.0.0.255", true), ("10.0.0.0/24", "10.0.1.0", false), ("0.0.0.0/0", "255.255.255.255", true),
        ("0.0.0.0/0", "::", false), ("::/0", "0.0.0.0", false), ("::/0", "ffff::", true),
        ("::ffff:0:0/96", "1.2.3.4", false), ("::ffff:0:0/96", "::ffff:1.2.3.4", true), ("1.2.3.4/32", "1.2.3.4", true),
        ("1.2.3.4/32", "1.2.3.5", false),
    ] as [(String, String, Bool)])
    func contains(_ row: (String, String, Bool)) throws {
        let prefix = try #require(IPPrefix(row.0))
        #expect(prefix.contains(try #require(IPAddress(row.1))) == row.2)
    }

    @Test(arguments: [
        ("10.0.0.0/24", "10.0.0.128/25", true), ("10.0.0.0/25", "10.0.0.128/25", false), ("0.0.0.0/0", "::/0", false),
        ("10.0.0.0/8", "10.0.0.0/8", true), ("::/0", "2001:db8::/32", true),
    ] as [(String, String, Bool)])
    func overlaps(_ row: (String, String, Bool)) {
        let a = IPPrefix(row.0)!, b = IPPrefix(row.1)!
        #expect(a.overlaps(b) == row.2)
        #expect(b.overlaps(a) == row.2)
    }

    @Test func equalityIgnoresHostBits() {
        #expect(IPPrefix("10.0.0.1/24") == IPPrefix("10.0.0.0/24"))
        #expect(Set([IPPrefix("10.0.0.1/24")!, IPPrefix("10.0.0.0/24")!]).count == 1)
        #expect(IPPrefix("10.0.0.0/24")! < IPPrefix("10.0.0.0/25")!)
        #expect(IPPrefix("10.0.0.0/25")! < IPPrefix("10.0.1.0/24")!)
        #expect(IPPrefix(address: IPAddress("1.2.3.4")!, length: 33) == nil)
        #expect(IPPrefix(address: IPAddress("1.2.3.4")!, length: -1) == nil)
    }
}

@Suite("IPRange")
struct IPRangeTests {
    /// A range and the minimal prefixes covering it, in order.
    @Test(arguments: [
        ("10.0.0.0-10.0.0.255", ["10.0.0.0/24"]),
        ("10.0.0.1-10.0.0.1", ["10.0.0.1/32"]),
        ("10.1.0.2-10.1.0.254", ["10.1.0.2/31", "10.1.0.4/30", "10.1.0.8/29", "10.1.0.16/28", "10.1.0.32/27",
                                 "10.1.0.64/26", "10.1.0.128/26", "10.1.0.192/27", "10.1.0.224/28", "10.1.0.240/29",
                                 "10.1.0.248/30", "10.1.0.252/31", "10.1.0.254/32"]),
        ("10.0.0.255-10.0.1.0", ["10.0.0.255/32", "10.0.1.0/32"]),
        ("0.0.0.0-255.255.255.255", ["0.0.0.0/0"]),
        ("0.0.0.0-255.255.255.254", ["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/3", "224.0.0.0/4", "240.0.0.0/5",
                                     "248.0.0.0/6", "252.0.0.0/7", "254.0.0.0/8", "255.0.0.0/9", "255.128.0.0/10",
                                     "255.192.0.0/11", "255.224.0.0/12", "255.240.0.0/13", "255.248.0.0/14",
                                     "255.252.0.0/15", "255.254.0.0/16", "255.255.0.0/17", "255.255.128.0/18",
                                     "255.255.192.0/19", "255.255.224.0/20", "255.255.240.0/21", "255.255.248.0/22",
                                     "255.255.252.0/23", "255.255.254.0/24", "255.255.255.0/25", "255.255.255.128/26",
                                     "255.255.255.192/27", "255.255.255.224/28", "255.255.255.240/29",
                                     "255.255.255.248/30", "255.255.255.252/31", "255.255.255.254/32"]),
        ("255.255.255.255-255.255.255.255", ["255.255.255.255/32"]),
        ("::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ["::/0"]),
        ("::1-::2", ["::1/128", "::2/128"]),
        ("2001:db8::-2001:db8::1:0", ["2001:db8::/112", "2001:db8::1:0/128"]),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
         ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"]),
        ("10.0.0.10 - 10.0.0.20", ["10.0.0.10/31", "10.0.0.12/30", "10.0.0.16/30", "10.0.0.20/32"]),
    ] as [(String, [String])])
    func summarisesToMinimalPrefixes(_ row: (String, [String])) throws {
        let range = try IPRange(parsing: row.0)
        #expect(range.prefixes.map(\.description) == row.1)
        // The prefixes tile the range exactly.
        let total = range.prefixes.reduce(UInt128(0)) { $0 &+ $1.count }
        #expect(total == range.count || range.count == UInt128.max)
        #expect(range.prefixes.first?.first == range.first)
        #expect(range.prefixes.last?.last == range.last)
    }

    @Test(arguments: [
        ("10.0.0.1-10.0.0.1", UInt128(1)), ("10.0.0.0-10.0.0.255", 256), ("0.0.0.0-255.255.255.255", 1 << 32),
        ("::-::ffff", 65536), ("::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", UInt128.max),
    ] as [(String, UInt128)])
    func counts(_ row: (String, UInt128)) throws {
        #expect(try IPRange(parsing: row.0).count == row.1)
    }

    @Test(arguments: [
        ("1.2.3.4", IPRange.Problem.badSyntax("1.2.3.4")), ("1.2.3.4-1.2.3.5-1.2.3.6", .badSyntax("1.2.3.4-1.2.3.5-1.2.3.6")),
        ("1.2.3-1.2.3.5", .badAddress("1.2.3")), ("1.2.3.4-", .badAddress("")),
        ("1.2.3.5-1.2.3.4", .reversed(IPAddress("1.2.3.5")!, IPAddress("1.2.3.4")!)),
        ("1.2.3.4-::1", .mixedFamilies(IPAddress("1.2.3.4")!, IPAddress("::1")!)),
        ("fe80::1%eth0-fe80::2", .badAddress("fe80::1%eth0")), ("010.0.0.1-10.0.0.2", .badAddress("010.0.0.1")),
    ] as [(String, IPRange.Problem)])
    func rejects(_ row: (String, IPRange.Problem)) {
        #expect(throws: row.1) { try IPRange(parsing: row.0) }
    }

    @Test func containsAndOverlaps() throws {
        let range = try IPRange(parsing: "10.0.0.10-10.0.0.20")
        #expect(range.contains(IPAddress("10.0.0.10")!) && range.contains(IPAddress("10.0.0.20")!))
        #expect(!range.contains(IPAddress("10.0.0.9")!) && !range.contains(IPAddress("10.0.0.21")!))
        #expect(!range.contains(IPAddress("::ffff:10.0.0.15")!))
        #expect(range.overlaps(try IPRange(parsing: "10.0.0.20-10.0.0.30")))
        #expect(!range.overlaps(try IPRange(parsing: "10.0.0.21-10.0.0.30")))
        #expect(!range.overlaps(try IPRange(parsing: "::a-::14")))
        #expect(range.description == "10.0.0.10-10.0.0.20")
        #expect(try IPRange(parsing: "::1-::1").description == "::1")
    }
}

@Suite("AddressBlock")
struct AddressBlockTests {
    /// Entry text, canonical form, family.
    @Test(arguments: [
        ("10.0.0.0/24", "10.0.0.0/24", IPFamily.ipv4), ("10.0.0.5/24", "10.0.0.0/24", .ipv4),
        ("10.0.0.1-10.0.0.9", "10.0.0.1-10.0.0.9", .ipv4), ("10.0.0.1 - 10.0.0.9", "10.0.0.1-10.0.0.9", .ipv4),
        ("10.0.0.1-10.0.0.1", "10.0.0.1-10.0.0.1", .ipv4), ("2001:DB8::/64", "2001:db8::/64", .ipv6),
        ("2001:db8::1-2001:db8::ff", "2001:db8::1-2001:db8::ff", .ipv6), ("::/0", "::/0", .ipv6),
    ] as [(String, String, IPFamily)])
    func parses(_ row: (String, String, IPFamily)) throws {
        let block = try AddressBlock(parsing: row.0)
        #expect(block.description == row.1)
        #expect(block.family == row.2)
        #expect(try AddressBlock(parsing: row.1) == block)
        #expect(block.prefixes == block.range.prefixes)
    }

    @Test(arguments: [
        "", "10.0.0.1", " 10.0.0.0/24", "10.0.0.0/33", "::/129", "10.0.0.9-10.0.0.1", "10.0.0.1-", "1.2.3/24",
        "10.0.0.0/24-10.0.1.0/24", "fe80::1%eth0/64", "10.0.0.1-::1",
    ])
    func rejects(_ text: String) {
        #expect(throws: AddressBlock.ParseError.self) { try AddressBlock(parsing: text) }
    }
}

@Suite("GoDuration")
struct GoDurationTests {
    /// Text, nanoseconds, canonical description.
    @Test(arguments: [
        ("0", 0, "0s"), ("0s", 0, "0s"), ("90", 90_000_000_000, "1m30s"), ("90s", 90_000_000_000, "1m30s"),
        ("1m30s", 90_000_000_000, "1m30s"), ("1.5h", 5_400_000_000_000, "1h30m"), ("500ms", 500_000_000, "500ms"),
        ("1us", 1_000, "1000ns"), ("1µs", 1_000, "1000ns"), ("3ns", 3, "3ns"), ("2h45m", 9_900_000_000_000, "2h45m"),
        ("-1s", -1_000_000_000, "-1s"), ("+3s", 3_000_000_000, "3s"), (".5s", 500_000_000, "500ms"),
        ("1.001s", 1_001_000_000, "1001ms"), ("0.3s", 300_000_000, "300ms"), ("2.6s", 2_600_000_000, "2600ms"),
        ("1h0m0s", 3_600_000_000_000, "1h"), ("1.000000001s", 1_000_000_001, "1000000001ns"),
    ] as [(String, Int64, String)])
    func parsesAndFormats(_ row: (String, Int64, String)) throws {
        let duration = try #require(GoDuration(row.0))
        #expect(duration.nanoseconds == row.1)
        #expect(duration.description == row.2)
        #expect(GoDuration(row.2) == duration)
    }

    @Test(arguments: ["", "s", "-", "+", ".", "1x", "1h30", "1.2.3s", "1 s", " 1s", "1s ", "h1", "1e3s", "--1s",
                      "99999999999h", "2562048h", "18446744073709551616ns",
                      "99999999999", "1.5", "1.5.s"])
    func rejects(_ text: String) {
        #expect(GoDuration(text) == nil)
    }

    @Test(arguments: [(0, 0), (400_000_000, 0), (500_000_000, 1), (2_499_999_999, 2), (2_500_000_000, 3),
                      (-1_700_000_000, -2), (-1_400_000_000, -1), (-500_000_000, -1)] as [(Int64, Int64)])
    func roundsToTheNearestSecond(_ row: (Int64, Int64)) {
        #expect(GoDuration(nanoseconds: row.0).roundedSeconds == row.1)
    }
}

@Suite("BGPCommunity")
struct BGPCommunityTests {
    @Test(arguments: [
        ("0:0", BGPCommunity.standard(0, 0)), ("65535:65281", .standard(65535, 65281)), ("64512:100", .standard(64512, 100)),
        ("large:0:0:0", .large(0, 0, 0)), ("large:4294967295:4294967295:4294967295", .large(.max, .max, .max)),
        ("large:64512:1:2", .large(64512, 1, 2)),
    ] as [(String, BGPCommunity)])
    func parsesAndFormats(_ row: (String, BGPCommunity)) throws {
        #expect(try BGPCommunity(parsing: row.0) == row.1)
        #expect(row.1.description == row.0)
    }

    @Test(arguments: ["", ":", "1", "1:", ":1", "65536:1", "1:65536", "-1:1", "+1:1", "1:+1", "1:2:3", "a:b", " 1:2",
                      "1:2 ", "large:1:2", "large:1:2:3:4", "large:4294967296:0:0", "large:+1:2:3", "large::1:2",
                      "LARGE:1:2:3", "no-export", "0x1:2"])
    func rejects(_ text: String) {
        #expect(throws: BGPCommunity.ParseError.self) { try BGPCommunity(parsing: text) }
    }

    @Test func orders() {
        let sorted: [BGPCommunity] = [.standard(1, 2), .standard(1, 3), .standard(2, 0), .large(0, 0, 0), .large(0, 0, 1)]
        #expect(sorted.shuffled().sorted() == sorted)
        #expect(BGPCommunity.large(1, 2, 3).isLarge && !BGPCommunity.standard(1, 2).isLarge)
    }
}

@Suite("ServicePort")
struct ServicePortTests {
    @Test(arguments: [
        ("TCP/80", "TCP/80"), ("80", "TCP/80"), ("udp/53", "UDP/53"), ("SCTP/9", "SCTP/9"), ("tcp/65535", "TCP/65535"),
        ("Udp/1", "UDP/1"),
    ] as [(String, String)])
    func parsesAndFormats(_ row: (String, String)) throws {
        let port = try #require(ServicePort(row.0))
        #expect(port.description == row.1)
        #expect(ServicePort(row.1) == port)
    }

    @Test(arguments: ["", "/", "TCP", "TCP/", "/80", "TCP//80", "TCP/80/", "ICMP/1", "TCP/65536", "TCP/-1", "+80",
                      "TCP/+80", "TCP/0", "0", " 80", "TCP/ 80", "TCP/8a"])
    func rejects(_ text: String) {
        #expect(ServicePort(text) == nil)
    }

    @Test func orders() {
        let sorted = [ServicePort(.tcp, 80), ServicePort(.tcp, 443), ServicePort(.udp, 53), ServicePort(.sctp, 1)]
        #expect(sorted.reversed().sorted() == sorted)
    }
}

@Suite("LabelSelector")
struct LabelSelectorTests {
    private static let labels: Labels = ["zone": "a", "rack": "1"]

    @Test(arguments: [
        (LabelSelector(), true),
        (LabelSelector(matchLabels: ["zone": "a"]), true),
        (LabelSelector(matchLabels: ["zone": "b"]), false),
        (LabelSelector(matchLabels: ["zone": "a", "rack": "2"]), false),
        (LabelSelector(matchLabels: ["gpu": "true"]), false),
        (LabelSelector(matchExpressions: [.init(key: "zone", operator: .in, values: ["a", "b"])]), true),
        (LabelSelector(matchExpressions: [.init(key: "zone", operator: .in, values: ["b"])]), false),
        (LabelSelector(matchExpressions: [.init(key: "gpu", operator: .in, values: ["true"])]), false),
        (LabelSelector(matchExpressions: [.init(key: "zone", operator: .notIn, values: ["b"])]), true),
        (LabelSelector(matchExpressions: [.init(key: "zone", operator: .notIn, values: ["a"])]), false),
        (LabelSelector(matchExpressions: [.init(key: "gpu", operator: .notIn, values: ["true"])]), true),
        (LabelSelector(matchExpressions: [.init(key: "rack", operator: .exists)]), true),
        (LabelSelector(matchExpressions: [.init(key: "gpu", operator: .exists)]), false),
        (LabelSelector(matchExpressions: [.init(key: "gpu", operator: .doesNotExist)]), true),
        (LabelSelector(matchExpressions: [.init(key: "zone", operator: .doesNotExist)]), false),
        (LabelSelector(matchLabels: ["zone": "a"], matchExpressions: [.init(key: "rack", operator: .in, values: ["1"])]),
         true),
        (LabelSelector(matchLabels: ["zone": "a"], matchExpressions: [.init(key: "rack", operator: .notIn, values: ["1"])]),
         false),
    ] as [(LabelSelector, Bool)])
    func matches(_ row: (LabelSelector, Bool)) {
        #expect(row.0.matches(Self.labels) == row.1)
    }

    @Test func emptyListMatchesAll() {
        #expect([LabelSelector]().matchesAllOrAny([:]))
        #expect([LabelSelector(matchLabels: ["x": "1"]), LabelSelector(matchLabels: ["zone": "a"])]
            .matchesAllOrAny(Self.labels))
        #expect(![LabelSelector(matchLabels: ["x": "1"])].matchesAllOrAny(Self.labels))
    }

    @Test(arguments: [
        (LabelSelector(matchExpressions: [.init(key: "k", operator: .in)]), "needs at least one value"),
        (LabelSelector(matchExpressions: [.init(key: "k", operator: .notIn)]), "needs at least one value"),
        (LabelSelector(matchExpressions: [.init(key: "k", operator: .exists, values: ["v"])]), "takes no values"),
        (LabelSelector(matchExpressions: [.init(key: "k", operator: .in, values: ["v", "v"])]), "duplicate values"),
        (LabelSelector(matchExpressions: [.init(key: "", operator: .exists)]), "empty key"),
    ] as [(LabelSelector, String)])
    func problems(_ row: (LabelSelector, String)) {
        #expect(row.0.problem?.contains(row.1) == true, "\(String(describing: row.0.problem))")
    }
}
