# Shuzhi — the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/shuzhi
SQLITE_TEST_URL ?= sqlite:///var/test-smoke.sqlite3

.PHONY: demo serve test lint test-pg test-sqlite browser-deps install install-test bench clean

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv

$(VENV)/.base-installed: requirements/base.lock | $(BIN)/uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements/base.lock
	touch $@

$(VENV)/.test-installed: requirements/test.lock | $(BIN)/uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements/test.lock
	touch $@ $(VENV)/.base-installed

install: $(VENV)/.base-installed
install-test: $(VENV)/.test-installed

## demo: install, migrate the SQLite database under var/, load the demo once, serve and print logins.
# The demo runs with debug pages off (shuzhi/settings/demo.py): people see the product's 404/500.
demo: export DJANGO_SETTINGS_MODULE ?= shuzhi.settings.demo
demo: install
	mkdir -p var
	$(BIN)/python manage.py migrate --no-input -v0
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python manage.py demo_logins --url http://$(HOST):$(PORT)/
	$(BIN)/python manage.py db_worker --interval 1 --no-reload >var/worker.log 2>&1 & \
	  trap 'kill $$! 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/python manage.py runserver --noreload $(HOST):$(PORT)

## test: lint, then the whole suite on PostgreSQL and again on SQLite.
test: install-test browser-deps lint test-pg test-sqlite

lint: install-test
	mkdir -p var
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_SETTINGS_MODULE=shuzhi.settings.test $(BIN)/mypy shuzhi
	$(BIN)/lint-imports --no-cache
	DJANGO_SETTINGS_MODULE=shuzhi.settings.test DATABASE_URL=$(SQLITE_TEST_URL) $(BIN)/python manage.py check
	DJANGO_SETTINGS_MODULE=shuzhi.settings.test DATABASE_URL=$(SQLITE_TEST_URL) $(BIN)/python manage.py makemigrations --check --dry-run
	SECRET_KEY=$$(head -c 48 /dev/urandom | base64) ALLOWED_HOSTS=shuzhi.example DATABASE_URL=$(PG_URL) \
	  DJANGO_SETTINGS_MODULE=shuzhi.settings.prod $(BIN)/python manage.py check --deploy --fail-level WARNING

test-pg: install-test
	DATABASE_URL=$(PG_URL) $(BIN)/pytest -q

test-sqlite: install-test
	mkdir -p var
	DATABASE_URL=$(SQLITE_TEST_URL) $(BIN)/pytest -q

## browser-deps: Debian's Chromium, CJK fonts (the PDF slips embed WenQuanYi Zen Hei) and
## pdftotext for the browser and document tests, pg_dump/pg_restore for the backup rehearsal
## (Debian's postgresql-client must match the server's major version; installs as root, once).
SYSTEM_DEPS := /usr/bin/chromium /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc /usr/bin/pdftotext \
               /usr/bin/pg_dump
browser-deps:
	@missing=0; for f in $(SYSTEM_DEPS); do [ -e $$f ] || missing=1; done; \
	if [ $$missing = 1 ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk fonts-wqy-zenhei poppler-utils postgresql-client >/dev/null; \
	  else echo "Tests need Debian packages: sudo apt-get install chromium fonts-noto-cjk fonts-wqy-zenhei poppler-utils postgresql-client"; fi; \
	fi

clean:
	rm -rf $(VENV) var/static
