"""Module files broken in ways an author (or a hostile one) can: each ends in a message naming
the file and the field, never in a traceback, a hang or a module stored without a part."""

import shutil
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from trainer.content import validate
from trainer.content.validate import load_module
from trainer.extensions import db
from trainer.models import Module


def only_error(folder):
    result = load_module(folder)
    assert result.package is None
    [error] = result.errors
    return error


@pytest.mark.parametrize("text", ["- a\n- b\n", "just words\n", "~\n"])
def test_a_manifest_that_is_not_a_mapping_is_reported(module_copy, text):
    (module_copy / "module.yaml").write_text(text, encoding="utf-8")
    error = only_error(module_copy)
    assert error.file.endswith("example-module/module.yaml")
    assert error.message == "expected a mapping of fields at the top level"


@pytest.mark.parametrize("name", ["module.yaml", "quizzes/check.yaml", "scenarios/hearing.yaml"])
def test_an_empty_file_is_reported_and_nothing_is_synced(app, module_copy, name):
    (module_copy / name).write_text("\n  \n", encoding="utf-8")
    error = only_error(module_copy)
    assert error.file.endswith(f"example-module/{name}")
    assert error.message == "the file is empty"
    result = app.test_cli_runner().invoke(args=["modules", "sync", str(module_copy)])
    assert result.exit_code == 1
    assert f"example-module/{name}: the file is empty" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Module)) == 0


def test_a_date_that_is_no_real_day_names_the_field_and_line(module_copy):
    manifest = module_copy / "module.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("law_as_of: 2025-01-01", "law_as_of: 2025-13-45"))
    error = only_error(module_copy)
    assert (error.path, error.message) == (
        "law_as_of",
        "'2025-13-45' is not a real date (YYYY-MM-DD)",
    )
    assert error.line == text.splitlines().index("law_as_of: 2025-01-01") + 1


LAUGHS = 'lol0: &a0 ["lol"]\n' + "".join(
    f"lol{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10)
)


def test_aliases_that_expand_to_a_billion_values_are_refused_at_once(module_copy):
    manifest = module_copy / "module.yaml"
    text = manifest.read_text(encoding="utf-8")
    text = text.replace("audience: [police, judge, prosecutor]", "audience: *a9")
    manifest.write_text(LAUGHS + text, encoding="utf-8")
    started = time.monotonic()
    error = only_error(module_copy)
    assert time.monotonic() - started < 5
    assert error.file.endswith("example-module/module.yaml")
    assert error.message.startswith("aliases (*name) expand to ")
    assert "values, more than 1,000,000; write the data out" in error.message


CONTROL = "contains control characters (such as NUL) that text cannot hold"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"What comes first\\0 when you arrive?"', CONTROL),
        ("!!binary aGVsbG8=", "binary data (!!binary) where text belongs"),
    ],
)
def test_control_characters_written_as_yaml_escapes_are_reported(module_copy, value, message):
    quiz = module_copy / "quizzes" / "check.yaml"
    text = quiz.read_text(encoding="utf-8")
    old = "en: What comes first when you arrive at the call?"
    quiz.write_text(text.replace(old, f"en: {value}"))
    error = only_error(module_copy)
    assert error.file.endswith("quizzes/check.yaml")
    assert error.path == "questions[0].text.en"
    assert error.message == message


def test_a_lesson_with_a_nul_byte_is_reported(module_copy):
    lesson = module_copy / "lessons" / "01-intro.en.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\nA NUL \x00 here\n")
    error = only_error(module_copy)
    assert error.file.endswith("lessons/01-intro.en.md")
    assert error.message == CONTROL


def test_a_lesson_saved_in_another_encoding_is_reported(module_copy):
    lesson = module_copy / "lessons" / "01-intro.ru.md"
    lesson.write_bytes(lesson.read_text(encoding="utf-8").encode("cp1251", "replace"))
    error = only_error(module_copy)
    assert error.file.endswith("lessons/01-intro.ru.md")
    assert error.message == "the Russian lesson text is not UTF-8"


