from tests.conftest import sign_in
from trainer.extensions import db
from trainer.models import Profession, Role, User

EN = {"Accept-Language": "en"}


def test_admin_lists_users_paginated_and_searchable(make_app, make_user):
    app = make_app(USERS_PER_PAGE=3)
    client = app.test_client()
    admin = make_user(role=Role.ADMIN, name="Админ")
    for name in ["Ёлкин Пётр", "Иванова Анна", "Петров Иван", "Сидорова Ольга"]:
        make_user(name=name)
    sign_in(client, admin)
    first = client.get("/admin/users", headers=EN).get_data(as_text=True)
    assert "5 accounts found" in first and "Page 1 of 2" in first
    found = client.get("/admin/users?q=иван", headers=EN).get_data(as_text=True)
    assert "Иванова Анна" in found and "Петров Иван" in found and "Сидорова" not in found
    assert "2 accounts found" in found
    assert "1 account found" in client.get("/admin/users?q=Ёлкин", headers=EN).get_data(
        as_text=True
    )


def test_search_treats_wildcards_as_text(client, admin, make_user):
    make_user(name="Обычный")
    sign_in(client, admin)
    assert "0 accounts found" in client.get("/admin/users?q=%25", headers=EN).get_data(as_text=True)


def test_admin_creates_an_account(client, admin, app):
    sign_in(client, admin)
    response = client.post(
        "/admin/users/new",
        data={
            "name": "Судья Орлова",
            "email": "Orlova@Example.org",
            "role": "learner",
            "profession": "judge",
            "password": "initial-password",
            "confirm": "initial-password",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.query(User).filter_by(email="orlova@example.org").one()
        assert user.profession == Profession.JUDGE


def test_create_form_reports_errors_beside_fields_and_keeps_input(client, admin):
    sign_in(client, admin)
    html = client.post(
        "/admin/users/new",
        data={
            "name": "",
            "email": "not-an-email",
            "role": "learner",
            "profession": "judge",
            "password": "short",
            "confirm": "other",
        },
        headers=EN,
    ).get_data(as_text=True)
    assert "Enter a name." in html
    assert "Enter a valid email address." in html
    assert "Between 10 and 128 characters." in html
    assert 'value="not-an-email"' in html and 'aria-invalid="true"' in html
    assert 'value="short"' not in html


def test_admin_changes_role_and_profession(client, admin, learner, app):
    sign_in(client, admin)
    client.post(
        f"/admin/users/{learner.id}",
        data={"name": learner.name, "role": "trainer", "profession": "prosecutor", "active": "y"},
    )
    with app.app_context():
        user = db.session.get(User, learner.id)
        assert (user.role, user.profession, user.active) == (
            Role.TRAINER,
            Profession.PROSECUTOR,
            True,
        )


def test_admin_cannot_demote_or_deactivate_themselves(client, admin, app):
    sign_in(client, admin)
    response = client.post(
        f"/admin/users/{admin.id}",
        data={"name": admin.name, "role": "learner", "profession": "other"},
    )
    assert response.status_code == 403
    with app.app_context():
        user = db.session.get(User, admin.id)
        assert user.role == Role.ADMIN and user.active


def test_admin_creates_invite_codes(client, admin, app):
    sign_in(client, admin)
    client.post(
        "/admin/invites", data={"role": "learner", "profession": "judge", "days": 7, "max_uses": 25}
    )
    html = client.get("/admin/invites", headers=EN).get_data(as_text=True)
    assert "0 of 25" in html and "/register?code=" in html


def test_unknown_user_is_404(client, admin):
    sign_in(client, admin)
    assert client.get("/admin/users/99999").status_code == 404


def test_admin_gives_an_imported_account_its_one_time_link(app, client, admin, make_user):
    import re

    from trainer.learning.enrolment import unusable_password

    imported = make_user(email="imported@example.org", name="Импорт")
    with app.app_context():
        db.session.get(User, imported.id).password_hash = unusable_password()
        db.session.commit()
    trainer = make_user(role=Role.TRAINER, email="t@example.org")
    trainer_client = app.test_client()
    sign_in(trainer_client, trainer)
    assert trainer_client.post(f"/admin/users/{imported.id}/activation").status_code == 403
    sign_in(client, admin)
    assert "Create an activation link" in client.get(
        f"/admin/users/{imported.id}", headers=EN
    ).get_data(as_text=True)
    page = client.post(f"/admin/users/{imported.id}/activation", headers=EN).get_data(as_text=True)
    link = re.search(r"http://localhost(/activate/[A-Z0-9-]+)", page).group(1)
    person = app.test_client()
    password = "a-long-password"
    done = person.post(
        link, data={"name": "Импорт", "locale": "ru", "password": password, "confirm": password}
    )
    assert done.status_code == 302
    # Activated: no link for it any more.
    assert client.post(f"/admin/users/{imported.id}/activation").status_code == 403
    assert "Create an activation link" not in client.get(f"/admin/users/{imported.id}").get_data(
        as_text=True
    )
