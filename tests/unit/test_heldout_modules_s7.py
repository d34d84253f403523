"""Module folders broken the way an outside author breaks them, read as that author reads the
validator's answer: each message names the file, the line and the field, says in words what the
field accepts (never pydantic's "Input should be a valid dictionary" or a regular expression),
and `modules sync` stores nothing of the broken module."""

import threading
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


def replace(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path, fragment):
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if fragment in line)


def assert_nothing_synced(app, folder, shown):
    result = app.test_cli_runner().invoke(args=["modules", "sync", str(folder)])
    assert result.exit_code == 1
    assert shown in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Module)) == 0


# The manifest, a quiz and a scenario with one value of the wrong shape; the message the author
# reads. Before, each was pydantic's own words: "Input should be a valid dictionary or instance
# of Text", "Input should be a valid list", "List should have at least 1 item after validation,
# not 0", "String should match pattern '^[A-Za-z0-9_./-]+$'".
WRONG_SHAPES = [
    (
        "module.yaml",
        "title:\n  ru: Выезд на вызов о домашнем насилии\n  en: Responding to a domestic "
        "violence call\n",
        "title:\n",
        "title",
        "expected a text in both languages (`ru: ...` and `en: ...` on the lines below); "
        "got an empty value",
    ),
    (
        "module.yaml",
        "audience: [police, judge, prosecutor]",
        "audience: police",
        "audience",
        "expected a list (one item per line, each starting with `- `, or [a, b]); "
        "got the text 'police'",
    ),
    (
        "module.yaml",
        "audience: [police, judge, prosecutor]",
        "audience: []",
        "audience",
        "the list needs at least one item; it has 0",
    ),
    (
        "module.yaml",
        "file: lessons/01-intro",
        "file: lessons\\01-intro",
        "lessons[0].file",
        "expected a path inside the module folder written with Latin letters, digits, `_`, `-`, "
        "`.` and `/` (e.g. lessons/01-intro); got the text 'lessons\\01-intro'",
    ),
    (
        "module.yaml",
        "file: quizzes/check.yaml",
        "file: quizzes/check.txt",
        "quizzes[0].file",
        "expected a path inside the module folder ending in .yaml or .yml, written with Latin "
        "letters, digits, `_`, `-`, `.` and `/` (e.g. quizzes/check.yaml); "
        "got the text 'quizzes/check.txt'",
    ),
    (
        "module.yaml",
        "url: https://www.coe.int/en/web/istanbul-convention",
        "url: www.coe.int/en/web/istanbul-convention",
        "references[1].url",
        "expected a web address starting with http:// or https://, without spaces; "
        "got the text 'www.coe.int/en/web/istanbul-convention'",
    ),
    (
        "module.yaml",
        "  lessons: [intro, at-the-scene]",
        "  lessons: some",
        "completion.lessons",
        "expected 'all' or a list (one item per line, each starting with `- `, or [a, b]); "
        "got the text 'some'",
    ),
    (
        "quizzes/check.yaml",
        "questions: [match-terms, children-authority, explain-help]",
        "questions: [Match Terms, children-authority, explain-help]",
        "sections[1].questions[0]",
        "ids use lower-case Latin letters, digits and hyphens, start with a letter or digit and "
        "have at most 63 characters (e.g. night-call); got the text 'Match Terms'",
    ),
    (
        "quizzes/check.yaml",
        "show_answers: after_pass",
        "show_answers: always",
        "show_answers",
        "expected one of 'after_submit', 'after_pass', 'after_last_attempt' or 'never'; "
        "got the text 'always'",
    ),
    (
        "scenarios/call.yaml",
        "        scores:\n          safety: 2\n          procedure: 1\n",
        "        scores: 3\n",
        "nodes[1].choices[0].scores",
        "expected a group of fields written `name: value`, one per line; got 3",
    ),
]


