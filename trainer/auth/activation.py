"""Activating an imported account with a personal one-time link or code.

The trainer prints the links (trainer.cohorts.views.activation); the person opens theirs,
chooses a password and is signed in. A code works once, for a limited time, and only while
its account has never been activated.
"""

from flask import current_app, flash, make_response, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user

from trainer import accounts, audit
from trainer.auth import bp
from trainer.auth.forms import ActivationCodeForm, ActivationForm
from trainer.extensions import db, limiter
from trainer.policy import can


def _address_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT_ADDRESS"]


def private(response):
    """The page carries a one-time code: never stored by a browser or a proxy."""
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


def signed_in_elsewhere():
    flash(_("You are signed in. Sign out first to activate another account."), "info")
    return redirect(url_for("main.index"))


@bp.route("/activate", methods=["GET", "POST"], endpoint="activate_code")
@limiter.limit(_address_limit, methods=["POST"])
def activate_code():
    if not can(current_user, "auth.activate"):
        return signed_in_elsewhere()
    form = ActivationCodeForm()
    if form.validate_on_submit():
        return redirect(url_for("auth.activate", code=form.code.data.strip()))
    return private(render_template("auth/activate_code.html", form=form))


@bp.route("/activate/<code>", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
def activate(code: str):
    if not can(current_user, "auth.activate"):
        return signed_in_elsewhere()
    token = accounts.find_activation(code)
    if token is None:
        page = render_template("auth/activate_invalid.html")
        return private((page, 404))
    user = token.user
    form = ActivationForm(obj=user)
    if not form.is_submitted():  # the language this page is read in, unless the file said one
        form.locale.data = user.locale or str(get_locale())
    if form.validate_on_submit():
        activated = accounts.activate_account(
            code, form.name.data, form.password.data, form.locale.data
        )
        if activated is not None:
            audit.record(audit.Action.SIGN_IN, actor=activated, target=activated, via="activation")
            db.session.commit()
            login_user(activated)
            flash(_("Welcome, %(name)s! Your account is ready.", name=activated.name), "success")
            return redirect(url_for("main.index"))
        db.session.rollback()
        return private((render_template("auth/activate_invalid.html"), 404))
    return private(render_template("auth/activate.html", form=form, user=user))
