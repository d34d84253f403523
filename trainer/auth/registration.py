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
from trainer.submissions import earlier_submission, token_of

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


def register_from_form(form: RegisterForm, open_registration: bool, submission: str) -> User | None:
    """The new account (flushed, the caller commits), or None with messages on the form; or
    the account this same form made meanwhile, in a submission sent at the same time.
    `submission`: the form's one-use token, kept by the account (see submission_of)."""
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
            submission_token=submission,
        )
    except accounts.EmailTaken:
        db.session.rollback()  # the invite's use is given back
        # Sent at the same time, the same form may have made the account since submission_of
        # looked: the answer is then that submission's.
        earlier = submission_of(form, submission)[1]
        if earlier is not None:
            return earlier
        form.email.errors.append(_("An account with this email already exists. Sign in instead."))
        return None
    if invite is not None and invite.cohort_id:
        accounts.join_cohort(user, invite.cohort_id)  # a cohort invite enrols the new account
        audit.record(
            audit.Action.ENROLLED, actor=user, target=user, cohort_id=invite.cohort_id,
            via="invite_code",
        )  # fmt: skip
    # Open registration: nobody vouches for the address yet.
    link = ask_to_verify(user) if invite is None else None
    audit.record(
        audit.Action.ACCOUNT_CREATED, actor=user, target=user, role=user.role,
        profession=user.profession, via="registration", verification_link=link,
    )  # fmt: skip
    return user


def ask_to_verify(user: User) -> str:
    """The account waits for its owner to follow the link sent to the address; the account
    is made even when the mail server is down (the notice on every page sends it again).
    Whether the link went: "sent" or "not_sent" (kept in the audit row of the creation)."""
    user.email_verified_at = None
    db.session.flush()
    return "sent" if email_verification.send_verification(user) else "not_sent"


# The same form sent twice (a double click, a POST sent again on a slow network) --------------


def submission_of(form: RegisterForm, token: str | None = None) -> tuple[str, User | None]:
    """The form's one-use token (or `token`, the one it was taken under) and, when this
    submission repeats one that made an account, that account. A token that made another
    account (another address or password) is not this form's first submission
    (trainer.submissions.earlier_submission)."""

    def mine(account: User) -> bool:
        return same_registration(account, form)

    return earlier_submission(User, token or token_of(form), mine)


def same_registration(account: User, form: RegisterForm) -> bool:
    """Whether the form is the one that made `account`: the address it made, and the password
    it set (the answer signs the person in, as a sign-in with that password would)."""
    return (
        account.active
        and account.email == accounts.normalize_email(form.email.data)
        and account.check_password(form.password.data)
    )


def flash_welcome(user: User) -> None:
    """The messages of a registration, read from what it recorded, so that the same form sent
    again shows the first answer's: whether the link to confirm the address went, and the
    welcome."""
    entry = accounts.creation_entry(user)
    link = entry.details.get("verification_link") if entry is not None else None
    if link == "sent":
        flash(_("We sent a link to %(email)s: open it to confirm your address.",
                email=user.email), "info")  # fmt: skip
    elif link == "not_sent":
        flash(_("We could not send the link to confirm your address: the mail server is not "
                "available. Ask for it again later from the notice at the top of the page."),
              "warning")  # fmt: skip
    flash(_("Welcome, %(name)s! Your account is ready.", name=user.name), "success")
