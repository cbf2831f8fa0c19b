public import NIOCore

extension AdjRIBOut.Changes {
    /// Encodes the changes as UPDATEs into `buffer` (withdrawals first, then one packed run per announcement group,
    /// as many prefixes per message as `options.maxMessageSize` allows); returns the number of messages.
    ///
    /// The order does not matter to the peer: a prefix is either withdrawn or announced, never both.
    @discardableResult
    public func encode(options: BGPCodecOptions, into buffer: inout ByteBuffer) -> Int {
        var count = 0
        for family in withdrawals.keys.sorted() {
            count += UpdatePacker.encodeWithdrawals(family: family, prefixes: withdrawals[family]!, options: options,
                                                    into: &buffer)
        }
        for group in announcements {
            count += UpdatePacker.encodeAnnouncements(attributes: group.attributes.pathAttributes, family: group.family,
                                                      prefixes: group.prefixes, options: options, into: &buffer)
        }
        return count
    }

    /// The UPDATEs ``encode(options:into:)`` writes, as messages (for tests and logs).
    public func updateMessages(options: BGPCodecOptions) -> [UpdateMessage] {
        var messages: [UpdateMessage] = []
        for family in withdrawals.keys.sorted() {
            messages += UpdatePacker.withdrawals(family: family, prefixes: withdrawals[family]!, options: options)
        }
        for group in announcements {
            messages += UpdatePacker.announcements(attributes: group.attributes.pathAttributes, family: group.family,
                                                   prefixes: group.prefixes, options: options)
        }
        return messages
    }
}
