"""The cohort form's choices of several (its trainers, its professions) are checkboxes: no hint
asks to hold Ctrl (⌘ on a Mac, nothing to hold on a phone), in either language."""

import re

import pytest
from sqlalchemy import select

from tests.conftest import sign_in
from trainer.extensions import db
from trainer.models import Cohort, Profession, Role

HINT = {
    "en": "The trainers ticked see and change this cohort.",
    "ru": "Отмеченные тренеры видят эту группу и могут её изменять.",
}


@pytest.mark.parametrize("lang", HINT)
def test_trainers_and_professions_are_ticked_with_no_key_to_hold(app, make_user, lang):
    trainer = make_user(role=Role.TRAINER, profession=Profession.OTHER, name="Ольга")
    colleague = make_user(role=Role.TRAINER, profession=Profession.OTHER, name="Пётр")
    client = app.test_client()
    sign_in(client, trainer)
    page = client.get("/cohorts/new", headers={"Accept-Language": lang}).text

    assert "Ctrl" not in page and "⌘" not in page and not re.search(r"<select[^>]*multiple", page)
    assert HINT[lang] in page
    boxes = re.findall(r'<input[^>]*name="trainer_ids"[^>]*>', page)
    assert len(boxes) == 2 and all('type="checkbox"' in box for box in boxes)
    assert [box for box in boxes if "checked" in box] == [
        next(box for box in boxes if f'value="{trainer.id}"' in box)
    ]  # the trainer making it is ticked
    assert len(re.findall(r'<input[^>]*name="professions"[^>]*type="checkbox"', page)) == len(
        Profession
    )

    form = {"name": "Вдвоём", "trainer_ids": [str(trainer.id), str(colleague.id)],
            "professions": ["police", "judge"], "submission": "x" * 22}  # fmt: skip
    assert client.post("/cohorts/new", data=form).status_code == 302
    with app.app_context():
        cohort = db.session.scalar(select(Cohort).where(Cohort.name == "Вдвоём"))
        assert sorted(t.name for t in cohort.trainers) == ["Ольга", "Пётр"]
        assert sorted(cohort.professions) == ["judge", "police"]
