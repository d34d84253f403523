"""Instructions per request, counted by callgrind: a measure of a page's cost that does not move
with whatever else the machine runs (requests per second on a shared 2-core machine do).

`make bench-instructions`, or .venv/bin/python bench/instructions.py [--requests 20]
[--only lesson,module] [--compare REV] [--write --label "after"].

It prepares a SQLite database as `make bench` does (bench/prepare.py), then sends each page's
request through the WSGI app in one process under `valgrind --tool=callgrind`, no server and no
network: the count is the app's own work (Flask, the session, the database, the template). Each
batch of requests is fenced by two calls of os.getppid(), on which callgrind dumps its counters
(--dump-before=getppid), so that start-up and warm-up are not counted. Pooled pages (a quiz
submission, a scenario choice) use a new learner's request each time, as in `make bench`.

With --compare REV the same is counted for the commit REV (checked out in a temporary git
worktree, against the same database), and the table shows both with the change.
"""

import argparse
import gc
import io
import os
import sqlite3
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from werkzeug.test import EnvironBuilder

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import BASELINES, PAGES, RESULTS, machine, prepare, write_floor_request  # noqa: E402

PYTHON = str(ROOT / ".venv" / "bin" / "python")
# (request file, share of --requests counted): the slow pages count fewer.
COUNTED = [
    ("floor", 1.0),
    ("lesson", 1.0),
    ("module", 1.0),
    ("catalogue", 1.0),
    ("my-training", 1.0),
    ("quiz-save", 1.0),
    ("quiz-submit", 1.0),
    ("scenario-choice", 1.0),
    ("verify", 1.0),
    ("dashboard", 0.3),
    ("certificate-pdf", 0.3),
]
POOLED = {"quiz-submit", "scenario-choice"}
# Every counted response must have its page's status in `make bench` (a 400 or a redirect to the
# sign-in page would count the wrong work).
EXPECTED = {page.requests: page.expect for page in BASELINES + PAGES} | {"floor": 200}
WARM_UP = 5


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20, help="requests counted per page")
    parser.add_argument("--only", type=lambda v: v.split(","), default=None)
    parser.add_argument("--compare", metavar="REV", help="count the commit REV too")
    parser.add_argument("--write", action="store_true", help="append the table to RESULTS.md")
    parser.add_argument("--label", default="Instructions")
    # Inside callgrind: the checkout to count, the prepared folder, "page:requests,...".
    parser.add_argument("--measure", nargs=3, help=argparse.SUPPRESS)
    return parser.parse_args()


# Inside callgrind ------------------------------------------------------------------------------


def measure_inside(repo: str, workdir: Path, plan: list[tuple[str, int]]) -> None:
    """Send each page's requests through the app of `repo`; fence each batch with getppid."""
    sys.path.insert(0, repo)
    from flask_login import current_user, login_required

    import trainer
    from trainer import create_app

    if not trainer.__file__.startswith(repo):
        raise SystemExit(f"counting {repo}, but trainer was imported from {trainer.__file__}")

    app = create_app({"VERIFY_RATE_LIMIT": "1000000 per minute"})

    # bench/floor.py's page, written here again: the counted commit's own bench/ may predate it,
    # and its app keeps the verification page's rate limit.
    @app.route("/bench/floor")
    @login_required
    def floor():
        return f"signed in: {current_user.id}"

    for page, count in plan:
        requests = [environ(line) for line in request_lines(workdir, page)]
        pooled = page in POOLED
        if pooled and len(requests) < WARM_UP + count:
            raise SystemExit(f"{page}: {len(requests)} pooled requests, {WARM_UP + count} needed")
        for n in range(WARM_UP):
            call(app, requests[n if pooled else 0])
        # Every batch starts from an empty garbage collector: else a full collection that the
        # pages before left due falls inside one batch and not in the other commit's.
        gc.collect()
        os.getppid()  # callgrind dumps here: what came before is not counted
        statuses = {call(app, requests[WARM_UP + n if pooled else 0]) for n in range(count)}
        os.getppid()
        print(f"{page}\t{count}\t{' '.join(sorted(statuses))}", flush=True)


def request_lines(workdir: Path, page: str) -> list[list[str]]:
    lines = (workdir / "requests" / f"{page}.txt").read_text().splitlines()
    return [line.split("\t") for line in lines if line]


def environ(fields: list[str]) -> tuple[dict, bytes]:
    method, path, cookie, body = fields[:4]
    headers = {"Cookie": cookie, "User-Agent": "trainer-bench", "Host": "127.0.0.1"}
    if len(fields) > 4 and fields[4]:
        headers["Accept"] = fields[4]
    data = body.encode() if body != "-" else b""
    form = {"data": data, "content_type": "application/x-www-form-urlencoded"} if data else {}
    parts = urlsplit(path)
    built = EnvironBuilder(
        path=parts.path, query_string=parts.query, method=method, headers=headers, **form
    ).get_environ()
    # The session is bound to the address and agent bench/prepare.py signed it for.
    return {**built, "REMOTE_ADDR": "127.0.0.1"}, data


