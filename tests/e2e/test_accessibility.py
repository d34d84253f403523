"""axe-core (the npm package `make test` installs in tests/e2e/axe/) injected into Debian's
Chromium over the main pages, in Russian and in English: no serious or critical violation.

The pages: sign-in (and a refused one, with its error), catalogue, module, lesson, quiz, a quiz
attempt and a result, a scenario node and a debrief, certificate verification, "My training"
(with and without a certificate), a trainer's cohort dashboard and the admin's audit log;
classroom mode: joining by code, a participant's phone page with their vote, starting a
session, the list of sessions, the trainer's controls, the projector (and both languages side
by side) and a counted session's debrief.
"""

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, sync_example
from tests.quiz_helpers import form_of, right_answer, save
from tests.web.certificates_support import complete_example
from tests.web.test_cohorts import assign, make_cohort
from tests.web.test_scenarios import GOOD_RUN
from trainer.extensions import db
from trainer.learning import attempts
from trainer.learning import classroom as room
from trainer.learning import progress as tracking
from trainer.learning.content import content_of
from trainer.learning.scenario_runs import start_run, take_act
from trainer.models import Module, Profession, Role, User
from trainer.models.types import utcnow

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
MODULE = "/learn/example-module"
QUIZ = f"{MODULE}/quizzes/check"
SCENARIO = f"{MODULE}/scenarios/call"


@dataclass
class Site:
    base: str
    cohort_id: int
    attempt_url: str
    run_url: str
    result_url: str
    debrief_url: str
    code: str
    live_class: str = ""
    ended_class: str = ""


def pages_of(site: Site) -> dict[str, list[tuple[str, str]]]:
    """Who looks (an email, or None for a visitor) -> the (name, path) of each page."""
    return {
        None: [
            ("sign-in", "/login"),
            ("verification", f"/verify/{site.code}"),
            ("join a class", "/class"),
        ],
        "learner@example.org": [
            ("catalogue", "/learn/"),
            ("module", f"{MODULE}/"),
            ("lesson", f"{MODULE}/lessons/intro"),
            ("quiz", QUIZ),
            ("quiz attempt", site.attempt_url),
            ("scenario node", site.run_url),
            ("my training", "/learn/my"),
            ("class phone page with a vote", f"/class/{site.live_class}"),
        ],
        "holder@example.org": [
            ("my training with a certificate", "/learn/my"),
            ("quiz result", site.result_url),
            ("scenario debrief", site.debrief_url),
        ],
        "trainer@example.org": [
            ("trainer dashboard", f"/cohorts/{site.cohort_id}/"),
            ("class start", "/class/new?module=example-module&scenario=call"),
            ("class sessions", "/class/sessions"),
            ("class controls", f"/class/{site.live_class}/control"),
            ("class projector", f"/class/{site.live_class}/projector"),
            ("class projector in both languages", f"/class/{site.live_class}/projector?both=1"),
            ("class debrief", f"/class/{site.ended_class}/debrief"),
        ],
        "admin@example.org": [("audit log", "/admin/audit")],
    }


def build_site(app, make_user, lang: str) -> Site:
    sync_example(app)
    learner = make_user(email="learner@example.org", name="Анна Смирнова", locale=lang)
    holder = make_user(email="holder@example.org", name="Иван Петров", locale=lang)
    trainer = make_user(role=Role.TRAINER, email="trainer@example.org", locale=lang)
    make_user(role=Role.ADMIN, email="admin@example.org", locale=lang)
    make_user(profession=Profession.JUDGE, email="judge@example.org", locale=lang)
    certificate = complete_example(app, holder)
    cohort_id = make_cohort(app, [trainer.id], [learner.id, holder.id])
    assign(app, cohort_id)
    with app.test_request_context():
        attempt_url, run_url = open_attempt_and_run(learner.id)
        result_url, debrief_url = finished_attempt_and_run(holder.id)
        live_class, ended_class = class_sessions(trainer.id, learner.id)
        db.session.commit()
    return Site(
        app.config["LIVE_URL"], cohort_id, attempt_url, run_url, result_url, debrief_url,
        certificate.code, live_class, ended_class,
    )  # fmt: skip


def class_sessions(trainer_id: int, learner_id: int) -> tuple[str, str]:
    """Two live class sessions of the night call: one at its first decision with the learner's
    vote in, one counted toward progress and played to its ending; their codes."""
    trainer, learner = db.session.get(User, trainer_id), db.session.get(User, learner_id)
    module = db.session.scalar(select(Module).where(Module.slug == "example-module"))
    scenario = content_of(module.latest_version).scenarios["call"]
    codes = []
    for to_the_end in (False, True):
        live = room.start_session(trainer, module.latest_version, scenario, counts_progress=True)
        seat = room.join(live, learner, "ru")[0]
        room.advance(live, scenario, 0, room.TRAINER)
        for step, act in enumerate(GOOD_RUN[1:] if to_the_end else GOOD_RUN[1:2], start=1):
            ruling = {key.removeprefix("f-"): v for key, v in act.items() if key != "choice"}
            room.vote(live, scenario, seat, step, act.get("choice"), ruling)
            if to_the_end:
                room.close_vote(live, scenario, step)
                room.advance(live, scenario, step, room.MAJORITY)
        codes.append(live.code)
    return codes[0], codes[1]


