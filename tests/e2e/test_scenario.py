"""An officer plays the example scenario to an ending in Russian and reads the debrief.

The Russian UI catalogue is filled later, so controls are found by role and CSS; the
assertions are on the scenario's own Russian texts, which come from its YAML file."""

from playwright.sync_api import expect

from tests.conftest import sync_example
from tests.e2e.conftest import screenshot
from tests.e2e.test_lessons import sign_in


def test_officer_plays_a_scenario_to_an_ending_in_russian(live_server, make_user, page):
    sync_example(live_server)
    make_user(email="officer@example.org", name="Иван Кузнецов")
    base = live_server.config["LIVE_URL"]
    sign_in(page, base, "officer@example.org")

    page.goto(base + "/learn/example-module/")
    page.locator("#scenario-call a").click()
    expect(page.locator("h1")).to_have_text("Ночной вызов")
    expect(page.locator("main")).to_contain_text("Случай вымышлен")
    screenshot(page, "50-scenario-landing-ru")
    page.locator(".run-actions form button[type=submit]").click()

    # The narrative, with the case file at hand: an exhibit opens without JavaScript.
    expect(page.locator(".scene-text")).to_contain_text("Дверь открывает мужчина")
    exhibit = page.locator("details#doc-call-log")
    expect(exhibit.locator(".exhibit-body")).to_be_hidden()
    exhibit.locator("summary").click()
    expect(exhibit.locator(".exhibit-body")).to_contain_text("Слышны крики и грохот")
    screenshot(page, "51-scenario-narrative-ru")
    page.locator("form.act button[type=submit]").click()

    expect(page.locator(".scene-text")).to_contain_text("Как вы поступите?")
    expect(page.locator("button.choice")).to_have_count(2)
    screenshot(page, "52-scenario-decision-ru")
    page.get_by_role("button", name="Войти, убедиться, что все в безопасности").click()

    # The first choice set a flag: the conditional third choice is now offered.
    expect(page.locator("button.choice")).to_have_count(3)
    page.get_by_role("button", name="Зафиксировать повреждения и объяснения").click()

    expect(page.locator(".scene-text")).to_contain_text("Заполните рапорт.")
    page.get_by_role("group", name="Оценка риска").get_by_label("Высокий").check()
    page.get_by_role("group", name="Через сколько дней проверить семью").locator(
        "input[type=number]"
    ).fill("2")
    screenshot(page, "53-scenario-ruling-ru")
    page.locator("form.act button[type=submit]").click()

    expect(page.locator("h1")).to_contain_text("Помощь оказана")
    main = page.locator("main")
    expect(main).to_contain_text("100%")
    expect(main).to_contain_text("Пострадавшая получила информацию о помощи")
    expect(main).to_contain_text("Верно. В присутствии агрессора пострадавшая часто молчит.")
    expect(main).to_contain_text("Так действуют в моделях скоординированного реагирования.")
    expect(page.locator(".score-table tbody tr")).to_have_count(2)
    expect(page.locator(".score-table")).to_contain_text("Безопасность пострадавшей")
    expect(page.locator("#ref-unodc-police-handbook")).to_be_visible()
    screenshot(page, "54-scenario-debrief-ru")

    # No going back: the server keeps the run at its ending, so the ruling page is gone.
    page.go_back()
    expect(page.locator("h1")).to_contain_text("Помощь оказана")
    expect(page.locator("form.act")).to_have_count(0)

    # A judge rehearses: a second run ends differently, and the two are compared side by side.
    page.locator(".run-actions a.button").click()
    page.locator(".run-actions form button[type=submit]").click()
    page.locator("form.act button[type=submit]").click()
    page.get_by_role("button", name="Поверить мужчине на слово и уехать").click()
    expect(page.locator("h1")).to_contain_text("Повторный вызов")
    expect(page.locator("main")).to_contain_text("Вы не проверили, нужна ли кому-то помощь.")
    page.locator(".run-actions a.button").click()
    checkboxes = page.locator("input[type=checkbox][name=run]")
    expect(checkboxes).to_have_count(2)
    checkboxes.nth(0).check()
    checkboxes.nth(1).check()
    screenshot(page, "55-scenario-runs-ru")
    page.locator("form[method=get] button[type=submit]").click()
    table = page.locator("table.compare-table")
    expect(table).to_contain_text("Повторный вызов")
    expect(table).to_contain_text("Помощь оказана")
    expect(page.locator(".compare-columns section")).to_have_count(2)
    screenshot(page, "56-scenario-compare-ru")


def test_trainer_shows_a_cohorts_choices_in_class(live_server, make_user, page):
    from tests.web.test_scenarios import GOOD_RUN, add_cohort, client_for, play, start_run
    from trainer.models import Role

    sync_example(live_server)
    live_server.config["WTF_CSRF_ENABLED"] = False  # the learners' runs are played over HTTP
    learners = [make_user(name=f"Судья {n}") for n in range(3)]
    acts = [
        GOOD_RUN,
        [*GOOD_RUN[:2], {"choice": "advise-only"}, GOOD_RUN[3]],
        [{}, {"choice": "leave"}],
    ]
    for learner, run in zip(learners, acts, strict=True):
        client = client_for(live_server, learner)
        play(client, start_run(client), run)
    live_server.config["WTF_CSRF_ENABLED"] = True
    trainer = make_user(role=Role.TRAINER, email="trainer@example.org")
    add_cohort(live_server, trainer, learners)

    base = live_server.config["LIVE_URL"]
    sign_in(page, base, "trainer@example.org")
    page.goto(base + "/learn/example-module/scenarios/call/class")
    page.locator("select#cohort").select_option(label="Архангельск, 2026")
    page.locator("form.search button[type=submit]").click()
    decide = page.locator("section.tally").first
    expect(decide).to_contain_text("Поверить мужчине на слово и уехать")
    expect(decide.locator("tbody tr").first.locator("td").first).to_have_text("2")
    screenshot(page, "57-scenario-class-view-ru")
