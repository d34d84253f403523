"""The module format, as pydantic models: the one definition that the validator, sync and
tests share. modules/README.md documents it for authors."""

import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)
from pydantic import Strict as StrictType

from trainer.models.users import Profession

SCHEMA_VERSION = 1
ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
Ident = Annotated[str, StringConstraints(pattern=ID_PATTERN)]

# Numbers and flags as YAML writes them, nothing converted: "80" (text in quotes), `yes`,
# `true` for a number or `10.0` for a whole number are errors, not 80, True, 1 and 10. Stored
# versions keep these types in their JSON, so they read back the same.
Whole = Annotated[int, StrictType()]
Number = Annotated[float, StrictType()]  # a whole number is a number too
Flag = Annotated[bool, StrictType()]
# A scenario's numbers (variables, conditions, effects, scores, ruling ranges): far beyond any
# case (the shipped ones stay under 100), far below the overflow that would leave Infinity in
# a run's state (which PostgreSQL's JSON cannot store) or in a ruling's count of steps.
SCENARIO_LIMIT = 1_000_000_000
Amount = Annotated[float, StrictType(), Field(ge=-SCENARIO_LIMIT, le=SCENARIO_LIMIT)]
Step = Annotated[float, StrictType(), Field(ge=0.000001, le=SCENARIO_LIMIT)]
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_day(value):
    """A date as YAML reads `2025-01-01` (or the same in quotes, as stored JSON holds it):
    not a date with a time, nor a number pydantic would read as seconds since 1970."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and ISO_DAY.match(value):
        return value
    raise ValueError(f"expected a date written YYYY-MM-DD, e.g. 2025-01-01; got {shown(value)}")


Day = Annotated[date, BeforeValidator(_iso_day)]


def _range_text(low: float, high: float | None, above: bool) -> str:
    if high is None:
        return f"above {low:g}" if above else f"of {low:g} or more"
    return f"above {low:g}, up to {high:g}" if above else f"from {low:g} to {high:g}"


def whole(low: int, high: int | None = None):
    """A whole number within low..high, written as one: not "10", 10.0 or true."""
    expected = f"expected a whole number {_range_text(low, high, False)}, without quotes"

    def check(value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{expected}; got {shown(value)}")
        if value < low or (high is not None and value > high):
            raise ValueError(f"{expected}; got {shown(value)}")
        return value

    return Annotated[int, BeforeValidator(check)]


def number(low: float, high: float | None = None, above: bool = False):
    """A number (decimals allowed) within low..high, or above low: not "1.5" nor true."""
    expected = f"expected a number {_range_text(low, high, above)}, without quotes"

    def check(value):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{expected}; got {shown(value)}")
        fits = value > low if above else value >= low
        if not fits or (high is not None and not value <= high) or value != value:
            raise ValueError(f"{expected}; got {shown(value)}")
        return value

    return Annotated[float, BeforeValidator(check)]


def shown(value) -> str:
    """A value as the author wrote it in YAML, for a message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "an empty value"
    if isinstance(value, str):
        return f"the text '{value if len(value) <= 40 else value[:40] + '...'}'"
    if isinstance(value, dict):
        return "a mapping of fields"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)  # a number; YAML reads up to 4,300 digits (yaml_guard: no more)
    return text if len(text) <= 40 else f"{text[:20]}... ({len(text)} characters)"


NODE_TYPES = ("narrative", "decision", "ruling", "ending")
QUESTION_TYPES = (
    "single_choice",
    "multiple_choice",
    "true_false",
    "matching",
    "ordering",
    "numeric",
    "short_text",
    "essay",
)


class Strict(BaseModel):
    # No .inf or .nan: the stored JSON cannot hold them (PostgreSQL refuses the whole module).
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def blank(value: str) -> bool:
    """Nothing a reader would see: spaces and invisible characters only (a zero-width space
    pasted from a web page is not a title)."""
    return not any(char.isprintable() and not char.isspace() for char in value)


class Text(Strict):
    """A text in both languages; neither may be empty."""

    ru: str
    en: str

    @field_validator("ru", "en")
    @classmethod
    def not_blank(cls, value: str) -> str:
        if blank(value):
            raise ValueError("empty text")
        return value.strip()

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.ru


class Reference(Strict):
    id: Ident
    title: str
    author: str
    year: whole(1800, 2100)
    url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    note: Text | None = None


class GlossaryEntry(Strict):
    term: Text
    definition: Text


class LessonEntry(Strict):
    id: Ident
    file: str = Field(pattern=r"^[A-Za-z0-9_./-]+$")
    title: Text
    minutes: whole(1, 240) = 10
    content_warning: Text | None = None


