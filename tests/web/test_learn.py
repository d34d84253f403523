"""Catalogue, module page, lesson player, progress and My training."""

import pytest
from sqlalchemy import select

from tests.conftest import sign_in, sql_statements, sync_example
from trainer.extensions import db
from trainer.models import LearningEvent, Profession, Progress, Role, Status, Verb

EN = {"Accept-Language": "en"}
BASE = "/learn/example-module"


@pytest.fixture
def officer(app, make_user):
    sync_example(app)
    return make_user(profession=Profession.POLICE, locale="en", name="Officer Ivanov")


@pytest.fixture
def officer_client(app, officer):
    client = app.test_client()
    sign_in(client, officer)
    return client


def progress_of(app, user) -> Progress | None:
    with app.app_context():
        return db.session.scalar(select(Progress).where(Progress.user_id == user.id))


def test_catalogue_shows_modules_for_the_learners_profession(app, make_user, officer_client):
    assert "Responding to a domestic violence call" in officer_client.get("/learn/").text
    psychologist = make_user(profession=Profession.SOCIAL_WORKER, locale="en")
    client = app.test_client()
    sign_in(client, psychologist)
    assert "No modules are available for your profession yet." in client.get("/learn/").text
    assert client.get(f"{BASE}/").status_code == 403
    trainer = make_user(role=Role.TRAINER, profession=Profession.OTHER, locale="en")
    sign_in(trainer_client := app.test_client(), trainer)
    assert "Responding to a domestic violence call" in trainer_client.get("/learn/").text


def test_module_page_states_the_completion_rule(officer_client):
    html = officer_client.get(f"{BASE}/").text
    assert "To complete this module" in html
    assert "Read the lesson “The first minutes of a call” and mark it as done" in html
    assert "Pass the quiz" in html and "(at least 80%)" in html
    assert "Start the module" in html


def test_lesson_page_renders_sanitized_html_and_records_the_view(app, officer, officer_client):
    response = officer_client.get(f"{BASE}/lessons/intro")
    assert response.status_code == 200
    html = response.text
    assert "<h1>The first minutes of a call</h1>" in html
    assert 'class="callout callout-key-point"' in html
    assert "<script" not in html.split("</main>")[0]
    progress = progress_of(app, officer)
    assert progress.last_position == "lesson:intro" and progress.status == Status.IN_PROGRESS
    with app.app_context():
        verbs = db.session.scalars(select(LearningEvent.verb)).all()
    assert verbs == [Verb.INITIALIZED, Verb.EXPERIENCED]
    officer_client.get(f"{BASE}/lessons/intro")  # a second view adds no event
    with app.app_context():
        assert db.session.query(LearningEvent).count() == 2


def test_reading_a_lesson_again_writes_nothing_and_coming_back_records_the_place(
    app, officer, officer_client
):
    officer_client.get(f"{BASE}/lessons/intro")
    with sql_statements(app) as statements:
        assert officer_client.get(f"{BASE}/lessons/intro").status_code == 200
    assert all(s.lstrip().upper().startswith("SELECT") for s in statements), statements
    officer_client.get(f"{BASE}/lessons/after-the-call")
    assert progress_of(app, officer).last_position == "lesson:after-the-call"
    officer_client.get(f"{BASE}/lessons/intro")  # viewed before: the place only
    progress = progress_of(app, officer)
    assert progress.last_position == "lesson:intro"
    assert progress.state["viewed"] == ["intro", "after-the-call"]
    with app.app_context():
        verbs = db.session.scalars(select(LearningEvent.verb).order_by(LearningEvent.id)).all()
    assert verbs == [Verb.INITIALIZED, Verb.EXPERIENCED, Verb.EXPERIENCED]


