"""A learner downloads the certificate; an admin revokes it; anyone verifies it by its code."""

import subprocess

from playwright.sync_api import expect

from tests.conftest import PASSWORD, sync_example
from tests.e2e.conftest import screenshot
from tests.web.certificates_support import complete_example
from trainer.learning.pdf import grouped_code
from trainer.models import Role


def sign_in(page, base, email):
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_download_revoke_and_verify(live_server, make_user, browser, tmp_path):
    sync_example(live_server)
    learner = make_user(email="anna@example.org", name="Анна Сергеевна Смирнова", locale="en")
    make_user(role=Role.ADMIN, email="boss@example.org", name="Olga Admin", locale="en")
    certificate = complete_example(live_server, learner)
    base = live_server.config["LIVE_URL"]
    context = browser.new_context(locale="en-US", viewport={"width": 1100, "height": 800})
    page = context.new_page()

    sign_in(page, base, "anna@example.org")
    page.get_by_role("link", name="My training").first.click()
    expect(page.locator(".certificate-panel")).to_contain_text(certificate.serial)
    screenshot(page, "70-my-training-certificate-en")
    with page.expect_download() as download:
        page.get_by_role("link", name="Russian and English").click()
    pdf = tmp_path / "certificate.pdf"
    download.value.save_as(pdf)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Анна Сергеевна Смирнова" in text and grouped_code(certificate.code) in text

    visitor = browser.new_context(locale="en-US").new_page()
    visitor.goto(base + "/verify")
    # Typed from paper: small letters, the printed groups (issue 18).
    visitor.get_by_label("Verification code or certificate number").fill(
        grouped_code(certificate.code).lower()
    )
    visitor.get_by_role("button", name="Verify").click()
    expect(visitor.get_by_role("heading", name="Valid certificate")).to_be_visible()
    screenshot(visitor, "71-verify-valid-en")

    admin = browser.new_context(locale="en-US", viewport={"width": 1100, "height": 800}).new_page()
    sign_in(admin, base, "boss@example.org")
    admin.goto(base + "/certificates/")
    screenshot(admin, "72-certificates-list-en")
    admin.get_by_label("Reason").fill("Completed on another person's account")
    admin.get_by_role("button", name="Revoke").click()
    expect(admin.get_by_role("heading", name="Revoke this certificate?")).to_be_visible()
    admin.get_by_role("button", name="Yes, revoke the certificate").click()
    expect(admin.locator(".flash")).to_contain_text("revoked")
    expect(admin.locator("tbody tr").first).to_contain_text("Revoked on")

    visitor.goto(f"{base}/verify/{certificate.code}")
    expect(visitor.get_by_role("heading", name="Revoked certificate")).to_be_visible()
    screenshot(visitor, "73-verify-revoked-en")
    page.reload()
    expect(page.locator(".certificate-panel-revoked")).to_contain_text("was revoked on")
    context.close()
