#!/usr/bin/env bash
# Run the whole suite on SQLite, then again on a throwaway PostgreSQL server.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

echo "== ruff"
$BIN/ruff check .

echo "== tests on SQLite"
sqlite_status=0
$BIN/pytest || sqlite_status=$?

echo "== tests on PostgreSQL"
source scripts/postgres.sh
start_postgres
trap stop_postgres EXIT
pg_status=0
TEST_DATABASE_URL="$PG_URL" $BIN/pytest || pg_status=$?

if [ "$sqlite_status" -ne 0 ] || [ "$pg_status" -ne 0 ]; then
  echo "FAILED: SQLite exit $sqlite_status, PostgreSQL exit $pg_status"
  exit 1
fi
