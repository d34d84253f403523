"""A lesson counts as done only after the server has served its text to the learner."""

from sqlalchemy import select

from tests.web.test_learn import BASE, officer, officer_client, progress_of  # noqa: F401
from trainer.extensions import db
from trainer.models import LearningEvent, Verb

WARNED = f"{BASE}/lessons/at-the-scene"


def events(app, verb: Verb) -> list[str]:
    with app.app_context():
        return db.session.scalars(
            select(LearningEvent.object_id).where(LearningEvent.verb == verb)
        ).all()


def test_the_warning_page_serves_no_text_and_records_no_view(app, officer, officer_client):  # noqa: F811
    html = officer_client.get(WARNED).text
    assert "This lesson describes physical injuries" in html
    assert "Continue to the lesson" in html
    assert "lesson-body" not in html and "/done" not in html  # no text, no done button
    assert "example-module/lesson/at-the-scene" not in events(app, Verb.EXPERIENCED)
    assert "at-the-scene" not in progress_of(app, officer).state.get("viewed", [])


def test_done_is_refused_until_the_text_was_served(app, officer, officer_client):  # noqa: F811
    officer_client.get(WARNED)  # the warning only
    refused = officer_client.post(f"{WARNED}/done")
    assert refused.status_code == 302 and refused.headers["Location"].endswith(WARNED)
    page = officer_client.get(refused.headers["Location"]).text
    assert "text before marking it as done." in page
    assert "at-the-scene" not in progress_of(app, officer).state.get("lessons", [])
    assert "example-module/lesson/at-the-scene" not in events(app, Verb.COMPLETED)

    shown = officer_client.get(f"{WARNED}?show=text").text
    assert 'class="lesson-body"' in shown and "Mark as done" in shown
    assert events(app, Verb.EXPERIENCED)[-1] == "example-module/lesson/at-the-scene"
    officer_client.post(f"{WARNED}/done")
    assert progress_of(app, officer).state["lessons"] == ["at-the-scene"]


def test_a_lesson_never_opened_cannot_be_marked_done(app, officer, officer_client):  # noqa: F811
    """A hand-made POST for a lesson without a warning, never opened, is refused too."""
    officer_client.post(f"{BASE}/lessons/after-the-call/done")
    assert progress_of(app, officer).state.get("lessons", []) == []


def test_both_languages_keep_the_text_shown(officer_client):  # noqa: F811
    html = officer_client.get(f"{WARNED}?show=text").text
    assert f'href="{WARNED}?view=both&amp;show=text"' in html
    both = officer_client.get(f"{WARNED}?view=both&show=text").text
    for code in ("ru", "en"):  # the text in both languages, section by section
        columns = both.split(f'class="column column-{code}"')[1:]
        bodies = [column.split("</section>")[0] for column in columns]
        assert any('class="lesson-body"' in body for body in bodies)
    warned_both = officer_client.get(f"{WARNED}?view=both").text
    assert "lesson-body" not in warned_both
    assert f'href="{WARNED}?show=text&amp;view=both"' in warned_both


def test_starting_again_needs_the_text_served_again(app, officer, officer_client):  # noqa: F811
    officer_client.get(f"{WARNED}?show=text")
    officer_client.post(f"{BASE}/restart")
    officer_client.post(f"{WARNED}/done")
    assert progress_of(app, officer).state.get("lessons", []) == []