def test_content_warning_comes_before_the_lesson(officer_client):
    html = officer_client.get(f"{BASE}/lessons/at-the-scene").text
    assert "This lesson describes physical injuries" in html
    assert 'class="lesson-body"' not in html and "Mark as done" not in html
    assert f'href="{BASE}/lessons/at-the-scene?show=text"' in html  # Continue to the lesson
    html = officer_client.get(f"{BASE}/lessons/at-the-scene?show=text").text
    warning = html.index("This lesson describes physical injuries")
    assert warning < html.index('class="lesson-body"') < html.index("Mark as done")


def test_marking_lessons_done_moves_progress_and_next_step(app, officer, officer_client):
    officer_client.get(f"{BASE}/lessons/intro")
    response = officer_client.post(f"{BASE}/lessons/intro/done")
    assert response.headers["Location"].endswith(f"{BASE}/lessons/at-the-scene")
    officer_client.post(f"{BASE}/lessons/intro/done")  # twice counts once
    progress = progress_of(app, officer)
    assert progress.state["lessons"] == ["intro"]
    assert progress.percent == 25  # 1 of 4 requirements: 2 lessons, a quiz, a scenario
    my = officer_client.get("/learn/my").text
    assert "Responding to a domestic violence call" in my and "25% done" in my
    assert f'href="{BASE}/lessons/at-the-scene"' in my  # the next step


def test_both_languages_side_by_side(officer_client):
    html = officer_client.get(f"{BASE}/lessons/intro?view=both").text
    assert 'lang="ru"' in html and 'lang="en"' in html
    assert "Первые минуты вызова" in html and "The first minutes of a call" in html


def test_unknown_module_and_lesson_are_404(officer_client):
    assert officer_client.get("/learn/no-such-module/").status_code == 404
    assert officer_client.get(f"{BASE}/lessons/no-such-lesson").status_code == 404
    assert officer_client.post(f"{BASE}/lessons/no-such-lesson/done").status_code == 404


def test_lesson_images_are_served_by_content_hash(officer_client):
    html = (
        officer_client.get(f"{BASE}/lessons/intro").text
        + officer_client.get(f"{BASE}/lessons/at-the-scene?show=text").text
    )
    src = html.split('<img src="')[1].split('"')[0]
    image = officer_client.get(f"{BASE}/lessons/{src}")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert "immutable" in image.headers["Cache-Control"]


def test_learner_keeps_their_version_until_they_restart(app, officer, officer_client, module_copy):
    officer_client.get(f"{BASE}/lessons/intro")
    officer_client.post(f"{BASE}/lessons/intro/done")
    lesson = module_copy / "lessons" / "01-intro.en.md"
    lesson.write_text(lesson.read_text() + "\n\nA sentence added in version two.\n")
    sync_example(app, module_copy)  # the copy has the same slug: version 2
    assert "added in version two" not in officer_client.get(f"{BASE}/lessons/intro").text
    assert "A newer version of this module is available" in officer_client.get(f"{BASE}/").text
    officer_client.post(f"{BASE}/restart")
    assert "added in version two" in officer_client.get(f"{BASE}/lessons/intro").text
    assert progress_of(app, officer).state.get("lessons") is None


def test_lesson_page_runs_few_queries_and_renders_no_markdown(app, officer_client, monkeypatch):
    officer_client.get(f"{BASE}/lessons/intro")  # warm: progress exists, content cached

    def no_rendering(*args, **kwargs):
        raise AssertionError("Markdown rendered during a request")

    monkeypatch.setattr("trainer.content.markdown.render_markdown", no_rendering)
    monkeypatch.setattr("trainer.content.validate.render_markdown", no_rendering)
    for lesson in ("intro", "at-the-scene", "after-the-call", "intro"):
        with sql_statements(app) as statements:
            assert officer_client.get(f"{BASE}/lessons/{lesson}").status_code == 200
        counts = len([s for s in statements if s.lstrip().upper().startswith("SELECT")])
        assert counts <= 4, "\n".join(s[:120] for s in statements)


def test_anonymous_visitors_are_sent_to_sign_in(app, officer):
    client = app.test_client()
    for path in ["/learn/", "/learn/my", f"{BASE}/", f"{BASE}/lessons/intro"]:
        assert client.get(path).status_code == 302
