"""Emailing a cohort's invitation and the personal activation links of imported accounts.

Plain functions: they compose, send, and only then record what the mail server took (the
views commit). Nothing here creates an account: sending again resends; a new activation
link replaces the person's older one, as a new printed sheet does.
"""

import re
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from trainer import accounts, audit, mail
from trainer.extensions import db
from trainer.learning.enrolment import current_memberships, enrol_users
from trainer.models import Cohort, CohortMailing, InviteCode, MailingSubmission, User
from trainer.models.types import utcnow
from trainer.models.users import EMAIL_MAX

MAX_ADDRESSES = 200
INVITE, ACTIVATION = "invite", "activation"


@dataclass(frozen=True)
class Recipient:
    """Someone without an account: mail.compose needs an address, a name and a language."""

    email: str
    name: str
    locale: str | None


@dataclass
class Addresses:
    valid: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    mixed: list[str] = field(default_factory=list)  # why: a word mixes Latin and Cyrillic


def parse_addresses(text: str) -> Addresses:
    """Addresses separated by new lines, commas, semicolons or spaces; normalised, each once."""
    found = Addresses()
    for word in re.split(r"[\s,;]+", text or ""):
        word = word.strip().strip("<>")
        if not word:
            continue
        try:
            address = accounts.normalize_email(
                validate_email(word, check_deliverability=False).normalized
            )
        except EmailNotValidError:
            found.invalid.append(word)
            continue
        mixed = accounts.mixed_script_problem(address)
        if len(address) > EMAIL_MAX:
            found.invalid.append(word)
        elif mixed:  # no mail reaches it, and registering with it is refused
            found.mixed.append(mixed)
        elif address not in found.valid:
            found.valid.append(address)
    return found


@dataclass
class Sending:
    sent: list[str] = field(default_factory=list)  # addresses the server took
    members: list[str] = field(default_factory=list)  # already accepted members: skipped
    failed: int = 0  # messages that did not go (the server is down)


def send_batch(batch: list, result: Sending) -> list:
    """Send [(message, item), ...]; the items whose message went (all, unless the server
    failed; then result.failed counts the rest)."""
    messages = [message for message, _item in batch]
    try:
        mail.send_all(messages)
        went = messages
    except mail.MailUnavailable as failure:
        went = failure.sent
        result.failed = len(messages) - len(went)
    gone = {id(message) for message in went}
    return [item for message, item in batch if id(message) in gone]


def note_mailing(cohort: Cohort, email: str, kind: str, acting: User) -> None:
    row = db.session.scalar(
        select(CohortMailing).where(
            CohortMailing.cohort_id == cohort.id,
            CohortMailing.email == email,
            CohortMailing.kind == kind,
        )
    )
    if row is None:
        db.session.add(
            CohortMailing(cohort_id=cohort.id, email=email, kind=kind, sent_by_id=acting.id)
        )
    else:
        row.times = CohortMailing.times + 1  # in SQL: two mailings at once both count
        row.sent_at = utcnow()
        row.sent_by_id = acting.id


# The cohort's invitation ---------------------------------------------------------------------


def invitation_message(cohort, invite, address, account, locale, acting) -> mail.Message:
    """To an account: sign in and accept (the invitation waits at /account/invitations).
    To an address without one: register with the cohort's invite code."""
    if account is not None:
        return mail.compose(
            account,
            "mail/cohort_invitation",
            _l("An invitation to the cohort “%(cohort)s”", cohort=cohort.name),
            cohort=cohort,
            trainer=acting,
            link=mail.external_url("account.invitations"),
            has_account=True,
        )
    return mail.compose(
        Recipient(address, address, locale),
        "mail/cohort_invitation",
        _l("An invitation to the cohort “%(cohort)s”", cohort=cohort.name),
        cohort=cohort,
        trainer=acting,
        link=mail.external_url("auth.register", code=invite.code),
        code=invite.code,
        expires_at=invite.expires_at,
        has_account=False,
    )


