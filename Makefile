# hainan_window: everyday commands. `make` (or `make help`) lists them.
#
# Targets document themselves: a `## text` comment after the target name is
# its line in `make help`.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# Python used only to create the venv; everything else uses the venv's.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Extra pytest arguments, e.g. make test-sqlite PYTEST_ARGS="-k permits -x"
PYTEST_ARGS ?=

# Section header for long targets: $(call section,text)
section = @printf '\n==== %s ====\n' '$(1)'

.PHONY: help venv sysdeps messages migrate run lint openapi test-sqlite test-postgres test bench mutation clean

help: ## list the targets
	@echo "usage: make <target>"
	@echo
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) \
	  | awk 'BEGIN {FS = ":.*## "} {printf "  %-14s %s\n", $$1, $$2}'

venv: $(STAMP) ## create .venv and install the project with dev tools (re-runs when pyproject.toml changes)
	@:

$(STAMP): pyproject.toml
	@if [ ! -x $(PY) ]; then \
	  echo "venv: creating $(VENV) with $(PYTHON)"; \
	  $(PYTHON) -m venv $(VENV); \
	fi
	@echo "venv: installing the project and dev tools: pip install -e '.[dev]'"
	$(PY) -m pip install --disable-pip-version-check -q -e '.[dev]'
	@touch $@
	@echo "venv: ready"

sysdeps: ## check system packages (PostgreSQL, Pango, CJK font); as root, install missing ones
	@bin/sysdeps

migrate: venv ## apply database migrations
	$(PY) manage.py migrate --noinput

# The demo signs permits with var/permit_signing_key.pem, made on first run;
# a deployment sets PERMIT_SIGNING_KEY(_FILE) instead. seed_demo makes the
# demo's history once (300 applications over six months, through the real
# engine on a simulated clock) and the demo applications' permit PDFs, and
# prints the demo users last. Mail goes to files in var/mail, not the console.
# Alongside the server, background_sweep runs every 30 s (as cron would in a
# deployment): it fires due SLA timers (escalations), makes the history's
# permit PDFs and delivers mail; its output goes to var/sweep.log, and it
# stops with the server. PORT=8106 make run serves on another port (the QR
# codes then point there too, unless PERMIT_PUBLIC_BASE_URL is set). Officials'
# second factor (on by default, as in production) is off for the demo, unless
# OFFICIAL_SECOND_FACTOR=true is given: officials then set up an app at first login.
PORT ?= 8000
run: export EMAIL_BACKEND ?= django.core.mail.backends.filebased.EmailBackend
run: export EMAIL_FILE_PATH ?= var/mail
run: export PERMIT_PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
run: export DJANGO_RUNSERVER_HIDE_WARNING := true
run: export OFFICIAL_SECOND_FACTOR ?= false
run: venv sysdeps messages ## migrate, seed the demo and its history, serve http://127.0.0.1:8000 with the timer sweep
	@mkdir -p var/mail
	$(PY) manage.py migrate --noinput
	$(PY) manage.py permit_keys --generate-if-missing
	$(PY) manage.py seed_demo
	@job=; (trap 'kill $$job 2>/dev/null; exit 0' TERM; \
	  while :; do \
	    $(PY) manage.py background_sweep --limit 25 >>var/sweep.log 2>&1 & job=$$!; \
	    wait $$job || true; \
	    sleep 30 & job=$$!; wait $$job; \
	  done) & sweep=$$!; \
	trap 'kill $$sweep 2>/dev/null' EXIT; \
	$(PY) manage.py runserver --skip-checks 127.0.0.1:$(PORT)

# The Chinese translation is compiled from locale/*.po; the .mo is a build product.
messages: venv ## compile the translations (zh-hans)
	@if ls locale/*/LC_MESSAGES/django.po >/dev/null 2>&1; then \
	  $(PY) manage.py compilemessages --ignore=.venv --ignore=var -v 0; \
	  echo "messages: compiled"; \
	fi

lint: venv ## ruff, the import layers (no cycle), the migrations check, and openapi.yaml valid and up to date
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) manage.py makemigrations --check --dry-run
	@$(PY) manage.py spectacular --lang en --validate --fail-on-warn --file $(VENV)/openapi.yaml
	@if ! diff -u openapi.yaml $(VENV)/openapi.yaml >$(VENV)/openapi.diff; then \
	  head -40 $(VENV)/openapi.diff; \
	  echo "lint: openapi.yaml is out of date with the API (diff above): run 'make openapi' and commit it"; \
	  exit 1; \
	fi
	@echo "lint: openapi.yaml is valid and up to date"

# The committed schema: what API clients generate their code from.
openapi: venv ## regenerate openapi.yaml from the API (drf-spectacular), validated
	$(PY) manage.py spectacular --lang en --validate --fail-on-warn --file openapi.yaml

# The SQLite run must not pick up a DATABASE_URL (or the PostgreSQL-only
# switch) from the caller's environment. One process: pytest-xdist's -n 2 was
# measured slower on these 2 cores (2026-12-01: 980 s against 327-336 s
# serial), and its contention pushed two wall-clock PDF budgets over.
test-sqlite: venv ## run the test suite on SQLite
	env -u DATABASE_URL -u HW_REQUIRE_POSTGRES $(PY) -m pytest $(PYTEST_ARGS)

# devtools/postgres.py starts a throwaway server, sets DATABASE_URL for pytest,
# and exits 3 if no server can be started. HW_REQUIRE_POSTGRES=1 makes the
# postgres_only tests run (and fail) instead of skipping.
test-postgres: venv ## run the test suite on a throwaway real PostgreSQL started for the run
	HW_REQUIRE_POSTGRES=1 $(PY) -m devtools.postgres -- $(PY) -m pytest $(PYTEST_ARGS)

# Stops at the first failing step. pytest's exit status 5 ("no tests
# collected") is non-zero and therefore a failure here too.
test: venv sysdeps messages ## everything CI runs: lint, then the suite on SQLite, then on PostgreSQL
	$(call section,lint: ruff; import layers; migrations and schema checks)
	@$(MAKE) lint
	$(call section,tests on SQLite)
	@$(MAKE) test-sqlite
	$(call section,tests on PostgreSQL (throwaway server))
	@$(MAKE) test-postgres
	$(call section,all passed)

# bench/run_all.py runs every bench/bench_*.py (each starts its own throwaway
# databases), shows their progress, prints one table of ratios against their
# yardsticks and keeps it in bench/RESULTS.md; non-zero if any failed.
# BENCH_QUICK=1 make bench: smaller sizes, to check that everything runs.
bench: venv ## run every benchmark: one table of ratios, kept in bench/RESULTS.md (BENCH_QUICK=1: smaller)
	$(PY) bench/run_all.py

# On demand only, never in CI: mutmut mutates one module and runs each mutant
# against the tests that reach it (bin/mutation maps modules to test files).
# FUNCTIONS="f g" limits it to some functions; docs/mutation.md has the scores.
MODULE ?=
FUNCTIONS ?=
mutation: venv ## mutation-test one module: make mutation MODULE=approvals/identifiers/uscc.py
	MODULE='$(MODULE)' FUNCTIONS='$(FUNCTIONS)' $(PY) bin/mutation

clean: ## remove .venv, var/, db.sqlite3 and caches
	rm -rf $(VENV) var db.sqlite3 .pytest_cache .ruff_cache *.egg-info
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
