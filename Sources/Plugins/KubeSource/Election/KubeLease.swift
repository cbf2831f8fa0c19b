// Election/: the allocating role's Lease (issue 5: "exactly one lbd allocates at a time").
//
// KubeLease.swift                    the coordination.k8s.io/v1 Lease object and its MicroTime timestamps
// LeaseElectionStateMachine.swift    client-go's leader election rules as a pure struct: events in, actions out
// LeaseElector.swift                 its async shell: GET/POST/PUT on the Lease, timers, `roles` and `isLeading`
public import Foundation
import LBKernel

/// A `coordination.k8s.io/v1` Lease: who holds it, for how long, and when it was taken and last renewed.
///
/// Fields lbd does not know (owner references, `spec.strategy`, …) are kept from the object as read, so an update
/// writes them back unchanged, as client-go's LeaseLock does (it updates the whole object it got).
public struct KubeLease: KubeObject, Codable, Hashable {
    /// The kind, `Lease`.
    public static let kind = "Lease"
    /// The API version, `coordination.k8s.io/v1`.
    public static let apiVersion = "coordination.k8s.io/v1"

    /// The metadata (name, namespace, resourceVersion, labels, annotations).
    public var metadata: ObjectMeta
    /// The holder and the timing.
    public var spec: Spec
    /// The whole object as read, or nil for a Lease built here; its unknown fields are written back.
    public var original: JSONValue?

    /// The Lease's spec: the fields leader election reads and writes.
    public struct Spec: Codable, Hashable, Sendable {
        /// The identity of the holder; nil or empty when nobody holds the Lease.
        public var holderIdentity: String?
        /// How long (seconds) after it was last seen renewed the Lease stays the holder's.
        public var leaseDurationSeconds: Int?
        /// When the current holder took the Lease.
        public var acquireTime: MicroTime?
        /// When the holder last renewed the Lease.
        public var renewTime: MicroTime?
        /// How many times the Lease changed holders.
        public var leaseTransitions: Int?

        /// Creates a spec.
        public init(holderIdentity: String? = nil, leaseDurationSeconds: Int? = nil, acquireTime: MicroTime? = nil,
                    renewTime: MicroTime? = nil, leaseTransitions: Int? = nil) {
            self.holderIdentity = holderIdentity
            self.leaseDurationSeconds = leaseDurationSeconds
            self.acquireTime = acquireTime
            self.renewTime = renewTime
            self.leaseTransitions = leaseTransitions
        }

        /// The holder, or the empty string when there is none.
        public var holder: String { holderIdentity ?? "" }
    }

    /// Creates a Lease.
    public init(metadata: ObjectMeta, spec: Spec, original: JSONValue? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.original = original
    }

    /// The API path of the Leases in `namespace`.
    public static func collectionPath(namespace: String) -> String {
        "/apis/coordination.k8s.io/v1/namespaces/\(namespace)/leases"
    }

    /// The API path of the Lease `name` in `namespace`.
    public static func path(namespace: String, name: String) -> String {
        collectionPath(namespace: namespace) + "/" + name
    }

    enum CodingKeys: String, CodingKey { case metadata, spec }

