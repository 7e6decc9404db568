# Two commands for a newcomer: `make run` (site with demo data) and `make test` (whole suite).
# Each step is skipped when its work is already done, so a second run starts in seconds.

SHELL := /bin/bash
PYTHON ?= python3
PORT ?= 8000
BIND ?= 127.0.0.1:$(PORT)
DEMO_COUNT ?= 2000
VENV := .venv
GPKG_VENV := .venv-gpkg
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py

# Local development defaults; set them in the environment to override (see README).
export DEBUG ?= true
export PYTHONDONTWRITEBYTECODE := 1

PO_FILES := $(wildcard locale/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: run serve worker test setup system venv database migrate areas demo messages lint bench loadtest loadtest-replica faulttest superuser backup restore db-stop replica replica-stop replica-remove clean

run: setup demo ## Set everything up and serve the site with demo data on http://127.0.0.1:$(PORT), with a job worker
	@echo "Serving on http://127.0.0.1:$(PORT)  (admin: http://127.0.0.1:$(PORT)/admin/, make superuser), with a background-job worker"
	@bash config/setup/with-worker.sh $(MANAGE) runserver 127.0.0.1:$(PORT)

serve: setup ## Production mode: DEBUG off, hashed static files, check --deploy, gunicorn on $(BIND) and a job worker (README, "Production")
	@DEBUG=false BIND=$(BIND) bash config/setup/serve.sh

worker: setup ## Only a background-job worker (docs/jobs.md), for a machine that runs no web server
	$(MANAGE) procrastinate worker

test: setup lint $(GPKG_VENV)/.installed ## Set everything up and run the whole test suite
	GEOPACKAGE_VALIDATOR=$(CURDIR)/$(GPKG_VENV)/bin/geopackage-validator $(PY) -m pytest

setup: system venv node_modules/.installed messages database migrate areas

system: ## Install missing Debian/Ubuntu packages (apt-get as root or with sudo)
	@bash config/setup/system-packages.sh

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

# PDOK's GeoPackage validator needs the system GDAL's Python bindings (python3-gdal), so it lives in
# an environment of Debian's own Python, apart from the project's.
$(GPKG_VENV)/.installed: config/setup/geopackage-validator.txt
	@test -x $(GPKG_VENV)/bin/python || /usr/bin/python3 -m venv --system-site-packages $(GPKG_VENV)
	$(GPKG_VENV)/bin/python -m pip install --quiet -r config/setup/geopackage-validator.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

messages: $(MO_FILES)

locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po
	msgfmt --check -o $@ $<

database: ## Start the project's own PostGIS database, unless DATABASE_URL points elsewhere
	@if [ -z "$$DATABASE_URL" ]; then $(PYTHON) -m config.setup.devdb ensure; fi

migrate: venv database
	@$(MANAGE) migrate --noinput -v 0
	@$(MANAGE) createcachetable

areas: migrate ## Load provinces, municipalities, postcodes and places (skipped when unchanged)
	@$(MANAGE) load_areas

demo: setup ## Seed demo initiatives into an empty register
	@$(MANAGE) seed_demo --count $(DEMO_COUNT) --only-if-empty

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy
	$(MANAGE) check --fail-level WARNING
	$(MANAGE) makemigrations --check --dry-run > /dev/null || \
		{ echo "Model changes without a migration: run manage.py makemigrations"; exit 1; }

bench: setup ## Benchmarks with their reports (.bench/report.md, api-report.md, api-report-cached.md, map-report.md, opendata-report.md, duplicates-report.md, import-report.md, backoffice-report.md, ogc-report.md, peer-report.md, search-report.md, monitor-report.md, lighthouse-report.md)
	$(PY) -m tests.benchmarks.run
	$(PY) -m tests.benchmarks.api
	BENCH_RESPONSE_CACHE=on $(PY) -m tests.benchmarks.api
	$(PY) -m tests.benchmarks.map
	$(PY) -m tests.benchmarks.opendata
	$(PY) -m tests.benchmarks.duplicates
	$(PY) -m tests.benchmarks.imports
	$(PY) -m tests.benchmarks.backoffice
	$(PY) -m tests.benchmarks.ogc
	$(PY) -m tests.benchmarks.peer
	$(PY) -m tests.benchmarks.search
	$(PY) -m tests.benchmarks.monitor
	@# Lighthouse retries a failed run and reports what it could not measure; should it stop
	@# altogether (no server, no Chromium), the benchmarks before and after it still count.
	-$(PY) -m tests.benchmarks.lighthouse

loadtest: setup ## Production mode with 100,000 initiatives under 50 clients for 60 s (wrk), an edit every 5 s; report in .bench/load-report.md
	env -u DEBUG $(PY) -m tests.benchmarks.load

loadtest-replica: setup ## The load test with a real hot standby taking the anonymous reads, stopped for 10 s mid-run; .bench/load-replica-report.md
	env -u DEBUG $(PY) -m tests.benchmarks.load_replica

faulttest: setup ## PostgreSQL restarted under load: 503s, then recovery without a restart; report in .bench/fault-report.md
	env -u DEBUG $(PY) -m tests.benchmarks.faults

superuser: setup ## Create an administrator account (asks for name and password)
	$(MANAGE) createsuperuser

backup: venv database ## Back up the whole database to var/backups/register-<UTC time>.dump, with a .sha256 checksum
	$(MANAGE) backup_register

restore: venv database ## Restore a backup, all or nothing: make restore FILE=var/backups/register-….dump (asks first, unless CONFIRM=yes)
	@test -n "$(FILE)" || { echo "Usage: make restore FILE=var/backups/register-YYYYmmddTHHMMSSZ.dump [CONFIRM=yes]"; exit 1; }
	$(MANAGE) restore_register "$(FILE)" $(if $(filter yes,$(CONFIRM)),--yes)

db-stop:
	$(PYTHON) -m config.setup.devdb stop

replica: database ## A streaming replica (hot standby) of the project's cluster on port 5440; prints its URL
	@$(PYTHON) -m config.setup.devdb replica-ensure
	@$(PYTHON) -m config.setup.devdb replica-url

replica-stop:
	$(PYTHON) -m config.setup.devdb replica-stop

replica-remove: ## Stop the replica and delete its files and its replication slot
	$(PYTHON) -m config.setup.devdb replica-remove

clean:
	rm -rf $(VENV) $(GPKG_VENV) node_modules staticfiles .pytest_cache .ruff_cache .bench
	find . -name '*.mo' -path './locale/*' -delete
