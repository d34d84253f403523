"""Command-line tools: `flask users create`, `flask demo`, `flask backup`, `flask restore`."""

from pathlib import Path

import click
import wtforms
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import force_locale
from sqlalchemy.engine import make_url

from trainer import accounts, audit
from trainer.certificates.cli import certificates_cli
from trainer.cohorts.cli import reminders_cli
from trainer.content.cli import modules_cli
from trainer.extensions import db
from trainer.forms import email_field, name_field, new_password_fields
from trainer.inputs import has_control_characters
from trainer.models import Profession, Role

users_cli = AppGroup("users", help="Manage accounts.")

# One account per role (two learners: an officer and a judge), documented in the README.
DEMO_ACCOUNTS = [
    ("admin@example.org", "Администратор Демо", Role.ADMIN, Profession.OTHER, "admin-demo-2026"),
    (
        "trainer@example.org",
        "Тренер Ольга Петрова",
        Role.TRAINER,
        Profession.OTHER,
        "trainer-demo-2026",
    ),
    (
        "officer@example.org",
        "Иван Сергеевич Кузнецов",
        Role.LEARNER,
        Profession.POLICE,
        "officer-demo-2026",
    ),
    (
        "judge@example.org",
        "Мария Андреевна Волкова",
        Role.LEARNER,
        Profession.JUDGE,
        "judge-demo-2026",
    ),
]


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.LEARNER.value)
@click.option(
    "--profession", type=click.Choice([p.value for p in Profession]), default=Profession.OTHER.value
)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--locale", type=click.Choice(["ru", "en"]), default=None)
def create_user_command(email, name, role, profession, password, locale):
    """Create an account."""
    problem = address_problem(email)
    if problem is not None:
        raise click.ClickException(f"{problem} (given: {email})" if email else str(problem))
    problem = name_or_password_problem(name, password)
    if problem is not None:
        raise click.ClickException(problem)
    try:
        user = accounts.create_user(
            email, name.strip(), password, Role(role), Profession(profession), locale=locale
        )
    except accounts.EmailTaken as error:
        raise click.ClickException(f"an account with the email {error} already exists") from None
    audit.record(
        audit.Action.ACCOUNT_CREATED, target=user, role=user.role, profession=user.profession,
        via="cli",
    )  # fmt: skip
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} ({user.name}).")


class NewAddressForm(wtforms.Form):
    """The address of a new account, checked as the forms that make one check it."""

    email = email_field(new_address=True)


def address_problem(email: str) -> str | None:
    """Why the registration and admin forms would refuse `email` for a new account (their
    message, in English, as the command line speaks); None when they would take it."""
    form = NewAddressForm(data={"email": email})
    with force_locale("en"):
        return None if form.validate() else str(form.email.errors[0])


class NameAndPasswordForm(wtforms.Form):
    """The name and password of a new account, checked as the admin's form checks them."""

    name = name_field()
    password, confirm = new_password_fields()


def name_or_password_problem(name: str, password: str) -> str | None:
    """Why the admin's form would refuse this name or password (in English, named by the
    option), None when it would take them. The command took a 300-character name (too long
    for the column on PostgreSQL), control characters and a 5-character password."""
    if has_control_characters(name):
        return "--name: contains control characters; type the name again"
    data = {"name": name.strip(), "password": password, "confirm": password}
    form = NameAndPasswordForm(data=data)
    with force_locale("en"):
        if form.validate():
            return None
        option, errors = next((n, e) for n, e in form.errors.items())
        return f"--{option}: {errors[0]}"


@users_cli.command("reset-password")
@click.argument("email")
def reset_password_command(email):
    """Print a one-time password reset link (valid one hour) for the account with EMAIL, to
    hand over to a person who has no working email. Links start with TRAINER_BASE_URL."""
    from trainer import password_reset

    user = accounts.find_by_email(email)
    if user is None:
        raise click.ClickException(f"no account has the email {email}")
    if not user.active:
        raise click.ClickException(f"the account {user.email} is deactivated; reactivate it first")
    if user.awaits_activation:
        raise click.ClickException(
            f"the account {user.email} was never activated: give its owner an activation link"
        )
    link = password_reset.reset_link(user)
    audit.record(audit.Action.PASSWORD_RESET_REQUESTED, target=user, via="cli")
    db.session.commit()
    click.echo(f"Password reset link for {user.email} ({user.name}), valid once, for one hour:")
    click.echo(link)


@click.command("demo")
@click.option(
    "--learners",
    type=click.IntRange(1, 100_000),
    default=None,
    help="Also create this many learners in cohorts of 200 (a trainer per 5 cohorts), each "
    "assigned every synced module, with progress and learning events.",
)
def demo_command(learners):
    """Create the demo accounts (idempotent: existing ones are left as they are), and with
    --learners demo cohorts (made once: a second run finds them and makes nothing)."""
    for email, name, role, profession, password in DEMO_ACCOUNTS:
        if accounts.find_by_email(email) is None:
            accounts.create_user(email, name, password, role, profession)
            click.echo(f"created  {role:8} {email} / {password}")
        else:
            click.echo(f"exists   {role:8} {email}")
    db.session.commit()
    if learners:
        from trainer.learning.demo_cohort import demo_cohort_command

        demo_cohort_command(learners, DEMO_ACCOUNTS[1][0], password=DEMO_ACCOUNTS[1][4])


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(path):
    """Write a backup of the whole database to PATH (SQLite: a copy of the database file;
    PostgreSQL: a pg_dump custom-format archive). Safe while the site is serving."""
    from trainer import backup

    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        done = backup.backup(url, Path(path))
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up {backup.safe(make_url(url))} to {path}: "
               f"{done.rows} rows in {done.tables} tables.")  # fmt: skip


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite a database that is not empty.")
@with_appcontext
def restore_command(path, force):
    """Replace the database with the backup at PATH (made by `flask backup`). Stop the app
    servers first. A database that holds any record is only overwritten with --force."""
    from trainer import backup

    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    db.engine.dispose()  # no connection of ours holds a lock on what is replaced
    try:
        done = backup.restore(url, Path(path), force=force)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored {path} into {backup.safe(make_url(url))}: "
               f"{done.rows} rows in {done.tables} tables.")  # fmt: skip


def register(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(modules_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(certificates_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