def test_a_scenario_whose_id_differs_from_the_manifest_is_reported(module_copy):
    # `hearing` imports from `call`: the renamed source must not crash the import checks.
    scenario = module_copy / "scenarios" / "call.yaml"
    scenario.write_text(scenario.read_text(encoding="utf-8").replace("id: call", "id: night", 1))
    messages = [str(e) for e in load_module(module_copy).errors]
    assert any(
        m.endswith("scenarios/call.yaml: id: id 'night' differs from 'call' in module.yaml")
        for m in messages
    ), messages


def test_a_start_that_is_no_node_is_reported(module_copy):
    scenario = module_copy / "scenarios" / "call.yaml"
    scenario.write_text(
        scenario.read_text(encoding="utf-8").replace("start: arrival", "start: gone")
    )
    messages = [str(e) for e in load_module(module_copy).errors]
    assert any("scenarios/call.yaml:68: start: no node with id 'gone'" in m for m in messages)


@pytest.mark.parametrize("number", [".inf", "-.inf", ".nan"])
def test_an_infinite_number_is_reported_not_stored(module_copy, number):
    # JSON has no Infinity or NaN: PostgreSQL refused the whole module version with a traceback.
    quiz = module_copy / "quizzes" / "check.yaml"
    quiz.write_text(quiz.read_text(encoding="utf-8").replace("answer: 25", f"answer: {number}"))
    error = only_error(module_copy)
    assert (error.path, error.line) == ("questions[5].answer", 178)
    assert error.message == "Input should be a finite number"


# Values the format does not allow, written by someone who did not write Trainer: each is
# reported with its file, line and field and what is accepted, and sync stores nothing.


def refused(app, folder, file, field, fragment):
    """The one error names `file` and `field` and says `fragment`; sync stores nothing."""
    error = only_error(folder)
    assert error.file.endswith(f"example-module/{file}")
    assert error.path == field
    assert fragment in error.message, error.message
    result = app.test_cli_runner().invoke(args=["modules", "sync", str(folder)])
    assert result.exit_code == 1
    assert f"{file}" in result.output and f"{field}: " in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Module)) == 0
    return error