# Each is the one error: a reference with a bad url was also reported as an unknown id at
# each of its citations in lessons and quizzes ("unknown reference id [@istanbul-convention]").
@pytest.mark.parametrize(("name", "old", "new", "field", "message"), WRONG_SHAPES)
def test_a_value_of_the_wrong_shape_says_in_words_what_is_accepted(
    app, module_copy, name, old, new, field, message
):
    replace(module_copy / name, old, new)
    error = only_error(module_copy)
    assert error.file.endswith(f"example-module/{name}")
    assert (error.path, error.message) == (field, message)
    assert error.line == line_of(module_copy / name, new.strip().splitlines()[0])
    assert_nothing_synced(app, module_copy, f"{name}:{error.line}: {field}: {message}")


def test_a_completion_rule_with_a_bad_lesson_id_names_that_id_only(module_copy):
    """`lessons` is `all` or a list; a list with a bad id was also told "Input should be 'all'"
    under the field path completion.lessons.literal['all']."""
    replace(module_copy / "module.yaml", "  lessons: [intro, at-the-scene]", "  lessons: [Intro]")
    error = only_error(module_copy)
    assert error.path == "completion.lessons[0]"
    assert error.message.endswith("got the text 'Intro'")


@pytest.mark.parametrize(
    ("name", "old", "new", "field"),
    [
        ("module.yaml", "certificate: true\n", "certificate: true\ncertificate: false\n",
         "certificate"),
        ("quizzes/check.yaml", "pass_mark: 70\n", "pass_mark: 70\npass_mark: 60\n",
         "pass_mark"),
        ("scenarios/call.yaml", "        expert: true\n      - id: leave\n",
         "        expert: true\n        expert: true\n      - id: leave\n",
         "nodes[1].choices[0].expert"),
    ],
)  # fmt: skip
def test_a_field_written_twice_is_an_error_on_the_second(app, module_copy, name, old, new, field):
    """YAML keeps the last of two equal keys without a word: a module said `certificate: false`
    below `certificate: true` and was stored without a certificate, validate said ok."""
    replace(module_copy / name, old, new)
    key = field.rsplit(".", 1)[-1]
    first = line_of(module_copy / name, f"{key}: ")
    error = only_error(module_copy)
    assert error.file.endswith(f"example-module/{name}")
    assert error.path == field
    assert error.message == (
        f"'{key}' is written twice here (first on line {first}); YAML keeps only the last "
        "value, silently: delete one of them"
    )
    assert error.line > first
    assert_nothing_synced(app, module_copy, f"{name}:{error.line}: {field}: '{key}' is written")


@pytest.mark.parametrize(
    "content", [b"not an image at all", b"<!DOCTYPE html><html>404</html>", b"%PDF-1.7\n"]
)
def test_a_file_named_png_that_is_no_image_is_refused(app, module_copy, content):
    """README: "be an image file (PNG, JPEG, GIF or WebP)". A text, a saved error page or a PDF
    renamed diagram.png was stored and served as image/png: the learner saw a broken picture."""
    (module_copy / "images" / "diagram.png").write_bytes(content)
    errors = load_module(module_copy).errors
    assert {(e.file.rsplit("/", 2)[-2:][-1], e.message) for e in errors} == {
        (f"01-intro.{lang}.md", "image ../images/diagram.png: the file is not a PNG, JPEG, GIF or "
         "WebP image inside, whatever its name says (a renamed document or a web page saved as a "
         "picture?): save the picture again from an image editor")
        for lang in ("ru", "en")
    }  # fmt: skip
    assert_nothing_synced(app, module_copy, "01-intro.en.md: image ../images/diagram.png")


