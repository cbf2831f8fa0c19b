"""ARP and NDP reply latency from the client, by kernel packet timestamps.

A raw packet socket on the client's eth0 sends one ARP request (or one Neighbor Solicitation to the target's
solicited-node group) at a time; the round trip is the kernel's receive timestamp of the reply (SO_TIMESTAMPNS,
CLOCK_REALTIME) minus the wall clock read just before send(). No capture runs meanwhile (l2-baseline §4a: taps
add 10-15 µs). Every reply to a request is counted, so a second answerer (the kernel answering for a VIP on lo
besides lbd) shows up as a duplicate.
"""

import socket
import struct
import time

ETH_P_ARP, ETH_P_IPV6 = 0x0806, 0x86DD
SO_TIMESTAMPNS = 35  # also SCM_TIMESTAMPNS
PACKET_OUTGOING = 4


def mac_bytes(mac):
    return bytes(int(part, 16) for part in mac.split(":"))


def mac_text(raw):
    return ":".join(f"{b:02x}" for b in raw)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def arp_request(src_mac, src_ip, target_ip):
    """A broadcast ARP request (RFC 826) for target_ip, padded to 60 octets."""
    frame = (b"\xff" * 6 + mac_bytes(src_mac) + struct.pack("!H", ETH_P_ARP)
             + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac_bytes(src_mac) + socket.inet_aton(src_ip)
             + b"\0" * 6 + socket.inet_aton(target_ip))
    return frame.ljust(60, b"\0")


def solicited_node(target):
    raw = socket.inet_pton(socket.AF_INET6, target)
    return socket.inet_pton(socket.AF_INET6, "ff02::1:ff00:0")[:13] + raw[13:]


def neighbor_solicitation(src_mac, src_ip, target):
    """A Neighbor Solicitation (RFC 4861 §4.3) for target to its solicited-node group, with the source
    link-layer address option, hop limit 255."""
    src = socket.inet_pton(socket.AF_INET6, src_ip)
    dst = solicited_node(target)
    body = struct.pack("!BBHI", 135, 0, 0, 0) + socket.inet_pton(socket.AF_INET6, target) \
        + struct.pack("!BB", 1, 1) + mac_bytes(src_mac)
    pseudo = src + dst + struct.pack("!IxxxB", len(body), 58)
    body = body[:2] + struct.pack("!H", checksum(pseudo + body)) + body[4:]
    ipv6 = struct.pack("!IHBB", 6 << 28, len(body), 58, 255) + src + dst
    eth = b"\x33\x33" + dst[12:] + mac_bytes(src_mac) + struct.pack("!H", ETH_P_IPV6)
    return eth + ipv6 + body


def parse_reply(frame, family, target, requester):
    """The answering MAC when `frame` is an ARP reply / solicited Neighbor Advertisement for `target` addressed to
    `requester` (our address), else None: gratuitous replies and unsolicited advertisements (a takeover's repeats)
    are not answers."""
    if len(frame) < 14:
        return None
    ether_type = struct.unpack_from("!H", frame, 12)[0]
    if family == 4:
        if ether_type != ETH_P_ARP or len(frame) < 42:
            return None
        op = struct.unpack_from("!H", frame, 20)[0]
        if op != 2 or frame[28:32] != socket.inet_aton(target) or frame[38:42] != socket.inet_aton(requester):
            return None
        return mac_text(frame[22:28])
    if ether_type != ETH_P_IPV6 or len(frame) < 14 + 40 + 24 or frame[20] != 58 or frame[54] != 136:
        return None
    if frame[62:78] != socket.inet_pton(socket.AF_INET6, target):
        return None
    if frame[38:54] != socket.inet_pton(socket.AF_INET6, requester) or not frame[58] & 0x40:
        return None  # not to us, or not solicited (S = 0)
    # Target link-layer address option if present, else the Ethernet source.
    offset = 78
    while offset + 8 <= len(frame):
        kind, length = frame[offset], frame[offset + 1]
        if length == 0:
            break
        if kind == 2:
            return mac_text(frame[offset + 2:offset + 8])
        offset += length * 8
    return mac_text(frame[6:12])


class Prober:
    """A raw socket on the client's eth0 (create it inside the client's namespace) for one family."""

    def __init__(self, family, src_mac, src_ip):
        self.family = family
        self.src_mac, self.src_ip = src_mac, src_ip
        protocol = ETH_P_ARP if family == 4 else ETH_P_IPV6
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(protocol))
        self.sock.bind(("eth0", protocol))
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.sock.setblocking(False)

    def close(self):
        self.sock.close()

    def _drain(self):
        while True:
            try:
                self.sock.recv(4096)
            except BlockingIOError:
                return

    def _receive(self, deadline):
        """(frame, kernel rx time in ns) of the next incoming frame before `deadline` (monotonic), or None."""
        import select
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self.sock], [], [], remaining)
            if not ready:
                return None
            try:
                data, ancillary, _, address = self.sock.recvmsg(4096, socket.CMSG_SPACE(16))
            except BlockingIOError:
                continue
            if address[2] == PACKET_OUTGOING:
                continue
            rx = None
            for level, kind, value in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    seconds, nanoseconds = struct.unpack("qq", value[:16])
                    rx = seconds * 1_000_000_000 + nanoseconds
            return data, rx

    def ask(self, target, timeout=0.1, listen=0.02):
        """Sends one request for `target`; returns (rtt in µs or None, answering MACs in order)."""
        frame = (arp_request(self.src_mac, self.src_ip, target) if self.family == 4
                 else neighbor_solicitation(self.src_mac, self.src_ip, target))
        self._drain()
        sent = time.time_ns()
        self.sock.send(frame)
        deadline = time.monotonic() + timeout
        rtt, macs = None, []
        while True:
            received = self._receive(deadline)
            if received is None:
                return rtt, macs
            data, rx = received
            mac = parse_reply(data, self.family, target, self.src_ip)
            if mac is None:
                continue
            if rtt is None:
                rtt = ((rx if rx is not None else time.time_ns()) - sent) / 1000.0
                # After the first reply, listen a little longer for a second answerer.
                deadline = min(deadline, time.monotonic() + listen)
            macs.append(mac)


def measure(prober, target, count=30, spacing=0.02, timeout=0.1):
    """`count` requests `spacing` s apart: {"rtt_us": [...], "unanswered": n, "duplicates": n, "macs": {...}}."""
    rtts, unanswered, duplicates, macs = [], 0, 0, {}
    next_at = time.monotonic()
    for _ in range(count):
        delay = next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        next_at += spacing
        rtt, answered_by = prober.ask(target, timeout=timeout)
        if rtt is None:
            unanswered += 1
        else:
            rtts.append(rtt)
        duplicates += max(0, len(answered_by) - 1)
        for mac in answered_by:
            macs[mac] = macs.get(mac, 0) + 1
    return {"rtt_us": rtts, "unanswered": unanswered, "duplicates": duplicates, "macs": macs}
