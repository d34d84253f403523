"""Rosters as trainers outside the project save them (seventh session's review): a name kept in
three columns, a title above the column names, Excel's `sep=;` line, tab-separated text. Each
was refused ("Missing: name, email") or, worse, read short without a word."""

import pytest

from trainer.learning.enrolment import RosterError, parse_roster
from trainer.models import Profession


def read(app, text: str, encoding="cp1251"):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        return parse_roster(text.encode(encoding))


def rows(roster):
    return [
        (r.line, r.name, r.email, r.profession, [str(p) for p in r.problems]) for r in roster.rows
    ]


def test_a_name_in_surname_name_and_patronymic_columns_is_joined(app):
    """Before, "Имя" was taken for the whole name and "Фамилия", "Отчество" were not read:
    the cohort got learners named "Иван" and "Мария" only."""
    roster = read(
        app,
        "Фамилия;Имя;Отчество;Email;Профессия\r\n"
        "Кузнецов;Иван;Петрович;ivan@example.org;полиция\r\n"
        "Волкова;Мария;;maria@example.org;судья\r\n",
    )
    assert rows(roster) == [
        (2, "Кузнецов Иван Петрович", "ivan@example.org", Profession.POLICE, []),
        (3, "Волкова Мария", "maria@example.org", Profession.JUDGE, []),
    ]


def test_long_russian_headings_are_recognised(app):
    roster = read(
        app,
        "Фамилия Имя Отчество;Адрес электронной почты;Должность\r\n"
        "Кузнецов Иван Петрович;ivan@example.org;участковый\r\n",
        "utf-8-sig",
    )
    assert rows(roster) == [
        (2, "Кузнецов Иван Петрович", "ivan@example.org", Profession.POLICE, []),
    ]


def test_a_title_above_the_column_names_is_skipped_and_lines_keep_their_numbers(app):
    roster = read(
        app,
        "Список слушателей курса;;\r\n"
        ";;\r\n"
        "ФИО;Email;Профессия\r\n"
        "Иван Кузнецов;ivan@example.org;полиция\r\n"
        "Мария Волкова;not-an-address;судья\r\n",
    )
    assert roster.header_line == 3
    assert rows(roster) == [
        (4, "Иван Кузнецов", "ivan@example.org", Profession.POLICE, []),
        (5, "Мария Волкова", "not-an-address", Profession.JUDGE,
         ["“not-an-address” is not a valid email address."]),
    ]  # fmt: skip


def test_excels_separator_line_names_the_separator(app):
    roster = read(app, "sep=;\nname;email;profession\nAnna, Smith;anna@example.org;judge\n")
    assert (roster.delimiter, roster.header_line) == (";", 2)
    assert rows(roster) == [(3, "Anna, Smith", "anna@example.org", Profession.JUDGE, [])]


def test_a_tab_separated_file_is_read(app):
    roster = read(app, "name\temail\tprofession\nAnna Smith\tanna@example.org\tpolice\n")
    assert roster.delimiter == "\t"
    assert rows(roster) == [(2, "Anna Smith", "anna@example.org", Profession.POLICE, [])]


def test_without_column_names_in_the_first_lines_the_first_is_named_as_missing(app):
    context = app.test_request_context(headers={"Accept-Language": "en"})
    with context, pytest.raises(RosterError, match="Line 1 must name the columns"):
        parse_roster("Список\nИван;ivan@example.org;полиция\n".encode())


def test_a_cell_with_a_line_break_from_excel_is_no_open_quotation_mark(app):
    """Excel saves a cell typed with Alt+Enter in quotes, line break and all. Every such row
    was refused as "runs on to line N: check for a quotation mark that is not closed", and a
    list with a notes column lost most of its people."""
    roster = read(
        app,
        'ФИО;Email;Профессия;Примечание\r\n'
        'Кузнецов Иван;ivan@example.org;полиция;"Курс 1;\r\nгруппа 2"\r\n'
        '"Волкова\r\nМария";maria@example.org;судья;\r\n'
        '"Сидоров Пётр;petr@example.org;прокурор;\r\n'
        "Орлова Анна;anna@example.org;судья;\r\n",
    )
    assert rows(roster)[:2] == [
        (2, "Кузнецов Иван", "ivan@example.org", Profession.POLICE, []),
        (4, "Волкова Мария", "maria@example.org", Profession.JUDGE, []),
    ]
    # A quotation mark left open still swallows the lines after it, and says so.
    [(line, _name, _email, _profession, problems)] = rows(roster)[2:]
    assert line == 6
    assert problems[0] == (
        "This row runs on to line 7: check for a quotation mark that is not closed."
    )
