"""The phases of one benchmark: latency, failover, handover, memory, keepalived. Each returns JSON records.

All of them run in one lab (scripts/l2-lab/l2lab.py) with its own namespace prefix lbd-l2bench-PID; lbd is
reconfigured and restarted between phases. Every process is started by the lab, recorded and stopped by PID.
"""

import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time

import l2lab
from l2lab import (KREF4, KREF6, NODES, VIP4, VIP6, ECHO_PORT, LabError, election_ranking, host_mac, host_v4,
                   host_v6, in_netns, kib, lab_policy, mac_to_host, proc_status, sh, wait_for)

from . import latency, udpprobe

SERVICE = "lab/echo"


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class SettleError(Exception):
    pass


class Bench:
    def __init__(self, lab, lbd, args):
        self.lab = lab
        self.lbd = lbd
        self.args = args
        self.settings_name = None

    # --- lbd in the lab

    def start_lbd(self, layer2, name, nodes=NODES, policy=None, log_level="info"):
        """(Re)configures every node with `layer2` settings and starts lbd on `nodes`."""
        self.stop_all_lbd()
        self.lab.write_policy(policy or lab_policy())
        self.lab.configure_lbd(self.lbd, layer2, nodes=nodes, log_level=log_level)
        self.settings_name = name
        for node in nodes:
            self.lab.start_lbd(node)

    def stop_all_lbd(self):
        for node in NODES:
            if self.lab.lbd_pid(node):
                self.lab.stop_process(f"lbd-{node}", signal.SIGTERM, grace=15.0)

    def steady_owner(self):
        """The owner when every node runs lbd, is ready, sees the two others live, and exactly the agreed owner
        has the service as `owned` (the others `standby`); else None."""
        owner = l2lab.agreed_owner(self.lab)
        if owner is None:
            return None
        for node in NODES:
            if not self.lab.lbd_pid(node):
                return None
            status = self.lab.read_status(node) or {}
            live = set(status.get("live", [])) | {node}
            if live != set(NODES):
                return None
            entry = next((s for s in status.get("services", []) if s.get("service") == SERVICE), {})
            if entry.get("state") != ("owned" if node == owner else "standby"):
                return None
        return owner

    def settle(self, timeout=30.0):
        """Waits for a steady owner (status files) and then for 1 s of probes all answered by it (both
        families); returns (owner, prober running). Raises SettleError."""
        owner = wait_for(self.steady_owner, timeout)
        if owner is None:
            raise SettleError(self.describe_status())
        prober = self.new_prober().start()
        if wait_for(lambda: True if prober.steady(owner, 1.0) else None, timeout, interval=0.05) is None:
            answering = prober.answering()
            prober.stop()
            raise SettleError(f"the status files name {owner}, but the probes are not all answered by it "
                              f"(latest reply from {answering}); {self.describe_status()}")
        return owner, prober

    def describe_status(self):
        parts = []
        for node in NODES:
            status = self.lab.read_status(node)
            pid = self.lab.lbd_pid(node)
            if not status:
                parts.append(f"{node}: {'running' if pid else 'not running'}, no status")
                continue
            entry = next((s for s in status.get("services", []) if s.get("service") == SERVICE), {})
            parts.append(f"{node}: {'running' if pid else 'not running'} ready={status.get('ready')} "
                         f"live={status.get('live')} owner={entry.get('owner')} state={entry.get('state')}")
        return "; ".join(parts)

    def settle_or_recover(self, layer2, records, after=None):
        """settle(); when it fails, restarts lbd everywhere once (recorded: a daemon that does not converge by
        itself after a failure is a finding) and tries again."""
        try:
            return self.settle()
        except SettleError as error:
            log(f"  not steady after 30 s: {error}; restarting lbd on every node")
            records.append({"phase": "recovery", "settings": self.settings_name, "after": after,
                            "reason": str(error), "time": time.time()})
            for node in NODES:
                if not self.lab.pid(f"echo-{node}"):
                    self.lab.set_vips_on_lo(node, True)
                    self.lab.start_echo(node)
                self.lab.link(node, True)
                self.lab.isolate(node, False)
            self.start_lbd(layer2, self.settings_name)
            return self.settle()

    def new_prober(self):
        with in_netns(self.lab.ns("client")):
            sockets = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM),
                       socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)]
        return udpprobe.UDPProber(sockets, [VIP4, VIP6], ECHO_PORT, interval=0.01)

    # --- latency

    def run_latency(self):
        log("latency: lbd with default settings on n1, n2, n3")
        self.start_lbd({}, "default")
        owner, prober = self.settle()
        prober.stop()
        time.sleep(self.args.quiet)  # the takeover's gratuitous repeats are over (repeatFor: 5 s)
        with in_netns(self.lab.ns("client")):
            probers = {4: latency.Prober(4, host_mac("client"), host_v4("client")),
                       6: latency.Prober(6, host_mac("client"), host_v6("client"))}
        scenarios = [("kernel", 4, KREF4, "n1"), ("lbd", 4, VIP4, owner),
                     ("kernel", 6, KREF6, "n1"), ("lbd", 6, VIP6, owner)]
        records = []
        macs = mac_to_host()
        try:
            for run in range(self.args.runs):
                for answerer, family, target, node in scenarios:
                    result = latency.measure(probers[family], target, count=self.args.count)
                    record = {"phase": "latency", "run": run, "answerer": answerer, "family": f"ipv{family}",
                              "target": target, "expected_node": node, "load": loadavg(),
                              "answered_by": {macs.get(m, m): n for m, n in result["macs"].items()}, **result}
                    records.append(record)
                    median = statistics.median(result["rtt_us"]) if result["rtt_us"] else float("nan")
                    log(f"  run {run + 1}: {answerer:6} IPv{family} {target}: median {median:.0f} µs, "
                        f"{result['unanswered']} unanswered, {result['duplicates']} duplicates, "
                        f"answered by {record['answered_by']}")
                    time.sleep(0.05)
            if self.args.turnaround:
                for answerer, family, target, node in scenarios:
                    records.append(self.turnaround(probers[family], answerer, family, target, node))
        finally:
            for p in probers.values():
                p.close()
        return records

    def turnaround(self, prober, answerer, family, target, node, count=60):
        """The answering node's own request-in → reply-out time, from tcpdump on its eth0 (the tap adds
        10-15 µs to every figure: compare kernel with lbd, not with the round trips)."""
        capture = subprocess.Popen(["ip", "netns", "exec", self.lab.ns(node), "tcpdump", "-i", "eth0", "-n", "-l",
                                    "--time-stamp-precision=nano", "-tt", "arp" if family == 4 else "icmp6"],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        time.sleep(1.0)  # tcpdump attached
        latency.measure(prober, target, count=count)
        time.sleep(0.3)
        capture.send_signal(signal.SIGINT)
        output = capture.communicate(timeout=10)[0]
        deltas, request = [], None
        for line in output.splitlines():
            words = line.split()
            if not words or target not in line:
                continue
            if "Request" in line or "solicitation" in line:
                request = float(words[0])
            elif request is not None and ("Reply" in line or "advertisement" in line):
                deltas.append((float(words[0]) - request) * 1e6)
                request = None
        log(f"  turnaround on {node}: {answerer} IPv{family}: median "
            f"{statistics.median(deltas) if deltas else float('nan'):.0f} µs over {len(deltas)} requests")
        return {"phase": "turnaround", "answerer": answerer, "family": f"ipv{family}", "node": node,
                "turnaround_us": deltas, "load": loadavg()}

    # --- failover and handover

    def inject(self, mode, node):
        """Injects failure `mode` on `node`; returns (start, end) wall-clock times and extra fields."""
        extra = {}
        start = time.time()
        if mode == "kill":
            self.lab.send_signal(f"lbd-{node}", signal.SIGKILL)
        elif mode == "linkdown":
            self.lab.link(node, False)
        elif mode == "isolate":
            self.lab.isolate(node, True)
        elif mode == "sigterm":
            self.lab.send_signal(f"lbd-{node}", signal.SIGTERM)
            exited = self.lab.wait_exit(f"lbd-{node}", 20.0)
            extra["lbd_exit_ms"] = (time.time() - start) * 1000 if exited else None
            # The node goes away: its service stops and its addresses are gone.
            self.lab.stop_echo(node)
            self.lab.set_vips_on_lo(node, False)
            extra["node_gone_ms"] = (time.time() - start) * 1000
        elif mode == "keepalived-linkdown":
            self.lab.link(node, False)
        end = time.time()
        return start, end, extra

    def restore(self, mode, node):
        if mode == "kill":
            self.lab.stop_process(f"lbd-{node}", signal.SIGKILL, grace=5.0)  # forget the dead PID
            self.lab.start_lbd(node)
        elif mode in ("linkdown", "keepalived-linkdown"):
            self.lab.link(node, True)
        elif mode == "isolate":
            self.lab.isolate(node, False)
        elif mode == "sigterm":
            self.lab.stop_process(f"lbd-{node}", signal.SIGKILL, grace=5.0)
            self.lab.set_vips_on_lo(node, True)
            self.lab.start_echo(node)
            self.lab.start_lbd(node)

    def failover_run(self, mode, settings, run, owner, prober):
        time.sleep(random.uniform(0.0, 1.0))  # the failure lands at a random point of the timers
        load = loadavg()
        start, end, extra = self.inject(mode, owner)
        # Until every family has a reply from another node, then a little longer.
        def moved():
            return True if all(any(r[1] != owner and r[2] > start for r in log.replies[-200:])
                               for log in prober.logs) else None
        wait_for(moved, 15.0, interval=0.01)
        time.sleep(0.5 if mode == "sigterm" else 0.3)
        prober.stop()
        record = {"phase": "handover" if mode == "sigterm" else "failover", "mode": mode, "settings": settings,
                  "run": run, "old_owner": owner, "expected_new_owner": election_ranking(
                      [n for n in NODES if n != owner], VIP4)[0] if mode != "keepalived-linkdown" else None,
                  "injected_at": start, "injection_ms": (end - start) * 1000, "load": load, **extra}
        for log_, family in zip(prober.logs, ("ipv4", "ipv6")):
            record[family] = udpprobe.analyse(log_, owner, start)
        self.restore(mode, owner)
        return record

    def run_failover(self, modes, groups):
        """modes × runs for each settings group (name, layer2 settings), interleaved by run."""
        records = []
        for name, layer2 in groups:
            log(f"failover ({', '.join(modes)}): lbd settings '{name}' {layer2 or '(defaults)'}")
            self.start_lbd(layer2, name)
            owner, prober = self.settle_or_recover(layer2, records, after="start")
            prober.stop()
            records.append(self.idle_cpu(name))
            previous = "start"
            for run in range(self.args.runs):
                for mode in modes:
                    owner, prober = self.settle_or_recover(layer2, records, after=previous)
                    previous = mode
                    record = self.failover_run(mode, name, run, owner, prober)
                    records.append(record)
                    v4, v6 = record["ipv4"], record["ipv6"]
                    log(f"  {name} {mode} run {run + 1}: {owner} -> {v4.get('new_owner')}: takeover "
                        f"{fmt(v4.get('takeover_ms'))} ms (IPv6 {fmt(v6.get('takeover_ms'))}), outage "
                        f"{fmt(v4.get('outage_ms'))} ms, lost {v4['lost']}/{v6['lost']}"
                        + (f", lbd exited after {fmt(record.get('lbd_exit_ms'))} ms" if mode == "sigterm" else ""))
        return records

    def idle_cpu(self, settings, seconds=5.0):
        """CPU used by each lbd over `seconds` of steady state (heartbeats only): what the settings cost."""
        def ticks(pid):
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return int(fields[11]) + int(fields[12])  # utime + stime
        pids = {node: self.lab.lbd_pid(node) for node in NODES}
        before = {node: ticks(pid) for node, pid in pids.items()}
        started = time.monotonic()
        time.sleep(seconds)
        elapsed = time.monotonic() - started
        hz = os.sysconf("SC_CLK_TCK")
        cpu = {node: (ticks(pid) - before[node]) / hz / elapsed * 100 for node, pid in pids.items()}
        log(f"  idle CPU with settings '{settings}': " + ", ".join(f"{n} {v:.1f} %" for n, v in cpu.items()))
        rss = {}
        for node, pid in pids.items():
            status = proc_status(pid)
            rss[node] = {"vmhwm_kib": kib(status["VmHWM"]), "vmrss_kib": kib(status["VmRSS"]),
                         "rss_anon_kib": kib(status["RssAnon"]), "rss_file_kib": kib(status["RssFile"]),
                         "rss_shmem_kib": kib(status["RssShmem"])}
        log(f"  RSS with one service: " + ", ".join(f"{n} {v['vmrss_kib'] / 1024:.1f} MiB" for n, v in rss.items()))
        return {"phase": "idle_cpu", "settings": settings, "seconds": elapsed, "cpu_percent": cpu, "rss": rss,
                "load": loadavg()}

    # --- memory

    def run_memory(self):
        records = []
        for family in ("ipv4", "ipv6"):
            for run in range(self.args.memory_runs):
                records.append(self.memory_run(family, run))
        return records

    def memory_run(self, family, run, count=1000):
        if family == "ipv4":
            pool = "10.95.4.0/22"
            addresses = [f"10.95.{4 + i // 256}.{i % 256}" for i in range(count)]
        else:
            pool = "fd00:95:1::/118"
            addresses = [f"fd00:95:1::{i + 1:x}" for i in range(count)]
        policy = lab_policy(services=[(f"m{i:04d}", a) for i, a in enumerate(addresses)], nodes=["n1"],
                            pool=(pool,))
        log(f"memory: one node (n1) owning {count} {family} addresses, run {run + 1}")
        started = time.monotonic()
        self.start_lbd({}, "memory", nodes=["n1"], policy=policy)
        pid = self.lab.lbd_pid("n1")

        def all_owned():
            if not self.lab.lbd_pid("n1"):
                raise LabError(f"lbd on n1 exited; its log ends with:\n{self.lab.lbd_log_tail('n1')}")
            status = self.lab.read_status("n1") or {}
            owned = sum(1 for s in status.get("services", []) if s.get("state") == "owned")
            return owned if owned >= count else None
        if wait_for(all_owned, 120.0, interval=0.05) is None:
            raise LabError(f"n1 does not own all {count} services after 120 s: "
                           f"{sum(1 for s in (self.lab.read_status('n1') or {}).get('services', []) if s.get('state') == 'owned')} owned")
        announced_s = time.monotonic() - started
        at_announced = proc_status(pid)
        # Every address answered: ask for the first, the middle and the last.
        fam = 4 if family == "ipv4" else 6
        with in_netns(self.lab.ns("client")):
            prober = latency.Prober(fam, host_mac("client"), host_v4("client") if fam == 4 else host_v6("client"))
        answers = {}
        try:
            for address in (addresses[0], addresses[count // 2], addresses[-1]):
                rtt, macs = prober.ask(address, timeout=0.5)
                answers[address] = [mac_to_host().get(m, m) for m in macs]
        finally:
            prober.close()
        # The gratuitous repeats end after repeatFor (5 s by default): read again once they are over.
        time.sleep(self.args.memory_settle)
        status = proc_status(pid)
        groups = None
        if fam == 6:
            groups = sum(1 for line in sh("ip", "-n", self.lab.ns("n1"), "-6", "maddr", "show", "dev", "eth0")
                         .splitlines() if "ff02::1:ff" in line)
        record = {"phase": "memory", "family": family, "run": run, "addresses": count, "announced_s": announced_s,
                  "vmhwm_kib_at_announced": kib(at_announced["VmHWM"]),
                  "vmrss_kib_at_announced": kib(at_announced["VmRSS"]),
                  "vmhwm_kib": kib(status["VmHWM"]), "vmrss_kib": kib(status["VmRSS"]),
                  "rss_anon_kib": kib(status["RssAnon"]), "rss_file_kib": kib(status["RssFile"]),
                  "rss_shmem_kib": kib(status["RssShmem"]),
                  "threads": int(status["Threads"]), "answers": answers, "solicited_node_groups": groups,
                  "load": loadavg()}
        log(f"  all {count} owned after {announced_s:.2f} s; VmHWM {record['vmhwm_kib'] / 1024:.1f} MiB, "
            f"VmRSS {record['vmrss_kib'] / 1024:.1f} MiB (anonymous {record['rss_anon_kib'] / 1024:.1f}, files "
            f"{record['rss_file_kib'] / 1024:.1f}, shared {record['rss_shmem_kib'] / 1024:.1f}), "
            f"{record['threads']} threads; answers {answers}"
            + (f"; {groups} solicited-node groups joined on eth0" if groups is not None else ""))
        self.stop_all_lbd()
        return record

    # --- keepalived (l2-baseline §3: a VRRP instance with the VIP)

    def run_keepalived(self, advert_int=1):
        self.stop_all_lbd()
        records = []
        priorities = {"n1": 150, "n2": 100}
        for node, priority in priorities.items():
            directory = self.lab.node_dir(node)
            os.makedirs(directory, exist_ok=True)
            conf = os.path.join(directory, "keepalived.conf")
            with open(conf, "w") as f:
                f.write(f"""global_defs {{
    router_id {node}
    vrrp_version 3
}}
vrrp_instance lab {{
    state BACKUP
    interface eth0
    virtual_router_id 95
    priority {priority}
    advert_int {advert_int}
    virtual_ipaddress {{
        {VIP4}/32 dev eth0
    }}
    virtual_ipaddress_excluded {{
        {VIP6}/128 dev eth0
    }}
}}
""")
            self.lab.spawn(f"keepalived-{node}", node,
                           ["keepalived", "--dont-fork", "--log-console", "--log-detail", "--vrrp",
                            "-f", conf, "-p", os.path.join(directory, "keepalived.pid"),
                            "-r", os.path.join(directory, "keepalived-vrrp.pid")],
                           os.path.join(directory, "keepalived.log"))
        log(f"keepalived: n1 (priority 150) and n2 (100), advert_int {advert_int}, link down of the master")
        try:
            for run in range(self.args.runs):
                prober = self.new_prober().start()
                if wait_for(lambda: True if prober.steady("n1", 1.0) else None, 30.0) is None:
                    prober.stop()
                    raise LabError(f"keepalived: n1 does not answer all probes (latest {prober.answering()})")
                record = self.failover_run("keepalived-linkdown", f"keepalived advert_int {advert_int}", run,
                                           "n1", prober)
                records.append(record)
                v4, v6 = record["ipv4"], record["ipv6"]
                log(f"  keepalived linkdown run {run + 1}: n1 -> {v4.get('new_owner')}: takeover "
                    f"{fmt(v4.get('takeover_ms'))} ms (IPv6 {fmt(v6.get('takeover_ms'))}), outage "
                    f"{fmt(v4.get('outage_ms'))} ms, lost {v4['lost']}/{v6['lost']}")
        finally:
            for node in priorities:
                self.lab.stop_process(f"keepalived-{node}", signal.SIGTERM, grace=10.0)
        return records


def fmt(value):
    return "-" if value is None else f"{value:.0f}"
