"""Issue 18, learner and visitor, as plain functions: certificate wording by grammatical gender,
verification-code normalisation, the bilingual lesson's sections, and Russian dates in the
catalogue."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from trainer.learn.sections import paired_sections, split_sections
from trainer.learning.certificates import normalise_code
from trainer.learning.pdf import grammatical_gender, grouped_code, worded

RU_CATALOGUE = Path(__file__).parents[2] / "translations" / "ru" / "LC_MESSAGES" / "messages.po"


@pytest.mark.parametrize(
    ("name", "gender"),
    [
        ("Анна Сергеевна Смирнова", "f"),
        ("Смирнова Анна Сергеевна", "f"),
        ("Иван Петрович Сидоров", "m"),
        ("Сидоров Иван Ильич", "m"),
        ("Анна Ивановна Шевкович", "f"),  # a surname in -вич is not a patronymic
        ("Анна Шевкович", None),
        ("Анна Смирнова", None),
        ("John Smith", None),
    ],
)
def test_the_patronymic_tells_the_grammatical_gender_or_nothing(name, gender):
    assert grammatical_gender(name) == gender


def test_the_certificate_line_agrees_or_stays_neutral():
    assert worded("completed", ("ru",), "Иван Петрович Сидоров") == "успешно освоил учебный модуль"
    feminine = worded("completed", ("ru",), "Анна Сергеевна Смирнова")
    assert feminine == "успешно освоила учебный модуль"
    neutral = worded("completed", ("ru", "en"), "Анна Смирнова")
    assert neutral == (
        "успешно завершено обучение по учебному модулю / "
        "has successfully completed the training module"
    )
    assert worded("certify", ("ru",), "Анна Смирнова") == "Слушатель"
    for name in ("Анна Смирнова", "Иван Петрович Сидоров", "Анна Сергеевна Смирнова"):
        assert "(а)" not in worded("completed", ("ru",), name)


def test_a_typed_code_is_normalised_the_crockford_way():
    assert normalise_code(" 7k3m-9qxa 2bdf\t4ghj ") == "7K3M9QXA2BDF4GHJ"
    assert normalise_code("O0-Il-Ll") == "001111"  # O is zero, I and L are one
    assert normalise_code("ab–cd—ef") == "ABCDEF"  # dashes from a word processor
    assert grouped_code("7K3M9QXA2BDF4GHJ5NPR6STV8WYZ") == "7K3M 9QXA 2BDF 4GHJ 5NPR 6STV 8WYZ"


def test_a_lesson_is_cut_at_top_level_headings_only():
    html = (
        '<p>intro</p><h2>A</h2><p>a</p><div class="callout"><h3>inside</h3></div><h3>B</h3><p>b</p>'
    )
    assert split_sections(html) == [
        "<p>intro</p>",
        '<h2>A</h2><p>a</p><div class="callout"><h3>inside</h3></div>',
        "<h3>B</h3><p>b</p>",
    ]
    assert "".join(split_sections(html)) == html  # nothing lost, nothing added
    assert split_sections("<h2>X</h2><p>x</p>") == ["<h2>X</h2><p>x</p>"]


def test_sections_pair_by_row_and_a_missing_one_leaves_a_cell_empty():
    rows = paired_sections("<h2>А</h2><p>а</p><h2>Б</h2>", "<h2>A</h2><p>a</p>")
    assert rows == [("<h2>А</h2><p>а</p>", "<h2>A</h2><p>a</p>"), ("<h2>Б</h2>", "")]


def test_no_russian_message_puts_a_full_stop_after_a_date():
    """Russian dates end in "г." (2 декабря 2026 г.): a message must not add another."""
    with RU_CATALOGUE.open("rb") as po:
        catalogue = read_po(po)
    doubled = [
        message.id
        for message in catalogue
        if message.id
        for text in ([message.string] if isinstance(message.string, str) else message.string)
        if re.search(r"%\((date|start|end|due)\)s\.", text or "")
    ]
    assert doubled == [], "drop the full stop after the date in these Russian messages"


def test_no_russian_message_hedges_the_gender_with_a_bracket():
    """«освоил(а)» reads as a form letter: agree with the person or choose a neutral phrasing."""
    with RU_CATALOGUE.open("rb") as po:
        catalogue = read_po(po)
    hedged = [
        message.id
        for message in catalogue
        if message.id
        for text in ([message.string] if isinstance(message.string, str) else message.string)
        if re.search(r"\w\((а|ла|на)\)", text or "")
    ]
    assert hedged == [], "rephrase these Russian messages without «(а)»"
