# The two commands of the quick start: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test lint format clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(VENV)/.installed
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	$(PY) run.py serve

# The whole suite on SQLite, then again on PostgreSQL when TEST_DATABASE_URL names one; each
# pass spread over $(TEST_WORKERS) processes (pytest-xdist, a test file per worker at a time;
# each worker has its own PostgreSQL database).
TEST_WORKERS ?= 2
test: $(VENV)/.installed-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	TEST_STORE=sqlite $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== the suite again on PostgreSQL ($$TEST_DATABASE_URL)"; \
		TEST_STORE=postgres $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not browser"; \
	fi

lint: $(VENV)/.installed-dev
	$(PY) -m ruff check .

format: $(VENV)/.installed-dev
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

clean:
	rm -rf var .pytest_cache .ruff_cache
