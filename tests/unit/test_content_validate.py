"""The one validator: every problem, with its file, line and field path."""

from pathlib import Path

import yaml

from tests.conftest import EXAMPLE_MODULE
from trainer.content.validate import load_module


def messages(folder: Path) -> list[str]:
    return [str(e) for e in load_module(folder).errors]


def edit_yaml(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_the_example_module_is_valid():
    result = load_module(EXAMPLE_MODULE)
    assert result.errors == []
    package = result.package
    assert package.meta.slug == "example-module"
    assert {q.type for q in package.quizzes["check"].questions} == {
        "single_choice", "multiple_choice", "true_false", "matching", "ordering", "numeric",
        "short_text", "essay",
    }  # fmt: skip
    assert len(package.content_hash) == 64 and package.assets


def test_broken_yaml_names_the_file_and_line(module_copy):
    manifest = module_copy / "module.yaml"
    manifest.write_text(manifest.read_text() + "\nlessons: [unclosed\n")
    [error] = load_module(module_copy).errors
    assert error.file.endswith("example-module/module.yaml")
    assert error.line is not None and "YAML syntax error" in error.message


def test_missing_russian_text_is_reported_with_its_path_and_line(module_copy):
    quiz = module_copy / "quizzes" / "check.yaml"
    edit_yaml(quiz, lambda d: d["questions"][0]["options"][1]["text"].pop("ru"))
    [error] = load_module(module_copy).errors
    assert error.path == "questions[0].options[1].text.ru"
    assert error.message == "missing Russian text"
    assert error.line is not None
    assert str(error).startswith(f"{error.file}:{error.line}: questions[0].options[1].text.ru")


def test_every_error_is_reported_not_just_the_first(module_copy):
    edit_yaml(module_copy / "module.yaml", lambda d: d["title"].update(en="  "))
    edit_yaml(module_copy / "quizzes" / "check.yaml", lambda d: d["questions"][0].pop("text"))
    (module_copy / "lessons" / "01-intro.en.md").unlink()
    found = messages(module_copy)
    assert any("title.en: empty English text" in m for m in found)
    assert any("questions[0].text: required field is missing" in m for m in found)
    assert any("01-intro.en.md not found" in m for m in found)


def test_fields_written_twice_are_reported_in_the_order_of_the_file(module_copy):
    """An author fixes the list from the top: the errors come in the file's order, and a
    mapping written once under an anchor (&name) and used again (*name) is reported once,
    under the field where it is written."""
    manifest = module_copy / "module.yaml"
    text = manifest.read_text(encoding="utf-8")
    text = text.replace(
        "  en: Responding to a domestic violence call\n",
        "  en: Responding to a domestic violence call\n  en: Responding to a call\n",
    )
    text = text.replace(
        "    title:\n      ru: Первые минуты вызова\n      en: The first minutes of a call\n",
        "    title: &first\n      ru: Первые минуты вызова\n      en: The first minutes\n"
        "      en: The first minutes of a call\n",
    )
    text = text.replace(
        "    title:\n      ru: На месте происшествия\n      en: At the scene\n",
        "    title: *first\n",
    )
    manifest.write_text(text, encoding="utf-8")
    twice = [e for e in load_module(module_copy).errors if "written twice" in e.message]
    lines = text.splitlines()
    assert [(e.path, lines[e.line - 1].strip()) for e in twice] == [
        ("title.en", "en: Responding to a call"),
        ("lessons[0].title.en", "en: The first minutes of a call"),
    ]


def test_dangling_references(module_copy):
    def dangle(d):
        d["completion"]["lessons"] = ["intro", "no-such-lesson"]
        d["completion"]["quizzes"] = [{"id": "ghost-quiz"}]

    edit_yaml(module_copy / "module.yaml", dangle)
    edit_yaml(
        module_copy / "quizzes" / "check.yaml",
        lambda d: d["questions"][0].update(reference="nowhere"),
    )
    lesson = module_copy / "lessons" / "01-intro.ru.md"
    lesson.write_text(
        lesson.read_text() + "\n\nСм. [@unknown-source].\n\n![Схема](images/none.png)\n"
    )
    found = "\n".join(messages(module_copy))
    assert "completion.lessons[1]: no lesson with id 'no-such-lesson'" in found
    assert "completion.quizzes[0].id: no quiz with id 'ghost-quiz'" in found
    assert "questions[0].reference: no reference with id 'nowhere'" in found
    assert "unknown reference id [@unknown-source]" in found
    assert "image images/none.png: file not found" in found


def test_an_unusable_image_says_why(module_copy):
    images = module_copy / "lessons" / "images"
    images.mkdir(exist_ok=True)
    (images / "drawing.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (images / "huge.png").write_bytes(b"\x89PNG" + b"0" * (5 * 1024 * 1024))
    (images / "folder.png").mkdir()
    lesson = module_copy / "lessons" / "01-intro.en.md"
    lesson.write_text(
        lesson.read_text()
        + "\n\n![A](images/drawing.svg) ![B](images/huge.png) ![C](images/folder.png)"
        + " ![D](https://example.org/d.png)\n"
    )
    found = "\n".join(messages(module_copy))
    assert "image images/drawing.svg: only PNG, JPEG, GIF and WebP images" in found
    assert "image images/huge.png: the file is larger than 5 MB" in found
    assert "image images/folder.png: not a file" in found
    assert "image https://example.org/d.png: use a path relative to the lesson" in found


def test_newer_schema_version_is_refused_with_a_clear_message(module_copy):
    edit_yaml(module_copy / "module.yaml", lambda d: d.update(schema_version=7))
    [message] = messages(module_copy)
    assert "format version 7, newer than this Trainer understands (1)" in message


def test_slug_must_be_a_safe_name(module_copy):
    edit_yaml(module_copy / "module.yaml", lambda d: d.update(slug="../Etc Passwd"))
    assert any("slug: ids use lower-case Latin letters" in m for m in messages(module_copy))


def test_raw_html_that_the_sanitizer_removes_is_reported(module_copy):
    lesson = module_copy / "lessons" / "01-intro.en.md"
    lesson.write_text(
        lesson.read_text()
        + '\n\n<script>alert(1)</script>\n\n<p onclick="steal()">x</p> [go](javascript:alert(1))\n'
    )
    found = "\n".join(messages(module_copy))
    assert "01-intro.en.md: raw HTML <script> is removed by the sanitizer" in found
    assert "raw HTML attribute onclick on <p> is removed" in found
    assert "javascript:, vbscript: and data: links are not allowed" in found


def test_duplicate_ids_and_wrong_answer_keys(module_copy):
    def break_quiz(d):
        d["questions"][1]["id"] = d["questions"][0]["id"]
        single = next(q for q in d["questions"] if q["type"] == "single_choice")
        for option in single["options"]:
            option["correct"] = False

    edit_yaml(module_copy / "quizzes" / "check.yaml", break_quiz)
    found = "\n".join(messages(module_copy))
    assert "is used 2 times; ids must be unique" in found
    assert "needs exactly one correct option, has 0" in found


def test_unknown_question_type_lists_the_known_ones(module_copy):
    edit_yaml(
        module_copy / "quizzes" / "check.yaml", lambda d: d["questions"][0].update(type="poll")
    )
    found = "\n".join(messages(module_copy))
    assert "unknown question type; use one of: single_choice" in found
