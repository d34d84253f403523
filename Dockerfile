# Debian 13 (trixie): its postgresql-client (17) is what `flask backup` runs; pg_dump must be
# at least as new as the server, so compose.yaml runs PostgreSQL 17.
FROM python:3.11-slim-trixie

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    TRAINER_ENV=production \
    FLASK_APP=trainer

RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 trainer
WORKDIR /app

COPY pyproject.toml README.md babel.cfg ./
COPY trainer ./trainer
RUN pip install -e . && rm -rf /root/.cache

COPY migrations ./migrations
COPY modules ./modules
COPY translations ./translations
RUN pybabel compile -d translations && mkdir -p instance backups && chown trainer: instance backups

USER trainer
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"

CMD ["sh", "-c", "flask db upgrade && (flask modules sync || true) && exec gunicorn -c python:trainer.gunicorn_conf 'trainer:create_app()'"]
