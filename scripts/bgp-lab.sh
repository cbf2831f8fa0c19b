#!/usr/bin/env bash
# The BGP lab (`make lab`, docs/bgp-lab.md): a router namespace running BIRD and two lbd nodes peering with it,
# all on one bridge, so routes can be watched arriving with `birdc show route` without a real router.
#
#   scripts/bgp-lab.sh up [LBD]        build the lab and start BIRD and both nodes (LBD: the lbd binary,
#                                      default .build/debug/lbd); prints the commands to try
#   scripts/bgp-lab.sh down            stop everything the lab started (by PID) and delete its namespaces
#   scripts/bgp-lab.sh status          namespaces, processes, BGP sessions
#   scripts/bgp-lab.sh stop NODE       stop lbd on NODE (node1|node2) gracefully: it withdraws its routes
#   scripts/bgp-lab.sh kill NODE       SIGKILL lbd on NODE: the router drops its routes when TCP closes
#   scripts/bgp-lab.sh start NODE      start lbd on NODE again
#   scripts/bgp-lab.sh birdc ARGS...   run birdc against the lab's router (e.g. `birdc show route`)
#
# Everything lives in network namespaces named lbdlab-*, with 10.77.0.0/24, 10.78.0.0/28, fd00:77::/64 and
# fd00:78::/124; nothing is changed outside them. The state directory (LBD_LAB_DIR, default /tmp/lbdlab) records
# the namespaces and PIDs; `down` stops only those PIDs. Needs root, bird2 and iproute2.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
conf="$here/bgp-lab"
STATE="${LBD_LAB_DIR:-/tmp/lbdlab}"
RTR=lbdlab-rtr
NODES=(node1 node2)
BRIDGE=br-lab

die() { echo "bgp-lab: $*" >&2; exit 1; }
node_ns() { echo "lbdlab-$1"; }
node_v4() { case "$1" in node1) echo 10.77.0.11 ;; node2) echo 10.77.0.12 ;; esac; }
node_v6() { case "$1" in node1) echo fd00:77::11 ;; node2) echo fd00:77::12 ;; esac; }
check_node() { [[ " ${NODES[*]} " == *" $1 "* ]] || die "unknown node '$1' (the lab has: ${NODES[*]})"; }
birdc_lab() { ip netns exec "$RTR" birdc -s "$STATE/bird.ctl" "$@"; }

# The PID recorded in FILE, if that process is still alive and runs the program named PROGRAM (so a recycled PID
# of some other process is never signalled).
live_pid() {
    local file="$1" program="$2" pid exe
    [ -s "$file" ] || return 1
    pid="$(cat "$file")"
    [ -d "/proc/$pid" ] || return 1
    exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
    [ "$(basename "${exe% (deleted)}")" = "$program" ] || return 1
    echo "$pid"
}

# Sends SIGNAL to the process recorded in FILE and waits up to 10 s for it to end.
stop_pid() {
    local file="$1" program="$2" signal="$3" pid
    pid="$(live_pid "$file" "$program")" || { rm -f "$file"; return 0; }
    kill "-$signal" "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
        [ -d "/proc/$pid" ] || { rm -f "$file"; return 0; }
        sleep 0.1
    done
    echo "bgp-lab: $program ($pid) still runs 10 s after SIG$signal; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$file"
}

start_node() {
    local node="$1" lbd pid
    lbd="$(cat "$STATE/lbd-binary")"
    if pid="$(live_pid "$STATE/$node/lbd.pid" "$(basename "$lbd")")"; then
        die "lbd already runs on $node (PID $pid)"
    fi
    # `ip netns exec` and nohup exec, so $! is lbd's own PID.
    nohup ip netns exec "$(node_ns "$node")" "$lbd" run --config "$STATE/$node/lbd.yaml" --node "$node" \
        >>"$STATE/$node/lbd.log" 2>&1 </dev/null &
    echo $! >"$STATE/$node/lbd.pid"
    sleep 0.5
    live_pid "$STATE/$node/lbd.pid" "$(basename "$lbd")" >/dev/null \
        || die "lbd on $node exited at once; its log ($STATE/$node/lbd.log) ends with:
$(tail -n 20 "$STATE/$node/lbd.log")"
    echo "bgp-lab: lbd runs on $node (PID $(cat "$STATE/$node/lbd.pid"), log $STATE/$node/lbd.log)"
}

