import BGPPlugin
import NIOCore

/// The properties the fuzzers check on any input. Tests/BGPPluginTests/CrasherReplayTests.swift repeats them for
/// the saved crashers (the main package cannot depend on this one), so a change here belongs there too.
public enum WireFuzzCheck {
    /// Every combination of the codec options that changes how bytes are read.
    public static let optionSets: [BGPCodecOptions] = [
        BGPCodecOptions(fourOctetAS: true, maxMessageSize: BGPCodecOptions.standardMaxMessageSize),
        BGPCodecOptions(fourOctetAS: false, maxMessageSize: BGPCodecOptions.standardMaxMessageSize),
        BGPCodecOptions(fourOctetAS: true, maxMessageSize: BGPCodecOptions.extendedMaxMessageSize),
        BGPCodecOptions(fourOctetAS: false, maxMessageSize: BGPCodecOptions.extendedMaxMessageSize),
    ]

    /// Decodes `bytes` as a stream of messages with each option set, as the session would: on after a
    /// treat-as-withdraw or attribute-discard error, stopping at the first error that resets the session.
    public static func decodeEverything(_ bytes: UnsafeBufferPointer<UInt8>) {
        for options in optionSets {
            var buffer = ByteBuffer(bytes: bytes)
            _ = messages(in: &buffer, options: options)
        }
    }

    /// Decodes the input after its first octet (which picks the option set) and checks that every message decoded
    /// encodes to bytes that decode to the same message; returns what went wrong, or nil.
    public static func roundTrip(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard let first = bytes.first else { return nil }
        let options = optionSets[Int(first) % optionSets.count]
        var buffer = ByteBuffer(bytes: bytes.dropFirst())
        for message in messages(in: &buffer, options: options) {
            // Re-encoding may grow a message (an old speaker's AS4_PATH merged into the path): the caller keeps
            // messages within the size, so such a message is not encoded.
            guard message.encodedLength(options: options) <= message.kind.maximumLength(options) else { continue }
            var encoded = ByteBuffer()
            message.encode(into: &encoded, options: options)
            guard encoded.readableBytes == message.encodedLength(options: options) else {
                return "encodedLength \(message.encodedLength(options: options)) but \(encoded.readableBytes) octets "
                    + "written for \(message)"
            }
            do {
                let again = try BGPMessage.decode(from: &encoded, options: options)
                guard again == message else {
                    return "\(options): \(message)\nre-decoded as \(again.map { "\($0)" } ?? "nothing")"
                }
            } catch {
                return "\(options): \(message)\nre-encoded does not decode: \(error)"
            }
        }
        return nil
    }

    /// The messages decoded from `buffer` until it runs dry or an error resets the session.
    static func messages(in buffer: inout ByteBuffer, options: BGPCodecOptions) -> [BGPMessage] {
        var decoded: [BGPMessage] = []
        while true {
            do {
                guard let message = try BGPMessage.decode(from: &buffer, options: options) else { return decoded }
                decoded.append(message)
            } catch {
                if case .sendNotification = error.action { return decoded }
            }
        }
    }
}
