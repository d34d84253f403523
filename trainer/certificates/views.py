from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from trainer.certificates import bp
from trainer.certificates.forms import RevokeForm, VerifyForm
from trainer.config import certificate_settings_missing
from trainer.extensions import db, limiter
from trainer.learning import certificates
from trainer.learning.cohort_queries import taught_learner_ids
from trainer.learning.pdf import LANG_CHOICES, render_certificate
from trainer.models import Certificate
from trainer.policy import authorize, require

CERTIFICATES_PER_PAGE = 50


def verify_limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


@bp.app_template_global("certificate_settings_missing")
def settings_missing() -> list[str]:
    return certificate_settings_missing(current_app.config)


def verification_page(form: VerifyForm, result: certificates.Verification | None):
    response = Response(
        render_template(
            "certificates/verify.html", form=form, result=result, Status=certificates.Status
        )
    )
    response.headers["X-Robots-Tag"] = "noindex"  # a look-up, not a directory of names
    return response


@bp.route("/verify")
@limiter.shared_limit(verify_limit, scope="certificate-verify")
def verify_form():
    form = VerifyForm(request.args)
    typed = "code" in request.args and form.validate()
    return verification_page(form, certificates.verify(form.code.data) if typed else None)


@bp.route("/verify/<code>")
@limiter.shared_limit(verify_limit, scope="certificate-verify")
def verify(code: str):
    return verification_page(VerifyForm(data={"code": code}), certificates.verify(code))


@bp.route("/certificates/<int:certificate_id>/pdf")
@require("learn.browse")
def pdf(certificate_id: int):
    certificate = db.get_or_404(Certificate, certificate_id)
    authorize("certificates.download", certificate)
    if certificate.revoked:
        return render_template("certificates/revoked.html", certificate=certificate), 410
    lang = request.args.get("lang")
    lang = lang if lang in LANG_CHOICES else certificate.lang
    verify_url = url_for("certificates.verify", code=certificate.code, _external=True)
    body = render_certificate(certificates.certificate_data(certificate, verify_url), lang)
    response = Response(body, mimetype="application/pdf")
    filename = f"certificate-{certificate.serial}-{lang}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


@bp.route("/certificates/")
@require("certificates.list")
def index():
    query = (
        select(Certificate)
        .where(Certificate.user_id.in_(taught_learner_ids(current_user)))
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    )
    page = db.paginate(query, per_page=CERTIFICATES_PER_PAGE, error_out=False)
    return render_template("certificates/index.html", page=page)


@bp.route("/certificates/<int:certificate_id>/revoke", methods=["GET", "POST"])
@require("certificates.list")
def revoke(certificate_id: int):
    certificate = db.get_or_404(Certificate, certificate_id)
    authorize("certificates.revoke", certificate)
    form = RevokeForm()
    if not certificate.revoked and form.validate_on_submit():
        if form.confirmed.data != "yes":  # first say what will happen, and ask once more
            return render_template(
                "certificates/revoke.html", certificate=certificate, form=form, confirming=True
            )
        certificates.revoke(certificate, current_user, form.reason.data)
        db.session.commit()
        flash(
            _(
                "Certificate %(serial)s of %(name)s revoked.",
                serial=certificate.serial,
                name=certificate.learner_name,
            ),
            "success",
        )
        return redirect(url_for("certificates.index"))
    return render_template("certificates/revoke.html", certificate=certificate, form=form)
