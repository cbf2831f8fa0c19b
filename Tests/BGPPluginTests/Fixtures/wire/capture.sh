#!/bin/bash
# Captures real BGP messages from BIRD 2, FRR and GoBGP peering in a network namespace pair, then writes each
# distinct message as a hex fixture (extract.py). Run as root from anywhere; needs bird2, frr, gobgpd, tcpdump,
# tshark, python3. Prints the fixture files it wrote into OUT (default: this folder).
#
#   ns lbdt-capa-PID: BIRD (AS 64501) and GoBGP (AS 64503, active only)
#   ns lbdt-capb-PID: FRR (AS 64502), tcpdump
#   va 10.213.0.1/24 10.213.1.1/24 10.213.2.1/24 fd00:213::1/64 fd00:213:2::1/64
#   vb 10.213.0.2/24 10.213.1.2/24 10.213.2.2/24 fd00:213::2/64 fd00:213:2::2/64
#
# Sessions: s4 BIRD-FRR IPv4, s6 BIRD-FRR IPv6 (FRR sends global + link-local next hops), old: BIRD with
# `enable as4 off` (a 2-octet speaker), to which FRR sends a path with AS 4200000009 prepended (AS_TRANS in
# AS_PATH plus AS4_PATH), g4/g6 GoBGP-FRR.
# Then ROUTE-REFRESH, withdrawals and Cease NOTIFICATIONs with shutdown messages.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE}
W=$(mktemp -d /tmp/lbdt-capture.XXXXXX)
A=lbdt-capa-$$
B=lbdt-capb-$$
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    sleep 0.5
    for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$A" 2>/dev/null || true
    ip netns del "$B" 2>/dev/null || true
    if [ -z "${KEEP:-}" ]; then rm -rf "$W"; else echo "kept $W"; fi
}
trap cleanup EXIT

ip netns add "$A"
ip netns add "$B"
for ns in "$A" "$B"; do
    ip -n "$ns" link set lo up
    # Link-local addresses usable at once: FRR needs one for IPv6 eBGP next hops.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip link add va netns "$A" type veth peer name vb netns "$B"
ip -n "$A" addr add 10.213.0.1/24 dev va
ip -n "$A" addr add 10.213.1.1/24 dev va
ip -n "$A" addr add 10.213.2.1/24 dev va
ip -n "$A" addr add fd00:213::1/64 dev va nodad
ip -n "$A" addr add fd00:213:2::1/64 dev va nodad
ip -n "$B" addr add 10.213.0.2/24 dev vb
ip -n "$B" addr add 10.213.1.2/24 dev vb
ip -n "$B" addr add 10.213.2.2/24 dev vb
ip -n "$B" addr add fd00:213::2/64 dev vb nodad
ip -n "$B" addr add fd00:213:2::2/64 dev vb nodad
ip -n "$A" link set va up
ip -n "$B" link set vb up

ip netns exec "$B" tcpdump -i vb -s 0 -U -w "$W/capture.pcap" 'tcp port 179' 2>"$W/tcpdump.log" &
PIDS+=($!)

cat >"$W/bird.conf" <<EOF
router id 10.213.0.1;
log "$W/bird.log" all;
protocol device {}
protocol static st4 { ipv4; route 198.51.100.0/24 blackhole; route 198.51.100.128/25 blackhole; }
protocol static st6 { ipv6; route 2001:db8:1::/48 blackhole; }
filter tag_routes {
    bgp_community.add((64501, 100));
    bgp_community.add((65535, 65281));  # NO_EXPORT: FRR keeps these routes to itself
    bgp_large_community.add((64501, 1, 2));
    bgp_med = 10;
    accept;
}
template bgp peer {
    hold time 9; connect delay time 1; connect retry time 1; graceful restart on;
    enable extended messages on;
}
protocol bgp s4 from peer {
    local 10.213.0.1 as 64501; neighbor 10.213.0.2 as 64502;
    ipv4 { import all; export filter tag_routes; };
}
protocol bgp s6 from peer {
    local fd00:213::1 as 64501; neighbor fd00:213::2 as 64502;
    ipv6 { import all; export filter tag_routes; };
}
protocol bgp old from peer {
    local 10.213.1.1 as 64501; neighbor 10.213.1.2 as 64502; enable as4 off;
    ipv4 { import all; export none; };
}
EOF
ip netns exec "$A" bird -f -c "$W/bird.conf" -s "$W/bird.ctl" -P "$W/bird.pid" &
PIDS+=($!)

mkdir -p "$W/vty"
cat >"$W/bgpd.conf" <<EOF
frr defaults traditional
hostname lbdt-capture-frr
log file $W/bgpd.log informational
!
route-map SET permit 10
 set community 64502:7 graceful-shutdown
 set large-community 64502:3:4
 set metric 20
exit
!
route-map PREPEND permit 10
 set as-path prepend 4200000009
 set community 64502:8
