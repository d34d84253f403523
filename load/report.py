"""bench/LOAD.md from a locust run: `python load/report.py SAMPLES DATABASE USERS SPAWN_RATE
DURATION LEARNERS`, where SAMPLES is the CSV load/locustfile.py wrote (every request's time).
One row per request type and the overall one: requests, failures, requests per second, p50,
p95 and p99 over the whole run, and p95 after the ramp-up (once every simulated person has
signed in); the target is p95 under 1 s. The file keeps one section per database kind
(SQLite, PostgreSQL): a run replaces its own."""

import csv
import os
import platform
import re
import sys
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

TARGET_MS = 1000
SIGN_IN = "POST sign in"
OUT = Path(__file__).resolve().parent.parent / "bench" / "LOAD.md"
INTRO = """# Load test (issue 19)

`make load` (load/run.sh; `make load LOAD_DB=postgresql` for PostgreSQL): locust, headless,
9 learners to 1 trainer, against gunicorn (2 workers x 4 threads) on a throwaway database
with `flask demo` data, after a 20 s warm-up. Learners sign in and work through a module: the
module page, each lesson viewed and marked done, the quiz started, each page of answers saved
and saved again on the way to the review, submitted, each scenario played from a new run to
its ending, then again. Trainers open their cohorts' dashboards (filters, sorting, pages) and
learners' records. 1-4 s between acts. Locust runs on the same machine, which other jobs share
(the load average is given). Times include the redirect a POST answers with (the page the
person sees next). "After ramp-up" leaves out the first seconds, while people are still
arriving and signing in (a password hash costs about 0.1 s of CPU each, 10 a second).
Target: p95 under 1 s.
"""


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    models = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({models[0] if models else platform.processor()}), "
        f"{memory:.0f} GB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (0 for no values)."""
    if not values:
        return 0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def read(path: str) -> list[tuple[float, str, float, bool]]:
    """[(at, request, ms, failed)]."""
    with open(path, newline="") as handle:
        return [
            (float(r["at"]), r["request"], float(r["ms"]), r["failed"] == "1")
            for r in csv.DictReader(handle)
        ]


def ramp_end(samples: list, users: int) -> float:
    """When the last simulated person had signed in (never, if some did not)."""
    signed = sorted(s[0] for s in samples if s[1] == SIGN_IN and not s[3])
    return signed[-1] if len(signed) >= users else float("inf")


def table(spawned: float, samples: list) -> tuple[str, dict]:
    seconds = max(s[0] for s in samples) - min(s[0] for s in samples) or 1
    groups = defaultdict(list)
    for sample in samples:
        groups[sample[1]].append(sample)
    groups["**all requests**"] = samples
    lines, stats = [], {}
    for name in [*sorted(n for n in groups if not n.startswith("*")), "**all requests**"]:
        group = groups[name]
        times = [s[2] for s in group]
        later = [s[2] for s in group if s[0] >= spawned]
        row = {
            "requests": len(group),
            "failures": sum(s[3] for s in group),
            "rate": len(group) / seconds,
            **{p: percentile(times, p / 100) for p in (50, 95, 99)},
            "later": percentile(later, 0.95) if later else None,
        }
        stats[name] = row
        later_text = f"{row['later']:.0f}" if row["later"] is not None else "–"
        lines.append(
            f"| {name} | {row['requests']} | {row['failures']} | {row['rate']:.1f} | "
            f"{row[50]:.0f} | {row[95]:.0f} | {row[99]:.0f} | {later_text} |"
        )
    return "\n".join(lines), stats


def section(spawned: float, samples: list, database: str, settings: str) -> str:
    rows, stats = table(spawned, samples)
    overall = stats["**all requests**"]
    verdict = "met" if overall[95] < TARGET_MS else "not met"
    later = "met" if (overall["later"] or 0) < TARGET_MS else "not met"
    ramp = min(spawned, max(s[0] for s in samples)) - min(s[0] for s in samples)
    if spawned == float("inf"):
        later = "not measured: some simulated people never signed in"
    run = (
        f"- run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: p95 {overall[95]:.0f} ms, after the "
        f"ramp-up {overall['later'] or 0:.0f} ms, load average {os.getloadavg()[0]:.1f}"
    )
    return f"""## {database.split()[0]}

Every run so far (the table is the latest's):

{run}

- {database}; {settings}
- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {machine()}
- Load average at the end (1, 5, 15 min): {" ".join(f"{x:.1f}" for x in os.getloadavg())}
- Overall p95: {overall[95]:.0f} ms, target < {TARGET_MS} ms {verdict}; after the ramp-up
  (the first {ramp:.0f} s left out): {overall["later"] or 0:.0f} ms, {later}

| Request | Requests | Failures | Req/s | p50 ms | p95 ms | p99 ms | p95 after ramp-up |
|---|---:|---:|---:|---:|---:|---:|---:|
{rows}
"""


def merged(existing: str, new: str) -> str:
    """INTRO, then the sections of `existing` with the one of the same name as `new`
    replaced (or `new` added)."""
    found = re.finditer(r"^## (\S+)\n.*?(?=^## |\Z)", existing, re.S | re.M)
    sections = {m.group(1): m.group(0) for m in found}
    name = new.split("\n", 1)[0][3:]
    earlier = re.findall(r"^- run .*$", sections.get(name, ""), re.M)
    latest = re.search(r"^- run .*$", new, re.M).group(0)
    sections[name] = new.replace(latest, "\n".join([*earlier, latest]), 1)
    return INTRO + "".join(f"\n{text.strip()}\n" for _, text in sorted(sections.items()))


def main() -> None:
    path, database, users, rate, duration, learners = sys.argv[1:7]
    settings = (f"{users} users spawned {rate}/s, {duration}; "
                f"`flask demo --learners {learners}`")  # fmt: skip
    samples = read(path)
    if not samples:
        sys.exit("no request was made: see locust's output above")
    new = section(ramp_end(samples, int(users)), samples, database, settings)
    OUT.write_text(merged(OUT.read_text() if OUT.exists() else "", new))
    print(new)


if __name__ == "__main__":
    main()
