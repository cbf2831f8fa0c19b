import CPcap
import Glibc
import Synchronization

/// A libpcap handle on one interface that receives ARP and neighbour discovery frames and sends whole Ethernet frames.
///
/// The handle is opened in immediate mode (each frame is delivered at once: without it libpcap's TPACKET_V3 blocks
/// delay frames by ~10 ms), without promiscuous mode, for incoming frames only (frames this host sends, injected ones
/// included, are not seen), with the kernel filter `PcapLink.filter`.
///
/// Threading: `run(_:)` blocks its thread (a dedicated one, never the Swift concurrency pool) in `poll(2)` and calls
/// its closure on that thread, holding no lock. `inject(_:)`, `close()` and `counters` are safe from any thread, the
/// reader's closure included. Sockets belong to the network namespace they were created in, so a link opened in a
/// thread that entered another namespace keeps working from any thread.
///
/// Lifetime: the libpcap handle is freed exactly once, by `close()` when `run(_:)` is not running, else by `run(_:)`
/// as it returns; `inject(_:)` holds the same lock while it sends, so the handle is never freed under it.
public final class PcapLink: Sendable {
    /// The capture filter: ARP, and ICMPv6 Neighbor Solicitation (135) or Advertisement (136) in an IPv6 packet
    /// without extension headers, each untagged or with one VLAN tag.
    ///
    /// libpcap compiles `vlan` for a live Linux handle with the kernel's VLAN-tag-present extension, so a tag the
    /// kernel took out of the frame (always the case for the outer tag of a received frame) is matched as well.
    public static let filter = "arp or (icmp6 and (ip6[40] == 135 or ip6[40] == 136))"
        + " or (vlan and (arp or (icmp6 and (ip6[40] == 135 or ip6[40] == 136))))"
    /// Octets kept of each frame: a whole jumbo frame. A cut frame would fail its checksum, and a solicitation may
    /// carry options of any length up to the MTU (RFC 4861 §4.6: unknown options are skipped, not refused).
    public static let snapshotLength: Int32 = 9216
    /// The kernel buffer libpcap asks for, in octets.
    public static let bufferSize: Int32 = 1 << 20

    /// How often a link whose interface went down asks libpcap whether the interface is back or gone, in ms.
    ///
    /// libpcap asks for 1 ms (`pcap_get_required_select_timeout`); a deleted interface is noticed within this
    /// interval instead, at 50 wakeups a second while the interface stays down rather than 1000.
    static let downRecheckMilliseconds: Int32 = 20

    /// What a link counted since it was opened.
    public struct Counters: Hashable, Sendable {
        /// Frames delivered to the `run` closure.
        public var received: Int
        /// Frames sent by `inject`.
        public var injected: Int
        /// Failed sends and receive errors.
        public var errors: Int
    }

    private enum State { case idle, running, closed }

    /// The interface's name.
    public let interface: String
    // Valid until `release()`; only used under `state`'s lock or by `run` while the state is `.running`.
    nonisolated(unsafe) private let handle: OpaquePointer
    private let captureDescriptor: Int32
    private let wakeDescriptor: Int32
    private let state = Mutex(State.idle)
    private let stopping = Atomic<Bool>(false)
    private let receivedCount = Atomic<Int>(0)
    private let injectedCount = Atomic<Int>(0)
    private let errorCount = Atomic<Int>(0)

    /// Opens and activates a capture handle on `interface` with the filter installed; needs root or CAP_NET_RAW.
    ///
    /// Throws `.interfaceGone` when the interface does not exist, `.open` or `.filter` with libpcap's text else.
    public init(interface: String) throws(LinkError) {
        self.interface = interface
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let handle = pcap_create(interface, &errorBuffer) else {
            throw LinkError(.open, interface: interface, message: "pcap_create: \(PcapLink.text(errorBuffer))")
        }
        do throws(LinkError) {
            try PcapLink.configure(handle, interface: interface)
            let wake = eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
            guard wake >= 0 else {
                throw LinkError(.socket, interface: interface, message: "eventfd: \(String(cString: strerror(errno)))")
            }
            self.handle = handle
            self.captureDescriptor = pcap_get_selectable_fd(handle)
            self.wakeDescriptor = wake
        } catch {
            pcap_close(handle)
            throw error
        }
    }