@pytest.mark.parametrize(
    ("content", "mime"),
    [
        (b"\xff\xd8\xff\xe0" + b"\0" * 16, "image/jpeg"),
        (b"GIF89a" + b"\0" * 16, "image/gif"),
        (b"RIFF\x10\0\0\0WEBPVP8 " + b"\0" * 8, "image/webp"),
    ],
)
def test_a_picture_is_stored_as_the_format_its_bytes_are_in(module_copy, content, mime):
    """A JPEG photo saved under the name diagram.png is a picture still: kept, and served as
    what it is."""
    (module_copy / "images" / "diagram.png").write_bytes(content)
    result = load_module(module_copy)
    assert result.errors == []
    [asset] = result.package.assets.values()
    assert (asset.path, asset.mime) == ("../images/diagram.png", mime)


def test_files_saved_as_utf8_with_a_bom_read_as_without(module_copy):
    """Windows Notepad saves "UTF-8 with BOM". The lesson's first heading was shown as the text
    "## Зачем нужен этот модуль" in a paragraph, the invisible mark before its ##."""
    for name in ("module.yaml", "quizzes/check.yaml", "lessons/01-intro.ru.md"):
        path = module_copy / name
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = load_module(module_copy)
    assert result.errors == []
    html = result.package.lessons["intro"]["html"]["ru"]
    assert html.startswith("<h2")
    assert "\ufeff" not in html
    assert result.package.meta.title.ru == "Выезд на вызов о домашнем насилии"


TITLE_EN = "  en: Responding to a domestic violence call\n"
YAML_MISTAKES = [
    ("\ten: Responding to a domestic violence call\n", 8,
     "found a tab character that violates indentation (YAML indents with spaces only: replace "
     "the tab with spaces)"),
    ("  en: Article 6.1.1: battery\n", 8,
     "mapping values are not allowed in this context (a colon and a space (': ') inside a text, "
     "or a line indented differently from the lines around it: put the whole text in double "
     "quotes, or write it with >- on the lines below, or check the indentation)"),
    ('  en: "Responding to a call\n', 8,
     "found unexpected end of stream (a quotation mark opened here is never closed)"),
    ("  en: @home call\n", 8,
     "found character that cannot start any token (a text begins with @, ` or %: put the whole "
     "text in double quotes, or write it with >- on the lines below)"),
    ('  en: "Call" of the night\n', 8,
     "did not find expected key (a text begins with [ or {, or goes on after a closing "
     "quotation mark: put the whole text in double quotes, or write it with >- on the lines "
     'below (a quotation mark inside it written \\"))'),
]  # fmt: skip


@pytest.mark.parametrize(("line", "number", "problem"), YAML_MISTAKES)
def test_a_yaml_mistake_says_what_it_likely_is_and_where_it_starts(
    app, module_copy, line, number, problem
):
    """The YAML library's words alone ("mapping values are not allowed in this context") told
    an author nothing; an unclosed quotation mark was reported at the last line of the file."""
    replace(module_copy / "module.yaml", TITLE_EN, line)
    result = app.test_cli_runner().invoke(args=["modules", "validate", str(module_copy)])
    assert result.exit_code == 1
    assert f"module.yaml:{number}: YAML syntax error: {problem}\n" in result.output
    assert_nothing_synced(app, module_copy, f"module.yaml:{number}: YAML syntax error")


def test_a_text_cut_by_a_comment_is_a_warning_with_what_was_cut(app, module_copy):
    """README: a text with ' #' must be quoted. Unquoted, YAML kept "Call" of "Call #1 of the
    night" and dropped the rest as a comment; validate said ok."""
    replace(module_copy / "module.yaml", TITLE_EN, "  en: Call #1 of the night\n")
    result = load_module(module_copy)
    assert result.errors == []
    [warning] = result.warnings
    assert (warning.path, warning.line) == ("title.en", 8)
    assert warning.message == (
        "the text ends before ' #': YAML reads '#1 of the night' as a comment, not as part of "
        "the text; put the text in double quotes if the # belongs to it"
    )
    args = ["modules", "validate", "--strict", str(module_copy)]
    strict = app.test_cli_runner().invoke(args=args)
    assert strict.exit_code == 1
    assert "module.yaml:8: title.en: warning: the text ends before ' #'" in strict.output


