"""The benchmark's database and sessions, made once per database before the servers start.

`python bench/prepare.py WORKDIR POOL` (DATABASE_URL and SECRET_KEY in the environment, as for the
server) migrates the database, syncs every module in modules/ and the example module, and makes:
- a judge (the learner whose pages are measured) with a lesson of the judges' module opened
  and the example module completed, hence a certificate;
- a trainer with a demo cohort of 1,000 learners (trainer/learning/demo_cohort.py);
- POOL police learners, each with an open attempt at the example quiz (some answers saved) and
  two runs of the example scenario waiting at their first decision: a quiz submission or a
  scenario choice is measured on each of them once, so that each one is real (the first SAVERS
  learners' attempts are the ones the autosave measurement saves again and again, never
  submitted);
- a live class session of the example scenario, open, that the first PHONES pooled learners have
  joined: their polls of its status are the room's phones (`bench/run.py --pollers`).
Sessions are signed as a sign-in makes them, without hashing a password per learner. It writes
WORKDIR/requests/<name>.txt (the lines bench/requests.lua reads), WORKDIR/lesson.html (the
lesson page as served, for the ceiling app) and WORKDIR/prepared.json.
"""

import json
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from flask import session
from flask_login import login_user
from flask_migrate import upgrade
from flask_wtf.csrf import generate_csrf
from sqlalchemy import insert, select
from werkzeug.datastructures import MultiDict

from trainer import create_app
from trainer.accounts import create_user
from trainer.classroom.views import SEATS
from trainer.content.sync import sync_modules
from trainer.extensions import db
from trainer.learning import attempts, classroom, grading, scenario_runs
from trainer.learning import progress as tracking
from trainer.learning.certificates import find_certificate
from trainer.learning.content import content_of
from trainer.learning.demo_cohort import create_demo_cohort
from trainer.learning.enrolment import unusable_password
from trainer.models import Module, Profession, Role, User
from trainer.models.types import utcnow

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "tests" / "fixtures" / "modules" / "example-module"
JUDGES = "maine-arkhangelsk-judges"
USER_AGENT = "trainer-bench"  # bench/requests.lua sends it; the session is bound to it
COHORT_LEARNERS = 1000
RUNS = 2  # scenario runs per pooled learner: choices are measured faster than submissions
PHONES = 40  # a room's participants, each polling the live session's status
# The first pooled learners' attempts are only ever saved, the others' only submitted: a save
# measured after the submissions (with the phones polling) must find its attempt still open.
SAVERS = 20


def signed_session(app, user: User, **remembered) -> tuple[str, str]:
    """(Cookie header value, CSRF token) of a fresh sign-in of `user` from wrk's address;
    `remembered` goes into the session as the app would put it there (a class seat)."""
    environ = {"REMOTE_ADDR": "127.0.0.1"}
    # A context of its own: Flask-WTF keeps the token on `g`, which an outer app context shares.
    headers = {"User-Agent": USER_AGENT}
    with app.app_context(), app.test_request_context(environ_base=environ, headers=headers):
        login_user(user)
        session.update(remembered)
        token = generate_csrf()
        cookie = app.session_interface.get_signing_serializer(app).dumps(dict(session))
    return f"{app.config['SESSION_COOKIE_NAME']}={cookie}", token


def module_named(slug: str) -> Module:
    return db.session.scalar(select(Module).where(Module.slug == slug))


def complete_example(user: User, module: Module) -> int:
    """Meet the example module's completion rule as its views do; the certificate's id."""
    progress = tracking.start(user, module)
    tracking.complete_lesson(progress, "intro")
    tracking.complete_lesson(progress, "at-the-scene")
    tracking.record_quiz_result(progress, "check", 100, True)
    tracking.record_scenario_result(progress, "call", 100)
    db.session.flush()
    return find_certificate(user.id, progress.module_version_id).id


def pool_learners(count: int) -> list[User]:
    now = utcnow()
    rows = [
        {
            "email": f"bench-{n}@example.org",
            "name": f"Нагрузочный Слушатель {n}",
            "password_hash": unusable_password(),
            "role": Role.LEARNER,
            "profession": Profession.POLICE,
            "search_key": f"bench-{n}@example.org",
            "created_at": now,
            "email_verified_at": now,
        }
        for n in range(count)
    ]
    ids = list(db.session.scalars(insert(User).returning(User.id), rows))
    return list(db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id)))


def some_answers(attempt) -> dict:
    """A form with an answer to each choice, true/false and numeric question of the attempt."""
    form = {}
    for question in attempts.questions_of(attempt):
        kind = type(grading.type_of(question)).__name__
        name = grading.field_name(question.id)
        if kind in ("SingleChoice", "MultipleChoice"):
            form[name] = question.options[0].id
        elif kind == "TrueFalse":
            form[name] = "true"
        elif kind == "Numeric":
            form[name] = "3"
    return form


def start_pool_learner(user: User, module: Module, scenario, now) -> tuple:
    """An open quiz attempt with answers saved, and RUNS scenario runs at their first decision."""
    progress = tracking.start(user, module)
    attempt = attempts.start(user, module, "check", now)
    form = some_answers(attempt)
    shown = [qid for qid in attempt.question_ids if grading.field_name(qid) in form]
    db.session.flush()  # the autosave reads the attempt's row, as its view does
    attempts.save_answers(attempts.open_sheet(attempt.id), shown, MultiDict(form), now, None)
    runs = []
    for _ in range(RUNS):
        run = scenario_runs.start_run(progress, scenario)
        while run.node_id != "decide":  # past the opening narrative
            scenario_runs.take_act(run, progress, scenario, run.steps, None, {})
        runs.append(run)
    return attempt, runs, form, shown


