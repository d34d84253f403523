"""Load benchmark: Trainer's pages against a bare Flask "hello" app, measured in the same run.

Both apps run under gunicorn with the same settings; wrk drives 50 concurrent connections at each
on loopback. Usage: `make bench` (or .venv/bin/python bench/run.py --seconds 10).
"""

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = [str(ROOT / ".venv" / "bin" / "gunicorn"), "--workers", "2", "--threads", "4"]
TARGETS = {"lesson page (signed in)": 0.50}  # page -> share of the baseline it must reach


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(app_spec: str, env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [*GUNICORN, "--bind", f"127.0.0.1:{port}", app_spec],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/healthz" if "trainer" in app_spec else url, timeout=1)
            return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{app_spec} did not start")


def wrk(url: str, seconds: int, cookie: str | None = None) -> float:
    command = ["wrk", "-t", "2", "-c", "50", "-d", f"{seconds}s", "--latency", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        raise SystemExit(f"{url}: {non_2xx.group(1)} failed responses\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def check_signed_in(url: str, cookie: str) -> None:
    """The measured page must be the real lesson, not a redirect to the sign-in page."""
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=5) as response:
        if response.url != url or "lesson-body" not in response.read().decode():
            raise SystemExit("the benchmark session is not signed in")


def prepare(env: dict) -> tuple[str, str]:
    """A database with the example module and a signed-in learner; returns (cookie, lesson path)."""
    script = """
import sys
from trainer import create_app
from trainer.accounts import create_user
from trainer.content.sync import sync_modules
from trainer.extensions import db
from trainer.models import Profession
from flask_migrate import upgrade
from pathlib import Path
app = create_app({"WTF_CSRF_ENABLED": False})
with app.app_context():
    upgrade()
    sync_modules([Path("tests/fixtures/modules/example-module")])
    create_user("bench@example.org", "Нагрузочный Тест", "bench-password-1",
                profession=Profession.POLICE)
    db.session.commit()
client = app.test_client()
client.post("/login", data={"email": "bench@example.org", "password": "bench-password-1"})
client.get("/learn/example-module/lessons/intro")
print("session=" + client.get_cookie("session").value)
"""
    out = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-c", script],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.strip().splitlines()[-1], "/learn/example-module/lessons/intro"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="trainer-bench-"))
    env = {
        **os.environ,
        "SECRET_KEY": "bench-secret",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
        "PYTHONPATH": str(ROOT),
    }
    cookie, lesson = prepare(env)
    results = {}
    baseline, base_url = serve("bench.hello:app", env)
    try:
        results["bare Flask hello"] = wrk(base_url + "/", args.seconds)
    finally:
        baseline.terminate()
    trainer, url = serve("trainer:create_app()", env)
    try:
        check_signed_in(url + lesson, cookie)
        results["lesson page (signed in)"] = wrk(url + lesson, args.seconds, cookie)
    finally:
        trainer.terminate()
    base = results["bare Flask hello"]
    failed = False
    for page, rps in results.items():
        share = rps / base
        target = TARGETS.get(page)
        verdict = "" if target is None else (" ok" if share >= target else f" BELOW {target:.0%}")
        failed |= target is not None and share < target
        print(f"{page:28} {rps:9.1f} req/s  {share:6.1%} of baseline{verdict}")
    print(json.dumps({k: round(v, 1) for k, v in results.items()}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
