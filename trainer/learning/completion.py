"""Completion rules: what a learner must do to complete a module, over plain data.

`state` is the Progress.state dict: {"lessons": [ids done], "viewed": [ids opened],
"quizzes": {id: {"best": best percent, "passed": passed by the quiz's own pass mark}},
"scenarios": {id: {"best": best percent}}} (a scenario is there once played to an ending).
"""

from dataclasses import dataclass

from trainer.content.schema import ModuleMeta
from trainer.learning.grading import round_half_up


@dataclass(frozen=True)
class Requirement:
    kind: str  # lesson | quiz | scenario
    id: str
    pass_mark: int | None = None

    def met(self, state: dict) -> bool:
        if self.kind == "lesson":
            return self.id in state.get("lessons", [])
        if self.kind == "quiz":
            result = state.get("quizzes", {}).get(self.id)
            if result is None:
                return False
            # A pass mark in the completion rule overrides the quiz's own.
            return (
                result["best"] >= self.pass_mark if self.pass_mark is not None else result["passed"]
            )
        return self.id in state.get("scenarios", [])


def quiz_pass_mark(meta: ModuleMeta, quiz_id: str, own: int) -> int:
    """The mark a learner must reach on a quiz of this module: the completion rule's pass mark
    for it if the rule sets one, else the quiz's own. The quiz page, its results and `passed`
    use this one number, so a result never says "not passed" while the module counts it done."""
    for required in meta.completion.quizzes:
        if required.id == quiz_id and required.pass_mark is not None:
            return required.pass_mark
    return own


def requirements(meta: ModuleMeta) -> list[Requirement]:
    rule = meta.completion
    lesson_ids = [lesson.id for lesson in meta.lessons] if rule.lessons == "all" else rule.lessons
    return (
        [Requirement("lesson", ident) for ident in lesson_ids]
        + [Requirement("quiz", q.id, q.pass_mark) for q in rule.quizzes]
        + [Requirement("scenario", ident) for ident in rule.scenarios]
    )


def is_complete(meta: ModuleMeta, state: dict) -> bool:
    return all(r.met(state) for r in requirements(meta))


def percent_done(meta: ModuleMeta, state: dict) -> int:
    required = requirements(meta)
    if not required:
        return 100
    met, total = sum(r.met(state) for r in required), len(required)
    if met == total:
        return 100
    # Halves up, as every percent shown (1 of 8 is 13%; round() gave 12); what is not complete
    # never shows 100% (199 of 200 would round up to it).
    return min(round_half_up(100 * met / total), 99)


def next_step(meta: ModuleMeta, state: dict) -> Requirement | None:
    """The first requirement not yet met, in the order the rule lists them."""
    return next((r for r in requirements(meta) if not r.met(state)), None)