def replace_in(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


VERSION_EXPECTED = "whole number without quotes; this Trainer understands version 1"


@pytest.mark.parametrize(
    ("old", "new", "field", "fragment"),
    [
        ("schema_version: 1", 'schema_version: "1"', "schema_version", VERSION_EXPECTED),
        ("schema_version: 1", "schema_version: 1.0", "schema_version", VERSION_EXPECTED),
        ("schema_version: 1", "schema_version: true", "schema_version", VERSION_EXPECTED),
        (
            "schema_version: 1",
            "schema_version: 0",
            "schema_version",
            "unknown format version 0; this Trainer understands version 1",
        ),
        (
            "estimated_minutes: 45",
            'estimated_minutes: "45"',
            "estimated_minutes",
            "expected a whole number from 1 to 6000, without quotes; got the text '45'",
        ),
        (
            "credit_hours: 1",
            "credit_hours: 250",
            "credit_hours",
            "expected a number from 0 to 200, without quotes; got 250",
        ),
        (
            "certificate: true",
            'certificate: "true"',
            "certificate",
            "expected true or false; got the text 'true'",
        ),
        (
            "      pass_mark: 80",
            "      pass_mark: 101",
            "completion.quizzes[0].pass_mark",
            "expected a whole number from 0 to 100, without quotes; got 101",
        ),
        (
            "law_as_of: 2025-01-01",
            "law_as_of: 2025-01-01 10:00:00",
            "law_as_of",
            "expected a date written YYYY-MM-DD, e.g. 2025-01-01",
        ),
        (
            "law_as_of: 2025-01-01",
            "law_as_of: 1700000000",
            "law_as_of",
            "expected a date written YYYY-MM-DD, e.g. 2025-01-01; got 1700000000",
        ),
        (
            "    minutes: 5",
            "    minutes: 5.5",
            "lessons[0].minutes",
            "expected a whole number from 1 to 240, without quotes; got 5.5",
        ),
    ],
)
def test_a_manifest_value_of_the_wrong_kind_says_what_is_accepted(
    app, module_copy, old, new, field, fragment
):
    replace_in(module_copy / "module.yaml", old, new)
    error = refused(app, module_copy, "module.yaml", field, fragment)
    assert error.line is not None


@pytest.mark.parametrize("day", ["0001-01-01", "1989-12-31", "9999-12-31"])
def test_an_implausible_law_as_of_date_gives_the_range(app, module_copy, day):
    replace_in(module_copy / "module.yaml", "law_as_of: 2025-01-01", f"law_as_of: {day}")
    error = refused(app, module_copy, "module.yaml", "law_as_of", f"{day} is not a plausible date")
    latest = (date.today() + timedelta(days=365)).isoformat()
    assert f"write a date from 1990-01-01 to {latest}" in error.message


def test_a_law_as_of_date_in_quotes_is_the_same_date(module_copy):
    replace_in(module_copy / "module.yaml", "law_as_of: 2025-01-01", 'law_as_of: "2025-01-01"')
    result = load_module(module_copy)
    assert result.errors == []
    assert result.package.meta.law_as_of == date(2025, 1, 1)


@pytest.mark.parametrize(
    ("old", "new", "field", "fragment"),
    [
        (
            "pass_mark: 70",
            "pass_mark: -5",
            "pass_mark",
            "expected a whole number from 0 to 100, without quotes; got -5",
        ),
        (
            "pass_mark: 70",
            "pass_mark: 150",
            "pass_mark",
            "expected a whole number from 0 to 100, without quotes; got 150",
        ),
        (
            "attempts: 3",
            "attempts: 0",
            "attempts",
            "expected a whole number of 1 or more, without quotes; got 0",
        ),
        (
            "shuffle_options: true",
            "shuffle_options: 1",
            "shuffle_options",
            "expected true or false; got 1",
        ),
        (
            "answer: 25",
            'answer: "25"',
            "questions[5].answer",
            "expected a number without quotes (e.g. 1.5); got the text '25'",
        ),
        (
            "ru: [органы опеки и попечительства,",
            'ru: ["  ", органы опеки и попечительства,',
            "questions[6].accepted.ru[0]",
            "an empty accepted answer would count a blank answer as correct",
        ),
    ],
)
def test_a_quiz_value_that_makes_no_sense_is_refused(app, module_copy, old, new, field, fragment):
    replace_in(module_copy / "quizzes" / "check.yaml", old, new)
    error = refused(app, module_copy, "quizzes/check.yaml", field, fragment)
    assert error.line is not None


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("    initial: 0", '    initial: "0"', "variables[1].initial"),
        ("    initial: false", "    initial: no-such", "variables[0].initial"),
    ],
)
def test_a_scenario_value_fitting_neither_number_nor_flag_is_one_error(
    app, module_copy, old, new, field
):
    replace_in(module_copy / "scenarios" / "call.yaml", old, new)
    error = refused(app, module_copy, "scenarios/call.yaml", field, "")
    assert error.message.startswith("expected a number without quotes (e.g. 1.5) or true or false")


def test_empty_plain_texts_and_repeated_professions_are_refused(app, module_copy):
    manifest = module_copy / "module.yaml"
    replace_in(manifest, "    author: United Nations Office on Drugs and Crime", '    author: " "')
    refused(app, module_copy, "module.yaml", "references[0].author", "empty text")
    replace_in(manifest, '    author: " "', "    author: UNODC")
    replace_in(
        manifest, "audience: [police, judge, prosecutor]", "audience: [police, judge, police]"
    )
    refused(app, module_copy, "module.yaml", "audience", "listed more than once: police")


