"""BIRD 2 as the speaker: the routes are a `static` protocol (blackhole host routes) exported to the BGP peer.

Withdrawal: `birdc disable origin`, which withdraws everything the static protocol gave (the BGP session stays).
No kernel protocol, so nothing reaches a FIB. `connect delay time 1` (the floor; the default waits 5 s).
"""

import subprocess

from .base import Speaker

_CONFIG = """\
log "{log}" {{ warning, error, fatal, bug }};
router id {router_id};
protocol device {{ }}
protocol static origin {{
    {family};
{routes}
}}
protocol bgp rtr {{
    local {local_ip} as {local_as};
    neighbor {peer_ip} as {peer_as};
    connect delay time 1;
    hold time {hold};
    keepalive time {keepalive};
    graceful restart off;
    {family} {{ import none; export all; }};
}}
"""


class BirdSpeaker(Speaker):
    label = "bird"

    def prepare(self):
        c = self.ctx
        routes = "\n".join(f"    route {p}/{c.length} blackhole;" for p in c.prefixes)
        self.config = self.write("bird.conf", _CONFIG.format(
            log=c.path("bird.log"), router_id=c.router_id, family=c.family, routes=routes,
            local_ip=c.local_ip, local_as=c.local_as, peer_ip=c.peer_ip, peer_as=c.peer_as, hold=c.hold,
            keepalive=c.keepalive))
        self.socket = c.path("bird.ctl")

    def start(self):
        self.spawn("bird", ["bird", "-f", "-c", self.config, "-s", self.socket, "-P", self.ctx.path("bird.pid")])

    def withdraw(self):
        self.helper("birdc-disable", ["birdc", "-s", self.socket, "disable", "origin"])

    @property
    def session_process(self):
        return self.procs["bird"]

    def version(self):
        result = subprocess.run(["bird", "--version"], capture_output=True, text=True)
        return (result.stdout + result.stderr).strip()
