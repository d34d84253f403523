# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app trainer
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))
AXE := tests/e2e/axe/node_modules/axe-core/axe.min.js

.PHONY: run test lint bench bench-instructions load translations extract-messages chromium db clean

# `make run PORT=8080` serves on another port.
PORT ?= 5000
LOAD_DB ?= sqlite

run: $(VENV)/.installed $(CATALOGUES) db
	@[ -n "$$TRAINER_MAIL_SERVER" ] || echo "Note: TRAINER_MAIL_SERVER is not set: no email is sent; each message goes to the log and to instance/outbox/ as an .eml file (README.md, Configuration)."
	@[ -n "$$TRAINER_ORGANISATION" ] && [ -n "$$TRAINER_CERTIFICATE_SIGNATURE" ] || echo \
		"Note: set TRAINER_ORGANISATION and TRAINER_CERTIFICATE_SIGNATURE (README.md, Configuration); until both are set, certificates may print the placeholder organisation \"Trainer\" or an empty signatory line."
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

db: $(VENV)/.installed
	$(FLASK) db upgrade
	-$(FLASK) modules sync
	$(FLASK) demo

test: $(VENV)/.installed $(CATALOGUES) chromium $(AXE)
	bash scripts/test.sh

# Trainer's pages against two bare Flask baselines (hello, and the lesson HTML through Jinja)
# under the same gunicorn settings, on SQLite and PostgreSQL, in one run (bench/run.py).
# `make bench BENCH_ARGS="--seconds 5 --database sqlite"`; --write appends to bench/RESULTS.md.
bench: $(VENV)/.installed $(CATALOGUES)
	@command -v wrk >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Instructions per request, counted by callgrind in process (bench/instructions.py): a page's cost
# that holds still on a busy machine. `make bench-instructions BENCH_ARGS="--compare HEAD~3"`.
bench-instructions: $(VENV)/.installed $(CATALOGUES)
	@command -v valgrind >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq valgrind >/dev/null; }
	$(BIN)/python bench/instructions.py $(BENCH_ARGS)

# locust against gunicorn on a throwaway demo database (load/run.sh); writes bench/LOAD.md.
# `make load LOAD_DB=postgresql` for PostgreSQL; LOAD_USERS, LOAD_SPAWN_RATE, LOAD_TIME too.
load: $(VENV)/.installed $(CATALOGUES)
	LOAD_DB=$(LOAD_DB) bash load/run.sh

lint: $(VENV)/.installed
	$(BIN)/ruff check .

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

translations: $(CATALOGUES)

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

# Refresh the template and the catalogues after changing UI strings; then translate.
extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location \
		-o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching

# Browser tests drive Debian's Chromium (Playwright never downloads a browser here); the
# certificate tests read PDFs back with poppler's pdftotext and pdffonts; the sign-in throttling
# tests start a throwaway redis-server, the store several workers share; zbarimg reads the
# certificate's QR code back.
chromium:
	@{ command -v chromium && command -v pdftotext && command -v redis-server && command -v zbarimg; } >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium poppler-utils \
			redis-server zbar-tools >/dev/null; }

# axe-core, the accessibility checker the browser tests inject into Chromium: the version
# pinned in tests/e2e/axe/package-lock.json, from the npm registry (Debian's npm if missing).
$(AXE): tests/e2e/axe/package.json tests/e2e/axe/package-lock.json
	@command -v npm >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm >/dev/null; }
	npm ci --prefix tests/e2e/axe --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf $(VENV) instance/trainer.db* translations/*/LC_MESSAGES/*.mo tests/e2e/axe/node_modules
