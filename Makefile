# govservice — the two set-up commands are `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# Tests never need a real SECRET_KEY or encryption key; production settings refuse to boot without one.
TEST_ENV := GOVSERVICE_TESTING=1 SECRET_KEY=test-only-secret DEBUG=0
PYTEST_ARGS ?=

.PHONY: run test install install-dev lint typecheck format migrate demo messages screenshots browser clean mutation

$(VENV)/bin/python:
	@python=$$(scripts/find-python) && echo "Using $$python" && "$$python" -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: $(VENV)/bin/python requirements.txt
	$(PY) -m pip install -q -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make run: set up, migrate, load the demo data, serve with worker and beat on http://127.0.0.1:8000
run: install
	DEBUG=1 $(MANAGE) migrate --noinput
	DEBUG=1 $(MANAGE) load_demo
	@echo "Serving on http://$(HOST):$(PORT)/  (web + Celery worker + Celery beat; Ctrl-C stops all three)"
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" DEBUG=1 HOST=$(HOST) PORT=$(PORT) honcho -f Procfile.dev start

## make test: the whole suite (embedded SQLite + filesystem broker unless DATABASE_URL / CELERY_BROKER_URL say otherwise)
test: install-dev browser
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

# Debian's chromium for the browser tests (never a downloaded browser). Best effort:
# without root or apt the browser tests skip, except under CI=true where they fail.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
	      || echo "chromium could not be installed; browser tests will be skipped (under CI=true they fail)"; \
	  else echo "chromium not found; browser tests will be skipped (under CI=true they fail)"; fi; }

## make lint: the app graph (one way), ruff, migrations in step with the models, Django's checks, mypy
lint: install-dev
	$(PY) scripts/app-graph
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(TEST_ENV) $(MANAGE) makemigrations --check --dry-run
	$(TEST_ENV) $(MANAGE) check
	$(MAKE) --no-print-directory typecheck

# mypy with django-stubs and djangorestframework-stubs over the tree (pyproject.toml). The scripts without a .py
# suffix are each checked on their own: every one of them is module `__main__` to mypy.
typecheck: install-dev
	$(VENV)/bin/mypy
	@for script in scripts/app-graph scripts/check-upgrade; do echo "mypy $$script"; $(VENV)/bin/mypy "$$script" || exit 1; done

## make mutation: mutmut over the access rules, working days, masking and the scoring ranks ([tool.mutmut] in
## pyproject.toml); starts afresh in mutants/ and lists the survivors (docs/mutation.md says which are harmless).
MUTMUT_CHILDREN ?= 2
mutation: install-dev
	rm -rf mutants
	$(TEST_ENV) $(VENV)/bin/mutmut run --max-children $(MUTMUT_CHILDREN)
	$(VENV)/bin/mutmut results

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrate: install
	DEBUG=1 $(MANAGE) migrate --noinput

demo: install
	DEBUG=1 $(MANAGE) load_demo

# Extract and compile translations (needs GNU gettext). The compiled .mo files are committed,
# so a machine without gettext still runs in both languages.
messages: install-dev
	DEBUG=1 $(MANAGE) makemessages -l en --no-obsolete --ignore=.venv --ignore=var --ignore=tests --ignore=bench --ignore=faults
	DEBUG=1 $(MANAGE) compilemessages --ignore=.venv

clean:
	rm -rf var/broker var/cache var/celerybeat-schedule*

# Screenshots of the main screens for the README, from a throw-away server with the demo data.
screenshots: install-dev browser
	@rm -rf var/screenshots && mkdir -p var/screenshots
	GOVSERVICE_VAR_DIR=$(CURDIR)/var/screenshots DEBUG=1 $(MANAGE) migrate --noinput -v0
	GOVSERVICE_VAR_DIR=$(CURDIR)/var/screenshots DEBUG=1 $(MANAGE) load_demo --quiet-progress >/dev/null
	@GOVSERVICE_VAR_DIR=$(CURDIR)/var/screenshots DEBUG=1 $(MANAGE) runserver 127.0.0.1:8001 --noreload >var/screenshots/server.log 2>&1 & \
	  pid=$$!; sleep 4; GOVSERVICE_VAR_DIR=$(CURDIR)/var/screenshots DEBUG=1 BASE_URL=http://127.0.0.1:8001 $(PY) scripts/screenshots.py; status=$$?; kill $$pid; exit $$status

## make bench: seed PostgreSQL, serve with gunicorn + a Celery worker on Redis, load with wrk on loopback;
## writes bench/results/*.json and docs/benchmarks.md. Sizes: make bench BENCH_ARGS="--evaluations 1000000 ..."
BENCH_ARGS ?=
.PHONY: bench faults
bench: install-dev
	$(PY) bench/run.py $(BENCH_ARGS)

## make faults: start the real stack and break it (kill -9 worker, Redis restart, PostgreSQL restart and backends
## terminated, two beats, visibility time-out); counts lost/doubled messages; writes docs/reliability.md.
FAULTS_ARGS ?=
faults: install-dev
	$(PY) faults/run.py $(FAULTS_ARGS)
