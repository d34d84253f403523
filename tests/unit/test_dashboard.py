"""The dashboard's plain functions: matrix, filters, totals, series, histogram, export."""

from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from types import SimpleNamespace as Row

import openpyxl
import pytz

from trainer.cohorts.matrix import matrix_rows
from trainer.learning import dashboard
from trainer.models import Profession, Status

TODAY = date(2026, 3, 10)
ANNA = Row(id=1, name="Анна", email="anna@example.org", profession=Profession.POLICE)
BORIS = Row(id=2, name="Борис", email="boris@example.org", profession=Profession.JUDGE)
EARLY = Row(id=10, module_id=100, due_on=date(2026, 3, 1))
LATER = Row(id=11, module_id=101, due_on=None)


def progress(user_id, module_id, status, percent, state=None, completed_at=None):
    return Row(
        user_id=user_id,
        module_id=module_id,
        status=status,
        percent=percent,
        state=state or {},
        completed_at=completed_at,
    )


PROGRESS = [
    progress(
        1,
        100,
        Status.COMPLETED,
        100,
        {
            "quizzes": {"q1": {"best": 72.5, "passed": True}, "q2": {"best": 90, "passed": True}},
            "scenarios": {"call": {"best": 64}},
        },
    ),
    progress(2, 100, Status.IN_PROGRESS, 40, {"quizzes": {"q1": {"best": 30, "passed": False}}}),
    progress(2, 101, Status.IN_PROGRESS, 10),
]


def matrix():
    return dashboard.build_matrix([ANNA, BORIS], [EARLY, LATER], PROGRESS, TODAY)


def test_matrix_has_a_cell_per_learner_and_assignment():
    anna, boris = matrix()
    assert anna.cells == [
        dashboard.Cell(Status.COMPLETED, 100, 90, 64, overdue=False),
        dashboard.Cell(Status.NOT_STARTED, 0, None, None, overdue=False),  # no due date
    ]
    assert boris.cells == [
        dashboard.Cell(Status.IN_PROGRESS, 40, 30, None, overdue=True),  # due 1 March
        dashboard.Cell(Status.IN_PROGRESS, 10, None, None, overdue=False),
    ]


def test_not_started_past_due_is_overdue_but_due_today_is_not():
    assert dashboard.cell_for(None, date(2026, 3, 9), TODAY).overdue
    assert not dashboard.cell_for(None, TODAY, TODAY).overdue


def test_completion_series_is_cumulative_per_day():
    done = [date(2026, 3, 2), date(2026, 3, 2), date(2026, 3, 4), date(2026, 2, 20)]
    series = dashboard.completion_series(done, date(2026, 3, 1), date(2026, 3, 4))
    assert series == [
        (date(2026, 3, 1), 1),  # the one before the start is counted from the first day
        (date(2026, 3, 2), 3),
        (date(2026, 3, 3), 3),
        (date(2026, 3, 4), 4),
    ]
    assert dashboard.completion_series(done, date(2026, 3, 5), date(2026, 3, 1)) == []


def test_local_dates_are_those_of_one_conversion_per_instant_across_offset_changes():
    # Every 17 minutes for four days around a change of offset: summer time starting and
    # ending, a zone half an hour off the hour, one that moves at local midnight, and one
    # without changes (Moscow).
    changes = {
        "Europe/Berlin": [datetime(2026, 3, 28), datetime(2026, 10, 24)],
        "Australia/Adelaide": [datetime(2026, 4, 3), datetime(2026, 10, 2)],
        "America/Santiago": [datetime(2026, 4, 3), datetime(2026, 9, 4)],
        "Europe/Moscow": [datetime(2026, 3, 28)],
    }
    for name, starts in changes.items():
        zone = pytz.timezone(name)
        for start in starts:
            instants = [
                (start + timedelta(minutes=17 * n)).replace(tzinfo=UTC) for n in range(4 * 85)
            ]
            expected = [instant.astimezone(zone).date() for instant in instants]
            assert dashboard.local_dates(instants, zone) == expected, (name, start)
    moscow = pytz.timezone("Europe/Moscow")
    late = datetime(2026, 3, 5, 21, 30, tzinfo=UTC)  # 00:30 the next day in Moscow
    assert dashboard.local_dates([late, late.astimezone(moscow)], moscow) == [date(2026, 3, 6)] * 2


