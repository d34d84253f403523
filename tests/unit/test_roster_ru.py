"""The roster's messages read as Russian sentences in Russian."""

from trainer.learning.enrolment import parse_roster


def test_an_unknown_profession_lists_the_accepted_values_in_russian(app):
    data = "name,email,profession\nМария Кузнецова,maria.k@example.org,astronaut\n".encode()
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        [row] = parse_roster(data).rows
        [problem] = [str(problem) for problem in row.problems]
    # "укажите полиция, судья…" (a verb before nominatives) is not Russian.
    assert problem == (
        "Неизвестная профессия «astronaut». Допустимые значения: полиция, судья, прокурор, "
        "социальный работник, кризисный центр, другое (или police, judge, prosecutor, "
        "social_worker, crisis_centre, other)."
    )
