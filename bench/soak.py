#!/usr/bin/env python3
"""The soak's sampler, drain wait and report (bench/soak.sh; stdlib only).

  soak.py sample FILE [--once]   every SAMPLE_SECONDS from SOAK_STARTED until killed (or once), one
                                 JSON line: each context's RSS and PSS, outbox backlog, consumer lag
  soak.py drain SECONDS          waits until every outbox is drained and every consumer has caught
                                 up; exits 1 if that takes longer
  soak.py report DIR OUT STARTED LABEL
                                 reads DIR's wrk results and samples, checks every projection against
                                 its source, writes OUT.md and OUT.svg and prints the report; exits 1
                                 on an error, a mismatch, an undrained outbox or memory over its limits

The consumer lag is what an operator's Prometheus would show: for each context, the events its
consumer's topics had published (events_published_total of every context) less those it applied,
skipped as duplicates or dead-lettered. The bench stack's only publishers are the four contexts.
"""
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

CONTEXTS = ["profiles", "engagement", "support", "loyalty"]
COLOURS = {"profiles": "#1f77b4", "engagement": "#2ca02c", "support": "#d62728", "loyalty": "#9467bd"}
MEMORY_LIMIT_MB = float(os.environ.get("MEMORY_LIMIT_MB", "64"))
GROWTH_LIMIT_MB = float(os.environ.get("GROWTH_LIMIT_MB", "2"))


def psql(sql):
    """Rows of SQL on the bench database, as lists of strings."""
    command = ["psql", "-X", "-q", "-tA", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-h", os.environ["STACK_DIR"] + "/pg/run",
               "-p", os.environ["PG_PORT"], "-U", "postgres", "-d", os.environ.get("DATABASE_NAME", "lomash_wood_customer"), "-c", sql]
    if os.getuid() == 0:
        command = ["runuser", "-u", "postgres", "--"] + command
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def memory_kb(context):
    """(RSS, PSS) of the context's server in KiB."""
    with open(f"{os.environ['STACK_DIR']}/services/{context}.pid") as f:
        pid = f.readline().strip()
    with open(f"/proc/{pid}/smaps_rollup") as f:
        fields = dict(line.split()[:2] for line in f if line.split()[0] in ("Rss:", "Pss:"))
    return int(fields["Rss:"]), int(fields["Pss:"])


METRIC = re.compile(r'^(events_(?:published|consumed|duplicate|dead_lettered)_total)\{topic="([^"]+)"\} ([0-9.e+]+)$', re.M)


def event_counters():
    """{context: {metric: {topic: value}}} from each context's /metrics."""
    counters = {}
    for context in CONTEXTS:
        port = os.environ[context.upper() + "_PORT"]
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        counters[context] = {}
        for name, topic, value in METRIC.findall(text):
            counters[context].setdefault(name, {})[topic] = float(value)
    return counters


def consumer_lag(counters):
    published = {}
    for context in CONTEXTS:
        for topic, value in counters[context].get("events_published_total", {}).items():
            published[topic] = published.get(topic, 0) + value
    lag = {}
    for context in CONTEXTS:
        own = counters[context]
        done = {}
        for name in ("events_consumed_total", "events_duplicate_total", "events_dead_lettered_total"):
            for topic, value in own.get(name, {}).items():
                done[topic] = done.get(topic, 0) + value
        lag[context] = int(sum(max(0, published.get(topic, 0) - done.get(topic, 0)) for topic in own.get("events_consumed_total", {})))
    return lag


def outboxes():
    """{context: [unpublished rows, seconds the oldest has waited]}."""
    sql = " UNION ALL ".join(
        f"SELECT '{c}', count(*), coalesce(extract(epoch FROM clock_timestamp() - min(created_at)), 0) FROM {c}.outbox WHERE published_at IS NULL"
        for c in CONTEXTS)
    return {row[0]: [int(row[1]), round(float(row[2]), 1)] for row in psql(sql)}


def sample(started):
    memory = {c: memory_kb(c) for c in CONTEXTS}
    return {"t": round(time.time() - started), "rss_kb": {c: m[0] for c, m in memory.items()}, "pss_kb": {c: m[1] for c, m in memory.items()},
            "outbox": outboxes(), "consumer_lag": consumer_lag(event_counters())}


