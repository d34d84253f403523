"""The lesson page, the module page and the cards of the catalogue and "My training" are rendered
once per module version and language and reused (trainer/learn/fragments.py): what each shows
must still be its learner's own (progress, language, the form's CSRF token)."""

import re

import pytest

from tests.conftest import sign_in, sync_example
from trainer.models import Profession

BASE = "/learn/example-module"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def main(page: str) -> str:
    return page[page.index('<main id="content"') : page.index("</main>")]


def outline_entry(page: str, part_id: str) -> str:
    return re.search(rf'<li id="{part_id}">.*?</li>', page, re.S).group(0)


def requirement(page: str, title: str) -> str:
    return next(item for item in re.findall(r"<li class=.*?</li>", page, re.S) if title in item)


@pytest.fixture
def learners(app, make_user):
    """A Russian-speaking officer and an English-speaking one, each signed in."""
    sync_example(app)
    clients = {}
    for lang in ("ru", "en"):
        client = app.test_client()
        sign_in(client, make_user(profession=Profession.POLICE, locale=lang))
        clients[lang] = client
    return clients


def test_the_lesson_page_is_each_learners_own(learners):
    ru, en = learners["ru"], learners["en"]
    ru.get(f"{BASE}/lessons/intro")
    assert ru.post(f"{BASE}/lessons/intro/done").status_code == 302
    for _ in range(2):  # rendered, then served from the cache
        done_ru = main(ru.get(f"{BASE}/lessons/intro").text)
        not_done_en = main(en.get(f"{BASE}/lessons/intro").text)
        assert "Вы отметили этот урок как изученный." in done_ru
        assert "<form" not in done_ru and "Mark as done" not in done_ru
        assert "<h1>Первые минуты вызова</h1>" in done_ru
        assert "Mark as done and continue" in not_done_en and "<form" in not_done_en
        assert "You have marked" not in not_done_en and "Вы отметили" not in not_done_en
        assert "<h1>The first minutes of a call</h1>" in not_done_en
    # The English learner, once done, gets the English "done" page, not the Russian one.
    assert en.post(f"{BASE}/lessons/intro/done").status_code == 302
    done_en = main(en.get(f"{BASE}/lessons/intro").text)
    assert "You have marked this lesson as done." in done_en and "Вы отметили" not in done_en


def test_the_warning_the_text_and_both_languages_are_each_requests_own(learners):
    en = learners["en"]
    warning = main(en.get(f"{BASE}/lessons/at-the-scene").text)
    text = main(en.get(f"{BASE}/lessons/at-the-scene?show=text").text)
    both = main(en.get(f"{BASE}/lessons/at-the-scene?show=text&view=both").text)
    assert 'class="lesson-body"' not in warning and "Continue to the lesson" in warning
    assert 'class="lesson-body"' in text and "Continue to the lesson" not in text
    assert 'class="bilingual"' in both and 'class="bilingual"' not in text
    assert 'id="section-1-en" checked' in both
    # The Russian learner's side-by-side view checks Russian first, from the same version.
    russian_both = main(learners["ru"].get(f"{BASE}/lessons/at-the-scene?show=text&view=both").text)
    assert 'id="section-1-ru" checked' in russian_both


