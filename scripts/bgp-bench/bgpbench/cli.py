"""bgp-bench run | report: the command line."""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time

from . import report, testbed
from .runner import run_once
from .speakers import ADAPTERS

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_SPEAKERS = "lbd,gobgp,frr,frr-c0,bird"
REQUIREMENTS = {
    "bird": ["bird", "birdc"], "frr": ["/usr/lib/frr/bgpd", "/usr/lib/frr/zebra", "vtysh"],
    "frr-c0": ["/usr/lib/frr/bgpd", "/usr/lib/frr/zebra", "vtysh"], "gobgp": ["gobgpd"], "lbd": [], "lbd-notice": [],
}
PACKAGES = {"bird": "bird2", "birdc": "bird2", "/usr/lib/frr/bgpd": "frr", "/usr/lib/frr/zebra": "frr",
            "vtysh": "frr", "gobgpd": "gobgpd", "go": "golang-go"}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="bgp-bench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="measure, append JSON lines to --out, print the markdown report")
    run.add_argument("--speakers", default=DEFAULT_SPEAKERS, help=f"comma-separated ({', '.join(ADAPTERS)})")
    run.add_argument("--n", default="1000,10000,100000", help="route counts, comma-separated")
    run.add_argument("--families", default="ipv4,ipv6")
    run.add_argument("--reps", type=int, default=3, help="runs per speaker, family and N (the median is reported)")
    run.add_argument("--out", default=None, help="JSON lines file (default /tmp/lbd-bgp-bench/results-TIME.jsonl)")
    run.add_argument("--work", default="/tmp/lbd-bgp-bench/runs", help="run directories (kept when a run fails)")
    run.add_argument("--keep", action="store_true", help="keep every run directory")
    run.add_argument("--capture", action="store_true",
                     help="tcpdump each run on the receiver's veth (kept in the run directory) and summarise the "
                          "speaker's UPDATEs with tshark; costs CPU, so not for the timing tables")
    run.add_argument("--hold", type=int, default=9, help="hold time of both sides, s (keepalive = hold / 3)")
    run.add_argument("--poll-ms", type=float, default=10, help="receiver polling interval, ms")
    run.add_argument("--timeout", type=float, default=180, help="per phase, s")
    run.add_argument("--settle", type=float, default=1.0, help="pause between convergence and withdrawal, s")
    run.add_argument("--lbd", default=os.path.join(REPO, ".build-release/release/lbd"), help="lbd binary")
    run.add_argument("--lbd-log-level", default="info")
    run.add_argument("--gobgp-inject", default=None, help="gobgp-inject binary (default: built on first use)")
    run.add_argument("--gobgp-batch", type=int, default=1000, help="paths per AddPathStream request")
    rep = sub.add_parser("report", help="print the markdown report of JSON lines files")
    rep.add_argument("files", nargs="+")
    rep.add_argument("--ranges", action="store_true", help="add (min–max) to every cell")
    args = parser.parse_args(argv)
    if args.command == "report":
        print(report.markdown(report.load(args.files), ranges=args.ranges))
        return 0
    return run_command(args)


