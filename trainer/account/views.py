from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from trainer import accounts
from trainer.account import bp
from trainer.account.forms import PasswordChangeForm, ProfileForm
from trainer.extensions import db
from trainer.policy import require


@bp.route("/", methods=["GET", "POST"])
@require("account.edit")
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        current_user.name = form.name.data.strip()
        current_user.locale = form.locale.data
        db.session.commit()
        flash(_("Your profile has been saved."), "success")
        return redirect(url_for("account.profile"))
    return render_template("account/profile.html", form=form)


@bp.route("/password", methods=["GET", "POST"])
@require("account.edit")
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append(_("The current password is not correct."))
        else:
            accounts.set_password(current_user, form.password.data)
            db.session.commit()
            # Every other session has ended; keep this one signed in with the new version.
            login_user(current_user._get_current_object())
            flash(
                _("Your password has been changed. Other devices have been signed out."), "success"
            )
            return redirect(url_for("account.profile"))
    return render_template("account/password.html", form=form)
