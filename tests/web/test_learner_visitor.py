"""Issue 18, learner and visitor, over HTTP: landing after registration, certificate codes typed
from paper and certificate numbers, the admin's certificate-settings warning, the product name,
the quiz result's score and actions first, the aligned bilingual lesson, Russian wording."""

import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from tests.conftest import sign_in, sync_example
from tests.web.certificates_support import complete_example
from tests.web.test_certificates import needs_poppler, pdf_text
from tests.web.test_cohorts import assign, make_cohort
from tests.web.test_quiz import NO_ESSAY, right_form, start, url
from trainer.extensions import db
from trainer.learning import certificates
from trainer.learning.pdf import grouped_code
from trainer.models import Certificate, InviteCode, Role
from trainer.models.types import utcnow

EN = {"Accept-Language": "en"}
RU = {"Accept-Language": "ru"}
ROOT = Path(__file__).parents[2]


def signed_in(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


# Registration lands on "My training" ----------------------------------------------------------


def cohort_invite(app) -> str:
    sync_example(app)
    cohort_id = make_cohort(app, name="Тверь, осень")
    assign(app, cohort_id)
    with app.app_context():
        invite = InviteCode(cohort_id=cohort_id, expires_at=utcnow().replace(year=2100))
        db.session.add(invite)
        db.session.commit()
        return invite.code


def test_registering_with_an_invitation_lands_on_my_training_with_the_assignment(app):
    client = app.test_client()
    posted = client.post(
        "/register",
        data={"code": cohort_invite(app), "name": "Пётр Иванов", "email": "p@example.org",
              "profession": "police", "locale": "ru", "password": "long-enough-pass",
              "confirm": "long-enough-pass"},
    )  # fmt: skip
    assert posted.status_code == 302 and posted.headers["Location"] == "/learn/my"
    page = client.get("/learn/my").text
    assert "Назначено вам" in page or "Assigned to you" in page
    assigned = page.index('id="assigned-heading"')
    assert assigned < page.index("Выезд на вызов о домашнем насилии")
    assert "Тверь, осень" in page


def test_a_trainer_registering_still_lands_on_the_home_page(app):
    with app.app_context():
        invite = InviteCode(role=Role.TRAINER, expires_at=utcnow().replace(year=2100))
        db.session.add(invite)
        db.session.commit()
        code = invite.code
    posted = app.test_client().post(
        "/register",
        data={"code": code, "name": "T", "email": "t@example.org", "profession": "police",
              "locale": "en", "password": "long-enough-pass", "confirm": "long-enough-pass"},
    )  # fmt: skip
    assert posted.headers["Location"] == "/"


# Certificate codes and numbers -----------------------------------------------------------------


@pytest.fixture
def holder(app, make_user):
    sync_example(app)
    return make_user(name="Анна Сергеевна Смирнова", email="anna@example.org", locale="en")


@pytest.fixture
def certificate(app, holder) -> Certificate:
    return complete_example(app, holder)


def verified(client, typed: str) -> str:
    return client.get("/verify", query_string={"code": typed}, headers=EN).text


def typed_from_paper(code: str) -> str:
    """What a person types: small letters, the printed groups, O for 0 and l for 1."""
    return grouped_code(code).lower().replace("0", "O").replace("1", "l")


def test_a_code_typed_in_small_letters_with_spaces_and_look_alikes_is_found(client, certificate):
    for typed in (typed_from_paper(certificate.code), certificate.code.lower(),
                  "-".join(grouped_code(certificate.code).split())):  # fmt: skip
        page = verified(client, typed)
        assert "Valid certificate" in page, typed
        assert "Анна Сергеевна Смирнова" in page and certificate.serial in page


def test_a_code_issued_before_stays_verifiable_exactly_as_printed(app, client, certificate):
    old = "Q2xv3d9LkHY7mPz4bRm4TnWc8HeJaUsZ"  # the former case-sensitive alphabet
    with app.app_context():
        db.session.get(Certificate, certificate.id).code = old
        db.session.commit()
        assert certificates.verify(old).status == certificates.Status.VALID
        assert certificates.verify(f" {old[:16]} {old[16:]} ").status == certificates.Status.VALID
        assert certificates.verify(old.lower()).status == certificates.Status.UNKNOWN
    assert "Valid certificate" in client.get(f"/verify/{old}", headers=EN).text


def test_the_certificate_number_is_accepted_and_shows_no_name(client, certificate):
    year = certificate.completed_on.year
    for typed in (certificate.serial, f"№ {certificate.serial}", f"No. {certificate.serial}"):
        page = verified(client, typed)
        assert "Valid certificate" in page, typed
        assert certificate.serial in page and "Responding to a domestic violence call" in page
        assert "Анна" not in page  # numbers are sequential: no directory of names
        assert "name, enter the verification code printed" in page
    for wrong in (f"{year - 1}-{certificate.id:06d}", f"{year}-999999"):
        assert "Unknown code" in verified(client, wrong)


def test_a_revoked_certificate_found_by_number_says_revoked(app, admin, client, certificate):
    with app.app_context():
        certificates.revoke(db.session.get(Certificate, certificate.id), admin, "error")
        db.session.commit()
    page = verified(client, certificate.serial)
    assert "Revoked certificate" in page and "Valid certificate" not in page


def test_bad_input_to_the_verification_form_gets_a_message_not_an_error(client):
    for typed in ("", "   ", "x" * 500, "2026-", "<script>", "№"):
        response = client.get("/verify", query_string={"code": typed}, headers=EN)
        assert response.status_code == 200, typed
    assert "Enter the code or the number printed on the certificate." in verified(client, "")


@needs_poppler
def test_the_pdf_prints_the_grouped_code_and_neutral_or_agreeing_russian(
    app, holder_client_factory, tmp_path
):
    for name, line in (
        ("Анна Сергеевна Смирнова", "успешно освоила учебный модуль"),
        ("Иван Петрович Сидоров", "успешно освоил учебный модуль"),
        ("Alex Morgan", "успешно завершено обучение по учебному модулю"),
    ):
        client, certificate = holder_client_factory(name)
        pdf = client.get(f"/certificates/{certificate.id}/pdf?lang=ru").data
        text = pdf_text(pdf, tmp_path)
        assert line in " ".join(text.split()), (name, text)
        assert "(а)" not in text
        assert grouped_code(certificate.code) in text and certificate.serial in text
        english = pdf_text(client.get(f"/certificates/{certificate.id}/pdf?lang=en").data, tmp_path)
        assert "has successfully completed the training module" in " ".join(english.split())
        assert grouped_code(certificate.code) in english


@pytest.fixture
def holder_client_factory(app, make_user):
    sync_example(app)
    count = iter(range(100))

    def factory(name):
        user = make_user(name=name, email=f"h{next(count)}@example.org", locale="ru")
        return signed_in(app, user), complete_example(app, user)

    return factory


# The operator's certificate settings ----------------------------------------------------------

WARNING = "Certificates print a placeholder organisation"


def test_an_admin_is_warned_until_the_certificate_settings_are_set(make_app, make_user):
    app = make_app()
    admin = make_user(role=Role.ADMIN, email="boss@example.org")
    page = signed_in(app, admin).get("/admin/users", headers=EN).text
    assert WARNING in page
    assert "TRAINER_ORGANISATION, TRAINER_CERTIFICATE_SIGNATURE" in page
    learner = make_user(email="l@example.org")
    assert WARNING not in signed_in(app, learner).get("/learn/my", headers=EN).text


def test_the_warning_goes_once_both_are_set(make_app, make_user):
    app = make_app(TRAINER_ORGANISATION="Учебный центр", TRAINER_CERTIFICATE_SIGNATURE="И. Иванов")
    admin = make_user(role=Role.ADMIN, email="boss@example.org")
    assert WARNING not in signed_in(app, admin).get("/admin/users", headers=EN).text
    half = make_app(TRAINER_ORGANISATION="Учебный центр")
    boss = make_user(role=Role.ADMIN, email="boss2@example.org")  # same database
    page = signed_in(half, boss).get("/admin/users", headers=EN).text
    assert WARNING in page and "TRAINER_CERTIFICATE_SIGNATURE" in page
    assert "TRAINER_ORGANISATION," not in page


def test_make_run_takes_a_port_and_the_readme_says_so():
    dry = subprocess.run(
        ["make", "-n", "run", "PORT=8123"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    assert "--port 8123" in dry and "TRAINER_CERTIFICATE_SIGNATURE" in dry
    default = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True)
    assert "--port 5000" in default.stdout
    readme = (ROOT / "README.md").read_text()
    assert "make run PORT=8080" in readme
    assert "| `TRAINER_TIMEZONE` |" in readme and "| `TRAINER_PRODUCT_NAME` |" in readme


# The product name ------------------------------------------------------------------------------


def test_the_product_name_is_translated_and_configurable(make_app):
    app = make_app()
    client = app.test_client()
    ru = client.get("/login", headers=RU).text
    assert 'class="brand"' in ru and ">Тренажёр</a>" in ru and "· Тренажёр</title>" in ru
    assert ">Trainer</a>" in client.get("/login", headers=EN).text
    named = make_app(TRAINER_PRODUCT_NAME="Учебный портал").test_client().get("/login").text
    assert ">Учебный портал</a>" in named and "Учебный портал: " in named


# The quiz result: score and actions first ------------------------------------------------------


def test_the_quiz_result_puts_the_score_and_the_actions_above_the_questions(app, setup):
    _learner, client = setup(**NO_ESSAY)
    attempt_id = start(client)
    client.post(url(attempt_id), data=right_form(app, attempt_id))
    client.post(url(attempt_id, "/submit"))
    html = client.get(url(attempt_id, "/result")).text
    first_question = html.index('class="question question-result"')
    for marker in ("Your score: 100%", "All my attempts", "Back to the module"):
        assert html.index(marker) < first_question, marker
    overview = re.findall(r'<li><a href="#q-([\w-]+)">', html)
    assert overview and all(f'id="q-{q}"' in html for q in overview)


# The aligned bilingual lesson ------------------------------------------------------------------


def test_side_by_side_rows_pair_each_heading_in_both_languages(app, learner):
    sync_example(app)
    client = signed_in(app, learner)
    html = client.get("/learn/example-module/lessons/intro?view=both", headers=RU).text
    rows = html.split('class="section-row"')[1:]
    assert len(rows) >= 3
    for row in rows[1:]:
        ru, en = row.split('class="column column-en"')
        assert re.search(r'lesson-body">\s*<h[23]', ru) and re.search(r'lesson-body">\s*<h[23]', en)
    assert html.count('type="radio"') == 2 * len(rows)
    assert "<script" not in html.split("<main")[1].split("</main>")[0]  # menu.js: after it


def test_side_by_side_keeps_the_content_warning_gate(app, learner):
    sync_example(app)
    client = signed_in(app, learner)
    gated = client.get("/learn/example-module/lessons/at-the-scene?view=both", headers=RU).text
    assert "callout-warning" in gated and "lesson-body" not in gated
    assert "show=text" in gated and "view=both" in gated
    shown = client.get("/learn/example-module/lessons/at-the-scene?view=both&show=text").text
    assert shown.count('class="lesson-body"') >= 2


# Russian wording -------------------------------------------------------------------------------


def test_the_catalogue_line_reads_as_russian(app, learner):
    sync_example(app)
    page = signed_in(app, learner).get("/learn/", headers=RU).text
    line = " ".join(page.split('class="muted">')[1].split("</p>")[0].split())
    # The example module: 45 minutes, 3 lessons, a certificate for 1 credit hour.
    assert line == "45 минут · 3 урока · сертификат на 1 академический час", line


def test_durations_and_credit_hours_take_their_plural_forms(app):
    with app.test_request_context(headers=RU):
        template = app.jinja_env.from_string(
            '{% from "learn_macros.html" import duration, certificate_hours %}'
            "{{ duration(n) }}|{{ certificate_hours(h) }}"
        )
        render = lambda n, h: template.render(n=n, h=h)  # noqa: E731
        assert render(300, 8) == "5 часов|сертификат на 8 академических часов"
        assert render(45, 1) == "45 минут|сертификат на 1 академический час"
        assert render(150, 2) == "2 часа 30 минут|сертификат на 2 академических часа"
        assert render(61, 1.5) == "1 час 1 минута|сертификат на 1,5 академического часа"


def test_no_double_full_stop_after_a_russian_date(app, holder, certificate):
    client = signed_in(app, holder)
    client.post("/language/ru")
    with app.app_context():
        db.session.get(type(holder), holder.id).locale = "ru"
        db.session.commit()
    for path in ("/", "/learn/my"):
        page = client.get(path, headers=RU).text
        assert "г.." not in page, path
    my = client.get("/learn/my").text
    assert re.search(r"Модуль завершён \d+\s\w+\s\d{4}\sг\.<", my), my


def test_a_missing_cohort_name_gets_a_cohort_message(app, make_user):
    trainer = make_user(role=Role.TRAINER, email="t@example.org", locale="ru")
    page = signed_in(app, trainer).post("/cohorts/new", data={"name": ""}, headers=RU).text
    assert "Введите название группы." in page and "Введите имя." not in page


@pytest.fixture
def setup(app, module_copy, make_user):
    from tests.web.test_quiz import setup as quiz_setup

    return quiz_setup.__wrapped__(app, module_copy, make_user)


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler")
def test_the_certificate_renders_to_a_landscape_page_in_both_languages(
    holder_client_factory, tmp_path
):
    client, certificate = holder_client_factory("Alex Morgan")
    for lang in ("ru", "en"):
        pdf = tmp_path / f"certificate-{lang}.pdf"
        pdf.write_bytes(client.get(f"/certificates/{certificate.id}/pdf?lang={lang}").data)
        prefix = tmp_path / f"page-{lang}"
        subprocess.run(["pdftoppm", "-png", "-r", "30", "-singlefile", pdf, prefix], check=True)
        png = prefix.with_suffix(".png").read_bytes()
        width, height = struct.unpack(">II", png[16:24])  # the PNG header's IHDR
        assert width > height > 200, (lang, width, height)
