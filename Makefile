# OpenIPT developer commands. The two that matter:
#   make demo   set up, seed the fictional Demo Health organisation, serve on 127.0.0.1:8000
#   make test   set up, then lint, type-check, check migrations and run every test
# Both need only Python 3.11 on a Debian machine; `make help` lists the rest.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Rebuilt (and the dependencies reinstalled) only when the lock or pyproject change.
STAMP := $(VENV)/.openipt-installed
CHROMIUM := /usr/bin/chromium
# axe-core (accessibility rules) for the browser tests, from the npm registry
# into a project-local, git-ignored directory; the stamp names the version so
# that changing it reinstalls.
AXE_VERSION := 4.14.1
AXE_DIR := var/node
AXE_STAMP := $(AXE_DIR)/.axe-core-$(AXE_VERSION)

# The demo keeps its own database and static root under var/demo, and its
# encryption key beside (not inside) that directory, as a real install should.
DEMO_DATA_DIR ?= $(CURDIR)/var/demo
DEMO_KEY_FILE ?= $(CURDIR)/var/demo-encryption.key
DEMO_ADDR ?= 127.0.0.1:8000
# Empty: SQLite in DEMO_DATA_DIR. A DATABASE_URL from the caller's shell is
# deliberately ignored so the demo can never seed someone's real database.
DEMO_DATABASE_URL ?=
DEMO_ENV := env OPENIPT_DEMO=1 OPENIPT_DATA_DIR=$(DEMO_DATA_DIR) \
	OPENIPT_ENCRYPTION_KEY_FILE=$(DEMO_KEY_FILE) DATABASE_URL=$(DEMO_DATABASE_URL)

# mypy's django-stubs plugin and makemigrations import openipt.settings, which
# (rightly) refuses to start without secrets unless debug mode is on. These
# runs touch no real data: their SQLite file lives in var/check.
CHECK_ENV := env -u DATABASE_URL OPENIPT_DEBUG=1 OPENIPT_DATA_DIR=$(CURDIR)/var/check

# PostgreSQL run of the suite, e.g. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/openipt
# (Django creates and drops test_<name> beside it).
TEST_DATABASE_URL ?=
PYTEST_ARGS ?=

.PHONY: help setup chromium pdf-libs pdf-tools gettext demo demo-codes demo-reset migrate lint format typecheck \
	migrations-check messages axe test test-sqlite test-postgres clean

help: ## List the commands
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  make %-18s %s\n", $$1, $$2}'

$(BIN)/python:
	bash scripts/ensure-venv $(PYTHON) $(VENV)

$(STAMP): requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check --quiet -r requirements.lock
	$(BIN)/python -m pip install --disable-pip-version-check --quiet --no-deps -e .
	touch $@

setup: $(STAMP) ## Create .venv and install the locked dependencies (only when they change)

chromium: ## Install Debian's chromium for the browser tests if it is missing
	@test -x $(CHROMIUM) || bash scripts/apt-install chromium

# WeasyPrint (PDF reports) needs Pango; the tests read PDFs back with poppler's
# pdftotext and render their pages to PNG with pdftoppm.
pdf-libs: ## Install Pango for the PDF reports if it is missing
	@ldconfig -p | grep -q libpangoft2-1.0.so.0 || \
		bash scripts/apt-install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core

pdf-tools: pdf-libs ## Install poppler-utils (pdftotext, pdftoppm) for the report tests
	@command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null || \
		bash scripts/apt-install poppler-utils

# A test checks that the Spanish catalogue holds every marked string (xgettext).
gettext: ## Install gettext (makemessages, and the catalogue test) if it is missing
	@command -v xgettext >/dev/null && command -v msgfmt >/dev/null || \
		bash scripts/apt-install gettext

$(AXE_STAMP):
	@command -v npm >/dev/null || bash scripts/apt-install npm
	npm install --prefix $(AXE_DIR) --no-save --no-audit --no-fund --loglevel=error \
		axe-core@$(AXE_VERSION)
	touch $@

axe: $(AXE_STAMP) ## Install axe-core for the browser tests' accessibility checks (var/node)

# Made once and never replaced: a new key would make the demo's encrypted text
# unreadable, so a database without its key is an error (see demo-reset).
$(DEMO_KEY_FILE): | $(STAMP)
	@if [ -e "$(DEMO_DATA_DIR)/openipt.sqlite3" ]; then \
		echo "$(DEMO_DATA_DIR) has a database but its key $@ is gone; run 'make demo-reset'." >&2; \
		exit 1; \
	fi
	mkdir -p $(dir $@)
	umask 077 && $(BIN)/python -c \
		'from openipt.core.crypto import generate_key; print(generate_key())' > $@.tmp
	chmod 600 $@.tmp
	mv $@.tmp $@

