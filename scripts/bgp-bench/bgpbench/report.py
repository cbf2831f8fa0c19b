"""Markdown tables of medians from the JSON lines of runs, and the issue's targets checked against them."""

import json
import statistics

ORDER = ["lbd", "lbd-notice", "gobgp", "frr", "frr-c0", "bird"]


def load(paths):
    records = []
    for path in paths:
        with open(path) as f:
            records += [json.loads(line) for line in f if line.strip()]
    return records


def _median(values):
    return statistics.median(values) if values else None


def _cell(values, digits, ranges):
    if not values:
        return "–"
    text = f"{_median(values):.{digits}f}"
    if ranges and len(values) > 1:
        text += f" ({min(values):.{digits}f}–{max(values):.{digits}f})"
    return text


def summarize(records):
    """{(speaker, family, n): {metric: [values of ok runs]}, 'failed': count}"""
    groups = {}
    for r in records:
        g = groups.setdefault((r["speaker"], r["family"], r["n"]), {"failed": 0, "errors": []})
        if not r.get("ok"):
            g["failed"] += 1
            g["errors"].append(r.get("error"))
            continue
        for metric in ("start_to_est_s", "est_to_all_s", "start_to_all_s", "withdraw_s", "rss_mib", "rss_all_mib",
                       "cpu_s"):
            if r.get(metric) is not None:
                g.setdefault(metric, []).append(r[metric])
    return groups


def markdown(records, ranges=False):
    groups = summarize(records)
    speakers = sorted({k[0] for k in groups}, key=lambda s: (ORDER.index(s) if s in ORDER else 99, s))
    families = [f for f in ("ipv4", "ipv6") if any(k[1] == f for k in groups)]
    ns = sorted({k[2] for k in groups})
    out = []
    runs = len(records)
    ok = sum(1 for r in records if r.get("ok"))
    out.append(f"{ok} of {runs} runs succeeded. Cells: median over runs{' (min–max)' if ranges else ''}. "
               "Est→all = seconds from the receiver seeing the session Established until it holds all N routes; "
               "withdraw = seconds from telling the speaker to withdraw until the receiver holds none; "
               "RSS = peak RSS (VmHWM) of the process holding the session, MiB.")
    for family in families:
        title = "IPv4 (/32 over an IPv4 session)" if family == "ipv4" else "IPv6 (/128 in MP_REACH_NLRI over IPv6)"
        out += ["", f"**{title}**", ""]
        header = ["speaker"]
        for n in ns:
            header += [f"N={n:,} Est→all s", "withdraw s", "RSS MiB"]
        out.append("| " + " | ".join(header) + " |")
        out.append("|---|" + "---:|" * (len(header) - 1))
        for s in speakers:
            row = [s]
            for n in ns:
                g = groups.get((s, family, n), {})
                suffix = f" ⚠{g['failed']} failed" if g.get("failed") else ""
                row += [_cell(g.get("est_to_all_s"), 3, ranges) + suffix, _cell(g.get("withdraw_s"), 3, ranges),
                        _cell(g.get("rss_mib"), 1, ranges)]
            out.append("| " + " | ".join(row) + " |")
    out += ["", "Start → Established (median s; connect policy, not speed: GoBGP waits 5–9 s by design):", ""]
    out.append("| speaker | " + " | ".join(f"{f} N={n:,}" for f in families for n in ns) + " |")
    out.append("|---|" + "---:|" * (len(families) * len(ns)))
    for s in speakers:
        out.append(f"| {s} | " + " | ".join(_cell(groups.get((s, f, n), {}).get("start_to_est_s"), 2, False)
                                            for f in families for n in ns) + " |")
    out += targets(groups, speakers, families, ns)
    errors = [(k, e) for k, g in groups.items() for e in g["errors"]]
    if errors:
        out += ["", "Failed runs:", ""]
        out += [f"- {k[0]} {k[1]} N={k[2]:,}: {e}" for k, e in errors]
    return "\n".join(out)


def targets(groups, speakers, families, ns):
    """Issue 3's targets: lbd at least as fast as the fastest other speaker at every N (Established → all) and
    lbd's peak RSS at most 1.5 × BIRD's."""
    if "lbd" not in speakers:
        return []
    out = ["", "Targets (issue 3):", ""]
    for family in families:
        for n in ns:
            lbd = groups.get(("lbd", family, n), {})
            lbd_time, lbd_rss = _median(lbd.get("est_to_all_s", [])), _median(lbd.get("rss_mib", []))
            others = [(s, _median(groups.get((s, family, n), {}).get("est_to_all_s", []))) for s in speakers
                      if not s.startswith("lbd")]
            others = [(s, t) for s, t in others if t is not None]
            line = f"- {family} N={n:,}: "
            if lbd_time is None:
                out.append(line + "no successful lbd run")
                continue
            if others:
                fastest, best = min(others, key=lambda x: x[1])
                verdict = "met" if lbd_time <= best else "NOT met"
                line += f"speed {verdict} (lbd {lbd_time:.3f} s, fastest other {fastest} {best:.3f} s)"
            bird_rss = _median(groups.get(("bird", family, n), {}).get("rss_mib", []))
            if bird_rss and lbd_rss:
                verdict = "met" if lbd_rss <= 1.5 * bird_rss else "NOT met"
                line += f"; RSS {verdict} (lbd {lbd_rss:.1f} MiB, 1.5 × BIRD = {1.5 * bird_rss:.1f} MiB)"
            out.append(line)
    return out