def run_sampler(path, once):
    """Samples into path every SAMPLE_SECONDS from SOAK_STARTED (epoch seconds), or once."""
    interval, started = float(os.environ.get("SAMPLE_SECONDS", "30")), float(os.environ["SOAK_STARTED"])
    with open(path, "a") as out:
        while True:
            out.write(json.dumps(sample(started)) + "\n")
            out.flush()
            if once:
                return
            time.sleep(max(0, interval - (time.time() - started) % interval))


def drained():
    return all(rows == 0 for rows, _ in outboxes().values()) and not any(consumer_lag(event_counters()).values())


def drain(seconds):
    deadline = time.time() + seconds
    while not drained():
        if time.time() > deadline:
            sys.exit(1)
        time.sleep(1)


# Each projection against its source, after the drain: (what, rows checked, rows that differ).
# Seeded rows were written without events, so only what the soak wrote is checked: accounts with
# a ledger entry, every wishlist, tickets created and profiles updated since the soak started.
def projection_checks(started):
    checks = {
        "loyalty summaries (profiles) = accounts (loyalty)": f"""
            SELECT count(*), count(*) FILTER (WHERE s.user_id IS NULL
                   OR (s.points, s.lifetime_points, s.tier) IS DISTINCT FROM (a.points_balance, a.lifetime_points, a.tier))
                   + (SELECT count(*) FROM profiles.loyalty_summaries s2 WHERE NOT EXISTS (SELECT 1 FROM loyalty.accounts a2 WHERE a2.user_id = s2.user_id))
            FROM loyalty.accounts a LEFT JOIN profiles.loyalty_summaries s USING (user_id)
            WHERE EXISTS (SELECT 1 FROM loyalty.transactions t WHERE t.user_id = a.user_id)""",
        "wishlist counts (profiles) = wishlist items (engagement)": """
            SELECT count(*), count(*) FILTER (WHERE s.user_id IS NULL OR s.item_count <> w.item_count OR w.item_count <> i.items)
                   + (SELECT count(*) FROM profiles.wishlist_summaries s2 WHERE NOT EXISTS (SELECT 1 FROM engagement.wishlists w2 WHERE w2.user_id = s2.user_id))
            FROM engagement.wishlists w LEFT JOIN profiles.wishlist_summaries s USING (user_id)
            LEFT JOIN (SELECT user_id, count(*) AS items FROM engagement.wishlist_items GROUP BY user_id) i USING (user_id)""",
        "portal tickets (profiles) = tickets (support)": f"""
            SELECT count(*), count(*) FILTER (WHERE p.ticket_id IS NULL
                   OR (p.user_id, p.ticket_ref, p.subject, p.status, p.priority) IS DISTINCT FROM (t.user_id, t.ticket_ref, t.subject, t.status, t.priority))
                   + (SELECT count(*) FROM profiles.support_tickets p2 WHERE NOT EXISTS (SELECT 1 FROM support.tickets t2 WHERE t2.id = p2.ticket_id))
            FROM support.tickets t LEFT JOIN profiles.support_tickets p ON p.ticket_id = t.id
            WHERE t.created_at >= '{started}'""",
        "reviewer and referrer names (engagement, loyalty) = profiles": f"""
            SELECT count(*), count(*) FILTER (WHERE (e.first_name, e.last_name) IS DISTINCT FROM (p.first_name, p.last_name)
                                                 OR (l.first_name, l.last_name) IS DISTINCT FROM (p.first_name, p.last_name))
            FROM profiles.profiles p LEFT JOIN engagement.customer_names e USING (user_id) LEFT JOIN loyalty.customer_names l USING (user_id)
            WHERE p.updated_at >= '{started}'""",
    }
    return [(what, *map(int, psql(sql)[0])) for what, sql in checks.items()]


RESULT = re.compile(r"RESULT requests/s=(\d+) p50_ms=([\d.]+) p99_ms=([\d.]+) errors=(\d+) non2xx=(\d+) requests=(\d+)")


