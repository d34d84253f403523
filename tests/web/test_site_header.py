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
