"""One timed run: a fresh receiver and speaker, N routes announced, verified, withdrawn; one JSON record."""

import ipaddress
import os
import platform
import shutil
import time

from . import testbed
from .capture import Capture
from .receiver import Receiver
from .speakers import ADAPTERS
from .speakers.base import Context

# Host routes come from 10.100.0.0/14 and fd00:100::/104: room for 100,000 and more, clear of the link subnets.
FIRST = {"ipv4": ipaddress.IPv4Address("10.100.0.0"), "ipv6": ipaddress.IPv6Address("fd00:100::")}


def prefixes(family, n):
    first = FIRST[family]
    return [str(first + i) for i in range(n)]


class RunFailed(Exception):
    pass


def run_once(bed, options, label, family, n, rep):
    """Runs one measurement and returns its record; failures are recorded with how far the run got."""
    work = os.path.join(options.work, f"{label}-{family}-{n}-{rep}-{int(time.time())}")
    os.makedirs(work)
    addresses = prefixes(family, n)
    prefix_file = os.path.join(work, "prefixes.txt")
    with open(prefix_file, "w") as f:
        f.write("\n".join(addresses) + "\n")
    ctx = Context(bed, work, family, addresses, prefix_file, options.hold, options)
    speaker = ADAPTERS[label](ctx)
    receiver = Receiver(bed, work, family, options.hold)
    record = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "speaker": label, "family": family, "n": n,
        "rep": rep, "hold_s": options.hold, "poll_ms": options.poll_ms, "loadavg": os.getloadavg()[0],
        "kernel": platform.release(), "work": work, "ok": False, "error": None, "phase": "prepare",
    }
    poll = options.poll_ms / 1000.0
    capture = Capture(bed, work) if options.capture else None
    try:
        record["version"] = speaker.version()
        speaker.prepare()
        receiver.start()
        if capture:
            capture.start()

        # Announce: start -> Established -> all N routes.
        record["phase"] = "announce"
        t_start = time.monotonic()
        speaker.start()
        t_est = t_all = None
        state, count = "?", 0
        deadline = t_start + options.timeout
        while True:
            state, count = receiver.status()
            now = time.monotonic()
            if state == "Established" and t_est is None:
                t_est = now
            if state == "Established" and count >= n:
                t_all = now
                break
            _check_alive(speaker, state, count, n)
            if now > deadline:
                raise RunFailed(f"timeout after {options.timeout} s: receiver session {state}, {count} of {n} routes")
            time.sleep(poll)
        record["start_to_est_s"] = round(t_est - t_start, 4)
        record["est_to_all_s"] = round(t_all - t_est, 4)
        record["start_to_all_s"] = round(t_all - t_start, 4)

        record["phase"] = "verify"
        _verify(receiver, ctx, addresses)
        session = speaker.session_process
        converged = testbed.proc_status(session.pid) if session.poll() is None else None
        if converged:
            record["rss_converged_mib"] = round(converged["hwm_kib"] / 1024, 2)
        time.sleep(options.settle)
        _wait_helpers(speaker, 30)
        state, count = receiver.status()
        if count != n or state != "Established":
            raise RunFailed(f"after {options.settle} s the receiver has {state}, {count} of {n} routes")

        # Withdraw: from the moment the speaker is told, until the receiver holds none of the routes.
        record["phase"] = "withdraw"
        t_withdraw = time.monotonic()
        speaker.withdraw()
        deadline = t_withdraw + options.timeout
        left_established = False
        while True:
            state, count = receiver.status()
            now = time.monotonic()
            if state != "Established":
                left_established = True
            if count == 0:
                break
            _check_alive(speaker, state, count, n)
            if now > deadline:
                raise RunFailed(f"withdrawal timeout after {options.timeout} s: {state}, {count} of {n} routes left")
            time.sleep(poll)
        record["withdraw_s"] = round(now - t_withdraw, 4)
        record["withdraw_session_stayed_up"] = not left_established
        if left_established:
            raise RunFailed("the session left Established during withdrawal: routes went with the session")
        _wait_helpers(speaker, options.timeout)
        record["phase"] = "done"
        record["ok"] = True
    except Exception as error:  # recorded, and the benchmark goes on
        record["error"] = f"{type(error).__name__}: {error}"
    finally:
        _record_memory(record, speaker)
        speaker.stop()
        receiver.stop()
        if capture:
            capture.stop()
            record["capture"] = capture.summary(ctx.local_ip, ctx.ipv6)
            record["capture"]["pcap"] = capture.path
        if record["ok"] and not options.keep and not capture:
            shutil.rmtree(work, ignore_errors=True)
    return record


def _check_alive(speaker, state, count, n):
    for name, process in speaker.procs.items():
        if process.poll() is not None:
            raise RunFailed(f"{name} exited ({process.returncode}) with the receiver at {state}, {count} of {n} "
                            f"routes (see {speaker.ctx.path(name + '.out')})")
    problems = speaker.failed_helpers()
    if problems:
        raise RunFailed("; ".join(problems))


def _wait_helpers(speaker, timeout):
    deadline = time.monotonic() + timeout
    while speaker.helpers_running():
        if time.monotonic() > deadline:
            raise RunFailed(f"a helper command still runs after {timeout} s")
        time.sleep(0.02)
    problems = speaker.failed_helpers()
    if problems:
        raise RunFailed("; ".join(problems))


def _verify(receiver, ctx, addresses):
    """The receiver's table holds exactly N routes; the first and last carry AS path = the speaker's AS and next hop
    = the speaker's address."""
    total = receiver.table_count()
    if total != len(addresses):
        raise RunFailed(f"the receiver's table holds {total} routes, expected {len(addresses)}")
    for address in (addresses[0], addresses[-1]):
        text = receiver.route(f"{address}/{ctx.length}")
        if f"BGP.as_path: {ctx.local_as}" not in text:
            raise RunFailed(f"{address}: unexpected AS path in\n{text}")
        if f"BGP.next_hop: {ctx.local_ip}" not in text:
            raise RunFailed(f"{address}: next hop is not {ctx.local_ip} in\n{text}")


def _record_memory(record, speaker):
    """Peak RSS (VmHWM) of every process of the speaker, read before it is stopped."""
    procs = {}
    for name, process in speaker.procs.items():
        status = testbed.proc_status(process.pid) if process.poll() is None else None
        if status:
            procs[name] = status
    record["procs"] = procs
    try:
        session = speaker.session_process
    except (KeyError, NotImplementedError):
        session = None
    name = next((k for k, v in speaker.procs.items() if v is session), None)
    if name in procs:
        # VmHWM is folded in lazily by the kernel (on unmap, exit), so a later reading can be a little lower than
        # an earlier one: the peak is the larger of the two readings.
        record["rss_mib"] = max(round(procs[name]["hwm_kib"] / 1024, 2), record.get("rss_converged_mib", 0))
        record["cpu_s"] = procs[name]["cpu_s"]
    if procs:
        record["rss_all_mib"] = round(sum(p["hwm_kib"] for p in procs.values()) / 1024, 2)
