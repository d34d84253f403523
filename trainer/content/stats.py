"""Counts per module, for authors and for reviewing a curriculum issue."""

import re

from trainer.content.schema import QUESTION_TYPES, Quiz
from trainer.content.validate import ModulePackage


def module_stats(package: ModulePackage) -> dict:
    data = package.to_json()
    questions = dict.fromkeys(QUESTION_TYPES, 0)
    for quiz in package.quizzes.values():
        for question in quiz.questions:
            questions[question.type] += 1
    words = {"ru": 0, "en": 0}
    for lesson in data["lessons"].values():
        for lang in words:
            words[lang] += lesson["words"][lang]
    for part in (data["meta"], data["quizzes"], data["scenarios"]):
        _count_text_words(part, words)
    return {
        "slug": package.meta.slug,
        "lessons": len(package.meta.lessons),
        "questions": questions,
        "scenarios": len(package.scenarios),
        "decision_nodes": sum(
            1 for s in package.scenarios.values() for node in s.nodes if node.type == "decision"
        ),
        "words": words,
        "references": len(package.meta.references),
        "quizzes": [quiz_stats(quiz) for quiz in package.quizzes.values()],
    }


def quiz_stats(quiz: Quiz) -> dict:
    """The pool, how many questions an attempt draws, and each section's share."""
    return {
        "id": quiz.id,
        "pool": len(quiz.questions),
        "per_attempt": quiz.per_attempt,
        "sections": [
            {
                "id": section.id,
                "pool": len(section.questions),
                "draw": min(section.draw or len(section.questions), len(section.questions)),
            }
            for section in quiz.sections
        ],
    }


def _count_text_words(value, words: dict) -> None:
    """Add the words of every bilingual text ({"ru": ..., "en": ...}) found in `value`."""
    if isinstance(value, dict):
        if set(value) >= {"ru", "en"} and all(isinstance(value[k], str) for k in ("ru", "en")):
            for lang in ("ru", "en"):
                words[lang] += len(re.findall(r"\w+", value[lang]))
            return
        for item in value.values():
            _count_text_words(item, words)
    elif isinstance(value, list):
        for item in value:
            _count_text_words(item, words)
