#!/usr/bin/env python3
"""Splits the BGP messages of a capture (see capture.sh) into hex fixture files, one per distinct message.

Usage: extract.py CAPTURE.pcap OUTDIR

Each TCP direction is reassembled from its segments (retransmissions dropped), cut into messages by the header's
length field, and every message not seen before from the same speaker on the same session is written as
`<speaker>-<session>-<nn>-<type>.hex`, with a comment naming its origin.
"""

import datetime
import os
import subprocess
import sys

# Who owns which address in capture.sh, and what each session is.
SPEAKERS = {
    "10.213.0.1": ("bird", "s4"), "fd00:213::1": ("bird", "s6"), "10.213.1.1": ("bird", "old"),
    "10.213.2.1": ("gobgp", "g4"), "fd00:213:2::1": ("gobgp", "g6"),
}
PEERS = {  # FRR's side is named after the session of the address it talks to
    "10.213.0.2": "frr", "10.213.1.2": "frr", "10.213.2.2": "frr", "fd00:213::2": "frr", "fd00:213:2::2": "frr",
}
VERSIONS = {"bird": "BIRD 2.0.12", "frr": "FRR 8.4 (bgpd)", "gobgp": "GoBGP 3.10 (gobgpd)"}
SESSIONS = {
    "s4": "IPv4 transport, IPv4 unicast, BIRD AS 64501 / FRR AS 64502",
    "s6": "IPv6 transport, IPv6 unicast, BIRD AS 64501 / FRR AS 64502",
    "old": "IPv4, BIRD AS 64501 with `enable as4 off` (a 2-octet speaker) / FRR AS 64502 prepending 4200000009",
    "g4": "IPv4 transport, IPv4 unicast, GoBGP AS 64503 / FRR AS 64502",
    "g6": "IPv6 transport, IPv6 unicast, GoBGP AS 64503 / FRR AS 64502",
}
TYPES = {1: "open", 2: "update", 3: "notification", 4: "keepalive", 5: "routerefresh"}


def segments(pcap):
    fields = ["tcp.stream", "ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "tcp.seq_raw", "tcp.payload"]
    args = ["tshark", "-r", pcap, "-Y", "tcp.len > 0", "-T", "fields", "-E", "separator=|"]
    for f in fields:
        args += ["-e", f]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        stream, src4, src6, dst4, dst6, seq, payload = line.split("|")
        yield int(stream), src4 or src6, dst4 or dst6, int(seq), bytes.fromhex(payload.replace(":", ""))


def main():
    pcap, outdir = sys.argv[1], sys.argv[2]
    flows = {}
    for stream, src, dst, seq, payload in segments(pcap):
        flows.setdefault((stream, src, dst), {}).setdefault(seq, payload)
    written = []
    seen = {}
    day = datetime.date.today().isoformat()
    for (stream, src, dst), parts in sorted(flows.items()):
        data = b""
        start = min(parts)
        for seq in sorted(parts):
            offset = seq - start
            if offset + len(parts[seq]) <= len(data):
                continue
            data = data[:offset] + parts[seq]
        if src in SPEAKERS:
            speaker, session = SPEAKERS[src]
        else:
            speaker, session = PEERS[src], SPEAKERS[dst][1]
        index = 0
        while len(data) >= 19:
            length = int.from_bytes(data[16:18], "big")
            message, data = data[:length], data[length:]
            index += 1
            key = (speaker, session)
            if message in seen.setdefault(key, set()):
                continue
            seen[key].add(message)
            kind = TYPES.get(message[18], f"type{message[18]}")
            name = f"{speaker}-{session}-{len(seen[key]):02d}-{kind}.hex"
            with open(os.path.join(outdir, name), "w") as f:
                f.write(f"# {VERSIONS[speaker]} -> {dst}, session {session} ({SESSIONS[session]}).\n")
                f.write(f"# Message {index} of TCP stream {stream} from {src}: {kind.upper()}, {length} octets.\n")
                f.write(f"# Captured {day} by capture.sh (tcpdump in a network namespace pair), split by extract.py.\n")
                for i in range(0, len(message), 16):
                    f.write(message[i:i + 16].hex(" ") + "\n")
            written.append(name)
    print("\n".join(written))


if __name__ == "__main__":
    main()
