"""`flask reminders send`: due-date reminders to learners and the trainers' weekly digest.

Meant to run once a day from cron or a systemd timer (README, "Reminders"); running it more
often, or twice, sends nothing new.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import AppGroup

from trainer.learning import reminders

reminders_cli = AppGroup("reminders", help="Email reminders of due dates and weekly digests.")


def warn_about_links() -> None:
    """The messages' links start with TRAINER_BASE_URL: a loopback address reaches nobody."""
    base = current_app.config["TRAINER_BASE_URL"]
    loopback = "127.0.0.1" in base or "localhost" in base
    if current_app.config["TRAINER_ENV"] == "production" and loopback:
        click.echo(f"warning: TRAINER_BASE_URL is {base}; the links in the messages will not "
                   "work for their readers. Set it to the site's address.", err=True)  # fmt: skip


def site_today() -> date:
    """Today in the site's time zone (TRAINER_TIMEZONE), as the dashboards count it."""
    return datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


@reminders_cli.command("send")
@click.option(
    "--days",
    envvar="TRAINER_REMINDER_DAYS",
    type=click.IntRange(0, 365),
    default=reminders.DEFAULT_DAYS,
    show_default=True,
    help="Remind learners this many days before a due date (env TRAINER_REMINDER_DAYS).",
)
@click.option("--digests/--no-digests", default=True, help="Also send the trainers' digests.")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Count from this date instead of today (for a catch-up run).",
)
def send_command(days: int, digests: bool, today: datetime | None):
    """Send the reminders and digests that are due and not sent yet."""
    day = today.date() if today else site_today()
    warn_about_links()
    outcome = reminders.send_reminders(day, days, digests=digests)
    click.echo(f"{day}: {outcome.reminders} reminder(s) and {outcome.digests} digest(s) sent.")
    if outcome.error is not None:
        raise click.ClickException(
            f"the mail server failed ({outcome.error}); what was not sent is sent next run"
        )
