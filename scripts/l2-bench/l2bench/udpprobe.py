"""UDP probes from the client to the VIPs every 10 ms, both families, on a thread of their own.

Each probe carries its sequence number; the lab's echo answers `SEQ|NODE`, so every reply says which node
answered. Times are wall-clock seconds (time.time(), the clock the failure injection is stamped with).
"""

import select
import socket
import threading
import time


class FamilyLog:
    def __init__(self, address):
        self.address = address
        self.sent = []      # send time per sequence number
        self.replies = []   # (seq, node, rx time), in arrival order


class UDPProber:
    """Probes `addresses` (one per family) every `interval` s from sockets created in the client's namespace."""

    def __init__(self, sockets, addresses, port, interval=0.01):
        self.logs = [FamilyLog(address) for address in addresses]
        self.sockets = sockets
        self.port = port
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="udp-prober", daemon=True)
        for sock in sockets:
            sock.setblocking(False)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join()

    def _run(self):
        next_send = time.monotonic()
        seq = 0
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_send:
                for sock, log in zip(self.sockets, self.logs):
                    log.sent.append(time.time())
                    try:
                        sock.sendto(str(seq).encode(), (log.address, self.port))
                    except OSError:
                        pass  # e.g. no neighbour yet: the probe counts as lost
                seq += 1
                next_send += self.interval
                if next_send < now:  # fell behind (a stall): do not burst to catch up
                    next_send = now + self.interval
            ready, _, _ = select.select(self.sockets, [], [], max(0.0, next_send - time.monotonic()))
            for sock in ready:
                log = self.logs[self.sockets.index(sock)]
                while True:
                    try:
                        data = sock.recv(2048)
                    except BlockingIOError:
                        break
                    except OSError:
                        break
                    rx = time.time()
                    text, _, node = data.decode(errors="replace").partition("|")
                    if text.isdigit():
                        log.replies.append((int(text), node, rx))

    def steady(self, node, seconds=1.0, lag=0.05):
        """True when, in every family, each probe sent in the last `seconds` (except the last `lag` s) was
        answered, and only by `node`."""
        now = time.time()
        for log in self.logs:
            window = [i for i, sent in enumerate(log.sent) if now - seconds - lag <= sent <= now - lag]
            if len(window) < seconds / self.interval * 0.8:
                return False
            answered = {}
            for seq, who, _ in log.replies[-(len(window) * 3 + 50):]:
                answered.setdefault(seq, set()).add(who)
            if any(answered.get(i) != {node} for i in window):
                return False
        return True

    def answering(self):
        """The node that answered the latest reply of the first family, or None."""
        replies = self.logs[0].replies
        return replies[-1][1] if replies else None


def analyse(log, old, injected_at, end_margin=0.2):
    """One family's failover figures (ms), relative to the injection at `injected_at` (wall clock s).

    takeover: first reply from another node − injection; outage: that reply − the last reply from `old` before it;
    old_kept_serving: the last reply from `old` after the injection − injection; lost: probes sent from 1 s before
    the injection to `end_margin` s before the last one that got no reply."""
    replies = sorted(log.replies, key=lambda r: r[2])
    first_new = next((r for r in replies if r[1] != old and r[2] > injected_at), None)
    result = {"new_owner": first_new[1] if first_new else None}
    if first_new:
        before = [r for r in replies if r[1] == old and r[2] < first_new[2]]
        result["takeover_ms"] = (first_new[2] - injected_at) * 1000
        result["outage_ms"] = (first_new[2] - before[-1][2]) * 1000 if before else None
    after_old = [r for r in replies if r[1] == old and r[2] > injected_at]
    result["old_kept_serving_ms"] = (after_old[-1][2] - injected_at) * 1000 if after_old else 0.0
    if first_new:
        result["old_after_new"] = sum(1 for r in replies if r[1] == old and r[2] > first_new[2])
    answered = {r[0] for r in replies}
    last = log.sent[-1] if log.sent else injected_at
    window = [i for i, sent in enumerate(log.sent) if injected_at - 1.0 <= sent <= last - end_margin]
    result["probes"] = len(window)
    result["lost"] = sum(1 for i in window if i not in answered)
    return result