def routes(directory):
    """[(route, requests/s, p50, p99, errors, non-2xx, requests)] from each wrk's output."""
    rows = []
    for name in sorted(os.listdir(directory)):
        if name.endswith(".wrk"):
            with open(os.path.join(directory, name)) as f:
                route, text = f.readline().strip(), f.read()
            match = RESULT.search(text)
            if not match:
                rows.append((route, 0, 0, 0, 1, 0, 0))
                continue
            rps, p50, p99, errors, non2xx, requests = match.groups()
            rows.append((route, int(rps), float(p50), float(p99), int(errors), int(non2xx), int(requests)))
    return rows


def slope(points):
    """Least-squares slope of (x, y) points."""
    n = len(points)
    mx, my = sum(x for x, _ in points) / n, sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0


def growth(samples, soak_seconds):
    """{context: (RSS rise, PSS rise)} in MB over the load's last third, by a line fitted to its samples."""
    last = [s for s in samples if 2 * soak_seconds / 3 <= s["t"] <= soak_seconds + 5]
    if len(last) < 3:
        return {}
    span = last[-1]["t"] - last[0]["t"]
    return {c: tuple(slope([(s["t"], s[kind][c] / 1024) for s in last]) * span for kind in ("rss_kb", "pss_kb")) for c in CONTEXTS}


