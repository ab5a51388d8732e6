# Forge warehouse. `make help` lists the targets. Everything installs into .venv/ (uv, pinned
# by uv.lock); the only prerequisites are Python 3.11+ and make.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
BIN := .venv/bin
DBT_DIR := dbt_project
MANIFEST := $(DBT_DIR)/target/manifest.json
DBT_SOURCES := $(shell find $(DBT_DIR) -path $(DBT_DIR)/target -prune -o \( -name '*.sql' -o -name '*.yml' -o -name '*.md' \) -print 2>/dev/null)

# The embedded Postgres sqlfluff's dbt templater compiles against (see the lint target)
LINT_HOME := $(CURDIR)/.warehouse/lint
LINT_DB := FORGE_PG_HOST=$(LINT_HOME)/pgdata FORGE_PG_USER=postgres FORGE_PG_DBNAME=forge

export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export UV_PYTHON_DOWNLOADS := never

.PHONY: help install browser demo docs test test-newcomer test-unit test-integration lint fmt dev dagster-dev dbt-build clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

install: .venv/.installed $(MANIFEST) ## Create .venv with every dependency and the forge-warehouse command

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.installed: pyproject.toml uv.lock | $(UV)
	@echo "Installing the pinned dependencies into .venv/ (uv.lock; quiet unless something fails)"
	$(UV) sync --quiet --frozen --compile-bytecode --python $(PYTHON)
	@touch $@

# Dagster imports the dbt manifest; it is built here, once per change, not on every import.
# Then the parse state the nightly's dbt steps will ask for on the warehouse they will use
# (WAREHOUSE_DSN, else the embedded one), so that the first refresh does not parse it all again.
$(MANIFEST): .venv/.installed $(DBT_SOURCES)
	cd $(DBT_DIR) && FORGE_PG_HOST=localhost FORGE_PG_USER=parse FORGE_PG_DBNAME=parse \
		../$(BIN)/dbt parse --profiles-dir . --quiet
	$(BIN)/python -m cli.install_parse
	@touch $@

# The HTML report's test drives the system Chromium (never a downloaded browser).
browser: ## Install the system Chromium the report test drives (Debian/Ubuntu, as root)
	@command -v chromium >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

demo: install ## Run the nightly refresh on demo data (embedded Postgres unless WAREHOUSE_DSN)
	$(BIN)/forge-warehouse demo

# pytest-xdist: a worker per core (at most 4), each with its own test database; a module stays
# on one worker (the modules of tests/integration/built/ together: tests/conftest.py's
# scheduler), and modules are handed out in the order tests/conftest.py sorts them.
# PYTEST_WORKERS=0 runs everything in this one process.
PYTEST_WORKERS ?= auto
PARALLEL := -n $(PYTEST_WORKERS) --maxprocesses 4 --dist loadfile --no-loadscope-reorder

test: install browser ## Run the whole test suite (unit and integration, real Postgres, dbt, Dagster)
	$(BIN)/pytest $(PARALLEL) -m "(integration or not integration) and not newcomer"

test-newcomer: install browser ## The slow tier: a fresh clone's first hour, as the README words it
	$(BIN)/pytest -m newcomer

test-unit: install ## Only the fast tier: no database
	$(BIN)/pytest $(PARALLEL) -m "not integration and not newcomer"

test-integration: install browser ## Only the tests that need Postgres
	$(BIN)/pytest $(PARALLEL) -m integration

# sqlfluff's rules are in pyproject.toml. Its dbt templater connects to a database even when
# nothing needs data, so models and tests compile against a throwaway embedded Postgres;
# macros only define Jinja (no SQL at their top level to indent); the rest is plain SQL.
lint: install ## ruff, formatting, mypy --strict, and sqlfluff over every SQL file
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	FORGE_HOME=$(LINT_HOME) $(BIN)/forge-warehouse db up >/dev/null
	$(LINT_DB) $(BIN)/sqlfluff lint --templater dbt $(DBT_DIR)/models $(DBT_DIR)/tests/singular
	$(BIN)/sqlfluff lint --templater jinja --exclude-rules layout.indent $(DBT_DIR)/macros \
		$(DBT_DIR)/tests/generic
	$(BIN)/sqlfluff lint sql analytics/sql orchestration_dagster/defs/watch/sql

fmt: install ## Format and fix what ruff can
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

DOCS_PORT ?= 8080

docs: install ## Build the dbt docs site of the warehouse and serve it on http://127.0.0.1:8080
	$(BIN)/forge-warehouse docs --port $(DOCS_PORT)

dbt-build: install ## dbt build against the warehouse
	$(BIN)/forge-warehouse build

# Dagster's instance (runs, schedules, sensors' cursors) lives in DAGSTER_HOME, project-local
# by default; a new one starts from orchestration_dagster/dagster.yaml (run queue, pools).
DAGSTER_HOME ?= $(CURDIR)/.dagster
DAGSTER_PORT ?= 3000

dev: install ## Start the Dagster UI on http://127.0.0.1:3000 (another port: DAGSTER_PORT=N)
	mkdir -p $(DAGSTER_HOME)
	test -f $(DAGSTER_HOME)/dagster.yaml || cp orchestration_dagster/dagster.yaml $(DAGSTER_HOME)/
	DAGSTER_HOME=$(DAGSTER_HOME) PATH=$(CURDIR)/$(BIN):$$PATH \
		exec $(BIN)/dagster dev -m orchestration_dagster.definitions -h 127.0.0.1 -p $(DAGSTER_PORT)

dagster-dev: dev ## Same as dev

clean: ## Stop the embedded Postgres and remove build output (keeps .venv)
	-$(BIN)/forge-warehouse db down
	rm -rf $(DBT_DIR)/target $(DBT_DIR)/logs .pytest_cache .mypy_cache .ruff_cache
