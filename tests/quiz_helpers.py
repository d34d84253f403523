"""Shared by the quiz tests: a module whose quiz settings a test chooses, and right answers."""

from pathlib import Path

import yaml
from werkzeug.datastructures import MultiDict

from tests.conftest import sync_example
from trainer.extensions import db
from trainer.learning import attempts
from trainer.learning.grading import field_name


def set_quiz(folder: Path, **settings) -> None:
    """Change the example quiz's settings; `drop` removes questions by id (from its section
    too). A test that sets `draw` draws from the whole pool: the sections go, unless the test
    sets them as well."""
    path = folder / "quizzes" / "check.yaml"
    quiz = yaml.safe_load(path.read_text(encoding="utf-8"))
    drop = settings.pop("drop", ())
    quiz["questions"] = [q for q in quiz["questions"] if q["id"] not in drop]
    for section in quiz.get("sections", []):
        section["questions"] = [q for q in section["questions"] if q not in drop]
        if drop:
            section.pop("draw", None)  # every question left in it
    if "draw" in settings and "sections" not in settings:
        quiz.pop("sections", None)
    for key, value in settings.items():
        if value is None:
            quiz.pop(key, None)
        else:
            quiz[key] = value
    path.write_text(yaml.safe_dump(quiz, allow_unicode=True), encoding="utf-8")


def sync_quiz(app, folder: Path, **settings) -> None:
    set_quiz(folder, **settings)
    sync_example(app, folder)


def right_answer(question, layout) -> dict:
    """Form fields that answer the question correctly."""
    name = field_name(question.id)
    kind = question.type
    if kind == "single_choice":
        return {name: next(o.id for o in question.options if o.correct)}
    if kind == "multiple_choice":
        return {name: [o.id for o in question.options if o.correct]}
    if kind == "true_false":
        return {name: str(question.answer).lower()}
    if kind == "matching":
        return {field_name(question.id, p.id): str(layout.index(p.id) + 1) for p in question.pairs}
    if kind == "ordering":
        return {
            field_name(question.id, item.id): str(n) for n, item in enumerate(question.items, 1)
        }
    if kind == "numeric":
        return {name: str(question.answer)}
    if kind == "short_text":
        return {name: question.accepted.en[0]}
    return {name: "I would name the crisis centre and leave the numbers in writing."}


def form_of(fields: dict) -> MultiDict:
    form = MultiDict()
    for key, value in fields.items():
        for v in value if isinstance(value, list) else [value]:
            form.add(key, v)
    return form


def enrol(app, trainer_id: int, learner_id: int) -> None:
    """A cohort run by the trainer with the learner in it."""
    from trainer.extensions import db
    from trainer.models import Cohort, CohortMember, User

    with app.app_context():
        cohort = Cohort(name="Барнаул, весна", trainers=[db.session.get(User, trainer_id)])
        db.session.add(cohort)
        db.session.add(CohortMember(cohort=cohort, user_id=learner_id))
        db.session.commit()


def policy_attempts(app, learner_id: int, trainer_id: int) -> tuple[int, int]:
    """For the route matrix: the learner's open attempt, and an earlier one whose essay waits
    for the trainer, who teaches the learner."""
    from trainer.models import Module, User
    from trainer.models.types import utcnow

    enrol(app, trainer_id, learner_id)
    with app.test_request_context():
        user = db.session.get(User, learner_id)
        module = db.session.scalar(db.select(Module).where(Module.slug == "example-module"))
        submitted = attempts.start(user, module, "check", utcnow())
        essay = field_name("explain-help")
        save(submitted, ["explain-help"], form_of({essay: "..."}), utcnow())
        attempts.submit(submitted, utcnow())
        current = attempts.start(user, module, "check", utcnow())
        db.session.commit()
        return current.id, submitted.id


def save(attempt, shown, form, now, seen=None):
    """attempts.save_answers as the autosave view calls it, on the attempt's row read anew;
    the ORM attempt is then read again, as the view's next request would."""
    db.session.flush()
    try:
        return attempts.save_answers(attempts.open_sheet(attempt.id), shown, form, now, seen)
    finally:
        db.session.expire(attempt)
