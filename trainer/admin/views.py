from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from trainer import accounts, audit
from trainer.admin import bp
from trainer.admin.forms import (
    AuditFilterForm,
    InviteForm,
    UserCreateForm,
    UserEditForm,
    UserSearchForm,
)
from trainer.extensions import db
from trainer.forms import ActionForm
from trainer.models import InviteCode, Profession, Role, User
from trainer.models.types import utcnow
from trainer.models.users import fold_for_search
from trainer.policy import authorize, can, require
from trainer.submissions import NO_STORE, earlier_submission, made_once, token_of


@bp.route("/users")
@require("admin.users.list")
def users():
    form = UserSearchForm(request.args)
    query = select(User).order_by(User.name, User.id)
    if form.validate() and form.q.data:
        pattern = f"%{escape_like(fold_for_search(form.q.data.strip()))}%"
        query = query.where(User.search_key.like(pattern, escape="\\"))
    page = db.paginate(query, per_page=current_app.config["USERS_PER_PAGE"], error_out=False)
    return render_template("admin/users.html", form=form, page=page)


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@bp.route("/users/new", methods=["GET", "POST"])
@require("admin.users.create")
def user_create():
    form = UserCreateForm()
    if form.validate_on_submit():
        token, earlier = submission_of(form)
        if earlier is not None:  # the same form sent again: the first submission's answer
            return account_created(earlier)
        try:
            user = accounts.create_user(
                form.email.data,
                form.name.data,
                form.password.data,
                role=Role(form.role.data),
                profession=Profession(form.profession.data),
                submission_token=token,
            )
        except accounts.EmailTaken:
            # Sent at the same time, the same form may have made the account since
            # submission_of looked: the answer is then that submission's.
            earlier = submission_of(form, token)[1]
            if earlier is not None:
                return account_created(earlier)
            form.email.errors.append(_("An account with this email already exists."))
        else:
            audit.record(
                audit.Action.ACCOUNT_CREATED,
                actor=current_user,
                target=user,
                role=user.role,
                profession=user.profession,
            )
            db.session.commit()
            return account_created(user)
    return render_template("admin/user_create.html", form=form), NO_STORE


def submission_of(form: UserCreateForm, token: str | None = None) -> tuple[str, User | None]:
    """The form's one-use token (or `token`, the one it was taken under) and, when this
    submission repeats the one that made an account, that account: made by this
    administrator, with the address typed. A token that made anything else stands on its own,
    under a new token (trainer.submissions)."""
    return earlier_submission(
        User, token or token_of(form), lambda account: made_here(account, form)
    )


def made_here(account: User, form: UserCreateForm) -> bool:
    """Whether this administrator made `account`, with the address the form holds."""
    entry = accounts.creation_entry(account)
    return (
        entry is not None
        and entry.actor_id == current_user.id
        and account.email == accounts.normalize_email(form.email.data)
    )


def account_created(user: User):
    flash(_("Account created for %(name)s.", name=user.name), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require("admin.users.edit")
def user_edit(user_id: int):
    user = db.get_or_404(User, user_id)
    may_change_access = can(current_user, "admin.users.change_access", user)
    form = UserEditForm(obj=user)
    if form.validate_on_submit():
        before = accounts.access_of(user)
        user.name = form.name.data.strip()
        user.profession = Profession(form.profession.data)
        if Role(form.role.data) != user.role or form.active.data != user.active:
            authorize("admin.users.change_access", user)
            user.role = Role(form.role.data)
            accounts.set_active(user, form.active.data)
        accounts.record_access_changes(user, before, current_user)
        db.session.commit()
        flash(_("Changes to %(name)s saved.", name=user.name), "success")
        return redirect(url_for("admin.users"))
    return render_template(
        "admin/user_edit.html",
        form=form,
        user=user,
        may_change_access=may_change_access,
        action_form=ActionForm(),
    )


@bp.route("/users/<int:user_id>/activation", methods=["POST"])
@require("admin.users.edit")
def user_activation(user_id: int):
    """A new one-time activation link for an imported account (the older ones stop working),
    shown once."""
    user = db.get_or_404(User, user_id)
    authorize("admin.users.activation", user)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("admin.user_edit", user_id=user.id))
    [(_user, code)] = accounts.issue_activation_codes([user], current_user)
    db.session.commit()
    return render_template(
        "admin/user_activation.html", user=user, code=code, days=accounts.ACTIVATION_DAYS
    )


@bp.route("/invites", methods=["GET", "POST"])
@require("admin.invites.manage")
def invites():
    form = InviteForm()
    if form.validate_on_submit():
        invite = made_once(  # sent twice, the form finds the code it made
            InviteCode,
            token_of(form),
            lambda found: found.cohort_id is None and found.created_by_id == current_user.id,
            lambda token: new_invite(form, token),
        )
        db.session.commit()
        flash(_("Invite code %(code)s created.", code=invite.code), "success")
        return redirect(url_for("admin.invites"))
    codes = db.session.scalars(select(InviteCode).order_by(InviteCode.created_at.desc())).all()
    page = render_template("admin/invites.html", form=form, codes=codes, now=utcnow())
    return page, NO_STORE


def new_invite(form: InviteForm, token: str | None) -> InviteCode:
    invite = InviteCode(
        role=Role(form.role.data),
        profession=Profession(form.profession.data),
        expires_at=utcnow() + timedelta(days=form.days.data),
        max_uses=form.max_uses.data,
        created_by=current_user,
        submission_token=token,
    )
    db.session.add(invite)
    db.session.flush()
    return invite


AUDIT_PER_PAGE = 50


@bp.route("/audit")
@require("admin.audit.view")
def audit_log():
    """The audit log, newest first, 50 a page; read only (no route changes a row).

    A filter it cannot apply (a date that does not exist, an end before the start) is shown
    with its message and no entries: a list that looks filtered but is not would be read as
    the answer to the question asked, by someone looking for who did what and when."""
    form = AuditFilterForm(request.args)
    page = None
    if form.validate():
        query = audit.entries_query(
            action=valid(form.action),
            email=valid(form.email),
            since=local_midnight(valid(form.date_from)),
            until=local_midnight(valid(form.date_to), days_after=1),
        )
        page = db.paginate(query, per_page=AUDIT_PER_PAGE, error_out=False)
    return render_template(
        "admin/audit.html",
        form=form,
        page=page,
        labels=audit.ACTION_LABELS,
        target_labels=audit.TARGET_LABELS,
        readable_details=audit.readable_details,
        filters=filters(form),
        zone=str(get_timezone()),
    )


def valid(field):
    """The field's value if it passed validation and is set."""
    return None if field.errors or not field.data else field.data


def local_midnight(day: date | None, days_after: int = 0) -> datetime | None:
    """The UTC moment the given day (in the organisation's time zone) starts, shifted."""
    if day is None:
        return None
    zone = ZoneInfo(str(get_timezone()))  # Flask-Babel's is pytz, which combine() misreads
    start = datetime.combine(day + timedelta(days=days_after), time(), tzinfo=zone)
    return start.astimezone(UTC)


def filters(form: AuditFilterForm) -> dict:
    """The valid filters as query arguments, for the pager's links."""
    names = ("action", "email", "date_from", "date_to")
    return {name: form[name].raw_data[0] for name in names if valid(form[name])}
