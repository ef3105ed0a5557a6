# shellcheck shell=bash
# Our own PostgreSQL instance (not the system cluster). Sourced by deploy/local/stack.

PG_STATE="$STATE/pg"
PG_DATA="$PG_STATE/data"
PG_SOCK="$PG_STATE/run"
PG_LOG="$PG_STATE/postgres.log"
PG_DATABASES=(afterschool_enrollment afterschool_attendance afterschool_homework afterschool_stipend afterschool_notify)

# postgres refuses to run as root; as root we run it as the `postgres` OS user.
as_pg() {
  if ((EUID == 0)); then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

pg_pid() {
  local pid; pid=$(read_pid "$PG_DATA/postmaster.pid")
  pid_is_ours "$pid" "$PG_DATA" && printf '%s\n' "$pid"
}

pg_prepare_dirs() {
  mkdir -p "$PG_STATE" "$PG_SOCK"
  if ((EUID == 0)); then
    id postgres >/dev/null 2>&1 || die "postgres: OS user 'postgres' does not exist (it comes with the postgresql package)"
    chown postgres:postgres "$PG_STATE" "$PG_SOCK"
    if [[ -d $PG_DATA && $(stat -c %U "$PG_DATA") != postgres ]]; then
      chown -R postgres:postgres "$PG_DATA"
    fi
    chmod 700 "$PG_STATE" "$PG_SOCK"
  fi
  as_pg test -w "$PG_STATE" ||
    die "postgres: user 'postgres' cannot write $PG_STATE (a parent directory is not searchable by it?); set AFTERSCHOOL_STACK_STATE to a directory it can reach"
}

pg_init() {
  [[ -f $PG_DATA/PG_VERSION ]] && return 0
  log "postgres: initdb $PG_DATA"
  # trust on the unix socket (a 0700 directory only postgres and root can
  # enter), passwords over TCP: tests connect as afterschool/afterschool.
  as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host=scram-sha-256 >"$PG_STATE/initdb.log" 2>&1 ||
    { tail -n 20 "$PG_STATE/initdb.log" >&2; die "postgres: initdb failed (log: $PG_STATE/initdb.log)"; }
}

pg_start() {
  PG_BIN=$(pg_bindir) || die "postgres: no PostgreSQL server binaries under /usr/lib/postgresql/*/bin"
  if pg_pid >/dev/null; then
    return 0
  fi
  pg_prepare_dirs
  pg_init
  # Settings go on the command line, not into postgresql.conf, so a port
  # override on a later `up` needs no config rewrite. Durability stays default.
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start -o \
      "-c listen_addresses=127.0.0.1 -p $AFTERSCHOOL_PG_PORT -k $PG_SOCK -c max_connections=300 -c shared_buffers=256MB" \
      >"$PG_STATE/pg_ctl.log" 2>&1 ||
    { tail -n 20 "$PG_LOG" >&2 2>/dev/null || true; die "postgres: failed to start (log: $PG_LOG)"; }
  log "postgres: started"
}

pg_wait_ready() {
  local deadline=$((SECONDS + 60))
  until "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$AFTERSCHOOL_PG_PORT"; do
    ((SECONDS < deadline)) || die "postgres: not accepting connections on 127.0.0.1:$AFTERSCHOOL_PG_PORT after 60s (log: $PG_LOG)"
    pg_pid >/dev/null || die "postgres: server exited (log: $PG_LOG)"
    sleep 0.2
  done
}

# Idempotent: safe on every `up`; also resets the password if someone changed it.
pg_provision() {
  local sql db
  sql=$(cat <<'EOF'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'afterschool') THEN
    CREATE ROLE afterschool LOGIN CREATEDB PASSWORD 'afterschool';
  ELSE
    ALTER ROLE afterschool LOGIN CREATEDB PASSWORD 'afterschool';
  END IF;
  -- An application user as Kubernetes runs the apps (issue 14): it reads and writes what the schema owner's
  -- migration granted it (`afterschool migrate SERVICE --grant-to afterschool_app`), and has no DDL rights.
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'afterschool_app') THEN
    CREATE ROLE afterschool_app LOGIN PASSWORD 'afterschool_app';
  ELSE
    ALTER ROLE afterschool_app LOGIN NOCREATEDB PASSWORD 'afterschool_app';
  END IF;
END
$$;
EOF
)
  for db in "${PG_DATABASES[@]}"; do
    sql+=$'\n'"SELECT 'CREATE DATABASE $db OWNER afterschool' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$db')\\gexec"
  done
  as_pg psql -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$AFTERSCHOOL_PG_PORT" -U postgres -d postgres \
      <<<"$sql" >"$PG_STATE/provision.log" 2>&1 ||
    { cat "$PG_STATE/provision.log" >&2; die "postgres: creating role/databases failed"; }
}

pg_stop() {
  local pid
  if pid=$(pg_pid); then
    # SIGINT is PostgreSQL's "fast" shutdown: SIGTERM ("smart") would wait for
    # every test connection to close on its own.
    stop_pid postgres "$pid" INT 60
  fi
}

# A crash, not a shutdown (fault tests): the postmaster and every backend SIGKILLed at once, as when the node or the
# container dies. Nothing is flushed or checkpointed; the next start recovers from the WAL.
pg_kill() {
  local pid children waited=0
  pid=$(pg_pid) || return 0
  children=$(pgrep -P "$pid" || true)
  # shellcheck disable=SC2086  # one pid a word
  kill -KILL "$pid" $children 2>/dev/null || true
  # shellcheck disable=SC2086
  while kill -0 "$pid" $children 2>/dev/null; do
    ((waited < 100)) || die "postgres: pid $pid or a backend survived SIGKILL for 10 s"
    sleep 0.1
    waited=$((waited + 1))
  done
  log "postgres: killed (pid $pid and its $(wc -w <<<"$children") children)"
}

pg_status() {
  local pid
  pid=$(pg_pid) || { report_status postgres; return 1; }
  report_status postgres "$pid" "127.0.0.1:$AFTERSCHOOL_PG_PORT" \
    "$(port_open "$AFTERSCHOOL_PG_PORT" && echo listening || echo 'not listening')"
}