def plot(samples, soak_seconds, path):
    """RSS (solid) and PSS (dashed) of each context over time, with the limit, as an SVG."""
    width, height, left, bottom, top, right = 760, 320, 50, 40, 20, 150
    t_max = max(s["t"] for s in samples) or 1
    y_max = max(MEMORY_LIMIT_MB * 1.25, max(v / 1024 for s in samples for v in s["rss_kb"].values()) * 1.1)
    x = lambda t: left + (width - left - right) * t / t_max
    y = lambda mb: height - bottom - (height - bottom - top) * mb / y_max
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
             f'<rect width="{width}" height="{height}" fill="white"/>']
    for mb in range(0, int(y_max) + 1, 16):
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(mb):.1f}" y2="{y(mb):.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{y(mb) + 4:.1f}" text-anchor="end">{mb}</text>')
    step = 60 if t_max <= 900 else 300
    for t in range(0, int(t_max) + 1, step):
        parts.append(f'<text x="{x(t):.1f}" y="{height - bottom + 16}" text-anchor="middle">{t}</text>')
    parts.append(f'<text x="{(left + width - right) / 2}" y="{height - 6}" text-anchor="middle">seconds (load until {soak_seconds} s)</text>'
                 f'<text x="12" y="{top + 10}" >MB</text>'
                 f'<line x1="{x(soak_seconds):.1f}" x2="{x(soak_seconds):.1f}" y1="{top}" y2="{height - bottom}" stroke="#999" stroke-dasharray="2,3"/>'
                 f'<line x1="{left}" x2="{width - right}" y1="{y(MEMORY_LIMIT_MB):.1f}" y2="{y(MEMORY_LIMIT_MB):.1f}" stroke="#f80" stroke-dasharray="6,3"/>'
                 f'<text x="{left + 6}" y="{y(MEMORY_LIMIT_MB) - 4:.1f}" fill="#f80">limit {MEMORY_LIMIT_MB:.0f} MB</text>')
    for i, c in enumerate(CONTEXTS):
        for kind, dash in (("rss_kb", ""), ("pss_kb", ' stroke-dasharray="5,3"')):
            points = " ".join(f"{x(s['t']):.1f},{y(s[kind][c] / 1024):.1f}" for s in samples)
            parts.append(f'<polyline points="{points}" fill="none" stroke="{COLOURS[c]}" stroke-width="1.5"{dash}/>')
        parts.append(f'<text x="{width - right + 6}" y="{top + 40 + 16 * i}" fill="{COLOURS[c]}">{c}</text>')
    parts.append(f'<text x="{width - right + 6}" y="{top + 120}">solid RSS, dashed PSS</text></svg>')
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


def report(directory, out, started, label):
    soak_seconds = int(os.environ.get("SOAK_SECONDS", "600"))
    with open(os.path.join(directory, "samples.jsonl")) as f:
        samples = [json.loads(line) for line in f if line.strip()]
    failures = []
    lines = [f"# bench/soak.sh, {started}, commit {label}", "",
             f"Every route at once through the gateway for {soak_seconds} s (wrk, one per route), then the events drained.", "",
             "| route | requests | requests/s | p50 | p99 | errors | non-2xx |", "|---|---|---|---|---|---|---|"]
    for route, rps, p50, p99, errors, non2xx, requests in routes(directory):
        lines.append(f"| {route} | {requests:,} | {rps:,} | {p50:.2f} ms | {p99:.2f} ms | {errors} | {non2xx} |")
        if errors or non2xx or not requests:
            failures.append(f"{route}: {errors} errors, {non2xx} non-2xx answers, {requests} requests")
    lines += ["", "Each context's RSS / PSS (MB), outbox backlog (unpublished rows, oldest's wait) and consumer lag (events published",
              "to its topics, not yet applied), sampled every " + os.environ.get("SAMPLE_SECONDS", "30") + " s; the last row is after the drain.", "",
              "| s | " + " | ".join(CONTEXTS) + " | outbox backlog | consumer lag |", "|---" * (len(CONTEXTS) + 3) + "|"]
    for s in samples:
        memory = " | ".join(f"{s['rss_kb'][c] / 1024:.0f} / {s['pss_kb'][c] / 1024:.0f}" for c in CONTEXTS)
        backlog = ", ".join(f"{c[0]} {rows} ({wait:.0f} s)" for c, (rows, wait) in s["outbox"].items() if rows) or "0"
        lag = ", ".join(f"{c[0]} {n}" for c, n in s["consumer_lag"].items() if n) or "0"
        lines.append(f"| {s['t']} | {memory} | {backlog} | {lag} |")
    lines.append("")
    for c in CONTEXTS:
        rss, pss = max(s["rss_kb"][c] for s in samples) / 1024, max(s["pss_kb"][c] for s in samples) / 1024
        lines.append(f"- {c}: peak RSS {rss:.1f} MB, peak PSS {pss:.1f} MB")
        if max(rss, pss) > MEMORY_LIMIT_MB:
            failures.append(f"{c}: peak RSS {rss:.1f} MB / PSS {pss:.1f} MB over the {MEMORY_LIMIT_MB:.0f} MB limit")
    lines.append("")
    lines.append(f"Growth over the load's last third (a line fitted to its samples; limit {GROWTH_LIMIT_MB:.0f} MB):")
    lines.append("")
    rises = growth(samples, soak_seconds)
    if not rises:
        failures.append("too few samples in the load's last third to tell whether memory still grows")
    for c, (rss, pss) in rises.items():
        lines.append(f"- {c}: RSS {rss:+.1f} MB, PSS {pss:+.1f} MB")
        if max(rss, pss) > GROWTH_LIMIT_MB:
            failures.append(f"{c}: memory still grows over the last third (RSS {rss:+.1f} MB, PSS {pss:+.1f} MB)")
    final = samples[-1]
    for c, (rows, _) in final["outbox"].items():
        if rows:
            failures.append(f"{c}: {rows} outbox rows still unpublished after the drain")
    for c, n in final["consumer_lag"].items():
        if n:
            failures.append(f"{c}: its consumer still {n} events behind after the drain")
    lines += ["", "Projections against their sources, after the drain:", ""]
    for what, checked, differing in projection_checks(started):
        lines.append(f"- {what}: {checked:,} rows checked, {differing} differ")
        if differing or not checked:
            failures.append(f"{what}: {differing} of {checked} rows differ")
    lines += ["", f"![RSS and PSS over time]({os.path.basename(out)}.svg)", "",
              "**Result: " + ("passed" if not failures else "FAILED") + "**" + "".join(f"\n- {f}" for f in failures)]
    plot(samples, soak_seconds, out + ".svg")
    with open(out + ".md", "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"written to {out}.md and {out}.svg", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "sample":
        run_sampler(sys.argv[2], "--once" in sys.argv)
    elif command == "drain":
        drain(float(sys.argv[2]))
    elif command == "report":
        sys.exit(report(*sys.argv[2:6]))
    else:
        sys.exit(__doc__)
