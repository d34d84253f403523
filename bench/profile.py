"""Profile one benchmarked page in process with pyinstrument (a dev extra).

`python bench/profile.py WORKDIR PAGE [REQUESTS]`: WORKDIR is a folder bench/prepare.py filled
(bench/run.py prints it, /tmp/trainer-bench-*), PAGE a request file there (lesson, module,
catalogue, my-training, dashboard, verify...), with DATABASE_URL and SECRET_KEY as for the run.
The first request of the file is sent REQUESTS times (default 200) through Flask's test client,
after a warm-up, and pyinstrument prints where the time went.
"""

import sys
from pathlib import Path
from urllib.parse import parse_qsl

from pyinstrument import Profiler
from werkzeug.datastructures import MultiDict

from trainer import create_app

USER_AGENT = "trainer-bench"


def main() -> None:
    workdir, page = Path(sys.argv[1]), sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    fields = (workdir / "requests" / f"{page}.txt").read_text().splitlines()[0].split("\t")
    method, path, cookie, body = fields[:4]
    app = create_app({"VERIFY_RATE_LIMIT": "1000000 per minute"})
    client = app.test_client()
    headers = {"User-Agent": USER_AGENT}
    if cookie != "-":
        name, _, value = cookie.partition("=")
        client.set_cookie(name, value)
    data = MultiDict(parse_qsl(body)) if body != "-" else None
    if len(fields) > 4 and fields[4]:
        headers["Accept"] = fields[4]

    def send():
        response = client.open(path, method=method, headers=headers, data=data)
        if response.status_code >= 400:
            raise SystemExit(f"{path}: {response.status_code}")

    for _ in range(5):
        send()
    profiler = Profiler(interval=0.0005)
    with profiler:
        for _ in range(count):
            send()
    print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
