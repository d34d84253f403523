"""Flask extensions, created here and bound to the app in create_app."""

from flask import current_app, request
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
csrf = CSRFProtect()
babel = Babel()


class RouteLimiter(Limiter):
    """Flask-Limiter, whose check before every request is skipped where it has nothing to count:
    Trainer sets no default, application-wide, blueprint or meta limits, only limits on some
    routes (sign-in, password reset, verification...). Should any of those appear, every request
    is checked again."""

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
