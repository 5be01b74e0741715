# Task runner. `make run` serves the chat; `make test` runs the whole suite;
# `make bench` runs the load benchmark (bench/README.md), e.g. make bench ARGS="--quick".
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
BENCH_STAMP := $(VENV)/.installed-bench
ARGS ?=
# Test processes (pytest-xdist): two share this 2-core machine's waits (the suite mostly
# waits on servers and browsers); whole files go to one process, so module fixtures start
# once. TEST_WORKERS=0 runs everything in this process.
TEST_WORKERS ?= 2

# The languages besides English that `make messages` keeps translation files for (locale/).
LOCALES ?= zh_Hans
MESSAGES_IGNORE := --ignore=.venv --ignore=tests --ignore=bench --ignore=docs --ignore=staticfiles --ignore=test-artifacts

.PHONY: run test lint format migrate clean bench screenshots messages

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

$(BENCH_STAMP): $(STAMP) requirements-bench.txt
	$(BIN)/pip install --quiet -r requirements-bench.txt
	touch $(BENCH_STAMP)

migrate: $(STAMP)
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput

run: migrate
	DJANGO_DEBUG=1 $(BIN)/python manage.py seed_demo --base-url http://$(HOST):$(PORT)
	DJANGO_DEBUG=1 $(BIN)/python -m chatsite.server --host $(HOST) --port $(PORT)

test: $(STAMP)
	DATABASE_URL= $(BIN)/python manage.py makemigrations --check --dry-run --settings=tests.settings
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --cov --cov-report=term

# The main screens, as the browser tests take them, into docs/screenshots/ (the README shows them).
screenshots: $(STAMP)
	CHAT_SCREENSHOTS_DIR=docs/screenshots $(BIN)/pytest tests/browser/test_screenshots_browser.py --no-cov -q

# The translation files: every string marked in the code, the templates (django.po) and the
# browser client (djangojs.po) merged into locale/<language>/, then compiled into the .mo files
# the server reads (committed, so that running the chat needs no gettext tools). Needs GNU
# gettext (Debian: apt-get install gettext). Translate what is new or fuzzy, then run it again;
# tests/test_translations.py says what is missing.
messages: $(STAMP)
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemessages $(foreach l,$(LOCALES),-l $(l)) -d django \
		--no-obsolete --no-wrap --add-location=file $(MESSAGES_IGNORE)
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemessages $(foreach l,$(LOCALES),-l $(l)) -d djangojs \
		--no-obsolete --no-wrap --add-location=file $(MESSAGES_IGNORE)
	DJANGO_DEBUG=1 $(BIN)/python manage.py compilemessages $(foreach l,$(LOCALES),-l $(l)) $(MESSAGES_IGNORE)

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis .coverage staticfiles