    /// Decodes a Lease and keeps the whole object; a missing `spec` is an empty one.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try c.decode(ObjectMeta.self, forKey: .metadata)
        spec = try c.decodeIfPresent(Spec.self, forKey: .spec) ?? Spec()
        original = try JSONValue(from: decoder)
    }

    /// Encodes the Lease: the object as read with apiVersion, kind, the known metadata and the spec replaced.
    public func encode(to encoder: any Encoder) throws {
        try json.encode(to: encoder)
    }

    /// The Lease as JSON (see ``encode(to:)``).
    public var json: JSONValue {
        var object: [String: JSONValue] = [:]
        if case .object(let read) = original { object = read }
        object["apiVersion"] = .string(Self.apiVersion)
        object["kind"] = .string(Self.kind)

        var meta: [String: JSONValue] = [:]
        if case .object(let read) = object["metadata"] { meta = read }
        meta["name"] = .string(metadata.name)
        meta["namespace"] = metadata.namespace.map(JSONValue.string)
        meta["uid"] = metadata.uid.map(JSONValue.string)
        meta["resourceVersion"] = metadata.resourceVersion.map(JSONValue.string)
        meta["labels"] = metadata.labels.isEmpty ? nil : .object(metadata.labels.mapValues(JSONValue.string))
        meta["annotations"] = metadata.annotations.isEmpty
            ? nil : .object(metadata.annotations.mapValues(JSONValue.string))
        object["metadata"] = .object(meta)

        var fields: [String: JSONValue] = [:]
        if case .object(let read) = object["spec"] { fields = read }
        fields["holderIdentity"] = spec.holderIdentity.map(JSONValue.string)
        fields["leaseDurationSeconds"] = spec.leaseDurationSeconds.map { .integer(Int64($0)) }
        fields["acquireTime"] = spec.acquireTime.map { .string($0.description) }
        fields["renewTime"] = spec.renewTime.map { .string($0.description) }
        fields["leaseTransitions"] = spec.leaseTransitions.map { .integer(Int64($0)) }
        object["spec"] = .object(fields)
        return .object(object)
    }
}

/// A Kubernetes `MicroTime`: RFC 3339 in UTC with six fractional digits, `2026-11-29T14:29:17.123456Z`.
///
/// Decoding accepts any number of fractional digits (or none) and a numeric offset, as Go's RFC 3339 parser does.
public struct MicroTime: Codable, Hashable, Sendable, CustomStringConvertible {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public var microseconds: Int64

    /// The time `date`, rounded to the microsecond.
    public init(_ date: Date) {
        microseconds = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    /// The time `microseconds` after the epoch.
    public init(microseconds: Int64) {
        self.microseconds = microseconds
    }

    /// The time as a `Date`.
    public var date: Date { Date(timeIntervalSince1970: Double(microseconds) / 1_000_000) }

    /// `2026-11-29T14:29:17.123456Z`.
    public var description: String {
        let (seconds, fraction) = microseconds.quotientAndRemainder(dividingBy: 1_000_000)
        let (wholeSeconds, micros) = fraction < 0 ? (seconds - 1, fraction + 1_000_000) : (seconds, fraction)
        let (days, secondOfDay) = Self.floorDivide(wholeSeconds, 86_400)
        let (year, month, day) = CivilCalendar.date(daysSinceEpoch: days)
        let text = String(format: "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%06lldZ", year, month, day,
                          secondOfDay / 3600, secondOfDay / 60 % 60, secondOfDay % 60, micros)
        return text
    }

    /// Parses RFC 3339 text (`2026-11-29T14:29:17.123456Z`, `…17Z`, `…17.5+02:00`).
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard bytes.count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")].contains(bytes[10]),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var index = 19
        var micros: Int64 = 0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, let digit = number(index..<index + 1) {
                if digits < 6 { micros = micros * 10 + digit }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 6) { micros *= 10 }
        }
        guard index < bytes.count else { return nil }
        var offset: Int64 = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == bytes.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == bytes.count, bytes[index + 3] == UInt8(ascii: ":"),
                  let hours = number(index + 1..<index + 3), let minutes = number(index + 4..<index + 6),
                  hours < 24, minutes < 60 else { return nil }
            offset = (hours * 3600 + minutes * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
        default:
            return nil
        }
        let days = CivilCalendar.days(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        microseconds = seconds * 1_000_000 + micros
    }

    /// Decodes RFC 3339 text.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        guard let time = MicroTime(text) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "not an RFC 3339 time: '\(text)'")
        }
        self = time
    }

    /// Encodes ``description``.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let (q, r) = a.quotientAndRemainder(dividingBy: b)
        return r < 0 ? (q - 1, r + b) : (q, r)
    }
}
