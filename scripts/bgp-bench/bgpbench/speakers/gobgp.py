"""GoBGP (gobgpd) as the speaker, routes injected through gRPC the fastest way its users have.

gobgpd starts with the receiver configured as an admin-down neighbour; gobgp-inject (../../gobgp-inject) sends
every path with AddPathStream, 1,000 per request, waits for CloseAndRecv, then EnablePeer. So, as with the config
file speakers, every route is in the RIB before the session comes up. GoBGP 3.10 then waits 5-9 s before its first
connect (hard-coded in its FSM): compare speakers on Established -> all, not start -> all.

Withdrawal: one DeletePath for the family with no path, which withdraws every locally originated path (what
`gobgp global rib del all` does).
"""

import os
import subprocess

from .base import Speaker

_CONFIG = """\
[global.config]
  as = {local_as}
  router-id = "{router_id}"
  port = -1

[[neighbors]]
  [neighbors.config]
    neighbor-address = "{peer_ip}"
    peer-as = {peer_as}
    admin-down = true
  [neighbors.timers.config]
    hold-time = {hold}
    keepalive-interval = {keepalive}
    connect-retry = 1
  [neighbors.transport.config]
    local-address = "{local_ip}"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "{afi_safi}"
"""

API = "127.0.0.1:50051"


class GobgpSpeaker(Speaker):
    label = "gobgp"

    def prepare(self):
        c = self.ctx
        self.injector = c.options.gobgp_inject
        if not self.injector or not os.access(self.injector, os.X_OK):
            raise RuntimeError("gobgp-inject is not built (see scripts/bgp-bench/README.md)")
        self.config = self.write("gobgpd.toml", _CONFIG.format(
            local_as=c.local_as, router_id=c.router_id, peer_ip=c.peer_ip, peer_as=c.peer_as, hold=c.hold,
            keepalive=c.keepalive, local_ip=c.local_ip, afi_safi=f"{c.family}-unicast"))

    def start(self):
        c = self.ctx
        self.spawn("gobgpd", ["gobgpd", "-f", self.config, "-t", "toml", "--api-hosts", API, "-l", "warn",
                              "-p", "--pprof-disable"])
        # The injector blocks until gobgpd's API answers, so it can start at once.
        self.helper("inject", [self.injector, "-api", API, "-prefixes", c.prefix_file, "-nexthop", c.local_ip,
                               "-batch", str(c.options.gobgp_batch), "-enable", c.peer_ip])

    def withdraw(self):
        self.helper("delete-path", [self.injector, "-api", API, "-withdraw", "-family", self.ctx.family])

    @property
    def session_process(self):
        return self.procs["gobgpd"]

    def version(self):
        result = subprocess.run(["gobgpd", "--version"], capture_output=True, text=True)
        return result.stdout.strip()