def run_command(args):
    if os.geteuid() != 0:
        sys.exit("bgp-bench: needs root (network namespaces)")
    speakers = [s.strip() for s in args.speakers.split(",") if s.strip()]
    unknown = [s for s in speakers if s not in ADAPTERS]
    if unknown:
        sys.exit(f"bgp-bench: unknown speaker(s) {', '.join(unknown)}; known: {', '.join(ADAPTERS)}")
    missing = sorted({tool for s in speakers for tool in REQUIREMENTS[s] + ["bird", "birdc"]
                      if not shutil.which(tool)})
    if missing:
        packages = sorted({PACKAGES.get(t, t) for t in missing})
        sys.exit(f"bgp-bench: missing {', '.join(missing)}: apt-get install {' '.join(packages)}")
    if any(s.startswith("lbd") for s in speakers) and not os.access(args.lbd, os.X_OK):
        sys.exit(f"bgp-bench: no lbd binary at {args.lbd}: run `swift build -c release --product lbd "
                 "--scratch-path .build-release` in the repository, pass --lbd PATH, or leave lbd out of --speakers")
    if args.capture and not (shutil.which("tcpdump") and shutil.which("tshark")):
        sys.exit("bgp-bench: --capture needs tcpdump and tshark: apt-get install tcpdump tshark")
    if "gobgp" in speakers and not args.gobgp_inject:
        args.gobgp_inject = build_injector()
    ns = [int(x) for x in args.n.split(",")]
    families = [f.strip() for f in args.families.split(",")]
    os.makedirs(args.work, exist_ok=True)
    args.out = args.out or time.strftime("/tmp/lbd-bgp-bench/results-%Y%m%d-%H%M%S.jsonl")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)

    # SIGTERM/SIGHUP unwind like Ctrl-C, so the finally below kills our processes and removes the namespaces.
    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)

    bed = testbed.Testbed()
    records = []
    total = len(ns) * len(families) * args.reps * len(speakers)
    try:
        bed.up()
        index = 0
        for n in ns:
            for family in families:
                for rep in range(1, args.reps + 1):
                    for label in speakers:  # interleaved, so slow drifts of the machine's load hit all alike
                        index += 1
                        record = run_once(bed, args, label, family, n, rep)
                        records.append(record)
                        with open(args.out, "a") as f:
                            f.write(json.dumps(record) + "\n")
                        print(progress(index, total, record), file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        print("bgp-bench: interrupted; cleaning up", file=sys.stderr)
        return 130
    finally:
        bed.down()
        if records:
            print(report.markdown(records))
            print(f"\nraw runs: {args.out}")
    return 0


def progress(index, total, r):
    if r["ok"]:
        what = (f"est→all {r['est_to_all_s']:.3f} s, withdraw {r['withdraw_s']:.3f} s, "
                f"RSS {r.get('rss_mib', 0):.1f} MiB (start→est {r['start_to_est_s']:.2f} s)")
    else:
        what = f"FAILED in {r['phase']}: {r['error']} (run dir {r['work']})"
    if "capture" in r:
        what += "\n    capture: " + ", ".join(f"{k} {v}" for k, v in r["capture"].items())
    return f"[{index}/{total}] {r['speaker']} {r['family']} N={r['n']:,} #{r['rep']}: {what}"


def build_injector():
    """Builds gobgp-inject (GOPATH mode, Debian's Go packages) into a cache directory when missing or stale."""
    source = os.path.join(HERE, "gobgp-inject")
    cache = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "lbd-bgp-bench")
    binary = os.path.join(cache, "gobgp-inject")
    newest = max(os.path.getmtime(os.path.join(source, f)) for f in os.listdir(source))
    if os.access(binary, os.X_OK) and os.path.getmtime(binary) >= newest:
        return binary
    if not shutil.which("go"):
        sys.exit("bgp-bench: building gobgp-inject needs Go: apt-get install golang-go "
                 "golang-github-osrg-gobgp-dev golang-github-golang-protobuf-1-5-dev")
    gopath = "/usr/share/gocode"
    if not os.path.isdir(os.path.join(gopath, "src/github.com/osrg/gobgp/api")):
        sys.exit("bgp-bench: building gobgp-inject needs GoBGP's API package: apt-get install "
                 "golang-github-osrg-gobgp-dev golang-github-golang-protobuf-1-5-dev")
    os.makedirs(cache, exist_ok=True)
    env = dict(os.environ, GO111MODULE="off", GOPATH=gopath, GOCACHE=os.path.join(cache, "go-build"),
               GOFLAGS="")
    print("bgp-bench: building gobgp-inject", file=sys.stderr)
    result = subprocess.run(["go", "build", "-o", binary, "."], cwd=source, env=env, capture_output=True,
                            text=True)
    if result.returncode != 0:
        sys.exit(f"bgp-bench: building gobgp-inject failed:\n{result.stderr}")
    return binary