def test_a_comment_after_a_quoted_text_or_a_value_is_no_warning(module_copy):
    replace(module_copy / "module.yaml", TITLE_EN, '  en: "Call #1"  # the first call\n')
    replace(module_copy / "module.yaml", "certificate: true", "certificate: true  # signed")
    assert load_module(module_copy).warnings == []


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("9" * 5000,
         "'99999999999999999999...' (5,000 characters) cannot be read as a whole number"),
        ("!!int many", "'many' cannot be read as a whole number"),
    ],
)  # fmt: skip
def test_a_number_yaml_cannot_make_is_shown_short_and_in_words(module_copy, written, message):
    """Past 4,300 digits Python refuses to make the number: the message quoted all 5,000 digits
    and ended "cannot be read as int"."""
    replace(module_copy / "module.yaml", "estimated_minutes: 45", f"estimated_minutes: {written}")
    error = only_error(module_copy)
    assert (error.path, error.line, error.message) == ("estimated_minutes", 18, message)


def test_a_manifest_named_module_yml_is_named_not_skipped(app, module_copy):
    """`modules validate` without paths skipped a folder whose manifest was module.yml: the
    author read "1 module(s) checked, 0 failed" and never learnt why theirs was missing."""
    (module_copy / "module.yaml").rename(module_copy / "module.yml")
    app.config["TRAINER_MODULES_DIR"] = str(module_copy.parent)
    result = app.test_cli_runner().invoke(args=["modules", "validate"])
    assert result.exit_code == 1
    assert (
        "example-module/module.yaml: file not found; the manifest must be named module.yaml: "
        "rename module.yml\n"
    ) in result.output
    assert "1 module(s) checked, 1 failed." in result.output


def test_the_folder_of_modules_given_as_a_module_says_what_to_give(app, module_copy):
    result = app.test_cli_runner().invoke(args=["modules", "validate", str(module_copy.parent)])
    assert result.exit_code == 1
    assert (
        "modules/module.yaml: file not found: this is a folder of modules (example-module), not "
        "a module; name the module folders (e.g. modules/example-module), or none to check "
        "every module in modules/\n"
    ) in result.output


def test_a_folder_without_a_manifest_points_to_the_guide(app, tmp_path):
    (tmp_path / "draft").mkdir()
    result = app.test_cli_runner().invoke(args=["modules", "sync", str(tmp_path / "draft")])
    assert result.exit_code == 1
    assert (
        "draft/module.yaml: file not found: a module folder holds its module.yaml "
        "(see modules/README.md)"
    ) in result.output


@pytest.mark.parametrize("written", ["lessons/01-intro.ru.md", "lessons/01-intro.md"])
def test_a_lesson_path_written_with_its_extension_says_how_to_write_it(module_copy, written):
    """Was two errors: "Russian text lessons/01-intro.ru.md.ru.md not found" and the English."""
    replace(module_copy / "module.yaml", "file: lessons/01-intro\n", f"file: {written}\n")
    error = only_error(module_copy)
    assert (error.path, error.line, error.message) == (
        "lessons[0].file",
        25,
        "write the path without the language and .md: `file: lessons/01-intro` stands for "
        "lessons/01-intro.ru.md and lessons/01-intro.en.md",
    )


@pytest.mark.parametrize(
    ("written", "named"),
    [("intrо", "'о' (CYRILLIC SMALL LETTER O)"), ("intro\u00a0", "'\u00a0' (NO-BREAK SPACE)")],
)
def test_an_id_with_a_look_alike_character_names_it(module_copy, written, named):
    """'intrо' with a Cyrillic о looks right: the message showed it and said Latin letters."""
    replace(module_copy / "module.yaml", "  - id: intro\n", f"  - id: {written}\n")
    errors = load_module(module_copy).errors
    assert errors[0].path == "lessons[0].id"
    assert errors[0].message.endswith(f"got the text '{written}', which contains {named}")