def test_a_completion_rule_that_requires_nothing_is_refused(app, module_copy):
    manifest = module_copy / "module.yaml"
    text = manifest.read_text(encoding="utf-8")
    start = text.index("completion:")
    end = text.index("\n\n", start)
    manifest.write_text(text[:start] + "completion:\n  lessons: []" + text[end:], encoding="utf-8")
    refused(app, module_copy, "module.yaml", "completion", "the rule requires nothing")


def test_a_lesson_required_twice_is_refused(app, module_copy):
    replace_in(
        module_copy / "module.yaml",
        "  lessons: [intro, at-the-scene]",
        "  lessons: [intro, intro]",
    )
    error = refused(
        app, module_copy, "module.yaml", "completion.lessons", "id 'intro' is used 2 times"
    )
    assert error.line is not None


def test_a_huge_lesson_is_refused_before_it_is_read(app, module_copy):
    lesson = module_copy / "lessons" / "01-intro.en.md"
    with lesson.open("a", encoding="utf-8") as out:
        for _ in range(20_000):
            out.write("word " * 200 + "\n\n")
    started = time.monotonic()
    error = refused(app, module_copy, "lessons/01-intro.en.md", "", "the file is 19.1 MB")
    assert time.monotonic() - started < 10
    assert "more than the limit of 1 MB for a text file of a module" in error.message


def test_a_quiz_file_over_the_limit_is_refused(app, module_copy):
    quiz = module_copy / "quizzes" / "check.yaml"
    quiz.write_text(quiz.read_text(encoding="utf-8") + "#" * (1024 * 1024) + "\n")
    error = refused(app, module_copy, "quizzes/check.yaml", "", "the file is 1 MB, more than")
    assert error.message.endswith("limit of 1 MB for a text file of a module; split it")


def test_a_module_over_the_total_limit_is_refused_before_anything_is_read(
    app, module_copy, monkeypatch
):
    # The real limit is 50 MB; a lower one spares the test writing that much.
    monkeypatch.setattr(validate, "MAX_MODULE_BYTES", 60_000)
    (module_copy / "images" / "scan.png").write_bytes(b"\x89PNG" + b"0" * 70_000)
    error = only_error(module_copy)
    assert error.file.endswith("example-module")
    assert error.message.startswith("the module's files add up to 0.1 MB, more than the limit")
    result = app.test_cli_runner().invoke(args=["modules", "sync", str(module_copy)])
    assert result.exit_code == 1 and "the module's files add up to" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Module)) == 0


def test_two_folders_with_the_same_slug_are_both_refused(app, module_copy, tmp_path):
    twin = tmp_path / "elsewhere" / module_copy.name
    shutil.copytree(module_copy, twin)
    result = app.test_cli_runner().invoke(args=["modules", "sync", str(module_copy), str(twin)])
    assert result.exit_code == 1
    assert result.output.count("another module folder has the same slug 'example-module'") == 2
    assert "2 module(s): 0 stored or unchanged, 2 refused." in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Module)) == 0
    same = app.test_cli_runner().invoke(
        args=["modules", "validate", str(module_copy), str(module_copy)]
    )
    assert same.exit_code == 0 and "1 module(s) checked, 0 failed." in same.output


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("add: 1\n", "add: 1.0e+308\n", "nodes[2].choices[0].effects[0].add"),
        ("value: true\n", "value: 3.0e+9\n", "nodes[2].choices[2].when[0].value"),
        ("        max: 30\n", "        max: 1.0e+300\n", "nodes[3].fields[1].max"),
    ],
)
def test_a_scenario_number_that_could_overflow_is_refused(app, module_copy, old, new, field):
    # Added up in a run, 1e308 becomes Infinity: PostgreSQL's JSON refuses the run's state.
    replace_in(module_copy / "scenarios" / "call.yaml", old, new)
    error = refused(app, module_copy, "scenarios/call.yaml", field, "")
    assert error.message.startswith("Input should be less than or equal to 1000000000; got ")