    /// Activates `handle` with the settings, the direction, the filter and nonblocking mode.
    private static func configure(_ handle: OpaquePointer, interface: String) throws(LinkError) {
        func failure(_ code: LinkError.Code, _ step: String, _ status: Int32? = nil) -> LinkError {
            var text = String(cString: pcap_geterr(handle))
            if let status, text.isEmpty { text = String(cString: pcap_statustostr(status)) }
            return LinkError(code, interface: interface, message: "\(step): \(text)")
        }
        guard pcap_set_snaplen(handle, snapshotLength) == 0, pcap_set_promisc(handle, 0) == 0,
            pcap_set_immediate_mode(handle, 1) == 0, pcap_set_buffer_size(handle, bufferSize) == 0
        else { throw failure(.open, "pcap_set_*") }
        let status = pcap_activate(handle)
        if status == PCAP_ERROR_NO_SUCH_DEVICE { throw failure(.interfaceGone, "pcap_activate", status) }
        guard status >= 0 else { throw failure(.open, "pcap_activate", status) }
        guard pcap_setdirection(handle, PCAP_D_IN) == 0 else { throw failure(.open, "pcap_setdirection(in)") }
        var program = bpf_program()
        guard pcap_compile(handle, &program, filter, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            throw failure(.filter, "pcap_compile(\"\(filter)\")")
        }
        defer { pcap_freecode(&program) }
        guard pcap_setfilter(handle, &program) == 0 else { throw failure(.filter, "pcap_setfilter") }
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard pcap_setnonblock(handle, 1, &errorBuffer) == 0 else {
            throw LinkError(.open, interface: interface, message: "pcap_setnonblock: \(PcapLink.text(errorBuffer))")
        }
        // PACKET_QDISC_BYPASS would save a few µs per reply, but frames sent that way skip the taps: tcpdump on the
        // node would show the requests and never lbd's replies. Troubleshooting wins.
        guard pcap_get_selectable_fd(handle) >= 0 else { throw failure(.open, "pcap_get_selectable_fd") }
    }

    deinit {
        // `run` keeps the link alive while it runs, so only an idle (never run) link is still open here.
        state.withLock { state in
            if state != .closed { release() }
        }
    }

    /// Sends one whole Ethernet frame (destination, source, any VLAN tags, EtherType, payload) out of the interface.
    ///
    /// Throws `.closed` after `close()` and `.inject` with libpcap's text when the kernel refuses the frame.
    public func inject(_ frame: [UInt8]) throws(LinkError) {
        try state.withLock { (state: inout State) throws(LinkError) in
            guard state != .closed, !stopping.load(ordering: .relaxed) else {
                throw LinkError(.closed, interface: interface, message: "inject: the link is closed")
            }
            let sent = frame.withUnsafeBytes { pcap_inject(handle, $0.baseAddress, $0.count) }
            guard sent == frame.count else {
                errorCount.add(1, ordering: .relaxed)
                let text = sent < 0 ? String(cString: pcap_geterr(handle)) : "sent \(sent) of \(frame.count) octets"
                throw LinkError(.inject, interface: interface, message: "pcap_inject: \(text)")
            }
        }
        injectedCount.add(1, ordering: .relaxed)
    }

