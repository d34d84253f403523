"""Changing the account's email address: it takes effect once confirmed from the new address
(trainer.email_verification); the old address is told."""

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from trainer import accounts, email_verification, mail
from trainer.account import bp
from trainer.account.forms import EmailChangeForm
from trainer.extensions import db, limiter
from trainer.policy import authorize, require


def change_limit() -> str:
    return current_app.config.get("EMAIL_CHANGE_RATE_LIMIT", "5 per hour")


def change_key() -> str:
    return f"email-change:{current_user.get_id()}"


@bp.route("/email", methods=["GET", "POST"])
@require("account.email.change")
@limiter.limit(change_limit, key_func=change_key, methods=["POST"])
def change_email():
    form = EmailChangeForm()
    if form.validate_on_submit() and new_address_ok(form):
        try:
            email_verification.request_change(current_user, form.email.data)
        except accounts.EmailTaken:
            form.email.errors.append(_("Another account has this address."))
        except mail.MailUnavailable:
            flash(_("The mail server is not available, so no link was sent and your address "
                    "stays as it is. Try again later."), "error")  # fmt: skip
        else:
            flash(_("We sent a link to %(email)s. Your address changes when you open it there.",
                    email=accounts.normalize_email(form.email.data)), "success")  # fmt: skip
            return redirect(url_for("account.profile"))
    return render_template("account/email.html", form=form)


def new_address_ok(form: EmailChangeForm) -> bool:
    if not current_user.check_password(form.current.data):
        form.current.errors.append(_("The current password is not correct."))
        return False
    if accounts.normalize_email(form.email.data) == current_user.email:
        form.email.errors.append(_("This is your address already."))
        return False
    return True


@bp.route("/email/confirm/<token>")
def confirm_email(token: str):
    authorize("account.email.confirm")
    try:
        user, old_email = email_verification.confirm_change(token)
    except email_verification.LinkInvalid as error:
        db.session.rollback()
        return render_template("account/email_link_invalid.html", reason=error.reason), 400
    db.session.commit()
    email_verification.tell_old_address(user, old_email)
    flash(_("Your email address is now %(email)s. Sign in with it from now on.",
            email=user.email), "success")  # fmt: skip
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect(url_for("account.profile"))
    return redirect(url_for("auth.login"))
