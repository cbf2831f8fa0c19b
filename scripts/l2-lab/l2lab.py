#!/usr/bin/env python3
"""The Layer 2 lab: a bridge, a client, an observer and three lbd nodes in network namespaces.

    ns PREFIX-br:  br0 (stp off, forward_delay 0, mcast_snooping 0, IPv6 off in this namespace)
          p-client     p-obs      p-n1       p-n2       p-n3        (veth, bridge side)
             |           |          |          |          |
    ns PREFIX-client PREFIX-obs  PREFIX-n1  PREFIX-n2  PREFIX-n3    (eth0 in each)
       10.95.0.2     10.95.0.3   .11        .12        .13          fd00:95::2, ::3, ::11, ::12, ::13
       02:95:00:00:00:02 / :03 / :11 / :12 / :13

Every node has the service address VIP (10.95.0.100, fd00:95::100) on `lo` with arp_ignore=1 and
arp_announce=2 (docs/layer2.md): the node accepts traffic for it, its kernel never answers ARP/NDP for it, and
lbd's Layer 2 plugin answers on the owner. A UDP echo (echo.py, port 9999, bound to the VIPs) runs on every node
and appends the node's name to each reply, so a client sees who answered. n1 also has the kernel's reference
address KREF (10.95.0.200, fd00:95::200) on eth0, answered by its kernel, for comparisons.

`--kernel` mode runs no lbd: n1 has the VIPs on eth0 as well, so its kernel answers for them (a self-check of the
lab: the client reaches the VIPs through n1).

This module is the lab for `scripts/l2-lab.sh` (the demo: `up`, `down`, `status`, ...) and for the benchmark
(scripts/l2-bench), which builds its own instance with another namespace prefix. Nothing is created outside the
namespaces it names; every process it starts is recorded (PID and start time) in the state directory and only
those are ever signalled.
"""

import contextlib
import ctypes
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

SUBNET4, SUBNET6 = "10.95.0.0/24", "fd00:95::/64"
VIP4, VIP6 = "10.95.0.100", "fd00:95::100"
KREF4, KREF6 = "10.95.0.200", "fd00:95::200"
POOL4, POOL6 = "10.95.0.100-10.95.0.149", "fd00:95::100-fd00:95::149"
ECHO_PORT = 9999
NODES = ("n1", "n2", "n3")
# Each host's number: its IPv4 10.95.0.N, IPv6 fd00:95::N and MAC 02:95:00:00:00:N use the same digits.
HOSTS = {"client": "2", "obs": "3", "n1": "11", "n2": "12", "n3": "13"}


def host_v4(name):
    return f"10.95.0.{HOSTS[name]}"


def host_v6(name):
    return f"fd00:95::{HOSTS[name]}"


def host_mac(name):
    return f"02:95:00:00:00:{int(HOSTS[name]):02d}"


def mac_to_host():
    return {host_mac(name): name for name in HOSTS}


def election_ranking(candidates, address):
    """MetalLB's owner order: ascending SHA-256 of "node#address" (what lbd's OwnerElection computes)."""
    return sorted(candidates, key=lambda node: (hashlib.sha256(f"{node}#{address}".encode()).digest(), node))


class LabError(Exception):
    pass


