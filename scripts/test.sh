#!/usr/bin/env bash
# Run the suite on SQLite and on a throwaway PostgreSQL server. Arguments go to both pytest runs
# (`bash scripts/test.sh -x`).
#
# The SQLite pass runs every test. The PostgreSQL pass runs the tests that use a database (the
# make_app fixture, pytest --database-only): the others (pure functions, content validation,
# translations, PDFs) do not depend on the database and gain nothing from a second run.
#
# On two cores or more the two passes run at once (TEST_SERIAL=1 runs them one after the
# other). The tests that start servers and drive Chromium (tests/e2e, tests/live) wait on
# timers, so the two passes keep them apart: the SQLite pass starts with them, the PostgreSQL
# pass ends with them (--servers-last), each beside the other pass's plain tests.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

echo "== ruff"
$BIN/ruff check .

source scripts/postgres.sh
start_postgres
pg_log=$(mktemp /tmp/trainer-tests-postgresql.XXXXXX.log)
pg_pid=""
# Interrupted (Ctrl-C, or a failure of this script): the background pass is stopped through its
# fixtures' teardown (tests/conftest.py turns SIGTERM into KeyboardInterrupt), then PostgreSQL.
cleanup() {
  if [ -n "$pg_pid" ]; then
    kill "$pg_pid" 2>/dev/null || true
    wait "$pg_pid" 2>/dev/null || true
  fi
  stop_postgres
  rm -f "$pg_log"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

sqlite_pass() {
  $BIN/pytest --durations=10 "$@"
}

# Its own cache folder: `pytest --lf -o cache_dir=.pytest_cache/postgresql` reruns its failures.
postgresql_pass() {
  TEST_DATABASE_URL="$PG_URL" $BIN/pytest --durations=10 --database-only --servers-last \
    -o cache_dir=.pytest_cache/postgresql "$@"
}

POSTGRESQL_TITLE="== tests on PostgreSQL (the tests that use a database; the others ran on SQLite)"
sqlite_status=0
pg_status=0
if [ "$(nproc)" -ge 2 ] && [ "${TEST_SERIAL:-}" != 1 ]; then
  postgresql_pass "$@" >"$pg_log" 2>&1 &
  pg_pid=$!
  echo "== tests on SQLite, while the PostgreSQL pass runs beside it (its output follows)"
  sqlite_pass "$@" || sqlite_status=$?
  wait "$pg_pid" || pg_status=$?
  pg_pid=""
  echo "$POSTGRESQL_TITLE"
  cat "$pg_log"
else
  echo "== tests on SQLite"
  sqlite_pass "$@" || sqlite_status=$?
  echo "$POSTGRESQL_TITLE"
  postgresql_pass "$@" || pg_status=$?
fi

if [ "$sqlite_status" -ne 0 ] || [ "$pg_status" -ne 0 ]; then
  echo "FAILED: SQLite exit $sqlite_status, PostgreSQL exit $pg_status"
  exit 1
fi
