#!/bin/bash
# Captures the frame fixtures of this folder from real tools (root; iproute2, tcpdump, iputils-arping, ndisc6, python3).
#
# Two network namespaces lbdh-fr-<pid>-a/b joined by a veth (fra in a, frb in b; MACs 02:99:00:00:00:0a/0b),
# 10.99.0.1-2/24 and fd00:99::1-2/64. Each capture runs tcpdump -w on one end while one tool runs; every captured
# frame is written as hex text, one file per frame, with a comment line saying how it was made.
# VLAN: this kernel has no 802.1Q (CONFIG_VLAN_8021Q unset: `ip link add ... type vlan` fails), so the tagged
# fixtures are arping's / ndisc6's captured frames with tags inserted, sent from fra with an AF_PACKET socket and
# captured by tcpdump on frb (where the kernel moves the tag out of the frame and libpcap puts it back).
# Usage: ./capture.sh [output dir]
set -euo pipefail
out=$(cd "${1:-$(dirname "$0")}" && pwd)
A=lbdh-fr-$$-a
B=lbdh-fr-$$-b
work=$(mktemp -d)
tcpdump_pid=
cleanup() {
    [ -n "$tcpdump_pid" ] && kill "$tcpdump_pid" 2>/dev/null || true
    ip netns del "$A" 2>/dev/null || true
    ip netns del "$B" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

ip netns add "$A"
ip netns add "$B"
ina() { ip netns exec "$A" "$@"; }
inb() { ip netns exec "$B" "$@"; }
for ns in "$A" "$B"; do
    ip netns exec "$ns" sh -c 'echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad; echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad; echo 0 > /proc/sys/net/ipv6/conf/default/accept_ra'
done
ip link add fra netns "$A" address 02:99:00:00:00:0a type veth peer name frb netns "$B" address 02:99:00:00:00:0b
ina ip addr add 10.99.0.1/24 dev fra
inb ip addr add 10.99.0.2/24 dev frb
ina ip addr add fd00:99::1/64 dev fra nodad
inb ip addr add fd00:99::2/64 dev frb nodad
for l in lo fra; do ina ip link set "$l" up; done
for l in lo frb; do inb ip link set "$l" up; done

# Captures ARP and NS/NA on fra (in a) while "$@" runs; waits (at most 15 s) for `want` frames; writes them to
# $work/frames.pcap. capture_on takes the namespace, the interface and the tcpdump filter first.
ndp="icmp6 and (ip6[40] == 135 or ip6[40] == 136)"
capture() { capture_on "$A" fra "arp or ($ndp)" "$@"; }
capture_on() {
    local ns=$1 ifname=$2 filter=$3 want=$4; shift 4
    rm -f "$work/frames.pcap" "$work/tcpdump.err"
    ip netns exec "$ns" tcpdump -i "$ifname" -U -w "$work/frames.pcap" "$filter" 2>"$work/tcpdump.err" &
    tcpdump_pid=$!
    for _ in $(seq 100); do grep -qs "listening on" "$work/tcpdump.err" && break; sleep 0.05; done
    "$@" >/dev/null 2>&1 || true
    for _ in $(seq 300); do
        [ "$(python3 "$work/count.py" "$work/frames.pcap" 2>/dev/null || echo 0)" -ge "$want" ] && break
        sleep 0.05
    done
    kill -INT "$tcpdump_pid"; wait "$tcpdump_pid" || true; tcpdump_pid=
}

# Writes frame number $1 (1-based) of the last capture to $out/$2.hex with comment $3.
save() {
    python3 - "$work/frames.pcap" "$1" "$out/$2.hex" "$3" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
off, frames = 24, []
while off + 16 <= len(data):
    incl = struct.unpack("<I", data[off + 8:off + 12])[0]
    frames.append(data[off + 16:off + 16 + incl]); off += 16 + incl
frame = frames[int(sys.argv[2]) - 1]
with open(sys.argv[3], "w") as f:
    f.write("# " + sys.argv[4] + "\n")
    for i in range(0, len(frame), 16):
        f.write(" ".join("%02x" % b for b in frame[i:i + 16]) + "\n")
PY
}
cat >"$work/count.py" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
off, n = 24, 0
while off + 16 <= len(data):
    off += 16 + struct.unpack("<I", data[off + 8:off + 12])[0]; n += 1
print(n if off == len(data) else n - 1)
PY

tool="captured with tcpdump -w on fra (02:99:00:00:00:0a, 10.99.0.1, fd00:99::1) of a veth pair, peer frb 02:99:00:00:00:0b"

capture 2 ina arping -c 1 -w 2 -I fra 10.99.0.2
save 1 arp-request-arping "arping -c 1 -I fra 10.99.0.2: the broadcast ARP request; $tool"
save 2 arp-reply-kernel "arping -c 1 -I fra 10.99.0.2: the kernel's ARP reply from frb (10.99.0.2); $tool"

capture 4 ina arping -c 2 -i 1 -w 3 -I fra 10.99.0.2
save 3 arp-request-unicast-arping "arping -c 2 -I fra 10.99.0.2: the second request, unicast to 02:99:00:00:00:0b; $tool"

capture 1 ina arping -U -c 1 -I fra 10.99.0.1
save 1 arp-gratuitous-request-arping "arping -U -c 1 -I fra 10.99.0.1: gratuitous ARP request; $tool"

capture 1 ina arping -A -c 1 -I fra 10.99.0.1
save 1 arp-gratuitous-reply-arping "arping -A -c 1 -I fra 10.99.0.1: gratuitous ARP reply; $tool"

capture 2 ina arping -D -c 1 -w 2 -I fra 10.99.0.2
save 1 arp-probe-arping "arping -D -c 1 -I fra 10.99.0.2: ARP probe from 0.0.0.0 (RFC 5227); $tool"
save 2 arp-probe-reply-kernel "arping -D -c 1 -I fra 10.99.0.2: the kernel's reply to the probe; $tool"

capture 2 ina ndisc6 -1 -r 1 fd00:99::2 fra
save 1 ns-ndisc6 "ndisc6 -1 -r 1 fd00:99::2 fra: Neighbor Solicitation to the solicited-node group; $tool"
save 2 na-kernel "ndisc6 -1 -r 1 fd00:99::2 fra: the kernel's solicited Neighbor Advertisement from frb; $tool"

# frb's kernel learnt fra's link-local address from ndisc6's SLLA (STALE) and used it for its NA (DELAY): about 5 s
# later (delay_first_probe_time) it confirms it with a unicast NS, sent to the target itself at fra's MAC.
capture_on "$A" fra "icmp6 and ip6[40] == 135 and ether dst 02:99:00:00:00:0a" 1 true
save 1 ns-unicast-kernel "the kernel's unicast NS (RFC 4861 §7.3.3 probe) from frb to fe80::99:ff:fe00:a at 02:99:00:00:00:0a, 5 s after ndisc6 -1 -r 1 fd00:99::2 fra; $tool"

# DAD of a new address in b (from ::, no SLLA), then, with ndisc_notify, the kernel's unsolicited NA once it is valid.
inb sh -c 'echo 1 > /proc/sys/net/ipv6/conf/frb/accept_dad; echo 1 > /proc/sys/net/ipv6/conf/frb/ndisc_notify'
capture 2 inb ip addr add fd00:99::3/64 dev frb
save 1 ns-dad-kernel "ip addr add fd00:99::3/64 dev frb (accept_dad 1): the kernel's DAD Neighbor Solicitation from ::; $tool"
save 2 na-unsolicited-kernel "ip addr add fd00:99::3/64 dev frb (ndisc_notify 1): the kernel's unsolicited NA to ff02::1 after DAD; $tool"


# Sends the frame of fixture $1 from fra with the tags $2 (hex, e.g. "8100000a") inserted after the MAC addresses.
cat >"$work/inject.py" <<'PY'
import socket, sys
hexlines = [l for l in open(sys.argv[1]) if not l.startswith("#")]
frame = bytes.fromhex("".join(hexlines).replace(" ", "").replace("\n", ""))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("fra", 0))
s.send(frame[:12] + bytes.fromhex(sys.argv[2]) + frame[12:])
PY
tagged() { capture_on "$B" frb vlan 1 ina python3 "$work/inject.py" "$out/$1.hex" "$2"; }
inject="sent from fra with an AF_PACKET socket (this kernel has no 802.1Q), captured with tcpdump -w on frb"
tagged arp-request-arping 8100000a
save 1 arp-request-vlan10 "arping -c 1 -I fra 10.99.0.2's request with an 802.1Q tag (VLAN 10, PCP 0) inserted; $inject"
tagged ns-ndisc6 8100a00a
save 1 ns-vlan10 "ndisc6 -1 -r 1 fd00:99::2 fra's NS with an 802.1Q tag (VLAN 10, PCP 5) inserted; $inject"
tagged arp-request-arping 88a800648100000a
save 1 arp-request-qinq "arping -c 1 -I fra 10.99.0.2's request with 802.1ad 100 then 802.1Q 10 inserted; $inject"
echo "fixtures written to $out"
