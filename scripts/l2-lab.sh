#!/usr/bin/env bash
# The Layer 2 lab (`make l2-lab`, docs/layer2-lab.md): a bridge, a client, an observer and three lbd nodes in
# network namespaces lbd-l2lab-*, each node answering ARP/NDP for the service addresses through lbd's Layer 2
# plugin when it owns them.
#
#   scripts/l2-lab.sh up [--kernel] [--tuned] [LBD]   build the lab, start lbd on n1, n2, n3 (default
#                                                     .build/debug/lbd); --kernel: no lbd, n1's kernel answers
#   scripts/l2-lab.sh down                            stop what the lab started (by PID), delete its namespaces
#   scripts/l2-lab.sh status                          processes, owner, the client's neighbour entries
#   scripts/l2-lab.sh kill|stop|start NODE            SIGKILL / SIGTERM / start lbd on NODE
#   scripts/l2-lab.sh link NODE up|down               NODE's eth0
#   scripts/l2-lab.sh isolate|rejoin NODE             NODE's bridge port disabled / forwarding
#   scripts/l2-lab.sh probe [-6] [SECONDS]            UDP echo probes every 10 ms from the client
#   scripts/l2-lab.sh exec HOST CMD...                CMD in HOST's namespace
#
# 10.95.0.0/24 and fd00:95::/64 inside the namespaces only; state in L2_LAB_DIR (default /tmp/lbd-l2lab).
# Needs root, iproute2 and Python 3 (standard library). The lab itself is scripts/l2-lab/l2lab.py.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec python3 -B "$here/l2-lab/l2lab.py" "$@"
