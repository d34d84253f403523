"""Confirming the email address of an account registered on its own (open registration).

The link in the message verifies the address (trainer.email_verification); a signed-in
owner who lost it asks for another from the notice shown on every page until then.
"""

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from trainer import email_verification
from trainer.auth import bp
from trainer.extensions import db, limiter
from trainer.forms import ActionForm
from trainer.policy import authorize, require


def resend_limit() -> str:
    return current_app.config.get("EMAIL_VERIFY_RESEND_LIMIT", "3 per hour")


def resend_key() -> str:
    return f"verify-resend:{current_user.get_id()}"


@bp.route("/verify-email/<token>")
def verify_email(token: str):
    authorize("auth.verify_email")
    try:
        user = email_verification.verify(token)
    except email_verification.LinkInvalid as error:
        db.session.rollback()
        page = render_template("auth/verify_email_invalid.html", reason=error.reason)
        return page, 400
    db.session.commit()
    flash(_("Thank you: your email address %(email)s is confirmed.", email=user.email), "success")
    return redirect(url_for("main.index"))


@bp.route("/verify-email/resend", methods=["POST"])
@require("auth.verify_email.resend")
@limiter.limit(resend_limit, key_func=resend_key, methods=["POST"])
def resend_verification():
    if ActionForm().validate_on_submit():
        user = current_user._get_current_object()
        if email_verification.send_verification(user):
            flash(_("We sent a new link to %(email)s. Open it to confirm your address.",
                    email=user.email), "success")  # fmt: skip
        else:
            flash(_("The mail server is not available, so no link was sent. Try again later."),
                  "error")  # fmt: skip
    return redirect(url_for("main.index"))
