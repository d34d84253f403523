"""Registering with the form: an invite code decides the role and the profession(s).

A registration only ever creates an account: an email that has one (even an imported account
that nobody has activated) is refused. Imported accounts are activated with a personal
one-time link instead (trainer.auth.activation).
"""

from flask import flash
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from trainer import accounts, audit, email_verification
from trainer.auth.forms import RegisterForm
from trainer.extensions import db
from trainer.models import Profession, Role, User
from trainer.models.users import PROFESSION_LABELS

INVITE_ERRORS = {
    "unknown": lambda: _("This invite code is not known. Check it with your trainer."),
    "expired": lambda: _("This invite code has expired. Ask your trainer for a new one."),
    "used_up": lambda: _("This invite code has been used as many times as allowed."),
}


def code_professions(code: str | None) -> list[Profession] | None:
    """The professions a known invite code allows; None without a (known) code."""
    invite = accounts.find_invite(code) if code else None
    return accounts.invite_professions(invite) if invite is not None else None


def restrict_professions(form: RegisterForm) -> None:
    """Offer only the professions of the code typed (or given in the link)."""
    allowed = code_professions(form.code.data)
    if allowed is not None:
        form.profession.choices = [SelectChoice(p.value, PROFESSION_LABELS[p]) for p in allowed]


def chosen_profession(form: RegisterForm) -> Profession | None:
    """The code's profession when it has one; the one chosen when the code allows it; None
    (with a message on the form) when the code does not."""
    chosen = Profession(form.profession.data)
    allowed = code_professions(form.code.data)
    if allowed is None or chosen in allowed:
        return chosen
    if len(allowed) == 1:
        return allowed[0]
    form.profession.errors.append(
        _("This invite code is for: %(professions)s. Choose one of them.",
          professions=", ".join(str(PROFESSION_LABELS[p]) for p in allowed))
    )  # fmt: skip
    return None


def register_from_form(form: RegisterForm, open_registration: bool) -> User | None:
    """The new account (flushed, the caller commits), or None with messages on the form."""
    profession = chosen_profession(form)
    if profession is None:
        return None
    role, invite = Role.LEARNER, None
    if form.code.data:
        try:
            invite = accounts.redeem_invite(form.code.data)
        except accounts.InviteUnusable as error:
            form.code.errors.append(INVITE_ERRORS[str(error)]())
            return None
        role = invite.role
    elif not open_registration:
        form.code.errors.append(_("An invite code is required to register."))
        return None
    try:
        user = accounts.create_user(
            form.email.data,
            form.name.data,
            form.password.data,
            role=role,
            profession=profession,
            locale=form.locale.data,
        )
    except accounts.EmailTaken:
        db.session.rollback()  # the invite's use is given back
        form.email.errors.append(_("An account with this email already exists. Sign in instead."))
        return None
    if invite is not None and invite.cohort_id:
        accounts.join_cohort(user, invite.cohort_id)  # a cohort invite enrols the new account
        audit.record(
            audit.Action.ENROLLED, actor=user, target=user, cohort_id=invite.cohort_id,
            via="invite_code",
        )  # fmt: skip
    if invite is None:  # open registration: nobody vouches for the address yet
        ask_to_verify(user)
    return user


def ask_to_verify(user: User) -> None:
    """The account waits for its owner to follow the link sent to the address; the account
    is made even when the mail server is down (the notice on every page sends it again)."""
    user.email_verified_at = None
    db.session.flush()
    if email_verification.send_verification(user):
        flash(_("We sent a link to %(email)s: open it to confirm your address.",
                email=user.email), "info")  # fmt: skip
    else:
        flash(_("We could not send the link to confirm your address: the mail server is not "
                "available. Ask for it again later from the notice at the top of the page."),
              "warning")  # fmt: skip
