"""l2-bench run | report: the command line."""

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "scripts", "l2-lab"))

import l2lab  # noqa: E402

from . import report  # noqa: E402
from .bench import Bench, loadavg, log  # noqa: E402

PHASES = ("latency", "failover", "handover", "memory", "keepalived")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="l2-bench", description="Layer 2 benchmark (docs/layer2-benchmark.md)")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="measure, write JSON under --results, print the tables")
    run.add_argument("--lbd", default=os.path.join(REPO, ".build-release/release/lbd"), help="lbd binary")
    run.add_argument("--runs", type=int, default=5, help="runs per latency scenario and per failure mode")
    run.add_argument("--only", default=None,
                     help=f"comma-separated phases ({', '.join(PHASES)}); default all (keepalived when installed)")
    run.add_argument("--count", type=int, default=30, help="ARP/NS requests per latency run")
    run.add_argument("--tuned-interval", default="10ms", help="heartbeat interval of the tuned settings")
    run.add_argument("--tuned-dead-after", type=int, default=3, help="deadAfter of the tuned settings")
    run.add_argument("--turnaround", action="store_true",
                     help="also time each answerer's own request-in → reply-out on its eth0 with tcpdump")
    run.add_argument("--quiet", type=float, default=6.0,
                     help="seconds between settling and the latency runs (the takeover's gratuitous repeats end)")
    run.add_argument("--memory-runs", type=int, default=1, help="runs per family of the memory phase")
    run.add_argument("--memory-settle", type=float, default=6.0,
                     help="seconds between 'all owned' and the final RSS reading (after the gratuitous repeats)")
    run.add_argument("--keepalived-advert-int", default="1", help="advert_int of the keepalived comparison")
    run.add_argument("--results", default=os.path.join(HERE, "results"),
                     help="results directory (JSON and the lab's logs), created if needed")
    run.add_argument("--note", default=None, help="free text recorded with the results (e.g. how lbd was built)")
    run.add_argument("--keep-lab", action="store_true", help="leave the lab's state directory (logs) in place")
    rep = sub.add_parser("report", help="print the tables of a results JSON file")
    rep.add_argument("file")
    args = parser.parse_args(argv)
    if args.command == "report":
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        with open(args.file) as f:
            print(report.markdown(json.load(f)))
        return 0
    return run_command(args)


def run_command(args):
    if os.geteuid() != 0:
        sys.exit("l2-bench: needs root (network namespaces)")
    for tool in ("ip", "bridge"):
        if not shutil.which(tool):
            sys.exit(f"l2-bench: {tool} is missing: apt-get install iproute2")
    phases = [p.strip() for p in args.only.split(",")] if args.only else [
        p for p in PHASES if p != "keepalived" or shutil.which("keepalived")]
    unknown = [p for p in phases if p not in PHASES]
    if unknown:
        sys.exit(f"l2-bench: unknown phase(s) {', '.join(unknown)}; known: {', '.join(PHASES)}")
    if "keepalived" in phases and not shutil.which("keepalived"):
        sys.exit("l2-bench: keepalived is missing: apt-get install keepalived")
    needs_lbd = any(p != "keepalived" for p in phases)
    if args.turnaround and not shutil.which("tcpdump"):
        sys.exit("l2-bench: --turnaround needs tcpdump: apt-get install tcpdump")
    if needs_lbd and not os.access(args.lbd, os.X_OK):
        sys.exit(f"l2-bench: no lbd binary at {args.lbd}: run `swift build -c release --product lbd "
                 "--scratch-path .build-release` in the repository, or pass --lbd PATH")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    os.makedirs(args.results, exist_ok=True)
    out_file = os.path.join(args.results, f"l2-bench-{stamp}.json")
    lab = l2lab.Lab(prefix=f"lbd-l2bench-{os.getpid()}", state_dir=os.path.join(args.results, f"lab-{stamp}"))
    meta = {"started": stamp, "runs": args.runs, "phases": phases, "kernel": platform.release(),
            "cpus": os.cpu_count(), "load_start": loadavg(), "lbd": os.path.abspath(args.lbd),
            "commit": git(["rev-parse", "--short", "HEAD"]), "lbd_version": lbd_version(args.lbd) if needs_lbd else None,
            "note": args.note, "tuned": {"heartbeat": {"interval": args.tuned_interval, "deadAfter": args.tuned_dead_after}}}
    document = {"meta": meta, "records": []}

    def interrupted(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, interrupted)
    status = 0
    try:
        log(f"lab lbd-l2bench-{os.getpid()}-*: building (state and logs in {lab.state_dir})")
        lab.create()
        bench = Bench(lab, args.lbd, args)
        groups = [("default", {}), ("tuned", meta["tuned"])]
        if "latency" in phases:
            document["records"] += bench.run_latency()
        modes = [m for p, ms in (("failover", ("kill", "linkdown", "isolate")), ("handover", ("sigterm",)))
                 if p in phases for m in ms]
        if modes:
            document["records"] += bench.run_failover(modes, groups)
        if "memory" in phases:
            document["records"] += bench.run_memory()
        if "keepalived" in phases:
            bench.stop_all_lbd()
            document["records"] += bench.run_keepalived(args.keepalived_advert_int)
    except KeyboardInterrupt:
        log("interrupted: stopping what the benchmark started")
        status = 130
    except Exception as error:  # keep what was measured; say what broke
        log(f"failed: {type(error).__name__}: {error}")
        status = 1
    finally:
        lab.destroy(remove_state=not args.keep_lab and status == 0)
        meta["load_end"] = loadavg()
        meta["finished"] = time.strftime("%Y%m%d-%H%M%S")
        with open(out_file, "w") as f:
            json.dump(document, f, indent=1)
    print()
    print(report.markdown(document))
    print(f"\nresults: {out_file}" + ("" if status == 0 and not args.keep_lab else f"; lab logs: {lab.state_dir}"))
    return status


def git(args):
    try:
        return subprocess.run(["git", "-C", REPO, *args], capture_output=True, text=True).stdout.strip() or None
    except OSError:
        return None


def lbd_version(binary):
    try:
        out = subprocess.run([binary, "version"], capture_output=True, text=True, timeout=10).stdout.strip()
        return out.splitlines()[0] if out else None
    except (OSError, subprocess.TimeoutExpired):
        return None
