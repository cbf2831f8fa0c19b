"""The tables printed after a run (and by `l2-bench report FILE`), with the issue's targets checked."""

import statistics

TARGETS = {"latency_us": 100, "default_ms": 500, "tuned_ms": 60, "handover_lost": 0, "memory_mib": 30}


def percentile(values, p):
    """Nearest-rank percentile."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
    return ordered[rank - 1]


def med_range(values, digits=0):
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    f = f"{{:.{digits}f}}"
    return f"**{f.format(statistics.median(values))}** [{f.format(min(values))}–{f.format(max(values))}]"


def latency_table(records):
    rows = []
    lines = ["| answered by | family | median µs | p90 | p99 | run medians | requests | unanswered | duplicates |",
             "|---|---|---:|---:|---:|---|---:|---:|---:|"]
    keys = []
    for r in records:
        key = (r["answerer"], r["family"])
        if key not in keys:
            keys.append(key)
    for answerer, family in sorted(keys, key=lambda k: (k[1], k[0] != "kernel")):
        runs = [r for r in records if (r["answerer"], r["family"]) == (answerer, family)]
        samples = [x for r in runs for x in r["rtt_us"]]
        run_medians = [statistics.median(r["rtt_us"]) for r in runs if r["rtt_us"]]
        label = "kernel (address on n1's eth0)" if answerer == "kernel" else f"lbd ({runs[0]['expected_node']}, address on lo)"
        med = statistics.median(samples) if samples else float("nan")
        rows.append((answerer, family, med))
        lines.append(f"| {label} | {family} | **{med:.0f}** | {percentile(samples, 90):.0f} | "
                     f"{percentile(samples, 99):.0f} | {min(run_medians):.0f}–{max(run_medians):.0f} | "
                     f"{len(samples) + sum(r['unanswered'] for r in runs)} | {sum(r['unanswered'] for r in runs)} | "
                     f"{sum(r['duplicates'] for r in runs)} |")
    return lines, rows


def failover_table(records):
    lines = ["| settings | failure | new owner | takeover ms (IPv4) | outage ms (IPv4) | old kept serving ms | "
             "lost (IPv4) | takeover ms (IPv6) | lost (IPv6) | runs |",
             "|---|---|---|---|---|---|---|---|---|---:|"]
    groups = []
    for r in records:
        key = (r["settings"], r["mode"])
        if key not in groups:
            groups.append(key)
    summary = {}
    for settings, mode in groups:
        runs = [r for r in records if (r["settings"], r["mode"]) == (settings, mode)]
        owners = sorted({r["ipv4"].get("new_owner") or "none" for r in runs})
        takeover = [r["ipv4"].get("takeover_ms") for r in runs]
        lines.append(f"| {settings} | {mode} | {', '.join(owners)} | {med_range(takeover)} | "
                     f"{med_range([r['ipv4'].get('outage_ms') for r in runs])} | "
                     f"{med_range([r['ipv4'].get('old_kept_serving_ms') for r in runs])} | "
                     f"{med_range([r['ipv4']['lost'] for r in runs])} | "
                     f"{med_range([r['ipv6'].get('takeover_ms') for r in runs])} | "
                     f"{med_range([r['ipv6']['lost'] for r in runs])} | {len(runs)} |")
        summary[(settings, mode)] = runs
    return lines, summary


def split(runs):
    """Median RssAnon / RssFile / RssShmem in MiB, when recorded."""
    if any("rss_anon_kib" not in r for r in runs):
        return "–"
    return " / ".join(f"{statistics.median(r[k] for r in runs) / 1024:.1f}"
                      for k in ("rss_anon_kib", "rss_file_kib", "rss_shmem_kib"))


def memory_table(records):
    lines = ["| addresses | family | VmHWM MiB | VmRSS MiB | of which anonymous / files / shared | VmRSS when all "
             "owned | all owned after s | answered (first, middle, last) | runs |",
             "|---:|---|---:|---:|---|---:|---:|---|---:|"]
    out = {}
    for family in ("ipv4", "ipv6"):
        runs = [r for r in records if r["family"] == family]
        if not runs:
            continue
        hwm = statistics.median(r["vmhwm_kib"] for r in runs) / 1024
        out[family] = hwm
        answered = all(v == ["n1"] for r in runs for v in r["answers"].values())
        groups = runs[0].get("solicited_node_groups")
        lines.append(f"| {runs[0]['addresses']} | {family} | **{hwm:.1f}** | "
                     f"{statistics.median(r['vmrss_kib'] for r in runs) / 1024:.1f} | "
                     f"{split(runs)} | "
                     f"{statistics.median(r['vmrss_kib_at_announced'] for r in runs) / 1024:.1f} | "
                     f"{statistics.median(r['announced_s'] for r in runs):.2f} | "
                     f"{'yes, by n1 only' if answered else 'NO: ' + str(runs[0]['answers'])}"
                     f"{f'; {groups} solicited-node groups joined' if groups is not None else ''} | {len(runs)} |")
    return lines, out


def markdown(document):
    records = document["records"]
    meta = document.get("meta", {})
    out = []
    if meta:
        out.append(f"{meta.get('lbd_version') or 'lbd ?'} (commit {meta.get('commit', '?')}), kernel "
                   f"{meta.get('kernel', '?')}, {meta.get('cpus', '?')} CPUs; load average at start "
                   f"{meta.get('load_start')}, at end {meta.get('load_end')}; runs {meta.get('runs')}")
        if meta.get("note"):
            out.append(f"Note: {meta['note']}")
        out.append("")
    verdicts = []
    latency = [r for r in records if r["phase"] == "latency"]
    if latency:
        lines, rows = latency_table(latency)
        out += ["### Reply latency (client, kernel timestamps)", ""] + lines + [""]
        for answerer, family, med in rows:
            if answerer == "lbd":
                verdicts.append(f"latency {family}: lbd median {med:.0f} µs (target ≤ {TARGETS['latency_us']}): "
                                + ("met" if med <= TARGETS["latency_us"] else "NOT MET"))
    turnaround = [r for r in records if r["phase"] == "turnaround"]
    if turnaround:
        out += ["On-node turnaround (request in → reply out on the answering node's eth0, tcpdump; the tap adds "
                "10–15 µs to each):", ""]
        out += ["| answered by | family | median µs | p90 | requests |", "|---|---|---:|---:|---:|"]
        for r in sorted(turnaround, key=lambda r: (r["family"], r["answerer"] != "kernel")):
            v = r["turnaround_us"]
            out.append(f"| {r['answerer']} ({r['node']}) | {r['family']} | "
                       f"{statistics.median(v) if v else float('nan'):.0f} | {percentile(v, 90):.0f} | {len(v)} |")
        out.append("")
    failover = [r for r in records if r["phase"] in ("failover", "handover")]
    if failover:
        lines, summary = failover_table(failover)
        out += ["### Failover and handover (UDP probes every 10 ms)", ""] + lines + [""]
        for (settings, mode), runs in summary.items():
            if mode == "sigterm":
                lost = max(max(r["ipv4"]["lost"], r["ipv6"]["lost"]) for r in runs)
                verdicts.append(f"handover ({settings}): at most {lost} probe(s) lost in a run (target 0): "
                                + ("met" if lost == 0 else "NOT MET"))
            elif settings in ("default", "tuned"):
                limit = TARGETS["default_ms" if settings == "default" else "tuned_ms"]
                values = [r["ipv4"].get("takeover_ms") for r in runs]
                worst = max((v if v is not None else float("inf")) for v in values)
                med = statistics.median(v if v is not None else float("inf") for v in values)
                verdicts.append(f"failover {settings} {mode}: takeover median {med:.0f} ms, max {worst:.0f} ms "
                                f"(target ≤ {limit}): " + ("met" if med <= limit else "NOT MET")
                                + ("" if worst <= limit else " (some runs above)"))
    idle = [r for r in records if r["phase"] == "idle_cpu"]
    if idle:
        out.append("Idle CPU of each node (steady state, heartbeats only, " + f"{idle[0]['seconds']:.0f} s): " + "; ".join(
            f"{r['settings']}: " + ", ".join(f"{n} {v:.1f} %" for n, v in sorted(r["cpu_percent"].items()))
            for r in idle))
        out.append("")
    memory = [r for r in records if r["phase"] == "memory"]
    if memory:
        lines, hwm = memory_table(memory)
        out += ["### Memory: one node answering for 1,000 addresses", ""] + lines + [""]
        for family, value in hwm.items():
            verdicts.append(f"memory {family}: VmHWM {value:.1f} MiB (target ≤ {TARGETS['memory_mib']}): "
                            + ("met" if value <= TARGETS["memory_mib"] else "NOT MET"))
    for r in idle:
        if r.get("rss"):
            out.append(f"RSS of the lab's nodes (one service, settings '{r['settings']}', steady): " + ", ".join(
                f"{n} VmHWM {v['vmhwm_kib'] / 1024:.1f} / VmRSS {v['vmrss_kib'] / 1024:.1f} MiB"
                + (f" (anonymous {v['rss_anon_kib'] / 1024:.1f}, files {v['rss_file_kib'] / 1024:.1f}, shared "
                   f"{v['rss_shmem_kib'] / 1024:.1f})" if "rss_anon_kib" in v else "")
                for n, v in sorted(r["rss"].items())))
            out.append("")
    recoveries = [r for r in records if r["phase"] == "recovery"]
    if recoveries:
        out += ["### Recoveries (the lab did not converge by itself; lbd was restarted everywhere)", ""]
        out += [f"- {r['settings']}, after {r.get('after')}: {r['reason']}" for r in recoveries] + [""]
    if verdicts:
        out += ["### Targets", ""] + [f"- {v}" for v in verdicts]
    return "\n".join(out)
