import Foundation

/// The Python programs the lab runs (standard library only; Debian's python3), written into the lab's directory.
///
/// Python rather than Swift: they run inside the namespaces as processes of their own (`ip netns exec`), which a
/// thread of the test process cannot do without `setns`, and a crash of one never takes the test runner down.
enum LabScripts {
    /// Writes `echo.py`, `prober.py` and `frames.py` into `directory`.
    static func write(to directory: URL) throws {
        for (name, text) in [("echo.py", echo), ("prober.py", prober), ("frames.py", frames)] {
            try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
    }

    /// The UDP echo server of a node: answers each datagram on the VIPs with `<node> <datagram>`.
    static let echo = #"""
        # UDP echo server of one lab node: answers every datagram on the VIPs with "<node> <datagram>".
        # Usage: echo.py NODE PORT ADDRESS...   (bound even while this node does not hold an ADDRESS)
        import selectors, socket, sys

        name, port = sys.argv[1].encode(), int(sys.argv[2])
        selector = selectors.DefaultSelector()
        for address in sys.argv[3:]:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.setsockopt(socket.SOL_IP, 15, 1)  # IP_FREEBIND: the VIP may come to this node later
            sock.bind((address, port))
            selector.register(sock, selectors.EVENT_READ)
        print("ready", flush=True)
        while True:
            for key, _ in selector.select():
                try:
                    data, peer = key.fileobj.recvfrom(2048)
                    key.fileobj.sendto(name + b" " + data, peer)
                except OSError as error:
                    print("error", error, flush=True)
        """#

    /// The client's UDP prober: one JSON line per probe sent, reply and error, with CLOCK_MONOTONIC times.
    static let prober = #"""
        # UDP prober of the lab's client: every INTERVAL ms one datagram to each address, one JSON line per event on
        # standard output with CLOCK_MONOTONIC nanoseconds: {"e":"s"} sent, {"e":"r","n":NODE} reply, {"e":"x"} error.
        # Usage: prober.py INTERVAL_MS PORT COUNT ADDRESS...   (COUNT 0: until killed; else COUNT rounds, then 1 s more)
        import errno, json, select, socket, sys, time

        interval, port, count = float(sys.argv[1]) / 1000, int(sys.argv[2]), int(sys.argv[3])
        sockets = {}
        for address in sys.argv[4:]:
            family = 6 if ":" in address else 4
            sock = socket.socket(socket.AF_INET6 if family == 6 else socket.AF_INET, socket.SOCK_DGRAM)
            sock.connect((address, port))
            sock.setblocking(False)
            sockets[sock] = family
        out = sys.stdout
        def emit(event):
            out.write(json.dumps(event, separators=(",", ":")) + "\n")
        emit({"e": "ready", "t": time.monotonic_ns()})
        out.flush()
        seq, due, end = 0, time.monotonic(), None
        while end is None or time.monotonic() < end:
            now = time.monotonic()
            if end is None and now >= due:
                for sock, family in sockets.items():
                    sent = time.monotonic_ns()
                    try:
                        sock.send(f"{family} {seq} {sent}".encode())
                        emit({"e": "s", "f": family, "q": seq, "t": sent})
                    except OSError as error:
                        emit({"e": "x", "f": family, "q": seq, "t": sent, "m": errno.errorcode.get(error.errno, str(error))})
                seq += 1
                due += interval
                if due < now:   # after a stall: no burst, the next probe one interval from now
                    due = now + interval
                if count and seq >= count:
                    end = time.monotonic() + 1.0
            wait = max(0.0, (due if end is None else end) - time.monotonic())
            readable, _, _ = select.select(list(sockets), [], [], wait)
            for sock in readable:
                while True:
                    try:
                        data = sock.recv(2048)
                    except BlockingIOError:
                        break
                    except OSError as error:
                        emit({"e": "x", "f": sockets[sock], "t": time.monotonic_ns(),
                              "m": errno.errorcode.get(error.errno, str(error))})
                        break
                    received = time.monotonic_ns()
                    try:
                        node, family, q, sent = data.decode().split()
                        emit({"e": "r", "f": int(family), "q": int(q), "t": received, "st": int(sent), "n": node})
                    except ValueError:
                        emit({"e": "x", "f": sockets[sock], "t": received, "m": "garbled reply %r" % data[:64]})
            out.flush()
        """#

    /// Raw ARP and NDP frames from the observer (AF_PACKET) and the answers they got.
    static let frames = #"""
        # Raw Ethernet frames at the lab's nodes from the observer (AF_PACKET), and what the nodes answered.
        # Usage: frames.py IFACE VIP4 VIP6 NODE_MACS(comma-separated) OWNER_MAC MODE(bad|control) SEED
        # Prints one JSON object: {"quiet_ms": ..., "cases": {NAME: [REPLY, ...]}} where a REPLY names the node MAC that
        # answered and what it sent. "bad": malformed, truncated, spoofed or misaddressed ARP requests and Neighbor
        # Solicitations, claims of the VIPs, and random frames: none may be answered. "control": well-formed requests
        # (oversized with padding or an unknown option, an ARP probe, a DAD probe): each answered by the owner.
        # "announce": one unsolicited NA for VIP6 from OWNER_MAC (run on the node taking it over).
        # "sniff": prints "ready", then counts for SEED seconds the Neighbor Solicitations for VIP6 that reach IFACE.
        import json, random, select, socket, struct, sys, time

        iface, vip4, vip6, node_macs, owner_mac, mode, seed = sys.argv[1:8]
        random.seed(int(seed))
        NODES = {bytes.fromhex(m.replace(":", "")) for m in node_macs.split(",")}
        OWNER = bytes.fromhex(owner_mac.replace(":", ""))
        ATTACKER = bytes.fromhex("026600000001")
        ATTACKER4, ATTACKER6 = socket.inet_aton("10.97.0.66"), socket.inet_pton(socket.AF_INET6, "fd00:97::66")
        VIP4, VIP6 = socket.inet_aton(vip4), socket.inet_pton(socket.AF_INET6, vip6)
        OTHER4, OTHER6 = socket.inet_aton("10.97.0.101"), socket.inet_pton(socket.AF_INET6, "fd00:97::101")
        BROADCAST, ZERO6, ALL_NODES = b"\xff" * 6, b"\x00" * 16, socket.inet_pton(socket.AF_INET6, "ff02::1")
        OUTGOING = 4

        def ether(dst, src, kind, payload):
            return dst + src + struct.pack("!H", kind) + payload

        def arp(op, sha, spa, tha, tpa, htype=1, ptype=0x0800, hlen=6, plen=4):
            return struct.pack("!HHBBH", htype, ptype, hlen, plen, op) + sha + spa + tha + tpa

        def arp_frame(op=1, src=ATTACKER, dst=BROADCAST, spa=ATTACKER4, tpa=VIP4, sha=None, tha=b"\x00" * 6, **fields):
            return ether(dst, src, 0x0806, arp(op, sha or src, spa, tha, tpa, **fields))

        def checksum(data):
            if len(data) % 2:
                data += b"\x00"
            total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
            while total >> 16:
                total = (total & 0xFFFF) + (total >> 16)
            return ~total & 0xFFFF

        def solicited(address):
            return socket.inet_pton(socket.AF_INET6, "ff02::1:ff00:0")[:13] + address[13:]

        def multicast_mac(address):
            return b"\x33\x33" + address[12:]

        def icmp6(src, dst, kind, code, body, bad_sum=False):
            header = struct.pack("!BBH", kind, code, 0) + body
            pseudo = src + dst + struct.pack("!I", len(header)) + b"\x00\x00\x00\x3a"
            value = checksum(pseudo + header)
            if bad_sum:
                value ^= 0x5555
            return header[:2] + struct.pack("!H", value) + header[4:]

        def ipv6(src, dst, payload, hop=255, length=None, next_header=58):
            return struct.pack("!IHBB", 0x60000000, len(payload) if length is None else length, next_header, hop) \
                + src + dst + payload

        def ns_frame(target=VIP6, src=ATTACKER6, dst=None, eth_src=ATTACKER, eth_dst=None, hop=255, code=0,
                     options=None, bad_sum=False, length=None, cut=0, pad=b""):
            dst = dst or solicited(target)
            options = struct.pack("!BB", 1, 1) + eth_src if options is None else options
            message = icmp6(src, dst, 135, code, b"\x00" * 4 + target + options, bad_sum)
            if cut:
                message = message[:-cut]
            return ether(eth_dst or multicast_mac(dst), eth_src, 0x86DD, ipv6(src, dst, message, hop, length)) + pad

        def na_frame(target=VIP6, eth_src=ATTACKER, src=ATTACKER6, flags=0x20000000):
            body = struct.pack("!I", flags) + target + struct.pack("!BB", 2, 1) + eth_src
            return ether(multicast_mac(ALL_NODES), eth_src, 0x86DD, ipv6(src, ALL_NODES, icmp6(src, ALL_NODES, 136, 0, body)))

        def random_frame():
            kind = random.choice([0x0806, 0x86DD])
            if kind == 0x0806:
                payload = arp(random.randrange(65536), random.randbytes(6), random.randbytes(4), random.randbytes(6), random.randbytes(4),
                              htype=random.choice([1, random.randrange(65536)]), ptype=random.choice([0x0800, 0x86DD]),
                              hlen=random.choice([6, random.randrange(256)]), plen=random.choice([4, random.randrange(256)]))
                payload = payload[:random.randrange(len(payload) + 1)] + random.randbytes(random.randrange(64))
                return ether(BROADCAST, ATTACKER, kind, payload)
            body = bytes([random.choice([135, 136, random.randrange(256)]), random.randrange(3)]) + random.randbytes(
                random.randrange(0, 120))
            dst = random.choice([solicited(VIP6), ALL_NODES, VIP6])
            packet = ipv6(ATTACKER6, dst, body, hop=random.choice([255, random.randrange(256)]),
                          length=random.choice([len(body), random.randrange(65536)]))
            return ether(multicast_mac(dst) if dst != VIP6 else BROADCAST, ATTACKER, kind, packet)

        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
        sock.bind((iface, 0))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)

