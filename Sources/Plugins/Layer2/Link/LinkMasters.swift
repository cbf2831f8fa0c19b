import Glibc

/// Which interface each interface is enslaved to (a bond or a bridge), from a netlink `RTM_GETLINK` dump.
///
/// rtnetlink constants (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h) are kernel ABI, written out here
/// because Glibc's module does not export them.
enum LinkMasters {
    static let netlinkRoute: Int32 = 0          // NETLINK_ROUTE
    static let messageDone: UInt16 = 3          // NLMSG_DONE
    static let messageError: UInt16 = 2         // NLMSG_ERROR
    static let newLink: UInt16 = 16             // RTM_NEWLINK
    static let getLink: UInt16 = 18             // RTM_GETLINK
    static let requestDump: UInt16 = 0x301      // NLM_F_REQUEST | NLM_F_DUMP
    static let attributeMaster: UInt16 = 10     // IFLA_MASTER
    static let headerSize = 16                  // struct nlmsghdr
    static let linkInfoSize = 16                // struct ifinfomsg

    /// Per interface index, the index of its master; nil when the dump failed (then nothing is known).
    static func dump() -> [Int32: Int32]? {
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue | SOCK_CLOEXEC.rawValue), netlinkRoute)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

        // struct nlmsghdr { len, type, flags, seq, pid } + struct ifinfomsg { family (AF_UNSPEC), …zeros }.
        let sequence: UInt32 = 1
        var request = [UInt8]()
        append(UInt32(headerSize + linkInfoSize), to: &request)
        append(getLink, to: &request)
        append(requestDump, to: &request)
        append(sequence, to: &request)
        append(UInt32(0), to: &request)
        request += [UInt8](repeating: 0, count: linkInfoSize)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else { return nil }

        var masters: [Int32: Int32] = [:]
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return nil }
            var offset = 0
            while offset + headerSize <= count {
                let length = Int(read(UInt32.self, buffer, offset))
                let type = read(UInt16.self, buffer, offset + 4)
                guard length >= headerSize, offset + length <= count else { return nil }
                guard read(UInt32.self, buffer, offset + 8) == sequence else { offset += aligned(length); continue }
                switch type {
                case messageDone: return masters
                case messageError: return nil
                case newLink where length >= headerSize + linkInfoSize:
                    let index = Int32(bitPattern: read(UInt32.self, buffer, offset + headerSize + 4))
                    if let master = self.master(buffer, from: offset + headerSize + linkInfoSize, to: offset + length) {
                        masters[index] = master
                    }
                default: break
                }
                offset += aligned(length)
            }
        }
    }

    /// The `IFLA_MASTER` attribute among the route attributes in `start..<end`, nil when absent or zero.
    private static func master(_ buffer: [UInt8], from start: Int, to end: Int) -> Int32? {
        var offset = start
        while offset + 4 <= end {
            let length = Int(read(UInt16.self, buffer, offset))
            let type = read(UInt16.self, buffer, offset + 2) & 0x3FFF     // without NLA_F_NESTED / NLA_F_NET_BYTEORDER
            guard length >= 4, offset + length <= end else { return nil }
            if type == attributeMaster, length >= 8 {
                let master = Int32(bitPattern: read(UInt32.self, buffer, offset + 4))
                return master == 0 ? nil : master
            }
            offset += aligned(length)
        }
        return nil
    }

    /// The master's name from `/sys/class/net/<name>/master` (a symbolic link to the master's directory), for when
    /// netlink is unavailable; only right when sysfs was mounted in the caller's network namespace.
    static func fromSysfs(_ name: String) -> String? {
        var target = [CChar](repeating: 0, count: 4096)
        let count = readlink("/sys/class/net/\(name)/master", &target, target.count - 1)
        guard count > 0 else { return nil }
        let path = String(decoding: target.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return path.split(separator: "/").last.map(String.init)
    }

    /// Netlink messages and attributes are padded to 4 octets (NLMSG_ALIGN, RTA_ALIGN).
    private static func aligned(_ length: Int) -> Int { (length + 3) & ~3 }

    /// Reads a host-order integer at `offset`.
    private static func read<T: FixedWidthInteger>(_: T.Type, _ buffer: [UInt8], _ offset: Int) -> T {
        buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
    }

    /// Appends a host-order integer.
    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value) { bytes += $0 }
    }
}
