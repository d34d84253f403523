"""compose.yaml and the proxy examples stay consistent with the app (docker and the proxies
cannot run here: the YAML is read and its essentials checked)."""

from pathlib import Path
from types import SimpleNamespace

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_runs_stateless_app_servers_on_postgresql_and_redis():
    services = compose()["services"]
    assert {"app", "migrate", "db", "redis", "proxy"} <= set(services)
    app = services["app"]
    env = app["environment"]
    assert app["build"] == "."
    assert env["WEB_CONCURRENCY"] == "2" and env["TRAINER_ENV"] == "production"
    assert env["RATELIMIT_STORAGE_URI"] == "redis://redis:6379/0"
    assert (
        env["DATABASE_URL"].startswith("postgresql+psycopg://")
        and "@db:5432/" in env["DATABASE_URL"]
    )
    assert env["TRAINER_PROXY_HOPS"] == "1" and env["TRAINER_HTTPS"] == "1"
    assert app["deploy"]["replicas"] >= 2
    assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "flask db upgrade" in " ".join(services["migrate"]["command"])


def test_every_long_running_service_has_a_health_check_and_the_database_a_volume():
    services = compose()["services"]
    for name in ("app", "db", "redis"):
        assert services[name]["healthcheck"]["test"], name
    assert "/healthz" in " ".join(services["app"]["healthcheck"]["test"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in services["db"]["volumes"])
    assert "db-data" in compose()["volumes"]


def test_the_proxies_compress_and_pass_the_client_address():
    caddy = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "encode zstd gzip" in caddy and "reverse_proxy" in caddy
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in compose()["services"]["proxy"]["volumes"]
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "gzip on;" in nginx and "location /static/" in nginx and "proxy_cache " in nginx
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in nginx


def test_a_worker_freezes_what_it_loaded_so_full_collections_skip_it():
    import gc

    from trainer.gunicorn_conf import post_worker_init

    gc.unfreeze()
    try:
        post_worker_init(worker=None)
        assert gc.get_freeze_count() > 1000  # this process's modules and objects so far
    finally:
        gc.unfreeze()


def test_the_log_names_the_address_the_workers_listen_on():
    """With a socket per worker gunicorn's own "Listening at:" line has no address."""
    from trainer.gunicorn_conf import when_ready

    lines = []
    log = SimpleNamespace(info=lambda message, *args: lines.append(message % args))
    when_ready(SimpleNamespace(cfg=SimpleNamespace(bind=["0.0.0.0:8000"]), log=log))
    assert lines == ["Listening at: 0.0.0.0:8000 (a socket per worker)"]
