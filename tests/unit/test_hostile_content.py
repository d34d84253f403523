"""Module files broken in ways an author (or a hostile one) can: each ends in a message naming
the file and the field, never in a traceback, a hang or a module stored without a part."""

import time

import pytest
from sqlalchemy import func, select

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