def test_a_ruling_step_too_small_to_count_is_refused(app, module_copy):
    replace_in(
        module_copy / "scenarios" / "call.yaml",
        "        max: 30\n",
        "        max: 30\n        step: 0\n",
    )
    refused(
        app,
        module_copy,
        "scenarios/call.yaml",
        "nodes[3].fields[1].step",
        "Input should be greater than or equal to 0.000001; got 0",
    )


def test_a_module_of_too_many_files_is_refused_before_anything_is_read(
    app, module_copy, monkeypatch
):
    # The real limit is 1,000 files; the example has 11 (hidden files do not count).
    monkeypatch.setattr(validate, "MAX_MODULE_FILES", 12)
    (module_copy / ".notes").write_text("hidden: not part of the module")
    (module_copy / "images" / "one.png").write_bytes(b"\x89PNG")
    assert load_module(module_copy).errors == []
    (module_copy / "images" / "two.png").write_bytes(b"\x89PNG")
    error = only_error(module_copy)
    assert error.file.endswith("example-module")
    assert error.message == "the module folder holds more than 12 files, the limit"


HUGE = "9" * 400


@pytest.mark.parametrize(
    ("file", "old", "new", "field", "message"),
    [
        (
            "module.yaml",
            "credit_hours: 1\n",
            f"credit_hours: {HUGE}\n",
            "credit_hours",
            "expected a number from 0 to 200, without quotes; got 99999999999999999999... "
            "(400 characters)",
        ),
        (
            "quizzes/check.yaml",
            "answer: 25\n",
            f"answer: {HUGE}\n",
            "questions[5].answer",
            "the number is too large; got 99999999999999999999... (400 characters)",
        ),
    ],
)
def test_a_number_of_400_digits_is_a_message_not_an_overflow(
    app, module_copy, file, old, new, field, message
):
    # It once ended in an OverflowError traceback: no float holds it.
    replace_in(module_copy / file, old, new)
    error = refused(app, module_copy, file, field, message)
    assert error.message == message


def test_a_time_written_without_quotes_is_not_taken_for_a_number(app, module_copy):
    # YAML 1.1 reads 45:00 as 2700 (base 60): accepted as 2700 minutes, without a word.
    replace_in(module_copy / "module.yaml", "estimated_minutes: 45", "estimated_minutes: 45:00")
    refused(
        app,
        module_copy,
        "module.yaml",
        "estimated_minutes",
        "YAML reads 45:00 as 2700, a number in base 60: put it in double quotes if it is a text",
    )


def test_a_text_yaml_reads_as_something_else_shows_what_was_written(app, module_copy):
    replace_in(module_copy / "quizzes" / "check.yaml", "en: Knowledge check", "en: No")
    error = refused(app, module_copy, "quizzes/check.yaml", "title.en", "")
    assert error.message == (
        "expected text; got No, which YAML reads as false (put it in double quotes if it is a text)"
    )


@pytest.mark.parametrize("invisible", ["\\u200b", "\\u2060\\u200d", "\\ufeff \\u200c"])
def test_a_text_of_invisible_characters_is_empty(app, module_copy, invisible):
    manifest = module_copy / "module.yaml"
    replace_in(manifest, "  en: Responding to a domestic violence call", f'  en: "{invisible}"')
    refused(app, module_copy, "module.yaml", "title.en", "empty English text")
    replace_in(manifest, f'  en: "{invisible}"', "  en: Responding to a domestic violence call")
    author = "    author: United Nations Office on Drugs and Crime"
    replace_in(manifest, author, f'    author: "{invisible}"')
    refused(app, module_copy, "module.yaml", "references[0].author", "empty text")

