"""The dashboard's plain functions: matrix, filters, totals, series, histogram, export."""

from datetime import date
from types import SimpleNamespace as Row

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


def test_filters_by_profession_and_status():
    rows = matrix()
    assert [r.learner for r in dashboard.filter_matrix(rows, profession="judge")] == [BORIS]
    assert [r.learner for r in dashboard.filter_matrix(rows, status="overdue")] == [BORIS]
    assert [r.learner for r in dashboard.filter_matrix(rows, status="completed")] == [ANNA]
    assert [r.learner for r in dashboard.filter_matrix(rows, status="not_started")] == [ANNA]
    assert dashboard.filter_matrix(rows, profession="police", status="overdue") == []
    assert dashboard.filter_matrix(rows, None, None) == rows


def test_column_totals():
    first, second = dashboard.column_totals(matrix(), 2)
    assert (first.completed, first.overdue, first.mean_percent) == (1, 1, 70)
    assert (second.completed, second.overdue, second.mean_percent) == (0, 0, 5)
    assert dashboard.column_totals([], 1)[0].mean_percent == 0


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


def test_export_table_lists_each_assignment_in_columns():
    labels = {
        "status": "status",
        "quiz": "quiz",
        "scenario": "scenario",
        "overdue": "overdue",
        "yes": "yes",
        "profession": lambda p: p.value,
        "status_of": lambda s: s.value,
    }
    table = dashboard.export_table(matrix(), ["Name", "Email", "Profession"], ["M1", "M2"], labels)
    assert table[0][:5] == ["Name", "Email", "Profession", "M1: status", "M1: %"]
    assert len(table[0]) == 3 + 2 * 5
    assert table[1][:8] == ["Анна", "anna@example.org", "police", "completed", 100, 90, 64, ""]
    assert table[2][3:8] == ["in_progress", 40, 30, "", "yes"]


def test_assigned_modules_keep_the_earliest_due_date_and_sort_by_it():
    module = Row(slug="m")
    a1 = Row(module_id=100, module=module, due_on=date(2026, 4, 1))
    a2 = Row(module_id=100, module=module, due_on=date(2026, 3, 1))
    a3 = Row(module_id=101, module=Row(slug="n"), due_on=None)
    progress_by_module = {100: progress(1, 100, Status.IN_PROGRESS, 50)}
    entries = dashboard.assigned_modules(
        [(a3, "B"), (a1, "A"), (a2, "C")],
        progress_by_module,
        TODAY,
        lambda a: {"en": a.module.slug},
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