exit
!
router bgp 64502
 bgp router-id 10.213.0.2
 no bgp ebgp-requires-policy
 no bgp network import-check
 no bgp default ipv4-unicast
 bgp graceful-restart
 bgp graceful-restart select-defer-time 0
 neighbor 10.213.0.1 remote-as 64501
 neighbor 10.213.0.1 timers 3 9
 neighbor 10.213.0.1 timers connect 1
 neighbor fd00:213::1 remote-as 64501
 neighbor fd00:213::1 timers connect 1
 neighbor 10.213.1.1 remote-as 64501
 neighbor 10.213.1.1 timers connect 1
 neighbor 10.213.2.1 remote-as 64503
 neighbor fd00:213:2::1 remote-as 64503
 !
 address-family ipv4 unicast
  network 203.0.113.0/24 route-map SET
  network 203.0.113.128/25 route-map SET
  neighbor 10.213.0.1 activate
  neighbor 10.213.1.1 activate
  neighbor 10.213.1.1 route-map PREPEND out
  neighbor 10.213.2.1 activate
 exit-address-family
 !
 address-family ipv6 unicast
  network 2001:db8:2::/48 route-map SET
  network 2001:db8:2:8000::/49 route-map SET
  neighbor fd00:213::1 activate
  neighbor fd00:213:2::1 activate
 exit-address-family
exit
EOF
echo "hostname lbdt-capture-zebra" >"$W/zebra.conf"
frr_common=(-z "$W/zserv.api" --vty_socket "$W/vty" -u root -g frrvty -P 0)
ip netns exec "$B" /usr/lib/frr/zebra -f "$W/zebra.conf" -i "$W/zebra.pid" "${frr_common[@]}" &
PIDS+=($!)
ip netns exec "$B" /usr/lib/frr/bgpd -f "$W/bgpd.conf" -i "$W/bgpd.pid" -p 179 "${frr_common[@]}" &
PIDS+=($!)

cat >"$W/gobgpd.toml" <<EOF
[global.config]
  as = 64503
  router-id = "10.213.2.1"
  port = -1
[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.213.2.2"
    peer-as = 64502
  [neighbors.transport.config]
    local-address = "10.213.2.1"
  [neighbors.timers.config]
    connect-retry = 1
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "fd00:213:2::2"
    peer-as = 64502
  [neighbors.transport.config]
    local-address = "fd00:213:2::1"
  [neighbors.timers.config]
    connect-retry = 1
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
EOF
ip netns exec "$A" gobgpd -f "$W/gobgpd.toml" -t toml --api-hosts 127.0.0.1:50151 -l warn -p --pprof-disable \
    >"$W/gobgpd.log" 2>&1 &
PIDS+=($!)
gobgp() { ip netns exec "$A" /usr/bin/gobgp -p 50151 "$@"; }
vty() { ip netns exec "$B" vtysh --vty_socket "$W/vty" "$@"; }
birdc() { ip netns exec "$A" /usr/sbin/birdc -s "$W/bird.ctl" "$@"; }

# Wait (bounded) until every FRR session is Established.
for _ in $(seq 1 60); do
    sleep 1
    established=$(vty -c 'show bgp neighbors json' 2>/dev/null | python3 -c '
import json, sys
try: print(sum(1 for n in json.load(sys.stdin).values() if n.get("bgpState") == "Established"))
except Exception: print(0)')
    [ "$established" = 5 ] && break
done
[ "$established" = 5 ] || { echo "only $established of 5 sessions came up; logs in $W" >&2; KEEP=1; exit 1; }

# FRR's view, for KEEP=1 debugging (routes tagged NO_EXPORT stay in FRR, by design).
vty -c 'show bgp ipv4 unicast' -c 'show bgp ipv6 unicast' >"$W/frr-rib.txt" 2>&1 || true
gobgp global rib add 192.0.2.0/24 origin igp community 64503:9 large-community 64503:5:6 med 30 -a ipv4
gobgp global rib add 2001:db8:3::/48 nexthop fd00:213:2::1 community 64503:9 -a ipv6
sleep 3
vty -c 'clear bgp 10.213.0.1 soft in'
birdc reload in s6 >/dev/null
gobgp neighbor 10.213.2.2 softresetin
sleep 2
vty -c 'configure terminal' -c 'router bgp 64502' -c 'address-family ipv4 unicast' -c 'no network 203.0.113.128/25' \
    -c 'exit-address-family' -c 'address-family ipv6 unicast' -c 'no network 2001:db8:2:8000::/49'
birdc disable st4 >/dev/null
gobgp global rib del 192.0.2.0/24 -a ipv4
gobgp global rib del 2001:db8:3::/48 -a ipv6
sleep 3
vty -c 'configure terminal' -c 'router bgp 64502' -c 'neighbor 10.213.0.1 shutdown message lbd wire fixture'
birdc disable s6 '"bird wire fixture"' >/dev/null
gobgp neighbor 10.213.2.2 disable
gobgp neighbor fd00:213:2::2 reset
sleep 2

python3 "$HERE/extract.py" "$W/capture.pcap" "$OUT"
