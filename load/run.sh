#!/usr/bin/env bash
# `make load`: a time-bounded locust run against gunicorn (2 workers x 4 threads) on a throwaway
# demo database; writes bench/LOAD.md. Not part of `make test`.
#   LOAD_DB=sqlite|postgresql (default sqlite; postgresql starts a throwaway server)
#   LOAD_USERS=100 LOAD_SPAWN_RATE=10 LOAD_TIME=2m LOAD_DEMO_LEARNERS=2000 LOAD_PORT=8765
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
USERS=${LOAD_USERS:-100}
RATE=${LOAD_SPAWN_RATE:-10}
TIME=${LOAD_TIME:-2m}
DEMO=${LOAD_DEMO_LEARNERS:-2000}
PORT=${LOAD_PORT:-8765}
WORK=$(mktemp -d /tmp/trainer-load.XXXXXX)
SERVER=""

cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  [ "${LOAD_DB:-sqlite}" = postgresql ] && stop_postgres
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ "${LOAD_DB:-sqlite}" = postgresql ]; then
  source scripts/postgres.sh
  start_postgres
  export DATABASE_URL=$PG_URL
  DATABASE="PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}')"
else
  export DATABASE_URL="sqlite:///$WORK/load.db"
  DATABASE="SQLite $($BIN/python -c 'import sqlite3; print(sqlite3.sqlite_version)')"
fi
export SECRET_KEY="load-$RANDOM$RANDOM" TRAINER_PROXY_HOPS=1 FLASK_APP=trainer

echo "== demo data on $DATABASE"
$BIN/flask db upgrade >/dev/null 2>&1
$BIN/flask modules sync | tail -1
$BIN/flask demo --learners "$DEMO" | tail -1
$BIN/python load/prepare.py "$USERS"

echo "== gunicorn on 127.0.0.1:$PORT"
# Idle connections are kept longer than a simulated person waits between acts (as a reverse
# proxy keeps its upstream connections): otherwise the server may close one just as it is reused.
$BIN/gunicorn --workers 2 --threads 4 --keep-alive 10 --bind "127.0.0.1:$PORT" --log-level warning \
  'trainer:create_app()' &
SERVER=$!
for _ in $(seq 60); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done

# A server that has been running: each worker has parsed the module content and compiled the
# templates (a few learners and a trainer for 20 s; their accounts are used again below).
echo "== warm-up"
$BIN/locust -f load/locustfile.py --headless --users 4 --spawn-rate 4 --run-time 20s \
  --host "http://127.0.0.1:$PORT" --only-summary --loglevel ERROR >/dev/null 2>&1 || true

echo "== locust: $USERS users, $RATE/s, $TIME"
LOAD_SAMPLES="$WORK/samples.csv" $BIN/locust -f load/locustfile.py --headless \
  --users "$USERS" --spawn-rate "$RATE" --run-time "$TIME" --host "http://127.0.0.1:$PORT" \
  --only-summary --loglevel WARNING || true  # failures are counted in the report
$BIN/python load/report.py "$WORK/samples.csv" "$DATABASE" "$USERS" "$RATE" "$TIME" "$DEMO"