        def replies(window):
            # What the nodes sent in the next `window` seconds that answers something (ARP replies and Neighbor
            # Advertisements), with whether it was unsolicited (a gratuitous ARP, an NA without S to a multicast group).
            seen, end = [], time.monotonic() + window
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    return seen
                if not select.select([sock], [], [], left)[0]:
                    continue
                frame, address = sock.recvfrom(65535)
                if address[2] == OUTGOING or frame[6:12] not in NODES or len(frame) < 14:
                    continue
                kind, body = struct.unpack("!H", frame[12:14])[0], frame[14:]
                node = frame[6:12].hex(":")
                if kind == 0x0806 and len(body) >= 28 and struct.unpack("!H", body[6:8])[0] == 2:
                    spa, tha, tpa = body[14:18], body[18:24], body[24:28]
                    seen.append({"node": node, "kind": "arp-reply", "to": frame[0:6].hex(":"),
                                 "address": socket.inet_ntoa(spa), "tpa": socket.inet_ntoa(tpa),
                                 "unsolicited": spa == tpa})
                elif kind == 0x86DD and len(body) >= 40 + 24 and body[6] == 58 and body[40] == 136:
                    flags, target = body[44], body[48:64]
                    seen.append({"node": node, "kind": "na", "to": socket.inet_ntop(socket.AF_INET6, body[24:40]),
                                 "address": socket.inet_ntop(socket.AF_INET6, target), "solicited": bool(flags & 0x40),
                                 "unsolicited": not flags & 0x40 and body[24] == 0xFF})

