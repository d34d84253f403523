import time

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from trainer import accounts, audit, throttle
from trainer.auth import bp
from trainer.auth.forms import LoginForm, RegisterForm
from trainer.auth.registration import (
    flash_welcome,
    register_from_form,
    restrict_professions,
    submission_of,
)
from trainer.extensions import db, limiter
from trainer.forms import ActionForm
from trainer.models import Role
from trainer.submissions import NO_STORE
from trainer.urls import safe_next


def _address_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT_ADDRESS"]


TOO_MANY_FAILURES = _l(
    "Too many wrong passwords for this account from your address. Wait a few minutes and try "
    "again, or ask your trainer or administrator to reset the password."
)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
def login():
    form = LoginForm(next=request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(safe_next(form.next.data, url_for("main.index")))
    if form.validate_on_submit():
        email, address = form.email.data, get_remote_address()
        verdict = throttle.before_sign_in(email, address)
        if verdict.refused:
            audit.record_failed_sign_in(email, "throttled")
            db.session.commit()
            form.password.errors.append(str(TOO_MANY_FAILURES))
            return render_template("auth/login.html", form=form), 429
        if verdict.delay:
            time.sleep(verdict.delay)  # the account is under attack: slowed, never locked
        try:
            user = accounts.authenticate(email, form.password.data)
        except accounts.AccountDeactivated as deactivated:  # the right password: say so
            throttle.signed_in(email, address)
            audit.record_failed_sign_in(email, "deactivated")
            db.session.commit()
            return deactivated_answer(form, deactivated.user)
        if user is None:
            throttle.failed_sign_in(email, address)
            audit.record_failed_sign_in(email, "wrong_credentials")
            db.session.commit()
            form.password.errors.append(_("The email or password is not correct."))
        else:
            throttle.signed_in(email, address)
            audit.record(audit.Action.SIGN_IN, actor=user, target=user)
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(form.next.data, url_for("main.index")))
    return render_template("auth/login.html", form=form)


def deactivated_answer(form, user):
    return render_template(
        "auth/login.html",
        form=form,
        deactivated=True,
        contacts=accounts.whom_to_ask(user),
        support_contact=current_app.config["TRAINER_SUPPORT_CONTACT"],
    )


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    if ActionForm().validate_on_submit():
        # Signing out here signs out everywhere: other browsers' cookies stop working too.
        current_user.end_all_sessions()
        db.session.commit()
        logout_user()
        flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
def register():
    open_registration = current_app.config["TRAINER_OPEN_REGISTRATION"]
    form = RegisterForm(code=request.args.get("code"))
    if form.validate_on_submit():
        token, earlier = submission_of(form)
        if earlier is not None:  # the same form sent again: the first submission's answer
            return welcome(earlier)
        if current_user.is_authenticated:
            return redirect(url_for("main.index"))
        user = register_from_form(form, open_registration, token)
        if user is not None:
            db.session.commit()
            return welcome(user)
    elif current_user.is_authenticated:
        return redirect(url_for("main.index"))
    restrict_professions(form)  # a code offers only its cohort's professions
    page = render_template("auth/register.html", form=form, open_registration=open_registration)
    return page, NO_STORE


def welcome(user):
    """The answer to a registration, the first time and every time its form is sent again."""
    login_user(user)
    flash_welcome(user)
    return redirect(landing_after_registration(user))


def landing_after_registration(user) -> str:
    """A learner starts on "My training", where their cohort's assignments come first."""
    if user.role == Role.LEARNER:
        return url_for("learn.my_training")
    return url_for("main.index")
