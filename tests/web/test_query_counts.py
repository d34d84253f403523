"""A learner's pages make the same queries however much the learner has done: one module
completed (with its certificate) or three."""

import pytest

from tests.conftest import sign_in, sync_example
from tests.web.certificates_support import complete_example
from tests.web.test_cohorts import statements_during, sync_example_copy

PAGES = [
    "/learn/",
    "/learn/my",
    "/learn/example-module/",
    "/learn/example-module/lessons/intro",
    "/learn/example-module/quizzes/check",
    "/learn/example-module/scenarios/call",
]


@pytest.fixture
def officer(app, make_user, tmp_path):
    sync_example(app)
    officer = make_user(email="officer@example.org", locale="en")
    complete_example(app, officer)
    return officer


def test_a_learners_pages_do_not_query_more_as_they_complete_more(app, officer, tmp_path):
    client = app.test_client()
    sign_in(client, officer)
    for url in PAGES:  # the first view of a lesson or scenario is recorded; later ones are not
        statements_during(app, client, url)
    before = {url: len(statements_during(app, client, url)[0]) for url in PAGES}
    for slug in ("example-module-2", "example-module-3"):
        complete_example(app, officer, sync_example_copy(app, tmp_path, slug))
    after = {url: len(statements_during(app, client, url)[0]) for url in PAGES}
    assert after == before
    # And few: the lesson reads the user, then the module with the learner's progress.
    assert before["/learn/example-module/lessons/intro"] == 2, before
