"""What every speaker adapter does. The runner calls, in order:

    prepare()   write configuration for ctx.prefixes (not timed)
    start()     launch the speaker; return quickly (slow steps run as helper processes while the receiver is
                polled), routes must end up announced to ctx.peer_ip without further calls
    withdraw()  tell the running speaker to withdraw every route, its users' natural way, without closing
                the session; return quickly (helpers again)
    stop()      stop everything it started

`session_process` is the process that holds the BGP session (its VmHWM is the "RSS" figure); `processes`
names every process of the speaker (for the all-process sum). Helpers are short-lived commands (an injector,
vtysh, birdc) whose exit status the runner checks once the phase is over.
"""

import os

from .. import testbed


class Context:
    """Everything an adapter needs for one run."""

    def __init__(self, bed, work, family, prefixes, prefix_file, hold, options):
        self.bed, self.work, self.family = bed, work, family
        self.prefixes, self.prefix_file = prefixes, prefix_file
        self.n = len(prefixes)
        self.hold = hold
        self.keepalive = max(1, hold // 3)
        self.options = options
        self.ipv6 = family == "ipv6"
        self.length = 128 if self.ipv6 else 32
        self.local_ip = testbed.SPK_V6 if self.ipv6 else testbed.SPK_V4
        self.peer_ip = testbed.RTR_V6 if self.ipv6 else testbed.RTR_V4
        self.router_id = testbed.SPK_V4
        self.local_as, self.peer_as = testbed.SPEAKER_AS, testbed.RECEIVER_AS

    def path(self, name):
        return os.path.join(self.work, name)


class Speaker:
    """Base adapter: subclasses set `label`, implement prepare/start/withdraw and fill `self.procs`."""

    label = "?"

    def __init__(self, ctx):
        self.ctx = ctx
        self.procs = {}  # name -> Popen, the speaker's long-running processes
        self.helpers = []  # (what, Popen) of short-lived commands

    # The adapter's interface.
    def prepare(self):
        raise NotImplementedError

    def start(self):
        raise NotImplementedError

    def withdraw(self):
        raise NotImplementedError

    @property
    def session_process(self):
        raise NotImplementedError

    def version(self):
        return ""

    def stop(self):
        for process in reversed(list(self.procs.values())):
            testbed.stop(process)
            self.ctx.bed.forget(process)
        for _, process in self.helpers:
            testbed.stop(process, grace=0.5)
            self.ctx.bed.forget(process)

    # Helpers for subclasses.
    def spawn(self, name, argv, env=None):
        process = self.ctx.bed.spawn(self.ctx.bed.spk, argv, self.ctx.path(f"{name}.out"), env=env)
        self.procs[name] = process
        return process

    def helper(self, what, argv):
        process = self.ctx.bed.spawn(self.ctx.bed.spk, argv, self.ctx.path(f"helper-{what}.out"))
        self.helpers.append((what, process))
        return process

    def failed_helpers(self):
        """Helpers that exited non-zero, with the tail of their output (a still-running helper is not failed)."""
        problems = []
        for what, process in self.helpers:
            code = process.poll()
            if code not in (None, 0):
                try:
                    with open(self.ctx.path(f"helper-{what}.out")) as f:
                        tail = f.read()[-600:].strip()
                except OSError:
                    tail = ""
                problems.append(f"{what} exited {code}: {tail}")
        return problems

    def helpers_running(self):
        return any(process.poll() is None for _, process in self.helpers)

    def write(self, name, text):
        path = self.ctx.path(name)
        with open(path, "w") as f:
            f.write(text)
        return path