stop_node() {
    local node="$1" signal="$2" lbd
    lbd="$(cat "$STATE/lbd-binary" 2>/dev/null)" || die "the lab is not up ($STATE/lbd-binary is missing)"
    stop_pid "$STATE/$node/lbd.pid" "$(basename "$lbd")" "$signal"
}

add_ns() {
    ip netns add "$1"
    echo "$1" >>"$STATE/namespaces"
    # No duplicate address detection, so IPv6 addresses are usable at once.
    ip netns exec "$1" sysctl -q -w net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
    ip -n "$1" link set lo up
}

cmd_up() {
    local lbd="${1:-$repo/.build/debug/lbd}"
    [ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
    command -v bird >/dev/null && command -v birdc >/dev/null || die "BIRD is missing: apt-get install bird2"
    [ -x "$lbd" ] || die "no lbd binary at $lbd: run \`swift build --product lbd\` or pass its path"
    lbd="$(cd "$(dirname "$lbd")" && pwd)/$(basename "$lbd")"
    [ ! -e "$STATE/namespaces" ] || die "the lab is already up (state in $STATE); \`make lab-down\` first"
    for ns in "$RTR" "${NODES[@]/#/lbdlab-}"; do
        ! ip netns list | grep -qw "^$ns" || die "namespace $ns exists but $STATE does not record it; remove it with \`ip netns del $ns\`"
    done

    mkdir -p "$STATE"
    : >"$STATE/namespaces"
    echo "$lbd" >"$STATE/lbd-binary"
    trap 'echo "bgp-lab: bringing the lab up failed; tearing down" >&2; cmd_down >/dev/null 2>&1 || true' ERR

    # Router namespace: a bridge with the router's addresses; each node hangs on it by a veth.
    add_ns "$RTR"
    ip -n "$RTR" link add "$BRIDGE" type bridge
    ip -n "$RTR" addr add 10.77.0.1/24 dev "$BRIDGE"
    ip -n "$RTR" addr add fd00:77::1/64 dev "$BRIDGE" nodad
    ip -n "$RTR" link set "$BRIDGE" up
    for node in "${NODES[@]}"; do
        add_ns "$(node_ns "$node")"
        ip -n "$RTR" link add "lab-$node" type veth peer name eth0 netns "$(node_ns "$node")"
        ip -n "$RTR" link set "lab-$node" master "$BRIDGE" up
        ip -n "$(node_ns "$node")" addr add "$(node_v4 "$node")/24" dev eth0
        ip -n "$(node_ns "$node")" addr add "$(node_v6 "$node")/64" dev eth0 nodad
        ip -n "$(node_ns "$node")" link set eth0 up
    done

    # Configuration: the router's, the shared policy and services, one directory per node.
    sed "s|@STATE@|$STATE|g" "$conf/bird.conf" >"$STATE/bird.conf"
    cp "$conf/policy.yaml" "$conf/services.yaml" "$STATE/"
    for node in "${NODES[@]}"; do
        mkdir -p "$STATE/$node/state"
        cp "$conf/lbd.yaml" "$STATE/$node/"
        cp -r "$conf/plugins.d" "$STATE/$node/"
    done

    ip netns exec "$RTR" bird -c "$STATE/bird.conf" -s "$STATE/bird.ctl" -P "$STATE/bird.pid"
    for _ in $(seq 50); do [ -s "$STATE/bird.pid" ] && break; sleep 0.1; done
    live_pid "$STATE/bird.pid" bird >/dev/null || die "BIRD did not start (see $STATE/bird.log)"
    for node in "${NODES[@]}"; do start_node "$node"; done
    trap - ERR

    echo "bgp-lab: waiting up to 30 s for the four BGP sessions"
    local established=0
    for _ in $(seq 150); do
        established="$(birdc_lab show protocols | grep -c Established || true)"
        [ "$established" -ge 4 ] && break
        sleep 0.2
    done
    birdc_lab show protocols
    if [ "$established" -lt 4 ]; then
        echo "bgp-lab: only $established of 4 sessions are Established; the lab stays up for a look:" >&2
        echo "  lbd logs: $STATE/node1/lbd.log $STATE/node2/lbd.log; BIRD log: $STATE/bird.log" >&2
        echo "  \`make lab-down\` removes it" >&2
        exit 1
    fi
    sleep 1
    birdc_lab show route
    cat <<EOF

The lab is up (state in $STATE). Try:

  ip netns exec $RTR birdc -s $STATE/bird.ctl show route          # the routes lbd announces, from both nodes
  ip netns exec $RTR birdc -s $STATE/bird.ctl show route all      # with AS path, next hop, communities
  ip netns exec $RTR birdc -s $STATE/bird.ctl show protocols      # the four sessions
  ip -n $RTR route                                                # ECMP: one route, two next hops
  \$EDITOR $STATE/services.yaml                                    # add a service; both nodes announce it
  $0 stop node2                                      # graceful: node2 withdraws its routes
  $0 kill node2                                      # SIGKILL: the router drops them when TCP closes
  $0 start node2                                     # and back
  tail -f $STATE/node1/lbd.log

\`make lab-down\` (or \`$0 down\`) removes it all.
EOF
}

cmd_down() {
    [ -e "$STATE/namespaces" ] || { echo "bgp-lab: the lab is not up (no $STATE/namespaces)"; return 0; }
    if [ -s "$STATE/lbd-binary" ]; then
        for node in "${NODES[@]}"; do stop_pid "$STATE/$node/lbd.pid" "$(basename "$(cat "$STATE/lbd-binary")")" TERM; done
    fi
    stop_pid "$STATE/bird.pid" bird TERM
    while read -r ns; do
        [ -n "$ns" ] && ip netns del "$ns" 2>/dev/null || true
    done <"$STATE/namespaces"
    rm -rf "$STATE"
    echo "bgp-lab: down"
}

cmd_status() {
    [ -e "$STATE/namespaces" ] || { echo "bgp-lab: the lab is not up"; return 0; }
    echo "namespaces: $(tr '\n' ' ' <"$STATE/namespaces")"
    local lbd pid
    lbd="$(basename "$(cat "$STATE/lbd-binary")")"
    for node in "${NODES[@]}"; do
        if pid="$(live_pid "$STATE/$node/lbd.pid" "$lbd")"; then echo "$node: lbd PID $pid"; else echo "$node: lbd stopped"; fi
    done
    if pid="$(live_pid "$STATE/bird.pid" bird)"; then echo "router: BIRD PID $pid"; birdc_lab show protocols; else echo "router: BIRD stopped"; fi
}

command="${1:-}"
shift || true
case "$command" in
    up) cmd_up "$@" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    start) [ $# -eq 1 ] || die "usage: $0 start NODE"; check_node "$1"; [ -e "$STATE/namespaces" ] || die "the lab is not up"; start_node "$1" ;;
    stop) [ $# -eq 1 ] || die "usage: $0 stop NODE"; check_node "$1"; stop_node "$1" TERM; echo "bgp-lab: lbd on $1 stopped" ;;
    kill) [ $# -eq 1 ] || die "usage: $0 kill NODE"; check_node "$1"; stop_node "$1" KILL; echo "bgp-lab: lbd on $1 killed" ;;
    birdc) birdc_lab "$@" ;;
    *) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; [ -z "$command" ] || exit 2 ;;
esac