def line(method: str, path: str, cookie: str = "-", body: dict | None = None, accept="") -> str:
    return "\t".join([method, path, cookie, urlencode(body, doseq=True) if body else "-", accept])


def main() -> None:
    workdir, pool = Path(sys.argv[1]), int(sys.argv[2])
    started = time.monotonic()
    app = create_app()
    with app.app_context():
        upgrade()
        folders = sorted(p.parent for p in (ROOT / "modules").glob("*/module.yaml"))
        outcomes = sync_modules([*folders, EXAMPLE])
        refused = [str(o) for o in outcomes if o.status == "invalid"]
        if refused:
            raise SystemExit(f"modules refused by sync: {refused}")
        judge = create_user(
            "bench-judge@example.org", "Нагрузочный Судья", "bench-password-1",
            profession=Profession.JUDGE,
        )  # fmt: skip
        judge.email_verified_at = utcnow()
        trainer = create_user(
            "bench-trainer@example.org", "Нагрузочный Тренер", "bench-password-1", Role.TRAINER
        )
        example, judges = module_named("example-module"), module_named(JUDGES)
        certificate_id = complete_example(judge, example)
        cohort = create_demo_cohort(COHORT_LEARNERS, trainer)
        db.session.commit()
        scenario = content_of(example.latest_version).scenarios["call"]
        learners, now = pool_learners(pool), utcnow()
        pooled = [(user, *start_pool_learner(user, example, scenario, now)) for user in learners]
        live = classroom.start_session(trainer, example.latest_version, scenario)
        seats = [(user, classroom.join(live, user, "ru")[0]) for user in learners[:PHONES]]
        db.session.commit()
        lesson_id = content_of(judges.latest_version).meta.lessons[0].id
        code = find_certificate(judge.id, example.latest_version_id).code
        judge_cookie, _ = signed_session(app, judge)
        trainer_cookie, _ = signed_session(app, trainer)
        sessions = [(signed_session(app, user), rest) for user, *rest in pooled]
        cohort_id = cohort.id
        class_status = f"/class/{live.code}/status.json"
        # Each phone's cookie remembers its seat, as joining does (trainer/classroom/views.py).
        phones = [signed_session(app, u, **{SEATS: {str(live.id): s.id}})[0] for u, s in seats]

    # The text itself ("Continue to the lesson"), past the content warning if there is one.
    lesson = f"/learn/{JUDGES}/lessons/{lesson_id}?show=text"
    client = app.test_client()
    client.set_cookie("session", judge_cookie.split("=", 1)[1])
    page = client.get(lesson, headers={"User-Agent": USER_AGENT})
    if page.status_code != 200 or b"lesson-body" not in page.data:
        (workdir / "lesson-failed.html").write_bytes(page.data)
        raise SystemExit(f"the lesson page did not render for the judge: {page.status_code}")
    (workdir / "lesson.html").write_bytes(page.data)

    requests = workdir / "requests"
    requests.mkdir(exist_ok=True)
    single = {
        "lesson": line("GET", lesson, judge_cookie),
        "module": line("GET", f"/learn/{JUDGES}/", judge_cookie),
        "catalogue": line("GET", "/learn/", judge_cookie),
        "my-training": line("GET", "/learn/my", judge_cookie),
        "dashboard": line("GET", f"/cohorts/{cohort_id}/", trainer_cookie),
        "certificate-pdf": line("GET", f"/certificates/{certificate_id}/pdf", judge_cookie),
        "verify": line("GET", f"/verify/{code}"),
        "hello": line("GET", "/"),
    }
    for name, text in single.items():
        (requests / f"{name}.txt").write_text(text + "\n")
    saves, submissions = [], []
    # Every learner's first run, then every learner's second: wrk's threads take alternate lines,
    # and one learner's two runs side by side were two choices of one person at once, racing
    # for their progress row (4% of the choices were run again).
    choices = [[] for _ in range(RUNS)]
    for n, ((cookie, token), (attempt, runs, form, shown)) in enumerate(sessions):
        base = f"/learn/example-module/quizzes/check/attempts/{attempt.id}"
        revisions = {f"revision-{q}": 1 for q in shown}
        body = {"csrf_token": token, "page": 1, "go": "stay", **form, **revisions}
        if n < SAVERS:
            # Autosave re-sends the page's answers (unchanged here: a later one would be stale).
            saves.append(line("POST", base, cookie, body | {"shown": shown}, "application/json"))
        else:
            submissions.append(line("POST", f"{base}/submit", cookie, {"csrf_token": token}))
        for number, run in enumerate(runs):
            run_path = f"/learn/example-module/scenarios/call/runs/{run.id}"
            body = {"csrf_token": token, "step": run.steps, "choice": "separate"}
            choices[number].append(line("POST", run_path, cookie, body))
    (requests / "quiz-save.txt").write_text("\n".join(saves) + "\n")
    (requests / "quiz-submit.txt").write_text("\n".join(submissions) + "\n")
    in_order = [choice for of_run in choices for choice in of_run]
    (requests / "scenario-choice.txt").write_text("\n".join(in_order) + "\n")
    polls = [line("GET", class_status, cookie) for cookie in phones]
    (requests / "class-status.txt").write_text("\n".join(polls) + "\n")
    prepared = {
        "lesson": lesson,
        "lesson_bytes": len(page.data),
        "cohort_id": cohort_id,
        "pool": pool,
        "seconds": round(time.monotonic() - started, 1),
    }
    (workdir / "prepared.json").write_text(json.dumps(prepared))
    print(json.dumps(prepared))


if __name__ == "__main__":
    main()
