"""A stored module version, parsed once per process (versions never change)."""

from dataclasses import dataclass, field
from functools import lru_cache

from trainer.content.schema import LessonEntry, ModuleMeta, Quiz, Scenario
from trainer.extensions import db
from trainer.models import ModuleVersion


@dataclass(frozen=True)
class ModuleContent:
    version_id: int
    number: int
    meta: ModuleMeta
    lesson_html: dict[str, dict[str, str]]  # lesson id -> lang -> HTML
    quizzes: dict[str, Quiz]
    scenarios: dict[str, Scenario]
    # Parts of pages rendered from this version alone, per language (trainer/learn/fragments.py).
    cache: dict = field(default_factory=dict, compare=False, repr=False)

    def lesson(self, lesson_id: str) -> LessonEntry | None:
        return next((lesson for lesson in self.meta.lessons if lesson.id == lesson_id), None)

    def neighbours(self, lesson_id: str) -> tuple[LessonEntry | None, LessonEntry | None]:
        lessons = self.meta.lessons
        i = next(i for i, lesson in enumerate(lessons) if lesson.id == lesson_id)
        return (lessons[i - 1] if i > 0 else None, lessons[i + 1] if i + 1 < len(lessons) else None)


def content_of(version: ModuleVersion) -> ModuleContent:
    """Parsed content; the JSON is read from the database once per process and version."""
    return content_of_id(version.id, version.content_hash)


@lru_cache(maxsize=64)
def content_of_id(version_id: int, content_hash: str) -> ModuleContent:
    version = db.session.get(ModuleVersion, version_id)
    data = version.data
    return ModuleContent(
        version_id=version_id,
        number=version.number,
        meta=ModuleMeta.model_validate(data["meta"]),
        lesson_html={k: v["html"] for k, v in data["lessons"].items()},
        quizzes={k: Quiz.model_validate(v) for k, v in data["quizzes"].items()},
        scenarios={k: Scenario.model_validate(v) for k, v in data["scenarios"].items()},
    )
