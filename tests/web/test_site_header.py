"""The site header is rendered once per language, page and menu and reused (trainer/site_header.py):
what it shows must still be each request's own."""

import re

from trainer.models import Role

from ..conftest import sign_in

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def header(page: str) -> str:
    return page[page.index('<header class="site-header">') : page.index("</header>")]


def test_each_menu_is_its_users_own_on_the_same_page(app, make_user):
    learner, trainer, admin = (make_user(role=role) for role in Role)
    menus = {}
    for user in (learner, trainer, admin, learner):  # the learner again, after the others
        client = app.test_client()
        sign_in(client, user)
        menu = TOKEN.sub("", header(client.get("/learn/").text))  # each request's own token
        menus.setdefault(user.role, []).append(menu)
    learner_menu, again = menus[Role.LEARNER]
    assert "/cohorts/" not in learner_menu and "/admin/users" not in learner_menu
    assert learner_menu == again
    assert "/cohorts/" in menus[Role.TRAINER][0] and "/admin/users" not in menus[Role.TRAINER][0]
    assert "/admin/users" in menus[Role.ADMIN][0] and "/admin/invites" in menus[Role.ADMIN][0]
    signed_out = header(app.test_client().get("/learn/", follow_redirects=True).text)
    assert "/login" in signed_out and "/logout" not in signed_out


def test_the_current_page_and_language_are_the_requests_own(app, make_user):
    client = app.test_client()
    sign_in(client, make_user())
    catalogue = header(client.get("/learn/").text)
    my_training = header(client.get("/learn/my").text)
    assert re.search(r'href="/learn/"[^>]*aria-current="page"', catalogue)
    assert re.search(r'href="/learn/my"[^>]*aria-current="page"', my_training)
    assert not re.search(r'href="/learn/"[^>]*aria-current', my_training)
    assert "Моё обучение" in catalogue and "My training" not in catalogue
    visitor = app.test_client()
    russian = header(visitor.get("/verify").text)
    english = header(visitor.get("/verify", headers={"Accept-Language": "en"}).text)
    assert "Войти" in russian and "Sign in" not in russian
    assert "Sign in" in english and "Войти" not in english
    assert header(visitor.get("/verify").text) == russian


def test_the_switcher_returns_to_this_requests_address_escaped(app):
    client = app.test_client()
    page = client.get('/verify?serial=<b>"x"</b>').text
    back_to = re.search(r'name="next" value="([^"]*)"', page).group(1)
    assert back_to == "/verify?serial=&lt;b&gt;&#34;x&#34;&lt;/b&gt;"
    assert "<b>" not in header(page)
    assert re.search(r'name="next" value="/verify"', client.get("/verify").text)


def test_every_request_gets_a_token_its_session_accepts(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    user = make_user()
    first, second = app.test_client(), app.test_client()
    for client in (first, second):
        token = TOKEN.search(client.get("/login").text).group(1)
        assert sign_in(client, user, csrf_token=token).status_code == 302
    tokens = [TOKEN.search(header(c.get("/learn/").text)).group(1) for c in (first, second)]
    assert "\x00" not in "".join(tokens)
    # The second session's token, rendered from the cached header, signs its own user out...
    assert second.post("/logout", data={"csrf_token": tokens[1]}).status_code == 302
    assert second.get("/learn/").status_code == 302
    # ...and the first session's token is not the second's.
    assert first.post("/logout", data={"csrf_token": tokens[1]}).status_code == 400
    assert first.post("/logout", data={"csrf_token": tokens[0]}).status_code == 302


def test_a_sessions_signed_token_is_used_again_for_a_minute_and_stays_its_own(
    make_app, make_user, monkeypatch
):
    import itsdangerous.timed

    import trainer.site_header

    app = make_app(WTF_CSRF_ENABLED=True)
    first, second = app.test_client(), app.test_client()
    for client in (first, second):  # two people (signing out ends all of one's sessions)
        token = TOKEN.search(client.get("/login").text).group(1)
        assert sign_in(client, make_user(), csrf_token=token).status_code == 302
    page_token = lambda client: TOKEN.search(client.get("/learn/").text).group(1)  # noqa: E731
    # Each signature a second later than the one before: a token signed again would differ.
    clock = iter(range(int(itsdangerous.timed.time.time()), 2**40))
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: next(clock))
    again = page_token(first)
    assert page_token(first) == again  # signed once, not on every page
    assert page_token(second) != again  # another session's token is its own

    later = trainer.site_header.time.monotonic() + trainer.site_header.TOKEN_REUSE_SECONDS + 1
    monkeypatch.setattr(trainer.site_header.time, "monotonic", lambda: later)
    fresh = page_token(first)
    assert fresh != again  # signed anew after a minute; any token of the session passes
    assert first.post("/logout", data={"csrf_token": again}).status_code == 302
    assert page_token(second) != fresh
    assert second.post("/logout", data={"csrf_token": fresh}).status_code == 400


# The section's entry on its sub-pages ---------------------------------------------------------

NEXT = re.compile(r'name="next" value="[^"]*"')
CURRENT = re.compile(r'<a [^>]*href="([^"]+)"[^>]*aria-current="([^"]+)"')


