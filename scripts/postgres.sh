# A throwaway PostgreSQL server on 127.0.0.1 and a free port, in a temporary folder.
# Sourced by scripts/test.sh: start_postgres sets PG_URL; stop_postgres removes everything.
# initdb and postgres refuse to run as root, so as root they run as the `postgres` user.

pg_bin_dir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -z "$dir" ]; then
    local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
    dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
  echo "$dir"
}

as_pg_user() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local bin port
  bin=$(pg_bin_dir)
  PG_DIR=$(mktemp -d /tmp/trainer-pg.XXXXXX)
  [ "$(id -u)" = 0 ] && chown postgres: "$PG_DIR"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_pg_user "$bin/initdb" -D "$PG_DIR/data" -U trainer --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  as_pg_user "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
    -o "-h 127.0.0.1 -p $port -k $PG_DIR -F -c fsync=off -c full_page_writes=off" start >/dev/null
  as_pg_user "$bin/createdb" -h 127.0.0.1 -p "$port" -U trainer trainer_test
  PG_BIN=$bin
  PG_URL="postgresql+psycopg://trainer@127.0.0.1:$port/trainer_test"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
}

stop_postgres() {
  [ -n "${PG_DIR:-}" ] || return 0
  as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
