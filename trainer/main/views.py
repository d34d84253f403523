from flask import abort, jsonify, redirect, render_template, session, url_for
from flask_login import current_user
from sqlalchemy import text

from trainer.config import LANGUAGES
from trainer.extensions import db, limiter
from trainer.forms import LanguageForm
from trainer.main import bp
from trainer.models.types import utcnow
from trainer.urls import safe_next


@bp.route("/")
def index():
    return render_template("main/index.html", today=utcnow())


@bp.route("/language/<lang>", methods=["POST"])
def set_language(lang: str):
    if lang not in LANGUAGES:
        abort(404)
    form = LanguageForm()
    if form.validate_on_submit():
        session["locale"] = lang
        if current_user.is_authenticated:
            # The switcher is also how a signed-in user changes their preference.
            current_user.locale = lang
            db.session.commit()
    return redirect(safe_next(form.next.data, url_for("main.index")))


@bp.route("/healthz")
@limiter.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:  # any failure means "not ready"; say which, never raise
        return jsonify(status="error", database="unavailable", detail=type(error).__name__), 503
    return jsonify(status="ok", database="ok")
