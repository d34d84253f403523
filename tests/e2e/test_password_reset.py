"""Forgot password → email → new password → signed in, in Russian, in a real browser, with the
message delivered by a real SMTP server (aiosmtpd)."""

import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.e2e.conftest import screenshot
from tests.mail_support import links, smtp_settings, text_part

NEW_PASSWORD = "новый-пароль-2026"


@pytest.fixture
def mail_live_server(make_app, smtp_server):
    app = make_app(WTF_CSRF_ENABLED=True, **smtp_settings(smtp_server.port))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["LIVE_URL"] = f"http://127.0.0.1:{server.server_port}"
    yield app
    server.shutdown()
    thread.join(5)


def test_forgot_password_email_new_password_signed_in(
    mail_live_server, smtp_server, make_user, page
):
    make_user(email="officer@example.org", name="Иван Кузнецов")
    base = mail_live_server.config["LIVE_URL"]

    page.goto(base + "/login")
    page.get_by_role("link", name="Забыли пароль?").click()
    expect(page.locator("h1")).to_have_text("Забыли пароль?")
    page.get_by_label("Электронная почта").fill("officer@example.org")
    screenshot(page, "reset-01-forgot-ru")
    page.get_by_role("button", name="Отправить ссылку").click()
    expect(page.locator("h1")).to_have_text("Проверьте почту")

    [message] = smtp_server.inbox.to("officer@example.org")
    assert message["Subject"] == "Сброс пароля"
    [link] = [url for url in links(message) if "/password/reset/" in url]
    assert "Здравствуйте, Иван Кузнецов!" in text_part(message)

    page.goto(link)
    expect(page.locator("h1")).to_have_text("Задать новый пароль")
    page.get_by_label("Новый пароль").fill(NEW_PASSWORD)
    page.get_by_label("Повторите пароль").fill(NEW_PASSWORD)
    screenshot(page, "reset-02-new-password-ru")
    page.get_by_role("button", name="Установить пароль").click()
    expect(page.locator(".flash")).to_contain_text("Ваш новый пароль установлен")
    expect(page.get_by_role("button", name="Выйти")).to_be_visible()  # signed in
    screenshot(page, "reset-03-signed-in-ru")

    page.get_by_role("button", name="Выйти").click()
    page.goto(link)  # the link worked once
    expect(page.locator("h1")).to_have_text("Ссылка не работает")
    expect(page.get_by_role("link", name="Получить новую ссылку")).to_be_visible()
