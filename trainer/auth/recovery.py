"""Password recovery: "Forgot your password?" sends a one-hour, single-use link by email; an
admin or the person's trainer can create such a link to hand over in person.

The answer to a request is the same whether the address has an account or not. The domain
(tokens, throttling, the message) is in trainer.password_reset.
"""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user

from trainer import accounts, audit, mail, password_reset
from trainer.auth import bp
from trainer.auth.activation import private
from trainer.auth.forms import ForgotPasswordForm, ResetPasswordForm
from trainer.extensions import db, limiter
from trainer.forms import ActionForm
from trainer.models import User
from trainer.policy import authorize, can
from trainer.urls import safe_next

TOO_MANY_REQUESTS = _l(
    "Several links were already sent for this address within the hour. Use the newest "
    "message (check the spam folder too), or try again later."
)
MAIL_DOWN = _l(
    "The email could not be sent just now: the mail server is not answering. Please try again "
    "in a few minutes; if it keeps failing, ask your trainer or administrator for a reset link."
)
LINK_PROBLEMS = {
    "expired": _l("This link has expired: a link works for one hour."),
    "used": _l(
        "This link has already been used, or the password was changed after it was sent."
    ),
    "invalid": _l("This link is not valid. It may have been copied incompletely."),
}


def _address_limit() -> str:
    return current_app.config["PASSWORD_RESET_RATE_LIMIT_ADDRESS"]


def no_referrer(response):
    """The page's address carries a token: not stored, not passed on to another site."""
    response = private(response)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def signed_in_already():
    flash(_("You are signed in: change your password on your account page."), "info")
    return redirect(url_for("account.profile"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
def forgot_password():
    if not can(current_user, "auth.recover_password"):
        return signed_in_already()
    form = ForgotPasswordForm(email=request.args.get("email"))
    if form.validate_on_submit():
        error, status = _request_link(form.email.data)
        if error is None:
            return redirect(url_for("auth.forgot_password_sent"))
        form.email.errors.append(str(error))
        return private((render_template("auth/forgot_password.html", form=form), status))
    return private(render_template("auth/forgot_password.html", form=form))


def _request_link(email: str):
    """(None, 200) once handled; else the message to show and the status."""
    try:
        password_reset.request_reset(email, locale=str(get_locale()))
    except password_reset.TooManyRequests:
        current_app.logger.warning("password reset: too many requests for one address")
        return TOO_MANY_REQUESTS, 429
    except mail.MailUnavailable:
        return MAIL_DOWN, 503
    audit.record(audit.Action.PASSWORD_RESET_REQUESTED, target=accounts.find_by_email(email)
                 or accounts.normalize_email(email), via="email")
    db.session.commit()
    return None, 200


@bp.route("/password/forgot/sent")
def forgot_password_sent():
    return render_template("auth/forgot_password_sent.html")


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
def reset_password(token: str):
    if not can(current_user, "auth.recover_password"):
        return signed_in_already()
    try:
        user = password_reset.check_token(token)
    except password_reset.ResetLinkInvalid as problem:
        return link_problem(problem)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = password_reset.reset_password(token, form.password.data)
        except password_reset.ResetLinkInvalid as problem:
            db.session.rollback()
            return link_problem(problem)
        audit.record(audit.Action.PASSWORD_RESET, actor=user, target=user, via="link")
        db.session.commit()
        login_user(user)
        flash(_("Your new password is set and you are signed in. Every other session of "
                "this account has been signed out."), "success")
        return redirect(url_for("main.index"))
    return no_referrer(render_template("auth/reset_password.html", form=form, user=user))


def link_problem(problem: password_reset.ResetLinkInvalid):
    page = render_template("auth/reset_invalid.html", message=LINK_PROBLEMS[problem.reason])
    return no_referrer((page, 400 if problem.reason == "invalid" else 410))


@bp.route("/users/<int:user_id>/reset-link", methods=["POST"])
@login_required
def reset_link(user_id: int):
    """A reset link for a person without a working email, shown once to hand over."""
    person = db.get_or_404(User, user_id)
    authorize("users.reset_link", person)
    back = safe_next(request.form.get("next"), url_for("main.index"))
    if not ActionForm().validate_on_submit():
        return redirect(back)
    link = password_reset.reset_link(person)
    current_app.logger.info(
        "password reset link for user %s created by user %s", person.id, current_user.id
    )
    audit.record(
        audit.Action.PASSWORD_RESET_REQUESTED, actor=current_user, target=person, via="handed"
    )
    db.session.commit()
    page = render_template("auth/reset_link.html", person=person, link=link, back=back)
    return no_referrer(page)