        def wait_quiet(quiet, limit):
            # Waits until the nodes have sent no gratuitous ARP or unsolicited NA for `quiet` seconds.
            start = time.monotonic()
            while time.monotonic() - start < limit:
                if not any(reply["unsolicited"] for reply in replies(quiet)):
                    return int((time.monotonic() - start) * 1000)
            return -1

        if mode == "announce":
            # One unsolicited NA (Override set) for VIP6 with OWNER_MAC, as a node taking the address over sends.
            sock.send(na_frame(eth_src=OWNER, src=VIP6, flags=0x20000000))
            print(json.dumps({"announced": vip6}))
            sys.exit(0)
        if mode == "sniff":
            print("ready", flush=True)
            count, seen, end = 0, [], time.monotonic() + float(seed)
            while time.monotonic() < end:
                if not select.select([sock], [], [], max(0.0, end - time.monotonic()))[0]:
                    continue
                frame, address = sock.recvfrom(65535)
                if address[2] != OUTGOING and frame[12:14] == b"\x86\xdd" and len(frame) >= 14 + 40 + 24 \
                        and frame[14 + 6] == 58 and frame[14 + 40] == 135 and frame[14 + 48:14 + 64] == VIP6:
                    count += 1
                    seen.append({"mac": frame[6:12].hex(":"), "from": socket.inet_ntop(socket.AF_INET6, frame[22:38]),
                                 "to": socket.inet_ntop(socket.AF_INET6, frame[38:54])})
            print(json.dumps({"ns": count, "seen": seen}))
            sys.exit(0)
        if mode == "bad":
            cases = [
                # Multicast answers would be legitimate for a DAD probe: this one, from ::, carries an SLLA (RFC 4861
                # §7.1.1: invalid), so any NA at all is wrong. First, before any claim makes the owner re-announce.
                ("ns-unspecified-source-with-slla", ns_frame(src=ZERO6)),
                ("arp-truncated", arp_frame()[:14 + 20]),
                ("arp-header-only", arp_frame()[:14 + 8]),
                ("arp-htype-6", arp_frame(htype=6)),
                ("arp-ptype-ipv6", ether(BROADCAST, ATTACKER, 0x0806, arp(1, ATTACKER, ATTACKER6, b"\x00" * 6, VIP6,
                                                                           ptype=0x86DD, plen=16))),
                ("arp-hlen-8", ether(BROADCAST, ATTACKER, 0x0806, arp(1, ATTACKER + b"\x00\x00", ATTACKER4,
                                                                       b"\x00" * 8, VIP4, hlen=8))),
                ("arp-plen-16", arp_frame(plen=16)),
                ("arp-op-0", arp_frame(op=0)),
                ("arp-op-3-rarp", arp_frame(op=3)),
                ("arp-op-9", arp_frame(op=9)),
                ("arp-not-owned", arp_frame(tpa=OTHER4)),
                ("arp-to-another-mac", arp_frame(dst=bytes.fromhex("026600000099"))),
                ("arp-from-node-mac", arp_frame(src=OWNER)),
                ("ns-bad-checksum", ns_frame(bad_sum=True)),
                ("ns-hop-limit-64", ns_frame(hop=64)),
                ("ns-code-1", ns_frame(code=1)),
                ("ns-icmp-20-octets", ns_frame(options=b"", cut=4)),
                ("ns-truncated", ns_frame(length=200)),
                ("ns-header-only", ns_frame()[:14 + 40]),
                ("ns-target-multicast", ns_frame(target=ALL_NODES, dst=solicited(VIP6))),
                ("ns-option-length-0", ns_frame(options=b"\x01\x00" + ATTACKER)),
                ("ns-not-owned", ns_frame(target=OTHER6)),
                ("ns-to-all-nodes", ns_frame(dst=ALL_NODES)),
                ("ns-from-node-mac", ns_frame(eth_src=OWNER)),
                ("ns-next-header-udp", ether(multicast_mac(solicited(VIP6)), ATTACKER, 0x86DD,
                                             ipv6(ATTACKER6, solicited(VIP6), ns_frame()[14 + 40:], next_header=17))),
            ]
            cases += [("random-%03d" % index, random_frame()) for index in range(100)]
            # Claims last: the owner may defend its addresses with gratuitous announcements, which are not answers.
            cases += [
                ("claim-gratuitous-arp-request", arp_frame(spa=VIP4, tpa=VIP4)),
                ("claim-gratuitous-arp-reply", arp_frame(op=2, spa=VIP4, tpa=VIP4, tha=ATTACKER)),
                ("claim-arp-reply-to-attacker", arp_frame(op=2, dst=ATTACKER, spa=VIP4, tpa=ATTACKER4)),
                ("claim-na-override", na_frame()),
            ]
        else:
            big_option = struct.pack("!BB", 200, 150) + random.randbytes(150 * 8 - 2)
            cases = [
                ("dad-probe", ns_frame(src=ZERO6, options=b"")),
                ("arp-request", arp_frame()),
                ("arp-request-padded-to-1514", arp_frame() + b"\x00" * (1514 - 42)),
                ("arp-probe", arp_frame(spa=b"\x00" * 4)),
                ("ns", ns_frame()),
                ("ns-to-target", ns_frame(dst=VIP6, eth_dst=OWNER)),
                ("ns-unknown-option-1400", ns_frame(options=struct.pack("!BB", 1, 1) + ATTACKER + big_option)),
                ("ns-padded", ns_frame(pad=b"\x00" * 64)),
            ]

        quiet = wait_quiet(1.2, 20.0)
        results = {}
        for name, frame in cases:
            sock.send(frame)
            seen = replies(0.02 if name.startswith("random") else 0.15 if mode == "bad" else 0.3)
            if mode == "bad":
                # Gratuitous announcements (the owner defending an address) answer nothing, except after the DAD-like case.
                seen = [reply for reply in seen if name.startswith("ns-unspecified") or not reply["unsolicited"]]
            elif name != "dad-probe":
                seen = [reply for reply in seen if not reply["unsolicited"]]
            results[name] = seen
        print(json.dumps({"quiet_ms": quiet, "cases": results}))
        """#
}
