"""The BIRD receiver: passive eBGP, imports everything, exports nothing, no kernel protocol (routes stay in BIRD's
table), graceful restart off (a dead session drops its routes at once)."""

import os
import re
import time

from . import testbed
from .birdctl import BirdControl, protocol_status

PROTOCOL = {"ipv4": "spk_v4", "ipv6": "spk_v6"}

_CONFIG = """\
log "{work}/receiver.log" {{ warning, error, fatal, bug }};
router id {rtr_v4};
protocol device {{ }}
protocol bgp {name} {{
    local {local} as {rtr_as};
    neighbor {neighbor} as {spk_as};
    passive on;
    hold time {hold};
    keepalive time {keepalive};
    graceful restart off;
    {family} {{ import all; export none; }};
}}
"""


class Receiver:
    """Writes the receiver's config, runs BIRD in the router namespace and answers what it holds."""

    def __init__(self, bed, work, family, hold):
        self.bed, self.work, self.family = bed, work, family
        self.name = PROTOCOL[family]
        self.socket = os.path.join(work, "receiver.ctl")
        local, neighbor = ((testbed.RTR_V4, testbed.SPK_V4) if family == "ipv4" else (testbed.RTR_V6, testbed.SPK_V6))
        self.config = os.path.join(work, "receiver.conf")
        with open(self.config, "w") as f:
            f.write(_CONFIG.format(work=work, rtr_v4=testbed.RTR_V4, name=self.name, local=local,
                                   rtr_as=testbed.RECEIVER_AS, neighbor=neighbor, spk_as=testbed.SPEAKER_AS,
                                   hold=hold, keepalive=max(1, hold // 3), family=family))
        self.process = None
        self.control = None

    def start(self):
        self.process = self.bed.spawn(self.bed.rtr, ["bird", "-f", "-c", self.config, "-s", self.socket,
                                                     "-P", os.path.join(self.work, "receiver.pid")],
                                      os.path.join(self.work, "receiver.out"))
        self.control = BirdControl.wait(self.socket, time.monotonic() + 10)

    def status(self):
        """(BGP state, imported routes) of the speaker's session."""
        return protocol_status(self.control, self.name)

    def table_count(self):
        table = "master4" if self.family == "ipv4" else "master6"
        text = "\n".join(self.control.command(f"show route table {table} count"))
        match = re.search(r"(\d+) of (\d+) routes", text)
        return int(match.group(2)) if match else -1

    def route(self, prefix):
        return "\n".join(self.control.command(f"show route {prefix} all"))

    def stop(self):
        if self.control:
            self.control.close()
            self.control = None
        if self.process:
            testbed.stop(self.process)
            self.bed.forget(self.process)
            self.process = None
