"""Configuration from the environment, with safe defaults for development."""

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

import orjson

from trainer.sqlite_writers import QueuedWriterConnection

LANGUAGES = ("ru", "en")
PROJECT_DIR = Path(__file__).resolve().parent.parent
TRANSLATIONS_DIR = PROJECT_DIR / "translations"
# Printed on certificates until the operator names the organisation (README, `make run`).
DEFAULT_ORGANISATION = "Trainer"


class ConfigError(RuntimeError):
    """The app refuses to start with an unsafe or incomplete configuration."""


def build_config(instance_path: str, overrides: dict | None = None) -> dict:
    env = os.environ
    production = env.get("TRAINER_ENV", "development") == "production"
    https = env.get("TRAINER_HTTPS", "0") == "1"
    config = {
        "TRAINER_ENV": "production" if production else "development",
        "SECRET_KEY": env.get("SECRET_KEY") or None,
        "SQLALCHEMY_DATABASE_URI": database_url(env.get("DATABASE_URL"), instance_path),
        "BABEL_DEFAULT_LOCALE": env.get("TRAINER_DEFAULT_LOCALE", "ru"),
        "BABEL_DEFAULT_TIMEZONE": env.get("TRAINER_TIMEZONE", "Europe/Moscow"),
        "BABEL_TRANSLATION_DIRECTORIES": str(TRANSLATIONS_DIR),
        "TRAINER_OPEN_REGISTRATION": env.get("TRAINER_OPEN_REGISTRATION", "0") == "1",
        "TRAINER_MODULES_DIR": env.get("TRAINER_MODULES_DIR", str(PROJECT_DIR / "modules")),
        # The product's name in the header and titles; unset, it is translated (Тренажёр).
        "TRAINER_PRODUCT_NAME": env.get("TRAINER_PRODUCT_NAME") or None,
        "TRAINER_ORGANISATION": env.get("TRAINER_ORGANISATION") or DEFAULT_ORGANISATION,
        # Printed under the signature line of certificates, e.g. "I. Ivanov, Head of Training".
        "TRAINER_CERTIFICATE_SIGNATURE": env.get("TRAINER_CERTIFICATE_SIGNATURE", ""),
        "TRAINER_CERTIFICATE_LOGO": env.get("TRAINER_CERTIFICATE_LOGO") or None,  # PNG/JPEG path
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Served over HTTPS only: browsers are told to never use plain HTTP (HSTS).
        "TRAINER_HTTPS": https,
        # How many reverse proxies stand in front of the app (X-Forwarded-For etc. trusted).
        "TRAINER_PROXY_HOPS": proxy_hops(env),
        "SESSION_COOKIE_SECURE": production or https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production or https,
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session instead: long lessons outlive an hour
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Said by every app: the one Limiter would otherwise keep the previous app's setting.
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        # Failed sign-ins: one address on one account is refused past PAIR; an account is
        # slowed down, never locked, past ACCOUNT; one address is refused past ADDRESS.
        "LOGIN_RATE_LIMIT_PAIR": "5 per minute;20 per hour",
        "LOGIN_RATE_LIMIT_ACCOUNT": "5 per minute;50 per hour",
        "LOGIN_RATE_LIMIT_ADDRESS": "30 per minute",
        "LOGIN_SLOWDOWN_SECONDS": 1.5,
        "VERIFY_RATE_LIMIT": "30 per minute;300 per hour",
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        # A worker's threads run the app one request at a time (trainer/worker_turns.py).
        "TRAINER_SERIAL_REQUESTS": serial_requests(env),
        # A live class session left this long without a trainer's act is closed (classroom).
        "CLASSROOM_IDLE_MINUTES": int(env.get("CLASSROOM_IDLE_MINUTES", "180")),
        "USERS_PER_PAGE": 25,
        "PASSWORD_HASH_METHOD": "scrypt",  # Werkzeug's default KDF; tests use a cheap one
        # Links in emails and on the command line start with this outside a request.
        "TRAINER_BASE_URL": env.get("TRAINER_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        # Told to a deactivated account at sign-in, e.g. "training@mvd.example, room 12".
        "TRAINER_SUPPORT_CONTACT": env.get("TRAINER_SUPPORT_CONTACT", ""),
        "PASSWORD_RESET_RATE_LIMIT_ADDRESS": "10 per minute;50 per hour",
        "PASSWORD_RESET_RATE_LIMIT_ACCOUNT": "3 per hour",
        **mail_settings(env),
    }
    config.update(overrides or {})
    if config["SECRET_KEY"] is None:
        if production:
            raise ConfigError("SECRET_KEY must be set in production (TRAINER_ENV=production).")
        config["SECRET_KEY"] = instance_secret_key(Path(instance_path))
    if production and (config.get("DEBUG") or env.get("FLASK_DEBUG") == "1"):
        raise ConfigError("Refusing to run in production with debug on.")
    config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(config["SQLALCHEMY_DATABASE_URI"])
    if config["TRAINER_SERIAL_REQUESTS"] is None:
        # SQLite's work is all done in this process; PostgreSQL's queries wait on another
        # process or machine, time in which this worker can serve other requests.
        config["TRAINER_SERIAL_REQUESTS"] = config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    return config


def mail_settings(env) -> dict:
    """Flask-Mailman's settings from TRAINER_MAIL_*; no server means the development outbox."""
    use_ssl = env.get("TRAINER_MAIL_USE_SSL", "0") == "1"
    use_tls = env.get("TRAINER_MAIL_USE_TLS", "0") == "1"
    if use_ssl and use_tls:
        raise ConfigError("Set TRAINER_MAIL_USE_TLS (STARTTLS) or TRAINER_MAIL_USE_SSL, not both.")
    default_port = 465 if use_ssl else 587 if use_tls else 25
    port = env.get("TRAINER_MAIL_PORT") or str(default_port)
    if not port.isascii() or not port.isdigit():
        raise ConfigError(f"TRAINER_MAIL_PORT must be a port number, not {port!r}.")
    return {
        "MAIL_SERVER": env.get("TRAINER_MAIL_SERVER") or None,
        "MAIL_PORT": int(port),
        "MAIL_USE_TLS": use_tls,
        "MAIL_USE_SSL": use_ssl,
        "MAIL_USERNAME": env.get("TRAINER_MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("TRAINER_MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": env.get("TRAINER_MAIL_SENDER", "Trainer <no-reply@localhost>"),
        "MAIL_TIMEOUT": 15,
        "MAIL_BACKEND": "smtp",
        "TRAINER_OUTBOX_DIR": env.get("TRAINER_OUTBOX_DIR") or None,  # default instance/outbox
    }


def serial_requests(env) -> bool | None:
    """TRAINER_SERIAL_REQUESTS=1 or 0; unset (None), build_config decides by the database."""
    value = env.get("TRAINER_SERIAL_REQUESTS", "")
    if value not in ("", "0", "1"):
        raise ConfigError(f"TRAINER_SERIAL_REQUESTS must be 0 or 1, not {value!r}.")
    return value == "1" if value else None


def proxy_hops(env) -> int:
    value = env.get("TRAINER_PROXY_HOPS", "0") or "0"
    if not value.isascii() or not value.isdigit():
        raise ConfigError(f"TRAINER_PROXY_HOPS must be a number of proxies, not {value!r}.")
    return int(value)


def check_workers(workers: int, env=os.environ) -> None:
    """Rate limits counted in memory are per process: several workers need a shared store."""
    production = env.get("TRAINER_ENV", "development") == "production"
    storage = env.get("RATELIMIT_STORAGE_URI", "memory://")
    if production and workers > 1 and storage.startswith("memory://"):
        raise ConfigError(
            f"{workers} workers with RATELIMIT_STORAGE_URI={storage}: each worker would count "
            "sign-in attempts on its own. Set RATELIMIT_STORAGE_URI=redis://... or run one worker."
        )


def database_url(url: str | None, instance_path: str) -> str:
    if not url:
        return f"sqlite:///{Path(instance_path) / 'trainer.db'}"
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy needs the driver named.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def engine_options(url: str) -> dict:
    # Progress states are JSON, read on every learner's page and a thousand at a time on a
    # cohort's dashboard: orjson decodes them several times faster than the json module.
    common = {"json_deserializer": load_json}
    if url.startswith("sqlite"):
        # The app's writers take turns (trainer/sqlite_writers.py); others wait up to 15 s.
        return {**common, "connect_args": {"timeout": 15, "factory": QueuedWriterConnection}}
    return {**common, "pool_pre_ping": True}


def load_json(text: str | bytes):
    """orjson's reading of a stored JSON value; the json module's for what orjson refuses
    and json.dumps may have written (NaN, Infinity)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def instance_secret_key(instance: Path) -> str:
    """Generate a key once and keep it, so development sessions survive restarts."""
    instance.mkdir(parents=True, exist_ok=True)
    key_file = instance / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def certificate_settings_missing(config) -> list[str]:
    """The certificate settings still at their placeholders, for the admin's warning."""
    missing = []
    if config.get("TRAINER_ORGANISATION", DEFAULT_ORGANISATION) in ("", DEFAULT_ORGANISATION):
        missing.append("TRAINER_ORGANISATION")
    if not config.get("TRAINER_CERTIFICATE_SIGNATURE"):
        missing.append("TRAINER_CERTIFICATE_SIGNATURE")
    return missing
