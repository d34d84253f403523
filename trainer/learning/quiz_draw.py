"""Which questions an attempt has and in which order: drawn once when the attempt starts and
frozen in it (QuizAttempt.questions)."""

import hmac
import random

from flask import current_app

from trainer.content.schema import Quiz
from trainer.learning import grading


def draw(quiz: Quiz, rng, fixed_key: bytes) -> list[dict]:
    """Freeze which questions the attempt has (so many from each section), in which order,
    and the order of their parts. Without `shuffle_questions` the drawn questions keep the
    written order; without `shuffle_options`, matching and ordering parts are mixed in one
    order per version, seeded by `fixed_key` (see fixed_order_key), the same for everyone."""
    pool = list(quiz.questions)
    chosen = drawn(quiz, rng)
    if quiz.shuffle_questions:
        rng.shuffle(chosen)
    else:
        chosen.sort()
    return [
        {
            "id": pool[i].id,
            "order": grading.type_of(pool[i]).layout(
                pool[i], quiz.shuffle_options, _parts_rng(quiz, pool[i].id, rng, fixed_key)
            ),
        }
        for i in chosen
    ]


def drawn(quiz: Quiz, rng) -> list[int]:
    """Indexes into the pool: `draw` from each section (every question of a section without
    one), or `draw` from the whole pool when the quiz has no sections."""
    index = {q.id: i for i, q in enumerate(quiz.questions)}
    groups = [([index[q] for q in s.questions], s.draw) for s in quiz.sections]
    chosen = []
    for group, count in groups or [(list(range(len(quiz.questions))), quiz.draw)]:
        chosen += rng.sample(group, min(count or len(group), len(group)))
    return chosen


def fixed_order_key(version_id: int, quiz_id: str) -> bytes:
    """A secret per module version and quiz: the fixed order of matching and ordering parts
    cannot be computed from anything the page shows."""
    secret = current_app.config["SECRET_KEY"]
    secret = secret if isinstance(secret, bytes) else str(secret).encode()
    return hmac.new(secret, f"quiz-order:{version_id}:{quiz_id}".encode(), "sha256").digest()


def _parts_rng(quiz: Quiz, question_id: str, rng, fixed_key: bytes):
    if quiz.shuffle_options:
        return rng
    seed = hmac.new(fixed_key, question_id.encode(), "sha256").digest()
    return random.Random(seed)  # noqa: S311  (a secret seed; the mix itself need not be strong)