class PartEntry(Strict):
    """A quiz or scenario: its id and the YAML file that holds it."""

    id: Ident
    file: str = Field(pattern=r"^[A-Za-z0-9_./-]+\.ya?ml$")


class QuizRequirement(Strict):
    id: Ident
    pass_mark: whole(0, 100) | None = None


class CompletionRule(Strict):
    lessons: Literal["all"] | list[Ident] = "all"
    quizzes: list[QuizRequirement] = []
    scenarios: list[Ident] = []


class ModuleMeta(Strict):
    schema_version: Whole
    slug: Ident
    title: Text
    summary: Text
    audience: list[Profession] = Field(min_length=1)
    estimated_minutes: whole(1, 6000)
    credit_hours: number(0, 200)
    certificate: Flag = False
    law_as_of: Day | None = None
    lessons: list[LessonEntry] = Field(min_length=1)
    quizzes: list[PartEntry] = []
    scenarios: list[PartEntry] = []
    completion: CompletionRule = CompletionRule()
    references: list[Reference] = []
    glossary: list[GlossaryEntry] = []


# Quizzes ---------------------------------------------------------------------------------


class Option(Strict):
    id: Ident
    text: Text
    correct: Flag = False
    feedback: Text | None = None


class QuestionBase(Strict):
    id: Ident
    text: Text
    points: number(0, 100, above=True) = 1
    explanation: Text | None = None
    reference: Ident | None = None


class ChoiceQuestion(QuestionBase):
    type: Literal["single_choice", "multiple_choice"]
    options: list[Option] = Field(min_length=2)


class TrueFalseQuestion(QuestionBase):
    type: Literal["true_false"]
    answer: Flag
    feedback_true: Text | None = None
    feedback_false: Text | None = None


class Pair(Strict):
    id: Ident
    left: Text
    right: Text


class MatchingQuestion(QuestionBase):
    type: Literal["matching"]
    pairs: list[Pair] = Field(min_length=2)


class OrderItem(Strict):
    id: Ident
    text: Text


class OrderingQuestion(QuestionBase):
    type: Literal["ordering"]
    items: list[OrderItem] = Field(min_length=2, description="in the correct order")


class NumericQuestion(QuestionBase):
    type: Literal["numeric"]
    answer: Number
    tolerance: number(0) = 0
    unit: Text | None = None


class AcceptedAnswers(Strict):
    ru: list[str] = Field(min_length=1)
    en: list[str] = Field(min_length=1)


class ShortTextQuestion(QuestionBase):
    type: Literal["short_text"]
    accepted: AcceptedAnswers


class EssayQuestion(QuestionBase):
    type: Literal["essay"]
    rubric: Text


Question = Annotated[
    ChoiceQuestion
    | TrueFalseQuestion
    | MatchingQuestion
    | OrderingQuestion
    | NumericQuestion
    | ShortTextQuestion
    | EssayQuestion,
    Field(discriminator="type"),
]


class QuizSection(Strict):
    """A part of the pool with its own draw, so that every attempt covers every topic."""

    id: Ident
    title: Text | None = None
    draw: whole(1) | None = None  # None: every question of the section
    questions: list[Ident] = Field(min_length=1)


SHOW_ANSWERS = ("after_submit", "after_pass", "after_last_attempt", "never")


class Quiz(Strict):
    id: Ident
    title: Text
    pass_mark: whole(0, 100) = 80
    attempts: whole(1) | None = None  # None: unlimited
    draw: whole(1) | None = None  # questions drawn from the pool; None: all
    shuffle_questions: Flag = False
    shuffle_options: Flag = False
    time_limit_minutes: whole(1, 600) | None = None
    show_answers: Literal["after_submit", "after_pass", "after_last_attempt", "never"] = (
        "after_submit"
    )
    sections: list[QuizSection] = []
    questions: list[Question] = Field(min_length=1)

    @property
    def per_attempt(self) -> int:
        """How many questions each attempt draws: the sections' draws, or `draw`, or all."""
        if self.sections:
            return sum(min(s.draw or len(s.questions), len(s.questions)) for s in self.sections)
        return min(self.draw or len(self.questions), len(self.questions))


# Scenarios and mock trials ----------------------------------------------------------------

Comparison = Literal["==", "!=", "<", "<=", ">", ">="]


class Party(Strict):
    id: Ident
    name: Text
    role: Text  # e.g. "plaintiff, the mother"
    description: Text | None = None


class Condition(Strict):
    var: Ident
    op: Comparison = "=="
    value: Amount | Flag