def test_score_histogram_bins_of_ten_with_100_in_the_last():
    bins = dashboard.score_histogram([0, 9.9, 10, 55, 90, 99.5, 100])
    assert [(b.low, b.high, b.count) for b in bins][:2] == [(0, 9, 2), (10, 19, 1)]
    assert (bins[5].low, bins[5].count) == (50, 1)
    assert (bins[-1].low, bins[-1].high, bins[-1].count) == (90, 100, 3)
    assert sum(b.count for b in bins) == 7


def test_csv_export_has_a_bom_and_neutralises_formulas():
    table = [["name", "n"], ['=HYPERLINK("x")', -5], ["+7 999", 1], ["@SUM", 0], ["-x", 2]]
    data = dashboard.csv_bytes([*table, ["Ёлкина Анна", 3]])
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines() == [
        "name,n",
        '"\'=HYPERLINK(""x"")",-5',  # numbers stay numbers, even negative ones
        "'+7 999,1",
        "'@SUM,0",
        "'-x,2",
        "Ёлкина Анна,3",
    ]


def test_csv_for_russian_excel_uses_semicolons_day_first_dates_and_decimal_commas():
    table = [["Имя", "Срок", "Балл"], ["Анна; Ёлкина", date(2026, 3, 9), 72.5], ["=1", None, 90]]
    russian = dashboard.csv_bytes(table, ";").decode("utf-8-sig").splitlines()
    assert russian == ["Имя;Срок;Балл", '"Анна; Ёлкина";09.03.2026;72,5', "'=1;;90"]
    other = dashboard.csv_bytes(table, ",").decode("utf-8-sig").splitlines()
    assert other[1] == "Анна; Ёлкина,2026-03-09,72.5"


LABELS = dashboard.ExportLabels(
    headings=[f"h{n}" for n in range(len(dashboard.EXPORT_FIELDS))],
    status=lambda s: s.value,
    profession=lambda p: p.value,
    yes="yes",
)


def test_export_table_has_one_line_per_learner_and_assignment():
    done_at = datetime(2026, 3, 5, 23, 30, tzinfo=UTC)
    rows = dashboard.build_matrix(
        [ANNA, BORIS],
        [EARLY, LATER],
        [*PROGRESS[1:], progress(1, 100, Status.COMPLETED, 100, PROGRESS[0].state, done_at)],
        TODAY,
    )
    assignments = [Row(module_id=a.module_id, due_on=a.due_on, module=Row(slug=s))
                   for a, s in ((EARLY, "m1"), (LATER, "m2"))]  # fmt: skip
    table = dashboard.export_table(
        rows, assignments, ["M1", "M2"], {(1, 100): "2026-000007"},
        lambda moment: (moment + timedelta(hours=3)).date(), LABELS,
    )  # fmt: skip
    assert table[0] == LABELS.headings and len(table) == 1 + 2 * 2
    assert table[1] == [
        "Анна", "anna@example.org", "police", "M1", "m1", date(2026, 3, 1), "completed",
        100, 90, 64, "", date(2026, 3, 6), "2026-000007",
    ]  # fmt: skip
    assert table[2][3:] == ["M2", "m2", None, "not_started", 0, None, None, "", None, ""]
    assert table[3][6:11] == ["in_progress", 40, 30, None, "yes"]


def test_xlsx_keeps_dates_numbers_and_cyrillic_and_runs_no_formula():
    table = [
        ["Имя", "Срок", "Балл"],
        ["Ёлкина Анна", date(2026, 3, 9), 72.5],
        ["=HYPERLINK(1)", None, 90],
        ["＝SUM(A1)", None, None],
    ]
    sheet = openpyxl.load_workbook(BytesIO(dashboard.xlsx_bytes(table, "Тверь: весна/2026"))).active
    assert sheet.title == "Тверь  весна 2026"  # no ":" or "/" in a sheet's name
    assert [c.value for c in sheet[1]] == ["Имя", "Срок", "Балл"] and sheet["A1"].font.b
    assert sheet["A2"].value == "Ёлкина Анна"
    assert sheet["B2"].is_date and sheet["B2"].value == datetime(2026, 3, 9)
    assert sheet["C2"].value == 72.5 and sheet["C2"].data_type == "n"
    assert sheet["A3"].value == "'=HYPERLINK(1)" and sheet["A3"].data_type == "s"
    assert sheet["A4"].value == "'＝SUM(A1)" and sheet["A4"].data_type == "s"
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:C4"


