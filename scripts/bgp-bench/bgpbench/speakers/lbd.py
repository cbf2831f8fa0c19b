"""lbd as the speaker, configured the way its users announce N addresses: a pool of exactly N addresses and N
services in a services file read by the file source, one BGPPeer and one BGPAdvertisement in a policy file, and a
`plugin: bgp` instance. lbd allocates one address per service and announces it as a host route (/32 or /128), so
the routes are exactly the prefixes the other speakers announce.

    WORK/lbd.yaml                      node, plugins directory, log level
    WORK/plugins.d/files.yaml          plugin: file, files: [policy.yaml, services.yaml], state file in WORK
    WORK/plugins.d/bgp.yaml            plugin: bgp
    WORK/policy.yaml                   pool, bgpAdvertisement, bgpPeer
    WORK/services.yaml                 N services

Withdrawal: services.yaml is replaced (written aside, then renamed over it, as docs/file-source.md advises) by
one with no services; the session stays up and lbd withdraws every route.

The time from start to Established includes reading N services and allocating N addresses (the session is opened
once the first desired set names the peer); Established -> all is the BGP work alone.
"""

import os
import subprocess

from .base import Speaker

_LBD_YAML = """\
node:
  name: bench
pluginsDirectory: plugins.d
logLevel: {log_level}
"""

_FILES_PLUGIN = """\
plugin: file
name: bench-files
files:
  - ../policy.yaml
  - ../services.yaml
stateFile: ../state/bench-files.state.json
"""

_BGP_PLUGIN = """\
plugin: bgp
name: bench-bgp
"""

_POLICY = """\
pools:
  - name: bench
    addresses: ["{first}-{last}"]
bgpAdvertisements:
  - name: bench
    ipAddressPools: [bench]
bgpPeers:
  - name: receiver
    myASN: {local_as}
    peerASN: {peer_as}
    peerAddress: "{peer_ip}"
    sourceAddress: "{local_ip}"
    routerID: {router_id}
    holdTime: {hold}s
    keepaliveTime: {keepalive}s
"""


class LbdSpeaker(Speaker):
    label = "lbd"
    log_level = None  # --lbd-log-level (default info: one line per allocated and released address)

    def prepare(self):
        c = self.ctx
        self.binary = c.options.lbd
        if not self.binary or not os.access(self.binary, os.X_OK):
            raise RuntimeError(f"no lbd binary at {self.binary!r}: build it with `swift build -c release "
                               "--product lbd --scratch-path .build-release` or pass --lbd PATH")
        os.makedirs(c.path("plugins.d"), exist_ok=True)
        os.makedirs(c.path("state"), exist_ok=True)
        self.config = self.write("lbd.yaml", _LBD_YAML.format(log_level=self.log_level or c.options.lbd_log_level))
        self.write("plugins.d/files.yaml", _FILES_PLUGIN)
        self.write("plugins.d/bgp.yaml", _BGP_PLUGIN)
        self.write("policy.yaml", _POLICY.format(
            first=c.prefixes[0], last=c.prefixes[-1], local_as=c.local_as, peer_as=c.peer_as, peer_ip=c.peer_ip,
            local_ip=c.local_ip, router_id=c.router_id, hold=c.hold, keepalive=c.keepalive))
        family = "IPv6" if c.ipv6 else "IPv4"
        services = ["services:"] + [f"  - {{name: s{i:06d}, ipFamilies: [{family}]}}" for i in range(c.n)]
        self.services = self.write("services.yaml", "\n".join(services) + "\n")

    def start(self):
        self.spawn("lbd", [self.binary, "run", "--config", self.config])

    def withdraw(self):
        aside = self.ctx.path(".services.yaml.new")
        with open(aside, "w") as f:
            f.write("services: []\n")
        os.rename(aside, self.services)

    @property
    def session_process(self):
        return self.procs["lbd"]

    def version(self):
        result = subprocess.run([self.ctx.options.lbd, "version"], capture_output=True, text=True)
        return (result.stdout or result.stderr).strip().splitlines()[0] if (result.stdout or result.stderr) else ""


class LbdNoticeSpeaker(LbdSpeaker):
    """lbd with `logLevel: notice`: without the info line per allocated and released address."""

    label = "lbd-notice"
    log_level = "notice"