class CaseDocument(Strict):
    """An exhibit the learner can open at any time: call log, medical certificate ...
    With `when`, only in a run whose variables meet every condition (an exhibit that exists
    only if an imported run produced it)."""

    id: Ident
    title: Text
    body: Text  # Markdown
    when: list[Condition] = []


class CaseFile(Strict):
    summary: Text
    parties: list[Party] = Field(min_length=1)
    documents: list[CaseDocument] = []


class Variable(Strict):
    """Named state that choices change and conditions read."""

    id: Ident
    type: Literal["number", "flag"]
    initial: Amount | Flag = 0
    label: Text | None = None


class Dimension(Strict):
    """A rubric dimension such as victim safety, the child's interests, procedure."""

    id: Ident
    title: Text


class Effect(Strict):
    """Set a variable, or add to a number."""

    var: Ident
    set: Amount | Flag | None = None
    add: Amount | None = None


class Choice(Strict):
    id: Ident
    text: Text
    next: Ident
    when: list[Condition] = []  # all must hold for the choice to be offered
    effects: list[Effect] = []
    scores: dict[Ident, Amount] = {}  # rubric dimension -> points
    feedback: Text
    reference: Ident | None = None
    expert: Flag = False  # on the path an experienced professional would take
    points_once: Flag = False  # in a loop: scores only the first time a run takes it


class RulingOption(Strict):
    id: Ident
    text: Text
    scores: dict[Ident, Amount] = {}
    feedback: Text | None = None
    reference: Ident | None = None


class NumericBand(Strict):
    """Scores a numeric ruling value in [min, max]."""

    min: Amount
    max: Amount
    scores: dict[Ident, Amount] = {}
    feedback: Text | None = None
    reference: Ident | None = None


class RulingField(Strict):
    id: Ident
    label: Text
    kind: Literal["choice", "number"]
    options: list[RulingOption] = []  # for kind: choice
    min: Amount | None = None  # for kind: number
    max: Amount | None = None
    step: Step = 1
    unit: Text | None = None
    bands: list[NumericBand] = []
    expert: str | Amount | None = None  # the expert's option id or value
    shuffle: Flag = True  # options shown in an order of the run's own; false for a scale


class Debrief(Strict):
    what_happened: Text
    expert_view: Text  # what an experienced judge or officer would have done
    comparison: Text | None = None  # where it fits a comparison of practices
    references: list[Ident] = []


class NarrativeNode(Strict):
    id: Ident
    type: Literal["narrative"]
    title: Text | None = None
    text: Text  # Markdown
    next: Ident


class DecisionNode(Strict):
    id: Ident
    type: Literal["decision"]
    title: Text | None = None
    text: Text
    choices: list[Choice] = Field(min_length=2)
    shuffle: Flag = True  # choices shown in an order of the run's own; false for a scale


class RulingNode(Strict):
    id: Ident
    type: Literal["ruling"]
    title: Text | None = None
    text: Text
    fields: list[RulingField] = Field(min_length=1)
    next: Ident
    shuffle: Flag = True  # false: every field's options in the written order
    points_once: Flag = False  # in a loop: scores only the first time a run gives it


class EndingNode(Strict):
    id: Ident
    type: Literal["ending"]
    title: Text
    text: Text
    debrief: Debrief


ScenarioNode = Annotated[
    NarrativeNode | DecisionNode | RulingNode | EndingNode, Field(discriminator="type")
]


IMPORT_SOURCE = r"^([a-z0-9][a-z0-9-]{0,62}/)?[a-z0-9][a-z0-9-]{0,62}$"


class Imports(Strict):
    """Variables a run takes from the final state of another run: of the source scenario
    ("<scenario-id>", or "<module-slug>/<scenario-id>" naming this same module), the learner's
    latest finished run on the same module version, or a run a trainer paired with theirs.
    Each variable is declared in the importing scenario too; its `initial` is the default."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )

    source: str = Field(alias="from", pattern=IMPORT_SOURCE)
    variables: list[Ident] = Field(min_length=1)

    @property
    def scenario_id(self) -> str:
        return self.source.rsplit("/", 1)[-1]

    @property
    def module_slug(self) -> str | None:
        return self.source.split("/", 1)[0] if "/" in self.source else None


class Scenario(Strict):
    id: Ident
    title: Text
    summary: Text
    audience: Literal["judge", "officer"] = "judge"
    disclaimer: Text  # the case is fictional and says so
    case_file: CaseFile
    variables: list[Variable] = []
    imports: Imports | None = None
    rubric: list[Dimension] = Field(min_length=1)
    start: Ident
    nodes: list[ScenarioNode] = Field(min_length=2)
    # The checker follows a run through any one node at most this many times.
    loop_limit: whole(1, 50) = 5
