"""Classroom mode in a browser: a trainer's controls and projector, and three participants on
375-pixel phones (two in Russian, one in English) who join by the session's code. The room
votes, the trainer reveals the results, moves on once by the majority and once by their own
choice, the room gives a ruling, and everyone reaches the ending and the debrief. The pages
follow the trial by themselves (classroom.js polls the status endpoint): nobody reloads.
Screenshots: tests/e2e/screenshots/90-...; the projector at 1280 px, the phones at 375 px."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import sync_example
from tests.e2e.conftest import screenshot
from tests.e2e.test_lessons import sign_in
from trainer.models import Profession, Role

PHONE = {"width": 375, "height": 740}
WIDE = {"width": 1280, "height": 800}
FOLLOW = 12_000  # ms: a poll every 3 s, then a reload


@pytest.fixture
def contexts(browser):
    made = []

    def new(viewport, **kw):
        context = browser.new_context(locale="ru-RU", viewport=viewport, **kw)
        made.append(context)
        return context.new_page()

    yield new
    for context in made:
        context.close()


def phone_of(contexts, base, email):
    phone = contexts(PHONE, is_mobile=True, has_touch=True)
    sign_in(phone, base, email)
    return phone


def join_link_in_sight(page):
    """The menu's link to /class, within the phone's width (the menu scrolls sideways)."""
    link = page.locator(".site-header nav a[href$='/class']")
    expect(link).to_have_text("Подключиться к занятию")
    box = link.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    return link


def no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def test_a_trainer_runs_a_mock_trial_with_a_room_of_three(live_server, make_user, contexts):
    sync_example(live_server)
    base = live_server.config["LIVE_URL"]
    make_user(role=Role.TRAINER, email="trainer@example.org", profession=Profession.OTHER)
    make_user(email="ivanov@example.org", name="Иван Иванов", profession=Profession.POLICE)
    make_user(email="petrova@example.org", name="Анна Петрова", profession=Profession.JUDGE)
    make_user(
        email="smith@example.org", name="John Smith", profession=Profession.POLICE, locale="en"
    )

    trainer = contexts(WIDE)
    sign_in(trainer, base, "trainer@example.org")
    trainer.goto(base + "/learn/example-module/scenarios/call")
    trainer.locator("a[href*='/class/new']").click()
    trainer.get_by_label("Засчитать это занятие в прогресс участников").check()
    trainer.locator("form.grid-form button[type=submit]").click()
    expect(trainer).to_have_url(re.compile(r"/class/[0-9A-Z]{6}/control$"))
    code = trainer.url.split("/")[-2]
    projector = trainer.context.new_page()
    projector.goto(f"{base}/class/{code}/projector")
    expect(projector.locator(".projector-code")).to_have_text(code)
    expect(projector.locator(".projector-join img")).to_be_visible()

    # Three phones join: two typing the code at /class, reached from the menu, one (in
    # English) by the link. The menu's "Join a class" is in sight on a phone, signed in or not.
    visitor = contexts(PHONE, is_mobile=True, has_touch=True)
    visitor.goto(base + "/login")
    join_link_in_sight(visitor)
    screenshot(visitor, "89-class-join-link-sign-in-ru")
    ivanov, petrova = (phone_of(contexts, base, f"{n}@example.org") for n in ("ivanov", "petrova"))
    smith = phone_of(contexts, base, "smith@example.org")
    for phone in (ivanov, petrova):
        join_link_in_sight(phone).click()
        expect(phone).to_have_url(base + "/class")
        phone.locator("#code").fill(code.lower())
        phone.locator("main form button[type=submit]").click()
        phone.locator("main form button[type=submit]").click()
    smith.goto(f"{base}/class/{code}")
    smith.locator("main form button[type=submit]").click()
    expect(smith.locator(".scene-text")).to_contain_text("A man opens the door")
    expect(ivanov.locator(".scene-text")).to_contain_text("Дверь открывает мужчина")
    screenshot(ivanov, "90-class-phone-joined-ru")
    expect(trainer.locator(".class-seats summary")).to_contain_text("3")

    # The narrative: the trainer goes on; the phones follow by themselves.
    trainer.locator("form[action$='/advance'] button[type=submit]").click()
    for phone in (ivanov, petrova, smith):
        expect(phone.locator("button.choice")).to_have_count(2, timeout=FOLLOW)
    screenshot(smith, "91-class-phone-vote-en")
    no_sideways_scroll(smith)
    vote(ivanov, "Войти, убедиться, что все в безопасности")
    vote(petrova, "Поверить мужчине на слово")
    vote(petrova, "Войти, убедиться, что все в безопасности")  # changed her mind
    vote(smith, "Take the man's word for it and leave")
    expect(petrova.locator("button.choice.voted")).to_contain_text("Войти, убедиться")
    screenshot(petrova, "92-class-phone-voted-ru")

    # The trainer sees the votes arrive, by profession, then shows them to the room.
    expect(trainer.locator(".class-votes meter[value='2']")).to_have_count(1, timeout=FOLLOW)
    expect(trainer.locator("table.by-profession tbody tr")).to_have_count(2)
    screenshot(trainer, "93-class-control-votes")
    trainer.locator("form[action$='/reveal'] button").click()
    expect(smith.locator(".distribution")).to_contain_text(
        "Right. With the abuser present, a victim often stays silent.", timeout=FOLLOW
    )
    expect(ivanov.locator(".distribution")).to_contain_text(
        "Верно. В присутствии агрессора пострадавшая часто молчит.", timeout=FOLLOW
    )
    screenshot(ivanov, "94-class-phone-revealed-ru")
    no_sideways_scroll(ivanov)
    # The projector reloads itself for the results: leaving it before then would interrupt that.
    expect(projector.locator(".projector-scene .distribution")).to_be_visible(timeout=FOLLOW)
    projector.goto(f"{base}/class/{code}/projector?both=1")
    expect(projector.locator(".projector-columns [lang=en]")).to_contain_text("What do you do?")
    expect(projector.locator(".projector-columns [lang=ru]")).to_contain_text("Как вы поступите?")
    screenshot(projector, "95-class-projector-both-revealed")
    assert "expert" not in projector.content().lower()

    # On by the majority (two against one): the record, where the trainer overrides the room.
    trainer.locator("form[action$='/advance'] button.primary").click()
    for phone in (ivanov, petrova, smith):
        expect(phone.locator("button.choice")).to_have_count(3, timeout=FOLLOW)
    for phone in (ivanov, petrova):
        vote(phone, "Зафиксировать повреждения")
    vote(smith, "Record the injuries")
    trainer.locator("form[action$='/close'] button").click()
    expect(smith.locator(".class-phase")).to_contain_text("The vote is closed", timeout=FOLLOW)
    trainer.locator("form.trainer-choice button.choice", has_text="Посоветовать ей").click()

    # The ruling: typed values survive on the page while the others vote.
    for phone in (ivanov, petrova, smith):
        expect(phone.locator("input[type=number]")).to_be_visible(timeout=FOLLOW)
    rule(ivanov, "Высокий", "2")
    smith.get_by_label("High").check()
    smith.locator("input[type=number]").fill("3")
    smith.wait_for_timeout(4_000)  # more than a poll: nothing reloads away the typing
    expect(smith.locator("input[type=number]")).to_have_value("3")
    screenshot(smith, "96-class-phone-ruling-en")
    smith.locator("form.act button[type=submit]").click()
    rule(petrova, "Низкий", "10")
    expect(trainer.locator(".class-votes")).to_contain_text("2, 3, 10", timeout=FOLLOW)
    trainer.locator("form[action$='/close'] button").click()
    trainer.locator("form[action$='/advance'] button.primary").click()

    # The ending on every phone, then the debrief: the room's path against the expert's.
    for phone in (ivanov, petrova, smith):
        expect(phone.locator("a[href$='/debrief']")).to_be_visible(timeout=FOLLOW)
    expect(smith.locator(".scene-text.ending")).to_contain_text("You recorded the injuries")
    smith.locator("a[href$='/debrief']").click()
    main = smith.locator("main")
    expect(main).to_contain_text("The room's score: 75% of the expert's points")
    expect(main).to_contain_text("by the trainer's choice")
    expect(main).to_contain_text("by the majority")
    expect(main).to_contain_text("The session counted toward your progress")
    screenshot(smith, "97-class-phone-debrief-en")
    no_sideways_scroll(smith)
    smith.goto(base + "/learn/my")  # the counted session finished the scenario: 1 of 4
    expect(smith.locator("main")).to_contain_text("25% done")
    trainer.goto(f"{base}/class/{code}/debrief")
    expect(trainer.locator(".score-table tbody tr")).to_have_count(2)
    expect(trainer.locator("h1")).to_contain_text("Помощь оказана")
    counted = trainer.locator(".class-counted li")
    expect(counted).to_have_count(3)
    expect(counted.first).to_contain_text("засчитано: сценарий пройден")
    screenshot(trainer, "98-class-debrief-trainer")
    projector.goto(f"{base}/class/{code}/projector")
    screenshot(projector, "99-class-projector-ended")


def vote(phone, text):
    phone.locator("button.choice", has_text=text).click()
    expect(phone.locator("button.choice.voted")).to_contain_text(text[:20])


def rule(phone, risk, days):
    phone.get_by_label(risk).check()
    phone.locator("input[type=number]").fill(days)
    phone.locator("form.act button[type=submit]").click()
    expect(phone.locator(".class-phase[data-voted]")).to_be_visible()
