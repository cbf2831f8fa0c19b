"""FRR (zebra + bgpd) as the speaker: one `network P` statement per route in bgpd's config file.

`frr-c0` is the same with `coalesce-time 0`: FRR's update groups otherwise wait their coalesce timer (1 s by
default) before the first UPDATE, which dominates the figures. Withdrawal: `no network P` for every route, through
vtysh (`vtysh -f FILE`), the way an operator or a script changes FRR's running configuration.

Pitfalls handled here: eBGP sends nothing without `no bgp ebgp-requires-policy`; `network` needs
`no bgp network import-check` (the routes are not in zebra's RIB); no inline comments in config lines; zebra and
bgpd run as root with group frrvty; IPv6 eBGP needs a usable fe80:: on the interface (the testbed disables DAD),
and zebra to learn it.
"""

import os
import subprocess

from .base import Speaker

FRR = "/usr/lib/frr"


class FrrSpeaker(Speaker):
    label = "frr"
    coalesce = None  # FRR's default (1000 ms)

    def prepare(self):
        c = self.ctx
        afi = "ipv6" if c.ipv6 else "ipv4"
        lines = [
            "frr defaults traditional",
            "hostname lbdbench-frr",
            f"log file {c.path('bgpd.log')} warnings",
            "!",
            f"router bgp {c.local_as}",
            f" bgp router-id {c.router_id}",
            " no bgp ebgp-requires-policy",
            " no bgp network import-check",
            " no bgp default ipv4-unicast",
        ]
        if self.coalesce is not None:
            lines.append(f" coalesce-time {self.coalesce}")
        lines += [
            f" neighbor {c.peer_ip} remote-as {c.peer_as}",
            f" neighbor {c.peer_ip} timers {c.keepalive} {c.hold}",
            f" neighbor {c.peer_ip} timers connect 1",
            " !",
            f" address-family {afi} unicast",
        ]
        lines += [f"  network {p}/{c.length}" for p in c.prefixes]
        lines += [f"  neighbor {c.peer_ip} activate", " exit-address-family", "!", ""]
        self.bgpd_conf = self.write("bgpd.conf", "\n".join(lines))
        self.zebra_conf = self.write("zebra.conf", f"hostname lbdbench-zebra\nlog file {c.path('zebra.log')}\n")
        # vtysh -f starts in configuration mode.
        withdraw = [f"router bgp {c.local_as}", f"address-family {afi} unicast"]
        withdraw += [f"no network {p}/{c.length}" for p in c.prefixes]
        withdraw += ["exit-address-family", "exit", ""]
        self.withdraw_file = self.write("withdraw.vtysh", "\n".join(withdraw))
        self.vty = c.path("vty")
        os.makedirs(self.vty, exist_ok=True)
        self.zserv = c.path("zserv.api")

    def _common(self, name):
        return ["-i", self.ctx.path(f"{name}.pid"), "-z", self.zserv, "--vty_socket", self.vty,
                "-u", "root", "-g", "frrvty", "-P", "0"]

    def start(self):
        self.spawn("zebra", [f"{FRR}/zebra", "-f", self.zebra_conf, *self._common("zebra")])
        # bgpd connects to zebra on its own (and retries), so it need not wait for zebra's socket.
        self.spawn("bgpd", [f"{FRR}/bgpd", "-f", self.bgpd_conf, "-p", "0", *self._common("bgpd")])

    def withdraw(self):
        self.helper("vtysh-no-network", ["vtysh", "--vty_socket", self.vty, "-f", self.withdraw_file])

    @property
    def session_process(self):
        return self.procs["bgpd"]

    def version(self):
        result = subprocess.run([f"{FRR}/bgpd", "--version"], capture_output=True, text=True)
        return result.stdout.splitlines()[0].strip() if result.stdout else ""


class FrrCoalesce0Speaker(FrrSpeaker):
    label = "frr-c0"
    coalesce = 0
