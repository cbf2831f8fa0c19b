"""`--capture`: tcpdump on the receiver's veth during a run, then a summary of what the speaker sent (tshark).

Capturing costs CPU on a 2-core machine, so captured runs are for looking at a speaker's messages (how many
UPDATEs, how many prefixes in each, when they left), not for the timing tables.
"""

import os
import re
import subprocess
import time

from . import testbed


class Capture:
    def __init__(self, bed, work):
        self.bed = bed
        self.path = os.path.join(work, "capture.pcap")
        self.process = None

    def start(self):
        # A large buffer (-B, KiB): at 100k routes a default-sized one drops packets on a busy machine.
        argv = ["tcpdump", "-i", "veth-rtr", "-B", "262144", "-s", "0", "-w", self.path, "tcp port 179"]
        self.process = self.bed.spawn(self.bed.rtr, argv, self.path + ".log")
        deadline = time.monotonic() + 5
        while not os.path.exists(self.path) and time.monotonic() < deadline:
            time.sleep(0.02)

    def stop(self):
        if self.process:
            time.sleep(1.5)  # tcpdump hands packets over in blocks, at the latest after 1 s
            testbed.stop(self.process)
            self.bed.forget(self.process)
            self.process = None

    def summary(self, speaker_ip, ipv6):
        """What the speaker sent: UPDATEs and prefixes announced and withdrawn, and when (seconds from the speaker's
        first KEEPALIVE, which is about when its session became Established)."""
        source = "ipv6.src" if ipv6 else "ip.src"
        reach = "bgp.mp_reach_nlri_ipv6_prefix" if ipv6 else "bgp.nlri_prefix"
        unreach = "bgp.mp_unreach_nlri_ipv6_prefix" if ipv6 else "bgp.withdrawn_prefix"
        result = subprocess.run(
            ["tshark", "-r", self.path, "-d", "tcp.port==179,bgp", "-Y", f"bgp && {source}=={speaker_ip}",
             "-T", "fields", "-E", "occurrence=a", "-E", "separator=\t", "-e", "frame.time_relative",
             "-e", "bgp.type", "-e", reach, "-e", unreach],
            capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            return {"error": result.stderr.strip()[-300:]}
        first_keepalive = None
        announce = {"updates": 0, "prefixes": 0, "first": None, "last": None}
        withdraw = {"updates": 0, "prefixes": 0, "first": None, "last": None}
        for line in result.stdout.splitlines():
            fields = (line.split("\t") + ["", "", "", ""])[:4]
            t = float(fields[0])
            types = [x for x in fields[1].split(",") if x]
            reached = [x for x in fields[2].split(",") if x]
            withdrawn = [x for x in fields[3].split(",") if x]
            if "4" in types and first_keepalive is None:
                first_keepalive = t
            updates = types.count("2")
            if not updates:
                continue
            if not reached and not withdrawn:
                continue  # End-of-RIB markers (or UPDATEs whose prefixes tshark did not see)
            for group, prefixes in ((announce, reached), (withdraw, withdrawn)):
                if prefixes:
                    group["prefixes"] += len(prefixes)
                    group["first"] = t if group["first"] is None else group["first"]
                    group["last"] = t
            # A frame may hold several UPDATEs (an End-of-RIB among them): they count with the prefixes it carries.
            (withdraw if withdrawn and not reached else announce)["updates"] += updates
        base = first_keepalive or 0.0
        out = {}
        try:
            with open(self.path + ".log") as f:
                dropped = re.search(r"(\d+) packets dropped by kernel", f.read())
            out["dropped_packets"] = int(dropped.group(1)) if dropped else None
        except OSError:
            out["dropped_packets"] = None
        for name, group in (("announce", announce), ("withdraw", withdraw)):
            out[f"{name}_updates"] = group["updates"]
            out[f"{name}_prefixes"] = group["prefixes"]
            if group["first"] is not None:
                out[f"{name}_span_s"] = round(group["last"] - group["first"], 4)
        if announce["first"] is not None:
            out["announce_first_after_keepalive_s"] = round(announce["first"] - base, 4)
            out["announce_last_after_keepalive_s"] = round(announce["last"] - base, 4)
        return out
