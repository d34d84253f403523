"""Flask extensions, created here and bound to the app in create_app."""

from flask import current_app, request
from flask.globals import request_ctx
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_qualified_name, get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

# Named constraints so that Alembic can alter them on SQLite (batch mode) and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Objects stay loaded after commit: a view commits, then renders, without reloading each row.
db = SQLAlchemy(
    metadata=MetaData(naming_convention=NAMING), session_options={"expire_on_commit": False}
)
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()


class MethodFirstCSRFProtect(CSRFProtect):
    """Flask-WTF's protection, asking the request's method first: it looked up the view's and
    blueprint's exemptions on every GET too (4% of a signed-in request's cost), although only
    the unsafe methods are checked."""

    def protect(self, apply_exemptions=False) -> None:
        if request.method not in current_app.config["WTF_CSRF_METHODS"]:
            return
        super().protect(apply_exemptions)


csrf = MethodFirstCSRFProtect()
babel = Babel()


class RouteLimiter(Limiter):
    """Flask-Limiter, whose check before every request is skipped where it has nothing to count:
    Trainer sets no default, application-wide, blueprint or meta limits, only limits on some
    routes (sign-in, password reset, verification...). Should any of those appear, every request
    is checked again."""

    def init_app(self, app) -> None:
        super().init_app(app)
        # Its after-request and teardown hooks read and reset the request's limiter state, which
        # the first check makes: where nothing was checked, they made an empty one to find
        # nothing in it (6% of a signed-in request's cost).
        for hooks in (app.after_request_funcs[None], app.teardown_request_funcs[None]):
            hooks[:] = [self._only_after_a_check(h) if self._owns(h) else h for h in hooks]

    def _owns(self, hook) -> bool:
        return getattr(hook, "__self__", None) is self or self in getattr(hook, "args", ())

    @staticmethod
    def _only_after_a_check(hook):
        def run(value):
            if hasattr(request_ctx, "_limiter_request_context"):
                return hook(value)
            return value  # the response, for an after-request hook

        return run

    def _check_request_limit(self, callable_name=None, in_middleware=True) -> None:
        if in_middleware and callable_name is None and not self._may_limit(request.endpoint):
            return
        super()._check_request_limit(callable_name, in_middleware)

    def _may_limit(self, endpoint: str | None) -> bool:
        manager = self.limit_manager
        if (
            manager._default_limits
            or manager._application_limits
            or manager._blueprint_limits
            or self._meta_limits
        ):
            return True
        view = current_app.view_functions.get(endpoint or "")
        name = get_qualified_name(view) if view else ""
        return name in self._marked_for_limiting or manager.has_hints(endpoint or "")


limiter = RouteLimiter(key_func=get_remote_address)
