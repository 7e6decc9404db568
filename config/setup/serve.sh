#!/usr/bin/env bash
# Production mode (`make serve`): DEBUG off, static files collected with content hashes (cached for
# a year), `check --deploy`, then gunicorn with config/gunicorn.conf.py and a background-job worker. Made to run behind a
# proxy or load balancer that ends TLS and sets X-Forwarded-Proto; see README, "Production".
#
# Secrets come from the environment (SECRET_KEY) or a file (SECRET_KEY_FILE); without either, a
# key is made once in var/secret_key (readable by this user only) and kept for the next start.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python

export DEBUG=false
export STATIC_COLLECTED=true
export ALLOWED_HOSTS="${ALLOWED_HOSTS:-127.0.0.1,localhost}"
if [ -z "${SECRET_KEY:-}" ] && [ -z "${SECRET_KEY_FILE:-}" ]; then
  export SECRET_KEY_FILE=var/secret_key
  if [ ! -s "$SECRET_KEY_FILE" ]; then
    mkdir -p var
    (umask 077 && "$PY" -c 'import secrets; print(secrets.token_urlsafe(64))' > "$SECRET_KEY_FILE")
    echo "Made a new secret key in $SECRET_KEY_FILE"
  fi
fi

"$PY" manage.py collectstatic --noinput -v 0
# Prints any warning (a trial without TLS switches some protections off on purpose); errors stop here.
"$PY" manage.py check --deploy --fail-level ERROR
echo "Serving in production mode on ${BIND:-127.0.0.1:8000} with ${WEB_CONCURRENCY:-the default number of} workers and a background-job worker"
# The job worker runs beside gunicorn and stops with it (config/setup/with-worker.sh; docs/jobs.md).
exec bash config/setup/with-worker.sh "$PY" -m gunicorn config.wsgi:application --config config/gunicorn.conf.py
