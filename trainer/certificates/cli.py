"""`flask certificates specimen`: a sample certificate for design review."""

from datetime import date
from pathlib import Path

import click
from flask import current_app, url_for
from flask.cli import AppGroup

from trainer.learning.pdf import LANG_CHOICES, CertificateData, render_certificate

certificates_cli = AppGroup("certificates", help="Completion certificates.")

# A long double-barrelled Russian name and a long title: the cases that must wrap or shrink.
SPECIMEN_CODE = "0" * 28  # the form of a real code (Crockford base32, 28 long), plainly a sample
SAMPLE = {
    "learner_name": "Александра-Виктория Константиновна Преображенская-Воскресенская",
    "title_ru": (
        "Реагирование на домашнее насилие: первый вызов, оценка риска и защитные предписания"
    ),
    "title_en": (
        "Responding to domestic violence: the first call, risk assessment and protection orders"
    ),
    "credit_hours": 4,
    "completed_on": date(2026, 3, 16),
    "serial": "2026-000000",
}


def specimen_data() -> CertificateData:
    config = current_app.config
    with current_app.test_request_context():
        verify_url = url_for("certificates.verify", code=SPECIMEN_CODE, _external=True)
    return CertificateData(
        **SAMPLE,
        code=SPECIMEN_CODE,
        verify_url=verify_url,
        organisation=config["TRAINER_ORGANISATION"],
        signature=config["TRAINER_CERTIFICATE_SIGNATURE"],
        logo_path=config["TRAINER_CERTIFICATE_LOGO"],
        specimen=True,
    )


@certificates_cli.command("specimen")
@click.option("--lang", type=click.Choice(LANG_CHOICES), default="both", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def specimen_command(lang: str, out: Path):
    """Render a specimen certificate (marked as such) with sample data."""
    out.write_bytes(render_certificate(specimen_data(), lang))
    click.echo(f"Wrote {out} ({lang}).")
