"""The body of the dashboard's progress matrix, written in Python: a page has 50 learners
times the assignments, and a template spends several times as long on each cell (an
attribute lookup, an escape and a filter per value). The words come from the template, in
the reader's language; every text is escaped here, numbers are formatted as the template
did; a best quiz score as every page shows it (trainer.quiz.scores)."""

from collections.abc import Callable

from flask import url_for
from markupsafe import Markup, escape

from trainer.quiz.scores import score_text

FLAG = '<br><strong class="flag">{}</strong>'


def learner_href(cohort_id: int) -> Callable[[int], str]:
    """The address of a learner's page in the cohort, built once (not one url_for per row)."""
    head, _, tail = url_for("cohorts.learner", cohort_id=cohort_id, user_id=0).rpartition("/0")
    return lambda user_id: f"{head}/{user_id}{tail}"


def matrix_rows(
    rows, href: Callable[[int], str], professions: dict, words: dict, pass_marks=None
) -> Markup:
    """One <tr> per MatrixRow: the learner's name (a link, with the failed-twice flag), the
    profession, and a cell per assignment: status, percent, best quiz and scenario scores,
    the overdue flag. `words`: "status" (status -> label), "quiz", "scenario", "overdue",
    "failed"; `pass_marks`: the pass marks of each column's quizzes."""
    status = {key: escape(label) for key, label in words["status"].items()}
    quiz, scenario = escape(words["quiz"]), escape(words["scenario"])
    overdue, failed = FLAG.format(escape(words["overdue"])), FLAG.format(escape(words["failed"]))
    out = []
    for row in rows:
        learner = row.learner
        out.append(
            f'<tr><th scope="row"><a href="{escape(href(learner.id))}">{escape(learner.name)}'
            f"</a>{failed if learner.failed_twice else ''}</th>"
            f"<td>{escape(professions[learner.profession])}</td>"
        )
        for cell, marks in zip(row.cells, pass_marks or [()] * len(row.cells), strict=True):
            out.append(
                f'<td class="cell {escape(cell.status)}{" overdue" if cell.overdue else ""}">'
                f"{status[cell.status]} · {cell.percent}%"
            )
            if cell.quiz is not None:
                out.append(f"<br>{quiz} {score_text(cell.quiz, marks)}%")
            if cell.scenario is not None:
                out.append(f"<br>{scenario} {score_text(cell.scenario)}%")
            out.append(f"{overdue if cell.overdue else ''}</td>")
        out.append("</tr>")
    # Safe: names, labels and words are escape()d above, the rest are numbers.
    return Markup("".join(out))  # noqa: S704
