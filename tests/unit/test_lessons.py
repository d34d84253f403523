"""Lessons without HTTP: done only after the text was served."""

import pytest
from sqlalchemy import select

from tests.conftest import sync_example
from trainer.content.schema import LessonEntry
from trainer.extensions import db
from trainer.learning import lessons
from trainer.learning import progress as tracking
from trainer.models import Module, User

TITLE = {"ru": "Урок", "en": "Lesson"}


def test_the_text_comes_first_unless_a_warning_asks_to_continue():
    plain = LessonEntry(id="intro", file="lessons/intro", title=TITLE)
    warned = plain.model_copy(update={"content_warning": TITLE})
    assert lessons.text_first(plain, continued=False) and lessons.text_first(plain, True)
    assert not lessons.text_first(warned, continued=False)
    assert lessons.text_first(warned, continued=True)


def test_done_needs_the_text_served_first(app, make_user):
    sync_example(app)
    user_id = make_user().id
    with app.app_context():
        user = db.session.get(User, user_id)
        module = db.session.scalar(select(Module).where(Module.slug == "example-module"))
        progress = tracking.start(user, module)
        with pytest.raises(lessons.LessonNotShown):
            lessons.mark_done(progress, "at-the-scene")
        assert progress.state.get("lessons") is None
        lessons.show_text(progress, "at-the-scene")
        assert lessons.text_shown(progress, "at-the-scene")
        lessons.mark_done(progress, "at-the-scene")
        assert progress.state["lessons"] == ["at-the-scene"]
        tracking.restart(progress)
        assert not lessons.text_shown(progress, "at-the-scene")
