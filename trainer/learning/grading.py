"""Question types: one class per type, kept in a registry that the app checks at start-up.

Each type knows how to
- `layout`: freeze the order its parts are shown in (options, items, the right-hand column);
- `public`: what the page may show before submission (ids and texts, never what is correct);
- `parse`: turn the submitted form fields into a stored response, refusing anything invalid;
- `form_values`: the stored response as form field values, to show it again;
- `grade`: score a stored response, with partial credit where the type has it;
- `template`: the Jinja file with its `input` and `review` macros.

Partial credit (documented for authors in modules/README.md):
- multiple_choice: (correct options chosen - wrong options chosen) / correct options, at least 0;
- matching: the share of pairs matched correctly;
- ordering: the share of pairs of items that are in the right order relative to each other.
"""

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import ClassVar

from flask_babel import lazy_gettext as _l

from trainer.content import schema
from trainer.inputs import ascii_int

MAX_TEXT = 500
MAX_ESSAY = 20_000
MAX_NUMBER_TEXT = 40


class InvalidAnswer(ValueError):
    """A submitted answer that cannot be saved; the message is shown to the learner."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Outcome:
    points: float | None  # None: waits for a trainer
    possible: float

    @property
    def fraction(self) -> float | None:
        return None if self.points is None else self.points / self.possible

    @property
    def verdict(self) -> str:
        """correct | partial | incorrect | pending"""
        if self.points is None:
            return "pending"
        if math.isclose(self.points, self.possible):
            return "correct"
        return "partial" if self.points > 0 else "incorrect"


def field_name(question_id: str, part: str | None = None) -> str:
    return f"a.{question_id}" if part is None else f"a.{question_id}.{part}"


def points_for(question, fraction: float) -> Outcome:
    return Outcome(round(question.points * max(0.0, min(1.0, fraction)), 2), question.points)


class QuestionType:
    name: ClassVar[str]
    # Whether a trainer must score it.
    manual: ClassVar[bool] = False

    @property
    def template(self) -> str:
        return f"quiz/types/{self.name}.html"

    def layout(self, question, shuffle: bool, rng: random.Random) -> list[str] | None:
        return None

    def public(self, question, layout) -> dict:
        return {"id": question.id, "text": question.text, "points": question.points}

    def parse(self, question, layout, form: Mapping):
        """The response to store, or None when the learner left the question blank."""
        raise NotImplementedError

    def form_values(self, question, layout, response) -> dict:
        return {} if response is None else {field_name(question.id): response}

    def grade(self, question, response) -> Outcome:
        raise NotImplementedError


REGISTRY: dict[str, QuestionType] = {}


def register(cls: type[QuestionType]) -> type[QuestionType]:
    REGISTRY[cls.name] = cls()
    return cls


def check_registry() -> None:
    """Start-up check: every question type of the format has grading and a template."""
    missing = set(schema.QUESTION_TYPES) - set(REGISTRY)
    unknown = set(REGISTRY) - set(schema.QUESTION_TYPES)
    if missing or unknown:
        raise RuntimeError(
            f"question types not registered: {sorted(missing)}; unknown: {sorted(unknown)}"
        )


def type_of(question) -> QuestionType:
    return REGISTRY[question.type]


def fixed_mix(ids: list[str], rng: random.Random) -> list[str]:
    """A mixed order, never the authored order, which is the answer for ordering and matching.
    Without `shuffle_options` the caller seeds `rng` with a secret and the module version
    (attempts.draw): every learner of a version sees one order (a classroom can follow along),
    and nothing on the page — not the question id — lets anyone compute it."""
    mixed = list(ids)
    rng.shuffle(mixed)
    if mixed == ids:
        mixed = mixed[1:] + mixed[:1]
    return mixed


def one_value(form: Mapping, name: str) -> str:
    values = form.getlist(name) if hasattr(form, "getlist") else [form.get(name)]
    values = [v for v in values if v is not None]
    if len(values) > 1:
        raise InvalidAnswer(_l("Choose only one answer."))
    return values[0].strip() if values else ""


# Types ----------------------------------------------------------------------------------


class ChoiceBase(QuestionType):
    def layout(self, question, shuffle, rng):
        ids = [option.id for option in question.options]
        if shuffle:
            rng.shuffle(ids)
        return ids

    def public(self, question, layout):
        by_id = {option.id: option for option in question.options}
        options = [{"id": i, "text": by_id[i].text} for i in layout]
        return {**super().public(question, layout), "options": options}

    def known(self, question, option_id: str) -> str:
        if option_id not in {option.id for option in question.options}:
            raise InvalidAnswer(_l("This answer is not one of the options."))
        return option_id


@register
class SingleChoice(ChoiceBase):
    name = "single_choice"

    def parse(self, question, layout, form):
        chosen = one_value(form, field_name(question.id))
        return self.known(question, chosen) if chosen else None

    def grade(self, question, response):
        correct = next(option.id for option in question.options if option.correct)
        return points_for(question, 1.0 if response == correct else 0.0)


@register
class MultipleChoice(ChoiceBase):
    name = "multiple_choice"

    def parse(self, question, layout, form):
        chosen = {self.known(question, v.strip()) for v in form.getlist(field_name(question.id))}
        return [i for i in layout if i in chosen] or None

    def grade(self, question, response):
        chosen = set(response or [])
        correct = {option.id for option in question.options if option.correct}
        right, wrong = len(chosen & correct), len(chosen - correct)
        return points_for(question, (right - wrong) / len(correct))


@register
class TrueFalse(QuestionType):
    name = "true_false"

    def parse(self, question, layout, form):
        value = one_value(form, field_name(question.id))
        if value not in ("", "true", "false"):
            raise InvalidAnswer(_l("Answer “true” or “false”."))
        return None if value == "" else value == "true"

    def form_values(self, question, layout, response):
        return {} if response is None else {field_name(question.id): str(response).lower()}

    def grade(self, question, response):
        return points_for(question, 1.0 if response is question.answer else 0.0)


@register
class Matching(QuestionType):
    """Each left-hand text gets a right-hand one. The choices are numbered by their frozen,
    mixed position, so nothing in the page pairs a left with its right."""

    name = "matching"

    def layout(self, question, shuffle, rng):
        return fixed_mix([pair.id for pair in question.pairs], rng)

    def public(self, question, layout):
        by_id = {pair.id: pair for pair in question.pairs}
        lefts = [{"id": pair.id, "text": pair.left} for pair in question.pairs]
        rights = [{"value": str(n), "text": by_id[i].right} for n, i in enumerate(layout, 1)]
        return {**super().public(question, layout), "lefts": lefts, "rights": rights}

    def parse(self, question, layout, form):
        matched = {}
        for pair in question.pairs:
            value = one_value(form, field_name(question.id, pair.id))
            if value == "":
                continue
            number = ascii_int(value, len(layout))
            if not number:
                raise InvalidAnswer(_l("This answer is not one of the options."))
            matched[pair.id] = layout[number - 1]
        return matched or None

    def form_values(self, question, layout, response):
        return {
            field_name(question.id, left): str(layout.index(right) + 1)
            for left, right in (response or {}).items()
            if right in layout
        }

    def grade(self, question, response):
        response = response or {}
        right = sum(response.get(pair.id) == pair.id for pair in question.pairs)
        return points_for(question, right / len(question.pairs))


@register
class Ordering(QuestionType):
    """Items are shown mixed; the learner gives each a position (a select, no JS needed)."""

    name = "ordering"

    def layout(self, question, shuffle, rng):
        return fixed_mix([item.id for item in question.items], rng)

    def public(self, question, layout):
        by_id = {item.id: item for item in question.items}
        items = [{"id": i, "text": by_id[i].text} for i in layout]
        return {**super().public(question, layout), "items": items}

    def parse(self, question, layout, form):
        positions = {}
        for item_id in layout:
            value = one_value(form, field_name(question.id, item_id))
            if value == "":
                continue
            number = ascii_int(value, len(layout))
            if not number:
                raise InvalidAnswer(_l("Choose a position from the list."))
            positions[item_id] = number
        if not positions:
            return None
        if len(positions) < len(layout) or len(set(positions.values())) < len(layout):
            raise InvalidAnswer(_l("Give every step a different position."))
        return sorted(positions, key=positions.get)

    def form_values(self, question, layout, response):
        return {field_name(question.id, i): str(n) for n, i in enumerate(response or [], 1)}

    def grade(self, question, response):
        correct = [item.id for item in question.items]
        if not response or sorted(response) != sorted(correct):
            return points_for(question, 0.0)
        place = {item_id: n for n, item_id in enumerate(response)}
        pairs = list(combinations(correct, 2))  # (earlier, later) in the right order
        in_order = sum(place[a] < place[b] for a, b in pairs)
        return points_for(question, in_order / len(pairs))


def parse_number(text: str) -> float:
    """A number as people type it: "25", "-3", "12,5" or "12.5", "1 500"."""
    cleaned = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace(",", ".")
    if len(cleaned) > MAX_NUMBER_TEXT:
        raise InvalidAnswer(_l("Enter a number, for example 12.5."))
    try:
        value = float(cleaned)
    except ValueError:
        raise InvalidAnswer(_l("Enter a number, for example 12.5.")) from None
    if not math.isfinite(value):
        raise InvalidAnswer(_l("Enter a number, for example 12.5."))
    return value


@register
class Numeric(QuestionType):
    name = "numeric"

    def public(self, question, layout):
        return {**super().public(question, layout), "unit": question.unit}

    def parse(self, question, layout, form):
        text = one_value(form, field_name(question.id))
        return parse_number(text) if text else None

    def form_values(self, question, layout, response):
        if response is None:
            return {}
        return {field_name(question.id): f"{float(response):.10f}".rstrip("0").rstrip(".")}

    def grade(self, question, response):
        if response is None:
            return points_for(question, 0.0)
        # A tiny allowance for binary floating point (0.1 + 0.2 and the like).
        close = abs(float(response) - question.answer) <= question.tolerance + 1e-9
        return points_for(question, 1.0 if close else 0.0)


def fold(text: str) -> str:
    """Case, surrounding and repeated spaces, and ё/е do not matter."""
    return " ".join(text.casefold().replace("ё", "е").split())


@register
class ShortText(QuestionType):
    name = "short_text"

    def parse(self, question, layout, form):
        text = one_value(form, field_name(question.id))
        if len(text) > MAX_TEXT:
            raise InvalidAnswer(_l("The answer is too long."))
        return text or None

    def grade(self, question, response):
        # Answers in either language count: learners may answer in the other one.
        accepted = {fold(a) for a in [*question.accepted.ru, *question.accepted.en]}
        return points_for(question, 1.0 if fold(response or "") in accepted else 0.0)


@register
class Essay(QuestionType):
    name = "essay"
    manual = True

    def parse(self, question, layout, form):
        text = one_value(form, field_name(question.id))
        if len(text) > MAX_ESSAY:
            raise InvalidAnswer(_l("The answer is too long."))
        return text or None

    def grade(self, question, response):
        # A blank essay has nothing to review.
        return Outcome(None if response else 0.0, question.points)


def needs_review(question, response) -> bool:
    return type_of(question).manual and bool(response)


def grade(question, response) -> Outcome:
    """Score a stored response (None: not answered)."""
    if response is None and not type_of(question).manual:
        return Outcome(0.0, question.points)
    return type_of(question).grade(question, response)


def round_half_up(value: float) -> int:
    """A percent as a reader works it out: halves up (62.5 is 63, 87.5 is 88), where `round`
    gives 62 and 88; the epsilon keeps a half stored as 62.4999999... a half."""
    return math.floor(value + 0.5 + 1e-9)


@dataclass(frozen=True)
class Total:
    earned: float  # over the questions graded so far
    possible: float  # over every question
    pending: bool  # essays still wait for a trainer

    @property
    def percent(self) -> float:
        return round(100 * self.earned / self.possible, 2) if self.possible else 0.0


def total(outcomes: list[Outcome]) -> Total:
    earned = sum(o.points for o in outcomes if o.points is not None)
    possible = sum(o.possible for o in outcomes)
    pending = any(o.points is None for o in outcomes)
    return Total(round(earned, 2), round(possible, 2), pending)