migrate: $(STAMP) $(DEMO_KEY_FILE) pdf-libs ## Apply migrations to the demo database
	mkdir -p $(DEMO_DATA_DIR)/static
	$(DEMO_ENV) $(BIN)/python manage.py migrate --no-input

demo: migrate ## Seed Demo Health (idempotent), print the logins, serve on 127.0.0.1:8000 with a worker
	$(DEMO_ENV) $(BIN)/python manage.py seed_demo
	@echo "Serving the demo on http://$(DEMO_ADDR)/ with its background worker (Ctrl-C stops both)."
	$(DEMO_ENV) $(BIN)/python manage.py db_worker --no-startup-delay --interval 2 & \
		worker=$$!; trap 'kill $$worker 2>/dev/null || true' EXIT INT TERM; \
		$(DEMO_ENV) $(BIN)/python manage.py runserver --noreload $(DEMO_ADDR)

demo-codes: $(STAMP) $(DEMO_KEY_FILE) ## Print the current demo authenticator codes
	@$(DEMO_ENV) $(BIN)/python manage.py demo_codes

demo-reset: ## Delete the demo database and its key (the next `make demo` starts afresh)
	rm -rf $(DEMO_DATA_DIR) $(DEMO_KEY_FILE)

lint: $(STAMP) ## ruff (lint and format check) and mypy --strict
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) --no-print-directory typecheck

typecheck: $(STAMP)
	$(CHECK_ENV) $(BIN)/mypy src tests

format: $(STAMP) ## Apply ruff's formatting and safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrations-check: $(STAMP) ## Fail if a model change has no migration
	$(CHECK_ENV) OPENIPT_ENCRYPTION_KEYS="$$($(BIN)/python -c \
		'from openipt.core.crypto import generate_key; print(generate_key())')" \
		$(BIN)/python manage.py makemigrations --check --dry-run

# The translation catalogues (src/openipt/locale). Run after marking new
# strings, translate the new entries in the .po file, run again, and commit
# both the .po and the compiled .mo: the suite and the app need no gettext.
# (Like migrations-check, it only needs settings to load: a throw-away key.)
MESSAGES_ENV = $(CHECK_ENV) OPENIPT_ENCRYPTION_KEYS="$$($(CURDIR)/$(BIN)/python -c \
	'from openipt.core.crypto import generate_key; print(generate_key())')"
messages: $(STAMP) gettext ## Update the Spanish catalogue from the code and compile it (installs gettext)
	cd src/openipt && $(MESSAGES_ENV) $(CURDIR)/$(BIN)/python $(CURDIR)/manage.py makemessages \
		--locale es --add-location file --no-obsolete --ignore 'static/*'
	cd src/openipt && $(MESSAGES_ENV) $(CURDIR)/$(BIN)/python $(CURDIR)/manage.py compilemessages \
		--locale es

# Browser tests must run, never skip: OPENIPT_REQUIRE_BROWSER turns a missing
# chromium into a failure.
test-sqlite: $(STAMP) chromium axe pdf-tools gettext
	env -u DATABASE_URL OPENIPT_REQUIRE_BROWSER=1 $(BIN)/pytest $(PYTEST_ARGS)

# Its own data directory, so that it can run beside the SQLite run (make test
# runs both at once): attachments, subprocess databases and keys stay apart.
test-postgres: $(STAMP) chromium axe pdf-tools gettext
	@if [ -z "$(TEST_DATABASE_URL)" ]; then echo "TEST_DATABASE_URL is not set." >&2; exit 1; fi
	env DATABASE_URL='$(TEST_DATABASE_URL)' OPENIPT_REQUIRE_BROWSER=1 \
		OPENIPT_DATA_DIR="$${OPENIPT_DATA_DIR:-$${TMPDIR:-/tmp}/openipt-tests}/postgres" \
		$(BIN)/pytest $(PYTEST_ARGS)

test: $(STAMP) chromium axe pdf-tools gettext ## Lint, type-check, check migrations, pytest on SQLite (and PostgreSQL if TEST_DATABASE_URL)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) --no-print-directory typecheck
	$(MAKE) --no-print-directory migrations-check
	@# With a PostgreSQL server, both databases are tested at once (one per
	@# core); each run's output is printed in one piece when it finishes.
	@if [ -n "$(TEST_DATABASE_URL)" ]; then \
		$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres; \
	else \
		$(MAKE) --no-print-directory test-sqlite; \
		echo "TEST_DATABASE_URL not given: the PostgreSQL run was skipped."; \
	fi

clean: ## Remove caches and test artefacts (keeps .venv and var/)
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis test-artifacts var/check build dist
	find src tests -name __pycache__ -type d -prune -exec rm -rf {} +
