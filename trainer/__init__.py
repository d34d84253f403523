"""Trainer: bilingual training on domestic violence for police officers and judges."""

from flask import Flask
from sqlalchemy import event

from trainer import cli, errors, inputs, layout, mail, security, serving, site_header
from trainer.config import build_config
from trainer.extensions import babel, csrf, db, limiter, login_manager, migrate
from trainer.i18n import register_jinja, select_locale
from trainer.sessions import SignedCookieSessions
from trainer.transactions import retry_every_view


class TrainerApp(Flask):
    """Flask, asking once per function whether it is a coroutine: Flask asks `inspect` before
    each call of every hook and view, a dozen times a request (about 2% of a signed-in one)."""

    SYNC_KEPT = 4096  # hooks and views are long-lived; a per-request closure is not kept

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._sync_callables: dict = {}

    def ensure_sync(self, func):
        known = self._sync_callables.get(func)
        if known is None:
            known = super().ensure_sync(func)
            if len(self._sync_callables) < self.SYNC_KEPT:
                self._sync_callables[func] = known
        return known


def create_app(config: dict | None = None) -> Flask:
    app = TrainerApp(__name__, instance_relative_config=True)
    app.config.update(build_config(app.instance_path, config))
    app.session_interface = SignedCookieSessions()
    register_extensions(app)
    inputs.register(app)  # the id converter, before the routes that use it
    register_blueprints(app)
    retry_every_view(app)
    errors.register(app)
    security.register(app)
    serving.register(app)
    cli.register(app)
    register_jinja(app)
    site_header.register(app)
    layout.register(app)
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    mail.register(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers proceed while a writer commits; the busy timeout queues writers.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    # Under WAL, NORMAL still survives a crash of the app; only a power cut may lose the last
    # commits, and it saves a disk flush on every answer a learner saves.
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Every commit empties the page cache of the other connections (each gunicorn thread has
    # one): under a stream of answer saves each request read its pages again, 15 read calls
    # and 59 KB per save. Mapped in memory, the file is read in place instead (5 calls and
    # 17 KB per save are left: the request's socket, and pages still in the WAL).
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


SQLITE_MMAP_BYTES = 1 << 30  # address space only; the pages stay in the OS's file cache


def register_blueprints(app: Flask) -> None:
    from trainer.account import bp as account_bp
    from trainer.admin import bp as admin_bp
    from trainer.auth import bp as auth_bp
    from trainer.certificates import bp as certificates_bp
    from trainer.classroom import bp as classroom_bp
    from trainer.cohorts.views import bp as cohorts_bp
    from trainer.learn import bp as learn_bp
    from trainer.main import bp as main_bp
    from trainer.quiz import bp as quiz_bp
    from trainer.quiz import review_bp
    from trainer.scenarios import bp as scenarios_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(account_bp, url_prefix="/account")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(learn_bp, url_prefix="/learn")
    app.register_blueprint(quiz_bp, url_prefix="/learn")
    app.register_blueprint(scenarios_bp, url_prefix="/learn")
    app.register_blueprint(review_bp, url_prefix="/review")
    app.register_blueprint(cohorts_bp, url_prefix="/cohorts")
    app.register_blueprint(certificates_bp)
    app.register_blueprint(classroom_bp)