def test_a_file_found_only_in_other_capitals_says_so(module_copy):
    images = module_copy / "images"
    (images / "diagram.png").rename(images / "Diagram.PNG")
    lesson = module_copy / "lessons" / "01-intro.en.md"
    lesson.rename(lesson.with_name("01-intro.EN.md"))
    messages = {(e.file.rsplit("/", 1)[-1], e.message) for e in load_module(module_copy).errors}
    assert messages == {
        ("module.yaml", "English text lessons/01-intro.en.md not found; there is "
         "01-intro.EN.md: the capital and small letters of a name must match"),
        ("01-intro.ru.md", "image ../images/diagram.png: file not found; there is Diagram.PNG: "
         "the capital and small letters of a name must match"),
    }  # fmt: skip


def test_an_image_path_with_a_space_says_to_rename_the_file(module_copy):
    """Markdown cut the path at the space: "image ../images/my: file not found"."""
    (module_copy / "images" / "diagram.png").rename(module_copy / "images" / "my diagram.png")
    for lang in ("ru", "en"):
        replace(
            module_copy / "lessons" / f"01-intro.{lang}.md",
            "../images/diagram.png",
            "../images/my diagram.png",
        )
    messages = {e.message for e in load_module(module_copy).errors}
    assert messages == {
        "image ../images/my diagram.png: Markdown ends the path at its first space; rename the "
        "file without spaces (e.g. with - instead) and write the path so"
    }


def test_an_image_with_a_title_is_no_path_with_a_space(module_copy):
    lesson = module_copy / "lessons" / "01-intro.en.md"
    replace(lesson, "../images/diagram.png)", '../images/diagram.png "The five stages")')
    assert load_module(module_copy).errors == []


def test_two_syncs_at_once_store_the_module_once(app, module_copy):
    """The image syncs at every start: two servers started together on PostgreSQL each found
    no version and stored one, and the second sync ended in a traceback (unique slug)."""
    from trainer.content.sync import sync_modules

    ready, statuses, failures = threading.Barrier(2), [], []

    def sync():
        try:
            with app.app_context():
                ready.wait()
                [outcome] = sync_modules([module_copy])
                time.sleep(0.3)  # still uncommitted while the other sync looks
                db.session.commit()
                statuses.append(outcome.status)
        except Exception as error:
            failures.append(repr(error))

    threads = [threading.Thread(target=sync) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(statuses) == ["created", "unchanged"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Module)) == 1


def test_links_that_lead_nowhere_are_named(module_copy):
    """Validate said ok, and a learner clicking found a page of Trainer that does not exist
    (an address without https://, a link to a lesson's file) or a link with no address."""
    lesson = module_copy / "lessons" / "01-intro.en.md"
    lesson.write_text(
        lesson.read_text(encoding="utf-8")
        + "\n\nSee [the next lesson](02-at-the-scene.en.md), [the code](www.consultant.ru), "
        "[a file](ftp://example.org/a) and <a href=\"consultant.ru/doc\">the law</a>; these "
        "work: [site](https://www.consultant.ru), [mail](mailto:a@example.org), "
        "[above](#top), [module](/learn/)\n",
        encoding="utf-8",
    )
    messages = [e.message for e in load_module(module_copy).errors]
    assert messages == [
        "link 02-at-the-scene.en.md: a link to a file or page of the module does not work; "
        "name the lesson in words (learners move between lessons with the buttons below each)",
        "link www.consultant.ru: write the whole address, starting with https:// (without it "
        "the link leads to a page of Trainer that does not exist)",
        "link ftp://example.org/a: only http, https and mailto links work; this one is removed",
        "link consultant.ru/doc: write the whole address, starting with https:// (without it "
        "the link leads to a page of Trainer that does not exist)",
    ]
