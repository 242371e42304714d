# Planungswerkstatt — common tasks. `make help` lists them.
PY ?= .venv/bin/python
LOCALES := $(notdir $(wildcard workshop/locale/*))

.PHONY: help install run test test-fast e2e lint format extract catalogs demo bench

help:  ## Show this help
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

install:  ## Create .venv and install the app and test dependencies
	python3 -m venv .venv && .venv/bin/pip install -q -r requirements-dev.txt

run:  ## Start the app on http://localhost:8501 (demo workshop on an empty database)
	.venv/bin/streamlit run app.py

test:  ## Run every test (unit, integration, AppTest, browser)
	bash scripts/test.sh

test-fast:  ## Run the tests without the browser tests
	$(PY) -m pytest -m "not e2e" -q

e2e:  ## Run only the browser tests
	$(PY) -m pytest -m e2e -q

lint:  ## ruff check and format check
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

format:  ## ruff format and autofix
	.venv/bin/ruff check --fix . && .venv/bin/ruff format .

extract:  ## Extract msgids into the template and update every catalog
	.venv/bin/pybabel extract -F babel.cfg -k N_ -k NP_:1,2 -k _ -k ngettext:1,2 --no-location --sort-output \
	  -o workshop/locale/messages.pot app.py app_pages ui workshop
	$(PY) scripts/i18n.py update
	$(PY) scripts/i18n.py fill-en

i18n-check:  ## List missing, fuzzy or placeholder-mismatched translations
	$(PY) scripts/i18n.py check

catalogs:  ## Compile the .po catalogs to .mo (done in memory at start-up when missing)
	$(PY) -c "from workshop.i18n import compile_catalogs; print(*compile_catalogs(), sep='\n')"

demo:  ## Reset the demo workshop in the database
	$(PY) -m workshop demo --reset

bench:  ## Run the load benchmark (see BENCHMARKS.md)
	$(PY) -m bench.load --help