def call(app, request: tuple[dict, bytes]) -> str:
    """The response's status code."""
    environ_, data = request
    statuses = []
    response = app(
        {**environ_, "wsgi.input": io.BytesIO(data)}, lambda s, h, e=None: statuses.append(s)
    )
    b"".join(response)
    response.close()
    return statuses[-1].split()[0]


# Outside -----------------------------------------------------------------------------------------


def count(repo: Path, workdir: Path, env: dict, plan: list[tuple[str, int]]) -> dict[str, float]:
    """page -> instructions per request, counted for the app of `repo`."""
    out = Path(tempfile.mkdtemp(prefix="trainer-callgrind-"))
    args = [
        "valgrind", "--tool=callgrind", "--dump-before=getppid",
        f"--callgrind-out-file={out / 'callgrind.out'}",
        PYTHON, __file__, "--measure", str(repo), str(workdir),
        ",".join(f"{page}:{n}" for page, n in plan),
    ]  # fmt: skip
    database = {"DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}"}
    process = subprocess.run(args, env={**env, **database}, capture_output=True, text=True)
    if process.returncode != 0:
        raise SystemExit(f"callgrind run failed:\n{process.stdout}\n{process.stderr[-3000:]}")
    results = {}
    # Dumps are numbered from 1; page k's counted batch is dump 2k (dump 2k-1 holds what came
    # before it: start-up, or the previous page's warm-up).
    for k, line in enumerate(process.stdout.splitlines(), start=1):
        page, n, status = line.split("\t")
        if status != str(EXPECTED[page]):
            raise SystemExit(f"{repo}: {page} answered {status}, not {EXPECTED[page]} every time")
        totals = (out / f"callgrind.out.{2 * k}").read_text().split("\ntotals:")[1].split()[0]
        results[page] = int(totals) / int(n)
    return results


def copy_of(workdir: Path, name: str) -> Path:
    """A folder with a copy of the prepared database (SQLite's online backup, which copies the
    write-ahead log's pages too) and the prepared requests."""
    folder = workdir / name
    folder.mkdir()
    origin, copy = sqlite3.connect(workdir / "bench.db"), sqlite3.connect(folder / "bench.db")
    try:
        origin.backup(copy)
    finally:
        origin.close()
        copy.close()
    (folder / "requests").symlink_to(workdir / "requests")
    return folder


def worktree(rev: str) -> Path:
    """The commit REV in a temporary worktree, with this checkout's compiled translations."""
    folder = Path(tempfile.mkdtemp(prefix="trainer-rev-")) / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(folder), rev],
                   check=True)  # fmt: skip
    for catalogue in ROOT.glob("translations/*/LC_MESSAGES/*.mo"):
        target = folder / catalogue.relative_to(ROOT)
        target.write_bytes(catalogue.read_bytes())
    return folder


def table(label: str, now: dict, then: dict | None, rev: str | None) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"## {label} — {when}",
        "",
        f"Machine: {machine()}. Instructions per request counted by callgrind "
        "(bench/instructions.py), in process on SQLite: no server, no network.",
        "",
    ]
    if then is None:
        lines += ["| page | k instructions / request |", "|---|---:|"]
        lines += [f"| {page} | {n / 1000:,.0f} |" for page, n in now.items()]
    else:
        lines += [
            f"| page | {rev} (k) | this checkout (k) | change |",
            "|---|---:|---:|---:|",
        ]
        for page, n in now.items():
            before = then[page]
            change = (n - before) / before * 100
            lines.append(f"| {page} | {before / 1000:,.0f} | {n / 1000:,.0f} | {change:+.1f}% |")
    return "\n".join(lines) + "\n"


def main() -> int:
    args = parse_args()
    if args.measure:
        repo, folder, specs = args.measure
        plan = [(spec.split(":")[0], int(spec.split(":")[1])) for spec in specs.split(",")]
        measure_inside(repo, Path(folder), plan)
        return 0
    pages = [(p, share) for p, share in COUNTED if args.only is None or p in args.only]
    plan = [(page, max(1, round(args.requests * share))) for page, share in pages]
    from bench.prepare import SAVERS  # imports trainer: here, never inside callgrind

    # The first SAVERS pooled learners' attempts are only ever saved, the rest submitted.
    pool = SAVERS + WARM_UP + max(n for _page, n in plan)
    workdir = Path(tempfile.mkdtemp(prefix="trainer-bench-count-"))
    env = {
        **os.environ,
        "SECRET_KEY": "bench-secret",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
        "PYTHONPATH": str(ROOT),
        "BENCH_LESSON_HTML": str(workdir / "lesson.html"),
    }
    prepare(env, workdir, pool)
    write_floor_request(workdir / "requests")
    # Each count runs on its own copy (SQLite's backup) of the prepared database: the pooled
    # requests are used up by a count, and both counts read the same pages in the same order.
    then = None
    if args.compare:
        tree = worktree(args.compare)
        try:
            then = count(tree, copy_of(workdir, "then"), env, plan)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)])
    now = count(ROOT, copy_of(workdir, "now"), env, plan)
    text = table(args.label, now, then, args.compare)
    print(text)
    if args.write:
        with RESULTS.open("a") as results:
            results.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
