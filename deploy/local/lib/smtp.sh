# shellcheck shell=bash
# Our own SMTP server: aiosmtpd from the project's venv, keeping every message it accepts in a maildir under the
# state dir (nothing is relayed anywhere). Notify's e-mail tests send to it. Sourced by deploy/local/stack.

SMTP_STATE="$STATE/smtp"
SMTP_MAILDIR="$SMTP_STATE/maildir"
SMTP_PID_FILE="$SMTP_STATE/smtp.pid"
SMTP_PYTHON=${AFTERSCHOOL_PYTHON:-$ROOT/.venv/bin/python}

smtp_pid() {
  local pid; pid=$(read_pid "$SMTP_PID_FILE")
  # The maildir path is on its command line, so a reused pid is never taken for ours.
  pid_is_ours "$pid" "$SMTP_MAILDIR" && printf '%s\n' "$pid"
}

smtp_start() {
  if smtp_pid >/dev/null; then
    return 0
  fi
  if [[ -z ${AFTERSCHOOL_PYTHON-} && ! -x $SMTP_PYTHON ]]; then
    "$ROOT/bin/bootstrap" --dev || die "cannot create the project's .venv"
  fi
  "$SMTP_PYTHON" -c 'import aiosmtpd' 2>/dev/null || die "smtp: aiosmtpd is not installed in $SMTP_PYTHON's environment"
  mkdir -p "$SMTP_MAILDIR"/{cur,new,tmp}  # a maildir whose folder exists must hold these three already
  # setsid: its own session, so a Ctrl-C in the shell that ran `up` does not stop it.
  setsid "$SMTP_PYTHON" -u -m aiosmtpd -n -u -l "127.0.0.1:$AFTERSCHOOL_SMTP_PORT" \
    -c aiosmtpd.handlers.Mailbox "$SMTP_MAILDIR" >"$SMTP_STATE/smtp.log" 2>&1 </dev/null &
  printf '%s\n' "$!" >"$SMTP_PID_FILE"
  log "smtp: started"
}

smtp_wait_ready() {
  local deadline=$((SECONDS + 30))
  until port_open "$AFTERSCHOOL_SMTP_PORT" && smtp_pid >/dev/null; do
    smtp_pid >/dev/null || { tail -n 20 "$SMTP_STATE/smtp.log" >&2 2>/dev/null || true; die "smtp: aiosmtpd exited (log: $SMTP_STATE/smtp.log)"; }
    ((SECONDS < deadline)) || die "smtp: nothing listens on 127.0.0.1:$AFTERSCHOOL_SMTP_PORT after 30s"
    sleep 0.1
  done
}

smtp_stop() {
  local pid
  if pid=$(smtp_pid); then
    stop_pid smtp "$pid" TERM 10
  fi
}

smtp_status() {
  local pid
  pid=$(smtp_pid) || { report_status smtp; return 1; }
  report_status smtp "$pid" "127.0.0.1:$AFTERSCHOOL_SMTP_PORT" "maildir $SMTP_MAILDIR"
}

smtp_env() {
  # Only while it runs: a test that finds these uses this server, otherwise it starts its own.
  smtp_pid >/dev/null || return 0
  cat <<EOF
export AFTERSCHOOL_TEST_SMTP_HOST=127.0.0.1
export AFTERSCHOOL_TEST_SMTP_PORT=$AFTERSCHOOL_SMTP_PORT
export AFTERSCHOOL_TEST_SMTP_MAILDIR=$SMTP_MAILDIR
EOF
}
