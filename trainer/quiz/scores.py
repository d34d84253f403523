"""How a quiz score is shown to learners and trainers: a whole percent, halves rounded up, as
the scenarios' scores are (trainer.learning.scenarios.percent): 72.73 is 73%, 72.5 is 73%.

The pass decision is not rounded (72.5 against a pass mark of 73 is not passed), so a failing
score that rounding would show as the pass mark, or above it, keeps its tenths, rounded down:
72.5 and 72.96 against 73 are 72.5% and 72.9%, never a "73%" beside "not passed". Exports keep
the stored precision (trainer.learning.dashboard).
"""

from collections.abc import Collection
from decimal import Decimal
from math import floor

from trainer.i18n import format_number
from trainer.learning.completion import quiz_pass_mark
from trainer.learning.content import content_of
from trainer.learning.grading import round_half_up


def shown_score(percent: float, pass_marks: Collection[int] = ()) -> int | Decimal:
    """The number shown for a score: whole, or with its tenths when rounding would lift a
    failing score to one of the `pass_marks` it was held against."""
    whole = round_half_up(percent)
    if any(percent < mark <= whole for mark in pass_marks):
        return Decimal(floor(percent * 10 + 1e-9)) / 10  # 72.9 stored as 72.8999...: 72.9
    return whole


def score_text(percent: float, pass_marks: int | Collection[int] = ()) -> str:
    """The score in the page's language, without the % sign (the sentence has it); the
    template filter `score`: {{ attempt.percent|score(pass_mark) }}."""
    marks = (pass_marks,) if isinstance(pass_marks, int) else pass_marks
    return format_number(shown_score(percent, marks))


def pass_marks(content) -> frozenset[int]:
    """The pass marks of a module's quizzes (a module's completion rule may set its own)."""
    return frozenset(
        quiz_pass_mark(content.meta, quiz.id, quiz.pass_mark) for quiz in content.quizzes.values()
    )


def assignment_pass_marks(assignment) -> frozenset[int]:
    """The pass marks of the quizzes of the version an assignment gives its learners."""
    return pass_marks(content_of(assignment.pinned_version or assignment.module.latest_version))
