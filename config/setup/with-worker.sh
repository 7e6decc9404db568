#!/usr/bin/env bash
# Run a web server (the command given) with a background-job worker beside it (`make run`,
# `make serve`), and stop them together: when either ends, or on Ctrl-C or SIGTERM, the other is
# stopped too (SIGTERM: the worker finishes its running job, within JOBS_SHUTDOWN_SECONDS, then exits;
# a job it had to abandon is retried by the next worker, see docs/jobs.md).
set -uo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}

web= worker=
stop() {
  trap - INT TERM
  # shellcheck disable=SC2086  # an empty pid (not started yet) must vanish, not be an argument
  kill -TERM $web $worker 2>/dev/null
  wait $web 2>/dev/null
  wait $worker 2>/dev/null
}
# The traps come first: a stop that arrives while the two are starting still stops both.
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM

"$PY" manage.py procrastinate worker --shutdown-graceful-timeout "${JOBS_SHUTDOWN_SECONDS:-30}" &
worker=$!
"$@" &
web=$!

wait -n "$web" "$worker"
status=$?
if kill -0 "$web" 2>/dev/null; then
  echo "The background-job worker stopped (exit $status); stopping the web server too." >&2
else
  echo "The web server stopped (exit $status); stopping the background-job worker too." >&2
fi
stop
exit "$status"
