"""The speed fixes of issue 19 (bench/RESULTS.md): what depends only on a module version and
the language is rendered once, the locale and catalogue are looked up once per request, the
rate limiter stays out of routes with no limit, and a module version's large content is read
only when its content is needed."""

import pytest
from flask_babel import force_locale, refresh
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tests.conftest import sign_in, sql_statements, sync_example
from trainer.extensions import db, limiter
from trainer.i18n import current_lang, format_number
from trainer.learning.content import content_of
from trainer.models import Module, Profession

BASE = "/learn/example-module"


@pytest.fixture
def officer_client(app, make_user):
    sync_example(app)
    client = app.test_client()
    sign_in(client, make_user(profession=Profession.POLICE, locale="en"))
    return client


def test_a_lesson_lists_the_references_it_cites_with_the_modules_numbers(officer_client):
    html = officer_client.get(f"{BASE}/lessons/at-the-scene?show=text").text
    references = html.split('<ol class="references">')[1].split("</ol>")[0]
    # The module lists unodc-police-handbook (1), istanbul-convention (2), koap-rf (3).
    assert 'id="ref-istanbul-convention" value="2"' in references
    assert 'id="ref-koap-rf" value="3"' in references
    assert "ref-unodc-police-handbook" not in references
    assert 'href="#ref-koap-rf"' in html  # the text's link has its target on the page


def test_the_module_page_lists_every_reference_and_the_glossary(officer_client):
    html = officer_client.get(f"{BASE}/").text
    for number, ident in enumerate(
        ["unodc-police-handbook", "istanbul-convention", "koap-rf"], start=1
    ):
        assert f'id="ref-{ident}" value="{number}"' in html
    assert '<h2 id="glossary">Glossary</h2>' in html
    assert "battery (beatings)" in html and "(побои)" in html


def test_references_and_glossary_are_rendered_once_per_version_and_language(app, officer_client):
    officer_client.get(f"{BASE}/")
    with app.app_context():
        module = db.session.scalar(select(Module).where(Module.slug == "example-module"))
        cache = content_of(module.latest_version).cache
    assert ("glossary", "en") in cache and ("references", None, "en") in cache
    assert officer_client.get(f"{BASE}/").text.count(str(cache[("glossary", "en")])) == 1
    officer_client.post("/language/ru")
    html = officer_client.get(f"{BASE}/").text
    assert html.count(str(cache[("glossary", "ru")])) == 1 and "Глоссарий" in html


def test_the_page_language_follows_refresh_and_force_locale(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        render = app.jinja_env.from_string("{{ current_locale() }}: {{ _('Glossary') }}").render
        assert render() == "en: Glossary"
        with force_locale("ru"):
            assert render() == "ru: Глоссарий"
        assert render() == "en: Glossary"
        from flask import session

        session["locale"] = "ru"
        refresh()
        assert render() == "ru: Глоссарий"


@pytest.mark.parametrize(
    ("header", "default", "lang"),
    [
        ("en-US,en;q=0.9", "ru", "en"),
        ("de, ru;q=0.5, en;q=0.1", "ru", "ru"),
        ("de", "ru", "ru"),
        ("de", "en", "en"),  # the choice per header is kept per default language too
        ("", "en", "en"),
    ],
)
def test_the_browsers_language_is_read_from_each_requests_header(app, header, default, lang):
    app.config["BABEL_DEFAULT_LOCALE"] = default
    with app.test_request_context(headers={"Accept-Language": header}):
        assert current_lang() == lang


def test_small_whole_numbers_skip_babel_and_others_keep_it(app):
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        assert format_number(42) == "42" and format_number(0) == "0"
        assert format_number(12345) == "12\xa0345"
        assert format_number(1.5) == "1,5"


def test_the_limiter_checks_only_routes_with_a_limit(app):
    with app.test_request_context("/learn/"):
        assert not limiter._may_limit("learn.catalogue")
        assert not limiter._may_limit("main.healthz")
        assert limiter._may_limit("auth.login")
        assert limiter._may_limit("certificates.verify")


def test_loading_a_module_version_reads_neither_its_content_nor_the_columns_after_it(app):
    sync_example(app)
    with app.app_context(), sql_statements(app) as statements:
        db.session.scalars(select(Module).options(joinedload(Module.latest_version))).all()
    selected = statements[-1].split("FROM")[0]
    assert "module_versions_1.content_hash" in selected
    assert "module_versions_1.data" not in selected
    assert "module_versions_1.created_at" not in selected
