"""bench/LOAD.md from a locust run: `python load/report.py STATS_CSV DATABASE USERS SPAWN_RATE
DURATION LEARNERS`, where STATS_CSV is the *_stats.csv locust wrote. One row per request type
and the overall one: requests, failures, requests per second, p50, p95 and p99 in ms; the
target is p95 under 1 s. The file keeps one section per database kind (SQLite, PostgreSQL):
a run replaces its own."""

import csv
import os
import platform
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

TARGET_MS = 1000
OUT = Path(__file__).resolve().parent.parent / "bench" / "LOAD.md"
INTRO = """# Load test (issue 19)

`make load` (load/run.sh; `make load LOAD_DB=postgresql` for PostgreSQL): locust, headless,
9 learners to 1 trainer, against gunicorn (2 workers x 4 threads) on a throwaway database
with `flask demo` data, after a 20 s warm-up. Learners sign in and work through a module: the
module page, each lesson viewed and marked done, the quiz started, each page of answers saved
and saved again on the way to the review, submitted, each scenario played from a new run to
its ending, then again. Trainers open their cohorts' dashboards (filters, sorting, pages) and
learners' records. 1-4 s between acts. Locust runs on the same machine. Times include the
redirect a POST answers with (the page the person sees next). Target: p95 under 1 s.
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


def rows(path: str) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def line(row: dict) -> str:
    name = "**all requests**" if row["Name"] == "Aggregated" else f"{row['Type']} {row['Name']}"
    rate = float(row["Requests/s"])
    counts = f"{row['Request Count']} | {row['Failure Count']} | {rate:.1f}"
    return f"| {name} | {counts} | {row['50%']} | {row['95%']} | {row['99%']} |"


def section(stats: list[dict], database: str, settings: str) -> str:
    overall = next(r for r in stats if r["Name"] == "Aggregated")
    body = sorted((r for r in stats if r["Name"] != "Aggregated"), key=lambda r: r["Name"])
    worst = max(body, key=lambda r: float(r["95%"] or 0))
    p95 = float(overall["95%"])
    verdict = "met" if p95 < TARGET_MS else "NOT met"
    table = "\n".join(line(r) for r in [*body, overall])
    return f"""## {database.split()[0]}

- {database}; {settings}
- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {machine()}
- Load average at the end: {" ".join(f"{x:.1f}" for x in os.getloadavg())}
- Overall p95: {p95:.0f} ms; target p95 < {TARGET_MS} ms: **{verdict}** (slowest type at p95:
  {worst["Type"]} {worst["Name"]}, {worst["95%"]} ms)

| Request | Requests | Failures | Req/s | p50 ms | p95 ms | p99 ms |
|---|---:|---:|---:|---:|---:|---:|
{table}
"""


def merged(existing: str, new: str) -> str:
    """INTRO, then the sections of `existing` with the one of the same name as `new`
    replaced (or `new` added)."""
    sections = {m.group(1): m.group(0) for m in re.finditer(r"^## (\S+)\n.*?(?=^## |\Z)",
                                                            existing, re.S | re.M)}  # fmt: skip
    sections[new.split("\n", 1)[0][3:]] = new
    return INTRO + "".join(f"\n{text.strip()}\n" for _, text in sorted(sections.items()))


def main() -> None:
    path, database, users, rate, duration, learners = sys.argv[1:7]
    settings = (f"{users} users spawned {rate}/s, {duration}; "
                f"`flask demo --learners {learners}`")  # fmt: skip
    new = section(rows(path), database, settings)
    OUT.write_text(merged(OUT.read_text() if OUT.exists() else "", new))
    print(new)


if __name__ == "__main__":
    main()