    /// Calls `onFrame` with every frame that passes the filter, on the calling thread, until `close()` is called or
    /// reading fails; frees the libpcap handle before returning.
    ///
    /// Returns normally after `close()` (at once if the link was already closed). Throws `.interfaceGone` when the
    /// interface was deleted, within `downRecheckMilliseconds` (an interface that only goes down keeps its handle
    /// and delivers again once it is up), `.receive` with libpcap's text on other errors; the link is closed then,
    /// open a new one to resume.
    /// Must not be called twice on one link.
    public func run(_ onFrame: ([UInt8]) -> Void) throws(LinkError) {
        let started = state.withLock { state in
            switch state {
            case .idle: state = .running; return true
            case .closed: return false
            case .running: preconditionFailure("PcapLink.run called twice on \(interface)")
            }
        }
        guard started else { return }
        defer {
            state.withLock { state in
                state = .closed
                release()
            }
        }
        var descriptors = (
            pollfd(fd: captureDescriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0))
        var timeout: Int32 = -1
        while !stopping.load(ordering: .relaxed) {
            let ready = withUnsafeMutablePointer(to: &descriptors) {
                $0.withMemoryRebound(to: pollfd.self, capacity: 2) { poll($0, 2, timeout) }
            }
            if ready < 0 {
                let number = errno
                if number == EINTR { continue }
                errorCount.add(1, ordering: .relaxed)
                throw LinkError(.receive, interface: interface, message: "poll: \(String(cString: strerror(number)))")
            }
            if descriptors.1.revents != 0 { break }
            if descriptors.0.revents & Int16(POLLNVAL) != 0 {
                errorCount.add(1, ordering: .relaxed)
                throw LinkError(.receive, interface: interface, message: "poll: the capture descriptor is invalid")
            }
            try drain(onFrame)
            // After an ENETDOWN on a still existing interface, libpcap must be called again to learn whether the
            // interface went away (no second error comes when it is deleted after being taken down) or came back up.
            timeout = pcap_get_required_select_timeout(handle) == nil ? -1 : PcapLink.downRecheckMilliseconds
        }
    }

    /// Reads frames until none is pending (or the link is closing), calling `onFrame` for each.
    private func drain(_ onFrame: ([UInt8]) -> Void) throws(LinkError) {
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        while !stopping.load(ordering: .relaxed) {
            let status = pcap_next_ex(handle, &header, &data)
            if status == 1, let header, let data {
                let frame = [UInt8](UnsafeBufferPointer(start: data, count: Int(header.pointee.caplen)))
                receivedCount.add(1, ordering: .relaxed)
                onFrame(frame)
            } else if status == 0 {
                return
            } else if status == PCAP_ERROR_BREAK {
                return
            } else {
                let number = errno
                errorCount.add(1, ordering: .relaxed)
                let text = String(cString: pcap_geterr(handle))
                let gone = [ENODEV, ENXIO].contains(number) || text.contains("disappeared")
                throw LinkError(gone ? .interfaceGone : .receive, interface: interface, message: "pcap_next_ex: \(text)")
            }
        }
    }

    /// Stops `run(_:)` promptly (it returns within one wakeup, after the frame it is handling) and frees the handle;
    /// later sends throw `.closed`. Safe from any thread, the `run` closure included; calling it again does nothing.
    ///
    /// Does not wait for `run` to return: when it runs, `run` frees the handle on its way out.
    public func close() {
        state.withLock { state in
            switch state {
            case .idle:
                state = .closed
                release()
            case .running:
                if !stopping.exchange(true, ordering: .relaxed) {
                    var one: UInt64 = 1
                    _ = write(wakeDescriptor, &one, MemoryLayout<UInt64>.size)
                }
            case .closed:
                break
            }
        }
    }

    /// Whether the link is closed or closing (no more sends, `run` returns or has returned).
    public var isClosed: Bool {
        state.withLock { $0 == .closed } || stopping.load(ordering: .relaxed)
    }

    /// The counters so far.
    public var counters: Counters {
        Counters(
            received: receivedCount.load(ordering: .relaxed), injected: injectedCount.load(ordering: .relaxed),
            errors: errorCount.load(ordering: .relaxed))
    }

    /// The text of a NUL-terminated error buffer.
    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Frees the handle and the wake descriptor; called once, under the lock, on the way to `.closed`.
    private func release() {
        pcap_close(handle)
        Glibc.close(wakeDescriptor)
    }
}
