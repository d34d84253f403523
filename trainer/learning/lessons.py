"""Lessons: a lesson counts as done only after the server has shown its text to the learner.

A lesson with a content warning shows the warning first; its text is served (and the view
recorded, see progress.view_lesson) when the learner chooses to continue. Marking a lesson done
is refused until then, whatever the page or a hand-made request says.
"""

from flask_babel import lazy_gettext as _l

from trainer.content.schema import LessonEntry
from trainer.learning import progress as tracking
from trainer.models import Progress


class LessonNotShown(Exception):
    """The lesson's text was never served to this learner in this run of the module."""

    message = _l("Open the lesson's text before marking it as done.")


def text_first(lesson: LessonEntry, continued: bool) -> bool:
    """Whether the page serves the text now: at once, or after the warning when the learner
    chose to continue."""
    return lesson.content_warning is None or continued


def text_shown(progress: Progress, lesson_id: str) -> bool:
    return lesson_id in progress.state.get("viewed", [])


def show_text(progress: Progress, lesson_id: str) -> None:
    """The text is being served: record the view (an 'experienced' event the first time)."""
    tracking.view_lesson(progress, lesson_id)


def mark_done(progress: Progress, lesson_id: str) -> None:
    if not text_shown(progress, lesson_id):
        raise LessonNotShown(lesson_id)
    tracking.complete_lesson(progress, lesson_id)