def example_progress(user_id: int):
    user = db.session.get(User, user_id)
    module = db.session.scalar(select(Module).where(Module.slug == "example-module"))
    return user, module, tracking.start(user, module)


def open_attempt_and_run(user_id: int) -> tuple[str, str]:
    """A quiz attempt and a scenario run under way: their pages' paths."""
    user, module, progress = example_progress(user_id)
    attempt = attempts.start(user, module, "check", utcnow())
    run = start_run(progress, content_of(progress.version).scenarios["call"])
    return f"{QUIZ}/attempts/{attempt.id}", f"{SCENARIO}/runs/{run.id}"


def finished_attempt_and_run(user_id: int) -> tuple[str, str]:
    """A submitted attempt (every answer right, the essay awaiting its grade) and a run played
    to an ending: the paths of the result and of the debrief."""
    user, module, progress = example_progress(user_id)
    attempt = attempts.start(user, module, "check", utcnow())
    for question in attempts.questions_of(attempt):
        answer = form_of(right_answer(question, attempt.layout(question.id)))
        save(attempt, [question.id], answer, utcnow())
    attempts.submit(attempt, utcnow())
    scenario = content_of(progress.version).scenarios["call"]
    run = start_run(progress, scenario)
    for step, act in enumerate(GOOD_RUN):
        ruling = {key.removeprefix("f-"): value for key, value in act.items() if key != "choice"}
        assert take_act(run, progress, scenario, step, act.get("choice"), ruling)
    assert run.finished
    return f"{QUIZ}/attempts/{attempt.id}/result", f"{SCENARIO}/runs/{run.id}/debrief"


def sign_in(page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    assert "/login" not in page.url, f"{email} could not sign in"


def refuse_sign_in(page, base: str) -> str:
    """A wrong password typed: the sign-in page with its error message."""
    page.goto(base + "/login")
    page.fill("input[name=email]", "learner@example.org")
    page.fill("input[name=password]", "not-the-password")
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    assert page.locator("[role=alert], .flash, .error").count() > 0, "no error was shown"
    return "/login (a wrong password)"


def violations(page) -> list[dict]:
    """axe-core's serious and critical findings on the page as it stands."""
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    assert results["passes"], f"axe-core checked nothing on {page.url}"
    return [v for v in results["violations"] if v["impact"] in BLOCKING]


def describe(name: str, lang: str, path: str, finding: dict) -> str:
    """One finding, readable in the test's failure: the rule, and up to five elements with
    axe's first reason for each."""
    nodes = "\n".join(
        f"      {' '.join(node['target'])} {node['html'][:100]}\n        {reason(node)}"
        for node in finding["nodes"][:5]
    )
    more = len(finding["nodes"]) - 5
    return (
        f"[{lang}] {name} ({path}): {finding['impact']} {finding['id']}: {finding['help']}"
        f" ({finding['helpUrl']})\n{nodes}" + (f"\n      … and {more} more" if more > 0 else "")
    )


def reason(node: dict) -> str:
    lines = [line.strip() for line in node["failureSummary"].splitlines() if line.strip()]
    return lines[1] if len(lines) > 1 else lines[0]


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_main_pages_have_no_serious_accessibility_violations(live_server, make_user, browser, lang):
    assert AXE.exists(), "axe-core is missing: `make test` installs it (npm ci in tests/e2e/axe)."
    site = build_site(live_server, make_user, lang)
    findings = []
    for email, pages in pages_of(site).items():
        # The app's Content-Security-Policy refuses inline scripts, as it should: the context
        # lets the test's own script (axe) in, and nothing else changes.
        context = browser.new_context(locale=f"{lang}-{lang.upper()}", bypass_csp=True)
        page = context.new_page()
        if email is not None:
            sign_in(page, site.base, email)
        for name, path in pages:
            response = page.goto(site.base + path)
            assert response.status == 200, f"{name}: {path} answered {response.status}"
            assert page.locator("html").get_attribute("lang") == lang, f"{name}: {path}"
            findings += [describe(name, lang, path, f) for f in violations(page)]
        if email is None:
            path = refuse_sign_in(page, site.base)
            findings += [describe("sign-in refused", lang, path, f) for f in violations(page)]
        context.close()
    assert not findings, f"{len(findings)} serious or critical axe-core findings:\n" + "\n".join(
        findings
    )
