"""Certificates: issued once on completion, downloaded by the holder, verified, revoked."""

import math
import re
import shutil
import subprocess

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tests.conftest import sign_in, sync_example
from tests.web.certificates_support import complete_example
from tests.web.test_cohorts import statements_during, sync_example_copy
from trainer.extensions import db
from trainer.learning import certificates
from trainer.learning import progress as tracking
from trainer.learning.pdf import grouped_code
from trainer.models import (
    Certificate,
    Cohort,
    CohortMember,
    LearningEvent,
    Progress,
    Role,
    User,
    Verb,
)
from trainer.models.certificates import CODE_ALPHABET

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler")
EN = {"Accept-Language": "en"}


def count_certificates(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Certificate.id)))


def pdf_text(pdf: bytes, tmp_path, *options: str) -> str:
    path = tmp_path / "downloaded.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", *options, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def holder(app, make_user):
    sync_example(app)
    return make_user(name="Анна Сергеевна Смирнова", email="anna@example.org", locale="en")


@pytest.fixture
def certificate(app, holder) -> Certificate:
    return complete_example(app, holder)


@pytest.fixture
def holder_client(app, holder):
    client = app.test_client()
    sign_in(client, holder)
    return client


def signed_in(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


# Issuing -----------------------------------------------------------------------------------------


def test_completion_issues_a_certificate_with_everything_the_pdf_prints(app, holder, certificate):
    assert certificate is not None
    assert certificate.learner_name == "Анна Сергеевна Смирнова"
    assert certificate.title_ru == "Выезд на вызов о домашнем насилии"
    assert certificate.title_en == "Responding to a domestic violence call"
    assert certificate.credit_hours == 1 and certificate.lang == "en"
    with app.app_context():
        progress = db.session.scalar(select(Progress).where(Progress.user_id == holder.id))
        assert certificate.module_version_id == progress.module_version_id
        assert certificate.completed_on == certificates.local_date(progress.completed_at)
    # 28 characters of Crockford's base32 (no I, L, O, U, no small letters): 140 random bits.
    assert re.fullmatch(f"[{CODE_ALPHABET}]{{28}}", certificate.code)
    assert not set("ILOU") & set(CODE_ALPHABET) and CODE_ALPHABET.upper() == CODE_ALPHABET
    assert math.log2(len(set(CODE_ALPHABET))) * len(certificate.code) >= 128
    assert certificate.serial == f"{certificate.completed_on.year}-{certificate.id:06d}"


def test_a_second_completion_issues_nothing_new(app, holder, certificate):
    with app.app_context():
        progress = db.session.scalar(select(Progress).where(Progress.user_id == holder.id))
        tracking.restart(progress)  # the same version: the module has not changed
        db.session.commit()
    again = complete_example(app, holder)
    assert (again.id, again.code) == (certificate.id, certificate.code)
    with app.app_context():
        progress = db.session.scalar(select(Progress).where(Progress.user_id == holder.id))
        assert certificates.issue_certificate(progress).id == certificate.id
        earned = db.session.scalars(
            select(LearningEvent.result).where(LearningEvent.verb == Verb.EARNED)
        ).all()
    assert count_certificates(app) == 1
    assert earned == [{"certificate_id": certificate.id}]  # one "earned" event, not two


def test_the_database_refuses_a_second_certificate_for_the_same_version(app, certificate):
    with app.app_context():
        duplicate = Certificate(
            user_id=certificate.user_id,
            module_id=certificate.module_id,
            module_version_id=certificate.module_version_id,
            learner_name="x",
            title_ru="x",
            title_en="x",
            credit_hours=1,
            completed_on=certificate.completed_on,
            lang="ru",
        )
        db.session.add(duplicate)
        with pytest.raises(IntegrityError):
            db.session.flush()


def test_verification_codes_are_unique_in_the_database(app, make_user, certificate):
    other = make_user()
    second = complete_example(app, other)
    assert second.code != certificate.code
    with app.app_context():
        row = db.session.get(Certificate, second.id)
        row.code = certificate.code
        with pytest.raises(IntegrityError):
            db.session.flush()


def test_a_module_without_certificates_issues_none(make_app, make_user, module_copy):
    app = make_app()
    meta = module_copy / "module.yaml"
    meta.write_text(meta.read_text().replace("certificate: true", "certificate: false"))
    sync_example(app, module_copy)
    learner = make_user()
    assert complete_example(app, learner) is None
    assert count_certificates(app) == 0


# Verifying and revoking, as plain functions ----------------------------------------------


def test_verify_matches_the_code_only(app, certificate):
    with app.app_context():
        assert certificates.verify(certificate.code).status == certificates.Status.VALID
        for wrong in ("", certificate.code[:-1], certificate.code + "x", "Q" + certificate.code):
            assert certificates.verify(wrong).status == certificates.Status.UNKNOWN, wrong
        assert certificates.verify("x" * 5000).status == certificates.Status.UNKNOWN


def test_revoke_records_who_when_and_why_once(app, admin, certificate):
    with app.app_context():
        row = db.session.get(Certificate, certificate.id)
        by = db.session.get(User, admin.id)
        with pytest.raises(ValueError):
            certificates.revoke(row, by, "   ")
        certificates.revoke(row, by, "Completed by someone else")
        db.session.commit()
        with pytest.raises(certificates.AlreadyRevoked):
            certificates.revoke(row, by, "again")
        result = certificates.verify(certificate.code)
        assert result.status == certificates.Status.REVOKED
        assert result.certificate.revoked_by_id == admin.id
        assert result.certificate.revoke_reason == "Completed by someone else"
        assert result.certificate.revoked_at is not None


# Downloading ------------------------------------------------------------------------------------


@needs_poppler
def test_the_holder_downloads_the_pdf_from_my_training(holder_client, certificate, tmp_path):
    page = holder_client.get("/learn/my").text
    url = f"/certificates/{certificate.id}/pdf"
    for lang in ("ru", "en", "both"):
        assert f'href="{url}?lang={lang}"' in page
    response = holder_client.get(f"{url}?lang=ru")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = pdf_text(response.data, tmp_path)
    assert "Анна Сергеевна Смирнова" in text
    assert "Выезд на вызов о домашнем насилии" in text
    assert grouped_code(certificate.code) in text
    assert holder_client.get(f"{url}?lang=ru").data == response.data  # regenerated identically


def test_my_training_reads_the_certificates_once_however_many(
    app, holder, certificate, holder_client, tmp_path
):
    one, _ = statements_during(app, holder_client, "/learn/my")
    second = complete_example(app, holder, sync_example_copy(app, tmp_path, "example-module-2"))
    two, page = statements_during(app, holder_client, "/learn/my")
    assert f"/certificates/{certificate.id}/pdf" in page.text
    assert f"/certificates/{second.id}/pdf" in page.text
    assert len(two) == len(one), two


@needs_poppler
def test_the_default_language_is_the_learners_and_bilingual_has_both(
    holder_client, certificate, tmp_path
):
    url = f"/certificates/{certificate.id}/pdf"
    english = pdf_text(holder_client.get(url).data, tmp_path)
    assert "Responding to a domestic violence call" in english and "CERTIFICATE" in english
    both = pdf_text(holder_client.get(f"{url}?lang=both").data, tmp_path)
    assert "Выезд на вызов о домашнем насилии" in both
    assert "Responding to a domestic violence call" in both


def test_the_module_page_offers_the_download(holder_client, certificate):
    page = holder_client.get("/learn/example-module/", headers=EN).text
    assert "Your certificate" in page
    assert f"/certificates/{certificate.id}/pdf?lang=both" in page


def test_only_the_holder_may_download(app, make_user, admin, certificate):
    url = f"/certificates/{certificate.id}/pdf"
    assert app.test_client().get(url).status_code == 302  # to sign in
    for user in (make_user(), make_user(role=Role.TRAINER), admin):
        assert signed_in(app, user).get(url).status_code == 403
    assert signed_in(app, admin).get("/certificates/99999/pdf").status_code == 404


# Public verification -----------------------------------------------------------------------------


def test_verification_shows_only_number_name_module_date_and_hours(client, certificate):
    page = client.get(f"/verify/{certificate.code}", headers=EN)
    assert page.status_code == 200
    assert page.headers["X-Robots-Tag"] == "noindex"
    html = page.text
    assert "Valid certificate" in html
    assert "Анна Сергеевна Смирнова" in html
    assert "Responding to a domestic violence call" in html
    assert certificate.completed_on.strftime("%B") in html
    assert certificate.serial in html  # the printed number, to compare with the paper
    assert "anna@example.org" not in html and certificate.code not in html.split("<form")[0]


def test_the_verification_form_looks_a_typed_code_up(client, certificate):
    assert 'name="code"' in client.get("/verify", headers=EN).text
    found = client.get("/verify", query_string={"code": f" {certificate.code} "}, headers=EN)
    assert "Valid certificate" in found.text
    unknown = client.get("/verify", query_string={"code": "not-a-code"}, headers=EN)
    assert "Unknown code" in unknown.text and "Анна" not in unknown.text
    assert "Unknown code" in client.get("/verify/AAAAAAAAAAAAAAAAAAAAAA", headers=EN).text


def test_verification_is_rate_limited(make_app):
    app = make_app(VERIFY_RATE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = [client.get(f"/verify/guess{n}").status_code for n in range(3)]
    statuses.append(client.get("/verify", query_string={"code": "guess"}).status_code)
    assert statuses == [200, 200, 200, 429]


# Revoking over HTTP ----------------------------------------------------------------------


def test_an_admin_revokes_and_verification_then_says_revoked(
    app, admin, holder_client, certificate
):
    client = signed_in(app, admin)
    listing = client.get("/certificates/", headers=EN).text
    assert "Анна Сергеевна Смирнова" in listing and certificate.serial in listing
    url = f"/certificates/{certificate.id}/revoke"
    asked = client.post(url, data={"reason": "Issued in error"}, headers=EN)
    assert asked.status_code == 200 and "Revoke this certificate?" in asked.text
    assert "This cannot be undone." in asked.text and "Issued in error" in asked.text
    assert 'name="confirmed" value="yes"' in asked.text
    with app.app_context():  # nothing happens before the confirmation
        assert db.session.get(Certificate, certificate.id).revoked_at is None
    response = client.post(url, data={"reason": "Issued in error", "confirmed": "yes"})
    assert response.status_code == 302
    verification = client.get(f"/verify/{certificate.code}", headers=EN).text
    assert "Revoked certificate" in verification and "Valid certificate" not in verification
    refused = holder_client.get(f"/certificates/{certificate.id}/pdf")
    assert refused.status_code == 410 and refused.mimetype == "text/html"
    assert "was revoked on" in holder_client.get("/learn/my").text
    details = client.get(f"/certificates/{certificate.id}/revoke", headers=EN).text
    assert "Issued in error" in details and "Админ Админов" in details


def test_a_reason_is_required(app, admin, certificate):
    client = signed_in(app, admin)
    page = client.post(f"/certificates/{certificate.id}/revoke", data={"reason": ""}, headers=EN)
    assert page.status_code == 200 and "Say why the certificate is revoked." in page.text
    with app.app_context():
        assert db.session.get(Certificate, certificate.id).revoked_at is None


def test_only_the_learners_trainers_may_revoke(app, make_user, certificate):
    teaching, other_trainer = make_user(role=Role.TRAINER), make_user(role=Role.TRAINER)
    with app.app_context():
        cohort = Cohort(name="Группа 1", trainers=[db.session.get(User, teaching.id)])
        db.session.add(cohort)
        db.session.flush()
        db.session.add(CohortMember(cohort_id=cohort.id, user_id=certificate.user_id))
        db.session.commit()
    url = f"/certificates/{certificate.id}/revoke"
    for user in (other_trainer, make_user()):
        refused = signed_in(app, user).post(url, data={"reason": "no", "confirmed": "yes"})
        assert refused.status_code == 403
    assert certificate.serial not in signed_in(app, other_trainer).get("/certificates/").text
    client = signed_in(app, teaching)
    assert certificate.serial in client.get("/certificates/").text
    confirmed = {"reason": "Did not attend", "confirmed": "yes"}
    assert client.post(url, data=confirmed).status_code == 302
    with app.app_context():
        row = db.session.get(Certificate, certificate.id)
        assert (row.revoked_by_id, row.revoke_reason) == (teaching.id, "Did not attend")


def test_revoke_forms_carry_a_csrf_token(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)  # a fresh database: create the users after it
    sync_example(app)
    certificate = complete_example(app, make_user())
    admin = make_user(role=Role.ADMIN)
    client = signed_in_with_csrf(app, admin)
    assert 'name="csrf_token"' in client.get("/certificates/").text
    url = f"/certificates/{certificate.id}/revoke"
    assert client.post(url, data={"reason": "forged", "confirmed": "yes"}).status_code == 400
    with app.app_context():
        assert db.session.get(Certificate, certificate.id).revoked_at is None


def signed_in_with_csrf(app, user):
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    sign_in(client, user, csrf_token=token)
    return client


# The specimen command ----------------------------------------------------------------------------


@needs_poppler
@pytest.mark.parametrize("lang", ["ru", "en", "both"])
def test_specimen_command_renders_sample_data(app, tmp_path, lang):
    out = tmp_path / f"specimen-{lang}.pdf"
    result = app.test_cli_runner().invoke(
        args=["certificates", "specimen", "--lang", lang, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    # -raw: in drawing order, so the diagonal watermark reads as one word.
    text = "".join(pdf_text(out.read_bytes(), tmp_path, "-raw").split())
    assert "Преображенская-Воскресенская" in text
    assert ("ОБРАЗЕЦ" in text) == (lang != "en") and ("SPECIMEN" in text) == (lang != "ru")
    assert "0" * 28 in text  # a sample code of the printed form


def test_each_holders_pages_link_their_own_certificate_in_both_languages(app, make_user, holder):
    """The download links are rendered once and filled in per certificate: a second holder's
    pages show their own number and links, never the first's."""
    first = complete_example(app, holder)
    other = make_user(email="ivan@example.org", locale="ru")
    second = complete_example(app, other)
    for user, own, not_own in ((holder, first, second), (other, second, first)):
        client = app.test_client()
        sign_in(client, user)
        for url in ("/learn/my", "/learn/example-module/"):
            html = client.get(url).text
            assert f"/certificates/{own.id}/pdf?lang=ru" in html
            assert f"/certificates/{own.id}/pdf?lang=both" in html
            assert own.serial in html
            assert f"/certificates/{not_own.id}/pdf" not in html and not_own.serial not in html
            assert ("Certificate No." if user is holder else "Сертификат №") in html
