"""The namespace pair every run uses, and the processes started in it.

    netns lbdbench-spk-PID: the speaker under test, AS 64500      netns lbdbench-rtr-PID: BIRD receiver, AS 64501
      veth-spk 10.99.0.2/24 fd00:99::2/64     <---- veth ---->      veth-rtr 10.99.0.1/24 fd00:99::1/64

Nothing is created outside these two namespaces (the veth pair is created inside them), and every process is
started here, recorded, and stopped by its PID.
"""

import os
import signal
import subprocess
import time

RTR_V4, SPK_V4 = "10.99.0.1", "10.99.0.2"
RTR_V6, SPK_V6 = "fd00:99::1", "fd00:99::2"
SPEAKER_AS, RECEIVER_AS = 64500, 64501


def sh(*argv, check=True, quiet=False):
    result = subprocess.run(argv, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


class Testbed:
    """Creates the two namespaces and the veth between them; `down` removes them (and kills what is left)."""

    def __init__(self, suffix=None):
        suffix = suffix or str(os.getpid())
        self.rtr = f"lbdbench-rtr-{suffix}"
        self.spk = f"lbdbench-spk-{suffix}"
        self.processes = []

    def up(self):
        for ns in (self.rtr, self.spk):
            sh("ip", "netns", "add", ns)
            # No duplicate address detection: FRR needs a usable fe80:: at once for IPv6 eBGP.
            sh("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.accept_dad=0",
               "net.ipv6.conf.default.accept_dad=0")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", self.rtr, "link", "add", "veth-rtr", "type", "veth", "peer", "name", "veth-spk",
           "netns", self.spk)
        for ns, dev, v4, v6 in ((self.rtr, "veth-rtr", RTR_V4, RTR_V6), (self.spk, "veth-spk", SPK_V4, SPK_V6)):
            sh("ip", "-n", ns, "addr", "add", f"{v4}/24", "dev", dev)
            sh("ip", "-n", ns, "addr", "add", f"{v6}/64", "dev", dev, "nodad")
            sh("ip", "-n", ns, "link", "set", dev, "up")
        self._wait_link_local()

    def _wait_link_local(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready = all(
                "fe80::" in out and "tentative" not in out
                for out in (sh("ip", "-n", ns, "-6", "addr", "show", "dev", dev, "scope", "link")
                            for ns, dev in ((self.rtr, "veth-rtr"), (self.spk, "veth-spk"))))
            if ready:
                return
            time.sleep(0.05)
        raise TimeoutError("the veth pair got no usable fe80:: link-local addresses within 10 s")

    def down(self):
        for process in list(self.processes):
            stop(process, grace=1.0)
        self.processes.clear()
        for ns in (self.spk, self.rtr):
            sh("ip", "netns", "del", ns, check=False)

    def spawn(self, ns, argv, log_path, env=None):
        """Starts argv inside namespace ns; `ip netns exec` execs it, so the Popen's PID is the program's own."""
        log = open(log_path, "ab")
        process = subprocess.Popen(["ip", "netns", "exec", ns, *argv], stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True, env=env)
        log.close()
        process.argv0 = os.path.basename(argv[0])
        self.processes.append(process)
        return process

    def run(self, ns, argv, timeout=600, input=None):
        """Runs a short command inside ns and returns its CompletedProcess (raises on a non-zero exit)."""
        result = subprocess.run(["ip", "netns", "exec", ns, *argv], capture_output=True, text=True,
                                timeout=timeout, input=input)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}): "
                               f"{(result.stderr or result.stdout).strip()[-2000:]}")
        return result

    def forget(self, process):
        if process in self.processes:
            self.processes.remove(process)


def stop(process, grace=3.0):
    """SIGTERM, then SIGKILL after `grace` seconds; only this process, by its PID."""
    if process.poll() is not None:
        return
    try:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def proc_status(pid):
    """VmHWM and VmRSS (KiB) and CPU seconds (user + system) of a live process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return {
            "hwm_kib": int(fields["VmHWM"].split()[0]),
            "rss_kib": int(fields["VmRSS"].split()[0]),
            "cpu_s": round((int(stat[11]) + int(stat[12])) / ticks, 3),
        }
    except (OSError, KeyError, IndexError, ValueError):
        return None