def marked(page: str) -> list[tuple[str, str]]:
    """(href, aria-current) of the header's marked links."""
    return CURRENT.findall(header(page))


def test_a_sub_page_marks_its_sections_entry_as_current_not_as_this_page(app, make_user):
    from tests.conftest import sync_example
    from tests.web.test_cohorts import make_cohort

    sync_example(app)
    admin = make_user(role=Role.ADMIN)
    trainer = make_user(role=Role.TRAINER)
    cohort_id = make_cohort(app, [trainer.id], [admin.id])
    pages = {
        trainer: {
            "/cohorts/": [("/cohorts/", "page")],
            f"/cohorts/{cohort_id}/": [("/cohorts/", "true")],
            f"/cohorts/{cohort_id}/learners/{admin.id}": [("/cohorts/", "true")],
            "/cohorts/new": [("/cohorts/", "true")],
            "/learn/": [("/learn/", "page")],
            "/learn/example-module/": [("/learn/", "true")],
            "/learn/example-module/lessons/intro": [("/learn/", "true")],
            "/learn/example-module/quizzes/check": [("/learn/", "true")],
            "/learn/my": [("/learn/my", "page")],
            "/review/": [("/review/", "page")],
            "/account/password": [("/account/", "true")],
            "/": [],  # the home page is no entry's
        },
        admin: {
            "/admin/users": [("/admin/users", "page")],
            "/admin/users/new": [("/admin/users", "true")],
            f"/admin/users/{trainer.id}": [("/admin/users", "true")],
            "/admin/audit": [("/admin/users", "true")],
            "/admin/invites": [("/admin/invites", "page")],
        },
    }
    for user, expected in pages.items():
        client = app.test_client()
        sign_in(client, user)
        for url, marks in expected.items():
            response = client.get(url)
            assert response.status_code == 200, url
            assert marked(response.text) == marks, url
    visitor = app.test_client()
    assert marked(visitor.get("/password/forgot").text) == [("/login", "true")]
    assert marked(visitor.get("/login").text) == [("/login", "page")]
    assert marked(visitor.get("/verify/NO-SUCH-CODE").text) == [("/verify", "true")]
    assert marked(visitor.get("/class").text) == [("/class", "page")]


def test_the_cached_header_is_the_same_for_every_page_of_one_endpoint(app, make_user):
    """The key holds the endpoint, and the section follows from it: two cohorts' pages share
    one header, and it is the one a fresh render gives."""
    from tests.web.test_cohorts import make_cohort

    trainer = make_user(role=Role.TRAINER)
    first, second = (make_cohort(app, [trainer.id], name=name) for name in ("А", "Б"))
    client = app.test_client()
    sign_in(client, trainer)

    def menu(url: str) -> str:  # without the request's own token and return address
        return NEXT.sub("", TOKEN.sub("", header(client.get(url).text)))

    menus = [menu(f"/cohorts/{c}/") for c in (first, second)]
    app.extensions["site_header"].clear()
    fresh = menu(f"/cohorts/{second}/")
    assert menus[0] == menus[1] == fresh
    assert 'aria-current="true"' in fresh and 'aria-current="page"' not in fresh.split("<form")[0]


def test_every_section_names_an_entry_of_the_menu(app):
    from trainer.site_header import SECTION_OF_BLUEPRINT, SECTION_OF_ENDPOINT, section_of

    entries = set(SECTION_OF_BLUEPRINT.values()) | set(SECTION_OF_ENDPOINT.values())
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert entries <= endpoints
    assert set(SECTION_OF_ENDPOINT) <= endpoints
    assert section_of(None) is None and section_of("main.index") is None


def test_the_page_frame_is_in_each_requests_language(app):
    """base.html's frame (head, skip link, footer) is rendered once per language and reused."""
    visitor = app.test_client()
    for _ in range(2):  # the second pass is served from the kept parts
        russian = visitor.get("/verify").text
        english = visitor.get("/verify", headers={"Accept-Language": "en"}).text
        assert russian.startswith('<!doctype html>\n<html lang="ru">')
        assert english.startswith('<!doctype html>\n<html lang="en">')
        assert "Перейти к основному содержанию" in russian and "Skip to main" not in russian
        assert "Skip to main content" in english and "Перейти" not in english
        assert "обучение сотрудников полиции и судей" in russian
        assert "for police officers and judges" in english
        assert re.search(r"<title>[^<]+ · Тренажёр</title>", russian)
        assert russian.rstrip().endswith("</body>\n</html>")


def test_a_rate_limited_page_still_counts_and_says_so_and_others_do_not(make_app):
    app = make_app(VERIFY_RATE_LIMIT="2 per minute")
    visitor = app.test_client()
    limited = [visitor.get("/verify/NOSUCHCODE") for _ in range(3)]
    assert [r.status_code for r in limited[:2]] == [200, 200] and limited[2].status_code == 429
    assert limited[0].headers["X-RateLimit-Limit"] == "2"
    assert limited[1].headers["X-RateLimit-Remaining"] == "0"
    assert "X-RateLimit-Limit" not in visitor.get("/").headers