def test_assigned_modules_keep_the_earliest_due_date_and_sort_by_it():
    a1 = Row(module_id=100, slug="m", cohort="A", due_on=date(2026, 4, 1))
    a2 = Row(module_id=100, slug="m", cohort="C", due_on=date(2026, 3, 1))
    a3 = Row(module_id=101, slug="n", cohort="B", due_on=None)
    progress_by_module = {100: progress(1, 100, Status.IN_PROGRESS, 50)}
    entries = dashboard.assigned_modules(
        [a3, a1, a2], progress_by_module, TODAY, lambda a: {"en": a.slug}
    )
    assert [(e.slug, e.cohort, e.due_on, e.overdue, e.percent) for e in entries] == [
        ("m", "C", date(2026, 3, 1), True, 50),
        ("n", "B", None, False, 0),
    ]


def test_events_split_into_quiz_attempts_and_scenario_runs():
    events = [
        Row(verb="passed", object_id="m/quiz/check"),
        Row(verb="failed", object_id="m/quiz/check"),
        Row(verb="completed", object_id="m/scenario/call"),
        Row(verb="completed", object_id="m/lesson/intro"),
        Row(verb="completed", object_id="m"),
        Row(verb="chose", object_id="m/scenario/call"),
    ]
    assert dashboard.quiz_attempts(events) == events[:2]
    assert dashboard.scenario_runs(events) == [events[2]]


def test_matrix_rows_escape_every_text_and_show_each_cell():
    anna = Row(**{**vars(ANNA), "name": "<b>Анна & Co</b>", "failed_twice": True})
    boris = Row(**{**vars(BORIS), "failed_twice": False})
    rows = [
        dashboard.MatrixRow(learner, row.cells)
        for learner, row in zip([anna, boris], matrix(), strict=True)
    ]
    words = {
        "status": {s.value: f"<{s.value}>" for s in Status},
        "quiz": "quiz",
        "scenario": "scénario",
        "overdue": "overdue & late",
        "failed": "failed <twice>",
    }
    professions = {Profession.POLICE: "Police <officer>", Profession.JUDGE: "Judge"}
    html = str(matrix_rows(rows, lambda user_id: f"/c/1/learners/{user_id}", professions, words))
    assert "<b>" not in html and "&lt;b&gt;Анна &amp; Co&lt;/b&gt;" in html
    assert html.count("<tr>") == 2 and html.count('<td class="cell') == 4
    assert '<a href="/c/1/learners/1">' in html and '<a href="/c/1/learners/2">' in html
    assert html.count("failed &lt;twice&gt;") == 1  # Анна's only
    assert "<td>Police &lt;officer&gt;</td>" in html
    # Анна's first cell: completed, 100%, best quiz 90, best scenario 64, not overdue.
    assert (
        '<td class="cell completed">&lt;completed&gt; · 100%<br>quiz 90%<br>scénario 64%</td>'
        in html
    )
    # Борис's first cell: in progress and overdue, its best quiz score rounded.
    assert (
        '<td class="cell in_progress overdue">&lt;in_progress&gt; · 40%<br>quiz 30%'
        '<br><strong class="flag">overdue &amp; late</strong></td>' in html
    )


def test_matrix_rows_round_scores_half_up_but_never_a_failing_one_to_the_pass_mark(app):
    """As every page shows a score (trainer.quiz.scores): halves up, as the scenarios' are;
    72.5 against a pass mark of 73 keeps its tenths."""
    cells = [dashboard.Cell(Status.IN_PROGRESS, 50, 72.5, 72.5, overdue=False)] * 2
    row = dashboard.MatrixRow(
        Row(id=3, name="Вера", profession=Profession.JUDGE, failed_twice=False), cells
    )
    words = {"status": {s.value: s.value for s in Status}, "quiz": "q", "scenario": "s",
             "overdue": "o", "failed": "f"}  # fmt: skip
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        marks = [frozenset({80}), frozenset({70, 73})]
        html = str(matrix_rows([row], str, {Profession.JUDGE: "Judge"}, words, marks))
    assert "<br>q 73%<br>s 73%</td>" in html  # against 80: far from the mark
    assert "<br>q 72,5%<br>s 73%</td>" in html  # against 73: not passed, so not "73%"


def test_learner_links_are_those_url_for_builds(app):
    from flask import url_for

    from trainer.cohorts.matrix import learner_href

    with app.test_request_context():
        for cohort_id in (1, 10, 205):
            href = learner_href(cohort_id)
            for user_id in (0, 7, 100, 12345):
                expected = url_for("cohorts.learner", cohort_id=cohort_id, user_id=user_id)
                assert href(user_id) == expected
