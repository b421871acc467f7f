# Storyline: `make demo` (set up + run the pipeline offline on the demo site), `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint typecheck schemas check-schemas constraints clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/storyline demo

# Lint, types, architecture contracts, schema drift, then every test. Services the tests need (PostgreSQL)
# are found through STORYLINE_TEST_POSTGRES_URL, which .ci/run sets after starting them.
test: $(STAMP)
	$(BIN)/ruff check src tests bench dags workers
	$(BIN)/ruff format --check src tests bench dags workers
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench dags workers
	$(BIN)/ruff format --check src tests bench dags workers

typecheck: $(STAMP)
	$(BIN)/mypy

schemas: $(STAMP)
	$(BIN)/storyline schemas --out schemas

check-schemas: $(STAMP)
	$(BIN)/storyline schemas --out schemas --check

# The image's pins (infra/docker/Dockerfile): what the dev install resolved and the tests passed with.
constraints: $(STAMP)
	{ echo "# Versions the image installs: the environment the test suite passed in (pip freeze of the dev install,"; \
	  echo "# Python 3.11), Airflow's pins included. Regenerate with: make constraints"; \
	  $(BIN)/python -m pip freeze --exclude-editable; } > infra/docker/constraints.txt

clean:
	rm -rf .storyline .pytest_cache .mypy_cache .ruff_cache
