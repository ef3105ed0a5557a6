# shellcheck shell=bash disable=SC2015  # "A && B || die": die exits, so it is if-then-else
# Shared helpers for deploy/local/stack. Sourced, never run on its own.
# Expects ROOT, LOCAL_DIR and STATE to be set by `stack`.

log()  { printf '%s\n' "$*"; }
warn() { printf 'stack: warning: %s\n' "$*" >&2; }
die()  { printf 'stack: error: %s\n' "$*" >&2; exit 1; }

# The state dir may be handed to us by AFTERSCHOOL_STACK_STATE; this marker is
# what lets `purge` rm -rf it without risking a directory we did not create.
STATE_MARKER=.afterschool-stack-state

state_init() {
  mkdir -p "$STATE"
  [[ -e "$STATE/$STATE_MARKER" ]] || : >"$STATE/$STATE_MARKER"
}

# --- ports ---------------------------------------------------------------
# Precedence: explicit environment > ports recorded by the last `up` > defaults,
# so `status`/`env`/`down` describe the running stack even when `up` was given
# overrides in another shell.
load_ports() {
  local k_env=${KAFKA_PORT-} kc_env=${KAFKA_CONTROLLER_PORT-} ks_env=${KAFKA_SASL_PORT-}
  local pg_env=${AFTERSCHOOL_PG_PORT-} rd_env=${AFTERSCHOOL_REDIS_PORT-} sm_env=${AFTERSCHOOL_SMTP_PORT-}
  if [[ -f "$STATE/ports.env" ]]; then
    # shellcheck disable=SC1091
    source "$STATE/ports.env"
  fi
  KAFKA_PORT=${k_env:-${KAFKA_PORT:-9092}}
  KAFKA_CONTROLLER_PORT=${kc_env:-${KAFKA_CONTROLLER_PORT:-9093}}
  # An older state's ports.env has no KAFKA_SASL_PORT: the controller port + 1 keeps a private stack's ports together.
  KAFKA_SASL_PORT=${ks_env:-${KAFKA_SASL_PORT:-$((KAFKA_CONTROLLER_PORT + 1))}}
  AFTERSCHOOL_PG_PORT=${pg_env:-${AFTERSCHOOL_PG_PORT:-54329}}
  AFTERSCHOOL_REDIS_PORT=${rd_env:-${AFTERSCHOOL_REDIS_PORT:-63799}}
  AFTERSCHOOL_SMTP_PORT=${sm_env:-${AFTERSCHOOL_SMTP_PORT:-25259}}
  local p
  for p in KAFKA_PORT KAFKA_CONTROLLER_PORT KAFKA_SASL_PORT AFTERSCHOOL_PG_PORT AFTERSCHOOL_REDIS_PORT AFTERSCHOOL_SMTP_PORT; do
    [[ ${!p} =~ ^[0-9]+$ ]] && ((${!p} > 0 && ${!p} < 65536)) || die "$p='${!p}' is not a TCP port"
  done
}

save_ports() {
  cat >"$STATE/ports.env" <<EOF
KAFKA_PORT=$KAFKA_PORT
KAFKA_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT
KAFKA_SASL_PORT=$KAFKA_SASL_PORT
AFTERSCHOOL_PG_PORT=$AFTERSCHOOL_PG_PORT
AFTERSCHOOL_REDIS_PORT=$AFTERSCHOOL_REDIS_PORT
AFTERSCHOOL_SMTP_PORT=$AFTERSCHOOL_SMTP_PORT
EOF
}

# True if something accepts TCP connections on 127.0.0.1:$1. Uses bash's
# /dev/tcp so it works where iproute2 (ss) is not installed.
port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# Who holds a port, for the error message; best effort.
port_owner() {
  if command -v ss >/dev/null 2>&1; then
    ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\(.*\)))/\1/p' | head -n1
  fi
}

require_port_free() { # name port
  if port_open "$2"; then
    local who; who=$(port_owner "$2")
    die "$1: port 127.0.0.1:$2 is already in use by a process this script did not start${who:+ (held by $who)}; stop it or choose another port (see deploy/local/README.md)"
  fi
}

# --- pids ----------------------------------------------------------------
# A pid file alone is not proof: the pid may have been reused. A process is
# ours only if it is alive and its command line contains a marker we chose
# (our state dir path or our port).
pid_is_ours() { # pid marker
  local pid=$1 marker=$2 cmd
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmd == *"$marker"* ]]
}

read_pid() { # file -> first line or empty
  [[ -f $1 ]] && head -n1 "$1" 2>/dev/null | tr -d '[:space:]' || true
}

# Graceful stop: $sig first, SIGKILL only when the process ignores it.
report_status() { # name [pid address detail]: one line of `stack status`
  if (($# == 1)); then printf '%-10s stopped\n' "$1"; else printf '%-10s running  pid %-8s %s  %s\n' "$@"; fi
}

stop_pid() { # name pid signal timeout_seconds
  local name=$1 pid=$2 sig=$3 timeout=$4 waited=0
  kill "-$sig" "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if ((waited >= timeout * 10)); then
      warn "$name (pid $pid) still running after ${timeout}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  log "$name: stopped (pid $pid)"
}

# --- packages --------------------------------------------------------------
# One `apt-get update` + one install for everything missing, because CI starts
# from a machine where nothing installed by hand is guaranteed to exist.
APT_UPDATED=0
apt_install() { # packages...
  ((EUID == 0)) || die "missing packages: $* (run as root, or install them: apt-get install $*)"
  command -v apt-get >/dev/null || die "missing packages: $* and apt-get is not available"
  export DEBIAN_FRONTEND=noninteractive
  if ((APT_UPDATED == 0)); then
    log "apt: updating package lists"
    apt-get update -q >"$STATE/apt.log" 2>&1 || { tail -n 20 "$STATE/apt.log" >&2; die "apt-get update failed (full log: $STATE/apt.log)"; }
    APT_UPDATED=1
  fi
  log "apt: installing $*"
  if ! apt-get install -y -q --no-install-recommends "$@" >>"$STATE/apt.log" 2>&1; then
    grep -E '^E:' "$STATE/apt.log" >&2 || tail -n 20 "$STATE/apt.log" >&2
    die "apt-get install $* failed (full log: $STATE/apt.log)"
  fi
}

pg_bindir() {
  local d
  d=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  [[ -n $d && -x $d/initdb && -x $d/pg_ctl ]] && printf '%s\n' "$d"
}

ensure_packages() {
  local missing=()
  command -v java >/dev/null || missing+=(openjdk-17-jdk-headless)
  command -v mvn >/dev/null || missing+=(maven)
  command -v openssl >/dev/null || missing+=(openssl)  # the secure listener's CA and certificate
  [[ -n $(pg_bindir) ]] && command -v psql >/dev/null || missing+=(postgresql)
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null || missing+=(redis-server)
  ((${#missing[@]} == 0)) || apt_install "${missing[@]}"
  command -v java >/dev/null || die "java not found after install"
  local major
  major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  [[ ${major%%.*} =~ ^[0-9]+$ ]] && ((${major%%.*} >= 17)) || die "Kafka 4.x needs Java 17 or newer; 'java' is version ${major:-unknown}"
  [[ -n $(pg_bindir) ]] || die "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin"
  command -v redis-server >/dev/null || die "redis-server not found after install"
}