def test_the_module_page_marks_each_learners_own_progress(learners):
    ru, en = learners["ru"], learners["en"]
    en.get(f"{BASE}/")  # the parts rendered first for the learner with no progress
    ru.get(f"{BASE}/lessons/intro")
    ru.post(f"{BASE}/lessons/intro/done")
    ru.get(f"{BASE}/lessons/at-the-scene?show=text")  # opened, not done
    page_ru, page_en = ru.get(f"{BASE}/").text, en.get(f"{BASE}/").text

    assert '<span class="badge badge-done">Изучен</span>' in outline_entry(page_ru, "lesson-intro")
    assert "badge-progress" in outline_entry(page_ru, "lesson-at-the-scene")
    assert "Открыт" in outline_entry(page_ru, "lesson-at-the-scene")
    assert "badge" not in outline_entry(page_ru, "lesson-after-the-call")
    met = requirement(page_ru, "Первые минуты вызова")
    assert met.startswith('<li class="met">') and "Выполнено:" in met
    assert "Осталось:" in requirement(page_ru, "На месте происшествия")

    assert "badge" not in outline_entry(page_en, "lesson-intro")
    assert "badge" not in outline_entry(page_en, "lesson-at-the-scene")
    to_do = requirement(page_en, "The first minutes of a call")
    assert to_do.startswith('<li class="">') and "To do:" in to_do
    assert "Start the module" in page_en and "Продолжить с того места" in page_ru


def test_the_catalogue_and_my_training_cards_are_each_learners_own(learners):
    ru, en = learners["ru"], learners["en"]
    assert "Not started" in main(en.get("/learn/").text)
    ru.get(f"{BASE}/lessons/intro")
    ru.post(f"{BASE}/lessons/intro/done")
    catalogue_ru, catalogue_en = main(ru.get("/learn/").text), main(en.get("/learn/").text)
    assert "В процессе" in catalogue_ru and "Выезд на вызов о домашнем насилии" in catalogue_ru
    assert "Not started" in catalogue_en and "<progress" not in catalogue_en
    assert "Responding to a domestic violence call" in catalogue_en
    percent = done_percent(catalogue_ru)
    assert percent > 0 and done_percent(main(ru.get("/learn/my").text)) == percent
    # A lesson more: the same learner's card with the new percentage, in both lists.
    ru.get(f"{BASE}/lessons/at-the-scene?show=text")
    ru.post(f"{BASE}/lessons/at-the-scene/done")
    more = done_percent(main(ru.get("/learn/").text))
    assert more > percent and done_percent(main(ru.get("/learn/my").text)) == more
    en.get(f"{BASE}/lessons/intro")  # started, nothing done: its own card, in English
    for page in (main(en.get("/learn/").text), main(en.get("/learn/my").text)):
        assert done_percent(page) == 0 and "In progress" in page and "В процессе" not in page


def done_percent(page: str) -> int:
    return int(re.search(r'<progress max="100" value="(\d+)"', page).group(1))


def test_each_form_carries_a_token_its_own_session_accepts(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    sync_example(app)
    user, other = (make_user(profession=Profession.POLICE, locale="ru") for _ in range(2))
    first, second = app.test_client(), app.test_client()
    for client, who in ((first, user), (second, other)):
        token = TOKEN.search(client.get("/login").text).group(1)
        assert sign_in(client, who, csrf_token=token).status_code == 302
    forms = [main(c.get(f"{BASE}/lessons/intro").text) for c in (first, second)]
    tokens = [TOKEN.search(form).group(1) for form in forms]  # the second from the cache
    assert "\x00" not in "".join(forms)
    done = f"{BASE}/lessons/intro/done"
    assert first.post(done, data={"csrf_token": tokens[1]}).status_code == 400
    assert second.post(done, data={"csrf_token": tokens[1]}).status_code == 302
    assert first.post(done, data={"csrf_token": tokens[0]}).status_code == 302
    assert "Вы отметили этот урок как изученный." in first.get(f"{BASE}/lessons/intro").text
    # The module page's "Start again" form, from the cache too, with each session's own token.
    restart = f"{BASE}/restart"
    tokens = [TOKEN.findall(main(c.get(f"{BASE}/").text))[-1] for c in (first, second)]
    assert tokens[0] != tokens[1]
    assert first.post(restart, data={"csrf_token": tokens[1]}).status_code == 400
    assert first.post(restart, data={"csrf_token": tokens[0]}).status_code == 302
    assert "Вы отметили" not in first.get(f"{BASE}/lessons/intro?show=text").text