def sh(*argv, check=True, input=None):
    result = subprocess.run(argv, capture_output=True, text=True, input=input)
    if check and result.returncode != 0:
        raise LabError(f"{' '.join(argv)} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


# --- network namespaces from Python (sockets and /proc/sys writes inside a namespace) -----------------------------

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


@contextlib.contextmanager
def in_netns(name):
    """Runs the block with the calling thread in network namespace `name` (sockets created inside stay there).

    Only for the thread that calls it; subprocesses started meanwhile from this thread would start inside too."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/var/run/netns/{name}", os.O_RDONLY)
    try:
        _setns(target)
        try:
            yield
        finally:
            _setns(own)
    finally:
        os.close(target)
        os.close(own)


def write_sysctls(ns, values):
    """Writes net.* sysctls inside namespace `ns` through /proc/sys (no procps needed)."""
    with in_netns(ns):
        for key, value in values:
            with open("/proc/sys/" + key.replace(".", "/"), "w") as f:
                f.write(str(value))


def proc_start_time(pid):
    """The process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    return int(stat[stat.rindex(")") + 2:].split()[19])


def proc_status(pid):
    """/proc/PID/status as a dict of strings."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def kib(value):
    """'12345 kB' → 12345."""
    return int(value.split()[0])


# --- the lab ------------------------------------------------------------------------------------------------------

class Lab:
    """One instance of the lab: namespaces PREFIX-*, state (config files, logs, PIDs) in `state_dir`."""

    def __init__(self, prefix="lbd-l2lab", state_dir="/tmp/lbd-l2lab"):
        self.prefix = prefix
        self.state_dir = state_dir
        self.state_file = os.path.join(state_dir, "state.json")
        self.state = {"prefix": prefix, "namespaces": [], "processes": {}, "mode": None, "lbd": None,
                      "layer2": {}}
        if os.path.exists(self.state_file):
            with open(self.state_file) as f:
                self.state = json.load(f)

    # names
    def ns(self, host):
        return f"{self.prefix}-{host}"

    @property
    def bridge_ns(self):
        return self.ns("br")

    @property
    def is_up(self):
        return bool(self.state["namespaces"])

    def _save(self):
        os.makedirs(self.state_dir, exist_ok=True)
        tmp = self.state_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.state, f, indent=1)
        os.replace(tmp, self.state_file)

    # --- building and tearing down

    def create(self, kernel_mode=False, vips=((VIP4, VIP6),)):
        """Creates the namespaces, the bridge and the hosts; starts the echo on every node."""
        if os.geteuid() != 0:
            raise LabError("the lab needs root (network namespaces)")
        if self.is_up:
            raise LabError(f"the lab is already up (state in {self.state_dir}); take it down first")
        existing = set(sh("ip", "netns", "list").split())
        for host in ("br", *HOSTS):
            if self.ns(host) in existing:
                raise LabError(f"namespace {self.ns(host)} exists but {self.state_dir} does not record it; "
                               f"remove it with `ip netns del {self.ns(host)}`")
        os.makedirs(self.state_dir, exist_ok=True)
        self.state["mode"] = "kernel" if kernel_mode else "lbd"
        self.state["vips"] = [list(pair) for pair in vips]
        self._save()

        self._add_ns(self.bridge_ns)
        # The bridge's namespace carries no IPv6 (no link-local chatter of its own on the segment).
        write_sysctls(self.bridge_ns, [("net.ipv6.conf.all.disable_ipv6", 1),
                                       ("net.ipv6.conf.default.disable_ipv6", 1)])
        sh("ip", "-n", self.bridge_ns, "link", "add", "br0", "type", "bridge", "stp_state", "0",
           "forward_delay", "0", "mcast_snooping", "0", "ageing_time", "30000")
        sh("ip", "-n", self.bridge_ns, "link", "set", "br0", "up")
        for host in HOSTS:
            ns = self.ns(host)
            self._add_ns(ns)
            settings = [("net.ipv6.conf.all.accept_dad", 0), ("net.ipv6.conf.default.accept_dad", 0),
                        ("net.ipv6.conf.all.accept_ra", 0), ("net.ipv6.conf.default.accept_ra", 0),
                        ("net.ipv6.conf.all.keep_addr_on_down", 1),
                        ("net.ipv6.conf.default.keep_addr_on_down", 1),
                        ("net.ipv4.conf.all.rp_filter", 0), ("net.ipv4.conf.default.rp_filter", 0)]
            if host in NODES:
                # The production settings for VIPs on lo (docs/layer2.md): answer ARP only for addresses of the
                # receiving interface; never use a VIP as the source of our own ARP requests.
                settings += [("net.ipv4.conf.all.arp_ignore", 1), ("net.ipv4.conf.all.arp_announce", 2)]
            write_sysctls(ns, settings)
            sh("ip", "-n", self.bridge_ns, "link", "add", f"p-{host}", "type", "veth", "peer", "name", "eth0",
               "netns", ns)
            sh("ip", "-n", self.bridge_ns, "link", "set", f"p-{host}", "master", "br0", "up")
            sh("ip", "-n", ns, "link", "set", "eth0", "address", host_mac(host))
            write_sysctls(ns, [("net.ipv6.conf.eth0.accept_dad", 0), ("net.ipv6.conf.eth0.keep_addr_on_down", 1)])
            sh("ip", "-n", ns, "addr", "add", f"{host_v4(host)}/24", "dev", "eth0")
            sh("ip", "-n", ns, "addr", "add", f"{host_v6(host)}/64", "dev", "eth0", "nodad")
            sh("ip", "-n", ns, "link", "set", "eth0", "up")
        for node in NODES:
            ns = self.ns(node)
            for v4, v6 in vips:
                dev = "eth0" if kernel_mode and node == "n1" else "lo"
                sh("ip", "-n", ns, "addr", "add", f"{v4}/32", "dev", dev)
                sh("ip", "-n", ns, "addr", "add", f"{v6}/128", "dev", dev, "nodad")
        sh("ip", "-n", self.ns("n1"), "addr", "add", f"{KREF4}/32", "dev", "eth0")
        sh("ip", "-n", self.ns("n1"), "addr", "add", f"{KREF6}/128", "dev", "eth0", "nodad")
        self.wait_link_local()
        for node in NODES:
            self.start_echo(node)

    def _add_ns(self, ns):
        sh("ip", "netns", "add", ns)
        self.state["namespaces"].append(ns)
        self._save()
        sh("ip", "-n", ns, "link", "set", "lo", "up")

    def wait_link_local(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        pending = list(HOSTS)
        while pending:
            pending = [h for h in pending
                       if "fe80::" not in (out := sh("ip", "-n", self.ns(h), "-6", "addr", "show", "dev", "eth0",
                                                     "scope", "link")) or "tentative" in out]
            if pending and time.monotonic() > deadline:
                raise LabError(f"no usable link-local address on {', '.join(pending)} after {timeout} s")
            if pending:
                time.sleep(0.05)

    def destroy(self, remove_state=False):
        """Stops every recorded process (TERM, then KILL after 10 s) and deletes the recorded namespaces; with
        `remove_state` also the state directory (configuration files and logs)."""
        for name in list(self.state["processes"]):
            self.stop_process(name, signal.SIGTERM, grace=10.0)
        for ns in self.state["namespaces"]:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self.state["namespaces"] = []
        if os.path.exists(self.state_file):
            os.remove(self.state_file)
        if remove_state:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    # --- processes

    def spawn(self, name, host, argv, log):
        """Starts `argv` in host's namespace (`ip netns exec` execs it: the PID is the program's), records it."""
        if self.pid(name):
            raise LabError(f"{name} already runs (PID {self.pid(name)})")
        os.makedirs(os.path.dirname(log), exist_ok=True)
        with open(log, "ab") as out:
            process = subprocess.Popen(["ip", "netns", "exec", self.ns(host), *argv], stdin=subprocess.DEVNULL,
                                       stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.state["processes"][name] = {"pid": process.pid, "start": proc_start_time(process.pid),
                                         "host": host, "log": log}
        self._save()
        self._children = getattr(self, "_children", {})
        self._children[process.pid] = process  # reaped by stop_process (no zombies in a long benchmark)
        return process.pid

    def pid(self, name):
        """The PID of recorded process `name` if that very process still runs (same start time), else None."""
        entry = self.state["processes"].get(name)
        if not entry:
            return None
        child = getattr(self, "_children", {}).get(entry["pid"])
        if child is not None and child.poll() is not None:
            return None
        start = proc_start_time(entry["pid"])
        if start is None or start != entry["start"]:
            return None
        return entry["pid"]

    def send_signal(self, name, sig):
        pid = self.pid(name)
        if pid:
            os.kill(pid, sig)
        return pid

    def wait_exit(self, name, timeout):
        """Waits up to `timeout` s for process `name` to end; True when it has."""
        entry = self.state["processes"].get(name)
        if not entry:
            return True
        deadline = time.monotonic() + timeout
        child = getattr(self, "_children", {}).get(entry["pid"])
        while time.monotonic() < deadline:
            if child is not None:
                try:
                    child.wait(timeout=0.005)
                    return True
                except subprocess.TimeoutExpired:
                    continue
            if not self.pid(name):
                return True
            time.sleep(0.005)
        return False

    def stop_process(self, name, sig=signal.SIGTERM, grace=10.0):
        """Signals process `name`, waits up to `grace` s, then SIGKILLs it; forgets it."""
        if self.send_signal(name, sig) and not self.wait_exit(name, grace):
            print(f"l2-lab: {name} still runs {grace} s after {signal.Signals(sig).name}; sending SIGKILL",
                  file=sys.stderr)
            self.send_signal(name, signal.SIGKILL)
            self.wait_exit(name, 5.0)
        self.state["processes"].pop(name, None)
        self._save()

    # --- the echo service

    def start_echo(self, node):
        addresses = [a for pair in self.state.get("vips", [[VIP4, VIP6]]) for a in pair]
        return self.spawn(f"echo-{node}", node, [sys.executable, os.path.join(HERE, "echo.py"), "--node", node,
                                                "--port", str(ECHO_PORT), *addresses],
                          os.path.join(self.state_dir, node, "echo.log"))

    def stop_echo(self, node):
        self.stop_process(f"echo-{node}", signal.SIGTERM, grace=5.0)

    def set_vips_on_lo(self, node, present):
        """Adds or removes the node's VIPs on lo (as if the node came or went)."""
        for v4, v6 in self.state.get("vips", [[VIP4, VIP6]]):
            for address, length in ((v4, 32), (v6, 128)):
                sh("ip", "-n", self.ns(node), "addr", "add" if present else "del", f"{address}/{length}", "dev",
                   "lo", *(["nodad"] if present and ":" in address else []), check=False)

    # --- lbd

    def node_dir(self, node):
        return os.path.join(self.state_dir, node)

    def status_path(self, node):
        return os.path.join(self.node_dir(node), "layer2.json")

    def write_policy(self, text):
        path = os.path.join(self.state_dir, "policy.yaml")
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)
        return path

    def configure_lbd(self, binary, layer2=None, nodes=NODES, log_level="info"):
        """Writes each node's lbd.yaml, plugins.d/files.yaml and plugins.d/layer2.yaml; `layer2` holds the
        plugin's keys besides plugin, name, statusFile and heartbeat.keyFile (nested dicts)."""
        self.state["lbd"] = os.path.abspath(binary)
        self.state["layer2"] = layer2 or {}
        key = os.path.join(self.state_dir, "heartbeat.key")
        if not os.path.exists(key):
            with open(key, "w") as f:
                f.write(secrets.token_hex(24) + "\n")
            os.chmod(key, 0o600)
        for node in nodes:
            directory = self.node_dir(node)
            os.makedirs(os.path.join(directory, "plugins.d"), exist_ok=True)
            with open(os.path.join(directory, "lbd.yaml"), "w") as f:
                f.write(f"# lbd on lab node {node} (written by scripts/l2-lab/l2lab.py)\n"
                        f"node:\n  name: {node}\npluginsDirectory: plugins.d\nlogLevel: {log_level}\n")
            with open(os.path.join(directory, "plugins.d", "files.yaml"), "w") as f:
                f.write("# The file source: every node reads the lab's one policy-and-services file.\n"
                        f"plugin: file\nname: lab-files\nfiles:\n  - {self.state_dir}/policy.yaml\n"
                        f"stateFile: {directory}/state/lab-files.state.json\n")
            settings = {k: v for k, v in self.state["layer2"].items()}
            heartbeat = dict(settings.pop("heartbeat", {}))
            heartbeat["keyFile"] = key
            document = {"plugin": "layer2", "name": "lan", **settings, "heartbeat": heartbeat,
                        "statusFile": self.status_path(node)}
            with open(os.path.join(directory, "plugins.d", "layer2.yaml"), "w") as f:
                f.write("# The Layer 2 plugin (docs/layer2.md).\n" + to_yaml(document))
        self._save()

    def start_lbd(self, node):
        binary = self.state["lbd"]
        if not binary:
            raise LabError("lbd is not configured in this lab (it is up in --kernel mode?)")
        log = os.path.join(self.node_dir(node), "lbd.log")
        with open(log, "a") as f:
            f.write(f"--- start {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.status_path(node))
        pid = self.spawn(f"lbd-{node}", node, [binary, "run", "--config",
                                              os.path.join(self.node_dir(node), "lbd.yaml")], log)
        return pid

    def lbd_pid(self, node):
        return self.pid(f"lbd-{node}")

    def read_status(self, node):
        """The node's Layer 2 status file (JSON) or None."""
        try:
            with open(self.status_path(node)) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def lbd_log_tail(self, node, lines=20):
        try:
            with open(os.path.join(self.node_dir(node), "lbd.log"), errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    # --- failures

    def link(self, node, up):
        sh("ip", "-n", self.ns(node), "link", "set", "eth0", "up" if up else "down")

    def isolate(self, node, isolated):
        """Disables (state 0) or re-enables (state 3, forwarding) the node's bridge port."""
        sh("bridge", "-n", self.bridge_ns, "link", "set", "dev", f"p-{node}", "state", "0" if isolated else "3")

    def client_neigh(self):
        return sh("ip", "-n", self.ns("client"), "neigh", "show", "dev", "eth0", check=False)


def to_yaml(value, indent=0):
    """Block YAML for nested dicts of scalars and lists of scalars (what the plugin files need)."""
    pad = "  " * indent
    lines = []
    for key, item in value.items():
        if isinstance(item, dict):
            lines.append(f"{pad}{key}:")
            lines.append(to_yaml(item, indent + 1).rstrip("\n"))
        elif isinstance(item, (list, tuple)):
            lines.append(f"{pad}{key}: [{', '.join(json.dumps(x) if isinstance(x, str) else str(x) for x in item)}]")
        elif isinstance(item, bool):
            lines.append(f"{pad}{key}: {'true' if item else 'false'}")
        else:
            lines.append(f"{pad}{key}: {item}")
    return "\n".join(lines) + "\n"


def lab_policy(services=(("echo", VIP4, VIP6),), nodes=NODES, pool=(POOL4, POOL6)):
    """The policy-and-services document: one pool, one Layer 2 advertisement, services asking for their
    addresses, every node a candidate."""
    text = (f"# The lab's policy and services (scripts/l2-lab/l2lab.py).\npools:\n  - name: lab\n"
            f"    addresses: [{', '.join(pool)}]\nlayer2Advertisements:\n  - name: lan\n    ipAddressPools: [lab]\n")
    text += "services:\n"
    for name, *addresses in services:
        text += f"  - name: {name}\n    namespace: lab\n    addresses: [{', '.join(json.dumps(a) for a in addresses)}]\n"
        if len(addresses) == 2:
            text += "    ipFamilyPolicy: RequireDualStack\n"
    text += "nodes:\n" + "".join(f"  - name: {node}\n" for node in nodes)
    return text


# --- probing from the client --------------------------------------------------------------------------------------

def client_socket(lab, family, host="client"):
    """A UDP socket created inside host's namespace (it stays there)."""
    with in_netns(lab.ns(host)):
        return socket.socket(family, socket.SOCK_DGRAM)


def probe_once(lab, address, timeout=1.0, port=ECHO_PORT):
    """Sends one datagram to address:port from the client; the name of the node that echoed it, or None."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = client_socket(lab, family)
    try:
        sock.settimeout(timeout)
        token = secrets.token_hex(4).encode()
        sock.sendto(token, (address, port))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                data, _ = sock.recvfrom(2048)
            except socket.timeout:
                return None
            if data.startswith(token + b"|"):
                return data[len(token) + 1:].decode()
        return None
    finally:
        sock.close()


def wait_for(predicate, timeout, interval=0.05):
    """Polls `predicate` until it returns something other than None (returned) or `timeout` s pass (None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(interval)


def agreed_owner(lab, nodes=NODES, service="lab/echo"):
    """The owner of `service` when every running node's status file is ready and names the same owner."""
    owners = set()
    for node in nodes:
        status = lab.read_status(node)
        if not status or not status.get("ready"):
            return None
        entry = next((s for s in status.get("services", []) if s.get("service") == service), None)
        if not entry or not entry.get("owner"):
            return None
        owners.add(entry["owner"])
    return owners.pop() if len(owners) == 1 else None


# --- the command line of scripts/l2-lab.sh ---------------------------------------------------------------------

USAGE = """\
scripts/l2-lab.sh: the Layer 2 lab (docs/layer2-lab.md)

  up [--kernel] [--tuned] [LBD]  build the lab and start lbd on n1, n2, n3 (LBD: the lbd binary, default
                                 .build/debug/lbd); --kernel: no lbd, n1's kernel answers for the VIPs (a
                                 self-check of the lab); --tuned: heartbeats every 10ms, dead after 3
  down                           stop what the lab started (by PID) and delete its namespaces
  status                         namespaces, processes, who owns the VIPs, the client's neighbour entries
  kill|stop|start NODE           SIGKILL / SIGTERM / start lbd on NODE (n1, n2, n3)
  link NODE up|down              set NODE's eth0 up or down
  isolate|rejoin NODE            disable / re-enable NODE's port on the bridge
  probe [-6] [SECONDS]           UDP probes every 10 ms from the client to the VIP; prints who answers
  exec HOST CMD...               run CMD in HOST's namespace (client, obs, n1, n2, n3, br)

Namespaces lbd-l2lab-*, addresses 10.95.0.0/24 and fd00:95::/64; state in $L2_LAB_DIR (default /tmp/lbd-l2lab).
"""

TUNED = {"heartbeat": {"interval": "10ms", "deadAfter": 3}}


def cmd_up(lab, args):
    kernel_mode = "--kernel" in args
    tuned = "--tuned" in args
    rest = [a for a in args if a not in ("--kernel", "--tuned")]
    if len(rest) > 1 or any(a.startswith("-") for a in rest):
        raise LabError("usage: up [--kernel] [--tuned] [LBD]")
    repo = os.path.dirname(os.path.dirname(HERE))
    binary = os.path.abspath(rest[0]) if rest else os.path.join(repo, ".build/debug/lbd")
    if not kernel_mode and not os.access(binary, os.X_OK):
        raise LabError(f"no lbd binary at {binary}: run `swift build --product lbd` or pass its path "
                       "(or `up --kernel` for the lab without lbd)")
    if lab.is_up:
        raise LabError(f"the lab is already up (state in {lab.state_dir}); `scripts/l2-lab.sh down` first")
    try:
        lab.create(kernel_mode=kernel_mode)
        lab.write_policy(lab_policy())
        if not kernel_mode:
            lab.configure_lbd(binary, TUNED if tuned else {})
            for node in NODES:
                lab.start_lbd(node)
    except BaseException:
        print("l2-lab: bringing the lab up failed; tearing down", file=sys.stderr)
        lab.destroy(remove_state=True)
        raise
    expected = "n1" if kernel_mode else election_ranking(NODES, VIP4)[0]
    if not kernel_mode:
        print("l2-lab: waiting up to 20 s for the three nodes to agree on the owner")
        owner = wait_for(lambda: agreed_owner(lab) or ("" if any(not lab.lbd_pid(n) for n in NODES) else None),
                         20.0)
        if not owner:
            for node in NODES:
                if not lab.lbd_pid(node):
                    print(f"l2-lab: lbd on {node} is not running; its log ends with:\n{lab.lbd_log_tail(node)}",
                          file=sys.stderr)
            raise LabError(f"the nodes do not agree on an owner (status files {lab.state_dir}/nN/layer2.json); "
                           "the lab stays up for a look, `scripts/l2-lab.sh down` removes it")
        if owner != expected:
            print(f"l2-lab: warning: the nodes chose {owner}, the election order says {expected}", file=sys.stderr)
        expected = owner
    for address in (VIP4, VIP6, KREF4, KREF6):
        want = "n1" if address in (KREF4, KREF6) else expected
        if address in (KREF4, KREF6):
            continue  # nothing listens there; checked with ARP/NDP in `status`
        got = wait_for(lambda: probe_once(lab, address, timeout=0.5), 5.0, interval=0)
        print(f"l2-lab: UDP {address}:{ECHO_PORT} from the client answered by {got or 'nobody'}"
              + ("" if got == want else f" (expected {want})"))
        if got != want:
            raise LabError("the self-check failed; the lab stays up for a look, `scripts/l2-lab.sh down` "
                           "removes it")
    client = lab.ns("client")
    if kernel_mode:
        failures = f"""  scripts/l2-lab.sh link n1 down | isolate n1                 # nobody answers then: no lbd in this mode
"""
    else:
        failures = f"""  scripts/l2-lab.sh kill {expected}                                # then `probe` again; `start {expected}` brings it back
  scripts/l2-lab.sh link {expected} down | isolate {expected} | stop {expected}
  tail -f {lab.state_dir}/{expected}/lbd.log;  cat {lab.state_dir}/{expected}/layer2.json
"""
    print(f"""
The lab is up ({'kernel mode: no lbd, n1 answers' if kernel_mode else 'lbd on n1, n2, n3'}; state in {lab.state_dir}).
Try:
  scripts/l2-lab.sh status                                  # owner, status files, the client's neighbours
  ip netns exec {client} arping -c 3 -I eth0 {VIP4}    # the owner's MAC ({expected}: {host_mac(expected)})
  ip netns exec {client} ndisc6 {VIP6} eth0
  scripts/l2-lab.sh probe 10                                # who answers the UDP echo, every 10 ms
{failures}
`scripts/l2-lab.sh down` removes it all.""")


def cmd_status(lab):
    if not lab.is_up:
        print("l2-lab: the lab is not up")
        return
    print(f"mode: {lab.state['mode']}; namespaces: {' '.join(lab.state['namespaces'])}")
    for name, entry in sorted(lab.state["processes"].items()):
        pid = lab.pid(name)
        print(f"  {name}: {'PID ' + str(pid) if pid else 'stopped'}  (log {entry['log']})")
    if lab.state["mode"] == "lbd":
        print(f"election order for {VIP4}: {' '.join(election_ranking(NODES, VIP4))}")
        for node in NODES:
            status = lab.read_status(node)
            if not status:
                print(f"  {node}: no status file")
                continue
            services = ", ".join(f"{s.get('service')} owner={s.get('owner')} {s.get('state')}"
                                 for s in status.get("services", []))
            stale = "" if lab.lbd_pid(node) else "  (lbd stopped: its last status)"
            print(f"  {node}: ready={status.get('ready')} live={','.join(status.get('live', []))} {services}{stale}")
    macs = mac_to_host()
    print("client's neighbour entries:")
    for line in lab.client_neigh().splitlines():
        mac = next((w for w in line.split() if w in macs), None)
        print(f"  {line}" + (f"   <- {macs[mac]}" if mac else ""))


def cmd_probe(lab, args):
    address = VIP6 if "-6" in args else VIP4
    numbers = [a for a in args if a != "-6"]
    seconds = float(numbers[0]) if numbers else 5.0
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = client_socket(lab, family)
    sock.setblocking(False)
    start = time.monotonic()
    sent, answered, last, current = 0, 0, None, None
    seq_sent = {}
    next_send = start
    print(f"probing {address}:{ECHO_PORT} every 10 ms for {seconds} s (Ctrl-C stops)")
    try:
        while time.monotonic() - start < seconds:
            now = time.monotonic()
            if now >= next_send:
                sock.sendto(str(sent).encode(), (address, ECHO_PORT))
                seq_sent[sent] = now
                sent += 1
                next_send += 0.01
            try:
                data, _ = sock.recvfrom(2048)
            except BlockingIOError:
                time.sleep(0.001)
                continue
            seq, _, node = data.decode().partition("|")
            answered += 1
            if node != current:
                gap = "" if last is None else f" ({(now - last) * 1000:.0f} ms after the last reply)"
                print(f"  {now - start:7.3f} s: answered by {node}{gap}")
                current = node
            last = now
    except KeyboardInterrupt:
        pass
    print(f"{sent} probes, {answered} replies, {sent - answered} lost")


def main(argv):
    lab = Lab(state_dir=os.environ.get("L2_LAB_DIR", "/tmp/lbd-l2lab"))
    command, args = (argv[0], argv[1:]) if argv else ("help", [])
    try:
        if command == "up":
            cmd_up(lab, args)
        elif command == "down":
            if not lab.is_up:
                print("l2-lab: the lab is not up")
            else:
                lab.destroy(remove_state=True)
                print("l2-lab: down")
        elif command == "status":
            cmd_status(lab)
        elif command in ("kill", "stop", "start", "link", "isolate", "rejoin", "probe", "exec"):
            if not lab.is_up:
                raise LabError("the lab is not up")
            if command == "probe":
                cmd_probe(lab, args)
            elif command == "exec":
                if not args or args[0] not in (*HOSTS, "br"):
                    raise LabError(f"usage: exec HOST CMD... (HOST: {', '.join((*HOSTS, 'br'))})")
                os.execvp("ip", ["ip", "netns", "exec", lab.ns(args[0]), *args[1:]])
            else:
                if not args or args[0] not in NODES:
                    raise LabError(f"usage: {command} NODE{' up|down' if command == 'link' else ''} "
                                   f"(NODE: {', '.join(NODES)})")
                node = args[0]
                if command == "kill":
                    lab.stop_process(f"lbd-{node}", signal.SIGKILL, grace=5.0)
                elif command == "stop":
                    lab.stop_process(f"lbd-{node}", signal.SIGTERM, grace=15.0)
                elif command == "start":
                    print(f"l2-lab: lbd on {node}: PID {lab.start_lbd(node)}")
                elif command == "link":
                    if len(args) != 2 or args[1] not in ("up", "down"):
                        raise LabError("usage: link NODE up|down")
                    lab.link(node, args[1] == "up")
                else:
                    lab.isolate(node, command == "isolate")
                print(f"l2-lab: {command} {' '.join(args)}: done")
        else:
            print(USAGE, end="")
            return 0 if command in ("help", "-h", "--help") else 2
    except LabError as error:
        print(f"l2-lab: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.dont_write_bytecode = True
    sys.exit(main(sys.argv[1:]))
