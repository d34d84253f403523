"""The shipped curriculum reaches the people it is written for: each profession's catalogue
lists its modules, in both languages, and no other's."""

from pathlib import Path

import pytest

from tests.conftest import sign_in
from trainer.content.sync import module_folders, sync_modules
from trainer.extensions import db
from trainer.models import Profession

MODULES = Path(__file__).resolve().parents[2] / "modules"
TITLES = {
    "harmony-police": ("Гармония", "Project Harmony"),
    "idap-perpetrator-programmes": ("IDAP", "IDAP"),
    "maine-arkhangelsk-judges": ("Мэн", "Maine"),
    "interagency-coordination": ("Работать вместе", "Working together"),
}
SEES = {
    Profession.POLICE: {
        "harmony-police",
        "idap-perpetrator-programmes",
        "interagency-coordination",
    },
    Profession.SOCIAL_WORKER: {
        "harmony-police",
        "idap-perpetrator-programmes",
        "interagency-coordination",
    },
    Profession.JUDGE: {"maine-arkhangelsk-judges", "interagency-coordination"},
    Profession.PROSECUTOR: {
        "harmony-police",
        "maine-arkhangelsk-judges",
        "interagency-coordination",
    },
    Profession.CRISIS_CENTRE: {"idap-perpetrator-programmes", "interagency-coordination"},
    Profession.OTHER: {"idap-perpetrator-programmes", "interagency-coordination"},
}


@pytest.fixture
def curriculum(app):
    with app.app_context():
        outcomes = sync_modules(module_folders(MODULES))
        db.session.commit()
    assert {o.status for o in outcomes} <= {"created", "updated", "unchanged"}


def test_each_profession_sees_its_modules(app, curriculum, make_user):
    # One test over every profession and language: the curriculum is synced once (~4 s).
    for locale in ("ru", "en"):
        for profession in SEES:
            client = app.test_client()
            sign_in(client, make_user(profession=profession, locale=locale))
            html = client.get("/learn/").text
            for slug, titles in TITLES.items():
                listed = f'href="/learn/{slug}/"' in html
                assert listed == (slug in SEES[profession]), (locale, str(profession), slug)
                if listed:
                    assert titles[0 if locale == "ru" else 1] in html, (locale, slug)
