"""The module page's kept parts (head, checklist, outline, glossary, references) are put into
the encoded page as bytes (trainer/learn/fragments.py, splice): the page reads whole, in order,
with no marker left, for each learner's progress and language."""

from tests.conftest import sign_in, sync_example
from trainer.models import Profession

BASE = "/learn/example-module"


def test_the_module_page_is_whole_and_in_order(app, make_user):
    sync_example(app)
    for lang, heads in (
        ("ru", ("<h1>Выезд на вызов о домашнем насилии</h1>", "Чтобы завершить модуль")),
        ("en", ("<h1>Responding to a domestic violence call</h1>", "To complete this module")),
    ):
        client = app.test_client()
        sign_in(client, make_user(profession=Profession.POLICE, locale=lang))
        client.get(f"{BASE}/lessons/intro")
        client.post(f"{BASE}/lessons/intro/done")
        response = client.get(f"{BASE}/")
        page = response.text
        assert response.status_code == 200 and response.mimetype == "text/html"
        assert "\x00" not in page and len(response.data) == response.content_length
        order = [
            page.index(heads[0]),
            page.index(heads[1]),
            page.index('<li class="met">'),  # the lesson done is met in the checklist
            page.index('<li id="lesson-intro">'),
            page.index('<li id="lesson-at-the-scene">'),
            page.index('class="restart"'),
            page.index('aria-labelledby="references"'),
            page.index("</main>"),
        ]
        assert order == sorted(order)