def send_invitations(
    cohort: Cohort, invite: InviteCode, addresses: list[str], locale: str | None, acting: User
) -> Sending:
    """Email the cohort's invitation to each address that is not a member yet. An existing
    account is invited (pending until its owner accepts, as a trainer's roster does) once its
    message went; nothing else is stored but the note that it was sent."""
    result = Sending()
    accounts_by_email = {
        u.email: u for u in db.session.scalars(select(User).where(User.email.in_(addresses)))
    }
    memberships = current_memberships(cohort.id)
    batch = []
    for address in addresses:
        account = accounts_by_email.get(address)
        if account is not None and memberships.get(account.id):
            result.members.append(address)
            continue
        message = invitation_message(cohort, invite, address, account, locale, acting)
        batch.append((message, (address, account)))
    for address, account in send_batch(batch, result):
        if account is not None and account.id not in memberships:
            enrol_users(cohort.id, [account.id], accepted=False)
            audit.record(
                audit.Action.ENROLLED, actor=acting, target=account, cohort_id=cohort.id,
                via="email", invited=True,
            )  # fmt: skip
        note_mailing(cohort, address, INVITE, acting)
        result.sent.append(address)
    db.session.flush()
    return result


def usable_invites(cohort: Cohort) -> list[InviteCode]:
    now = utcnow()
    codes = db.session.scalars(
        select(InviteCode)
        .where(InviteCode.cohort_id == cohort.id)
        .order_by(InviteCode.created_at.desc(), InviteCode.id.desc())
    )
    return [code for code in codes if code.usable(now)]


def unanswered_invitations(cohort: Cohort) -> list[CohortMailing]:
    """Addresses emailed the invitation that are not in the cohort (accepted or invited)."""
    present = select(User.email).where(User.id.in_(list(current_memberships(cohort.id))))
    return list(
        db.session.scalars(
            select(CohortMailing)
            .where(
                CohortMailing.cohort_id == cohort.id,
                CohortMailing.kind == INVITE,
                CohortMailing.email.not_in(present),
            )
            .order_by(CohortMailing.sent_at.desc(), CohortMailing.email)
        )
    )


def mailings(cohort: Cohort) -> dict[tuple[str, str], CohortMailing]:
    """(email, kind) -> what was emailed to that address from this cohort."""
    rows = db.session.scalars(select(CohortMailing).where(CohortMailing.cohort_id == cohort.id))
    return {(row.email, row.kind): row for row in rows}


# Activation links ----------------------------------------------------------------------------


def activation_message(user: User, code: str, cohort: Cohort, acting: User) -> mail.Message:
    return mail.compose(
        user,
        "mail/activation_link",
        _l("Activate your account"),
        cohort=cohort,
        trainer=acting,
        link=mail.external_url("auth.activate", code=code),
        code=code,
        code_page=mail.external_url("auth.activate_code"),
        days=accounts.ACTIVATION_DAYS,
    )


def send_activation_links(cohort: Cohort, users: list[User], acting: User) -> Sending:
    """A new personal link for each account that awaits activation, by email. Only the codes
    whose message went are stored (and replace the person's older codes); the others keep
    their earlier link, if any."""
    result = Sending()
    issued = accounts.new_activation_codes(users)
    batch = [
        (activation_message(user, code, cohort, acting), (user, code)) for user, code in issued
    ]
    went = send_batch(batch, result)
    accounts.store_activation_codes(went, acting)
    for user, _code in went:
        note_mailing(cohort, user.email, ACTIVATION, acting)
        result.sent.append(user.email)
    db.session.flush()
    return result


# A mailing form sent once -------------------------------------------------------------------


def claim(token: str, user_id: int) -> bool:
    """Record that the mailing form `token` is being sent; False if it already was (or is
    being, by a request at the same moment). A mailing makes no row that could hold the
    token, and its messages cannot be taken back: the caller commits the claim before any
    message goes, and releases it if none went."""
    try:
        with db.session.begin_nested():
            db.session.add(MailingSubmission(token=token, user_id=user_id))
    except IntegrityError:
        return False
    return True


def release(token: str) -> None:
    """Nothing was sent (the mail server is down): the same form may be sent again."""
    db.session.execute(delete(MailingSubmission).where(MailingSubmission.token == token))
