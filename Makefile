# Everyday commands. `make demo` and `make test` are the README's quick start.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install keys migrate serve lint types check bench clean

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null 2>&1 || { echo "需要 Python 3.11 (set PY=/path/to/python3.11)"; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

keys: install
	$(BIN)/python -m config.keyfile

migrate: keys
	$(BIN)/python manage.py migrate --no-input

demo: migrate
	$(BIN)/python manage.py demo

serve: migrate
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: install
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: install
	$(BIN)/mypy realname config

check: install
	$(BIN)/python manage.py makemigrations --check --dry-run

bench: install
	$(BIN)/python -m bench.import_workers

clean:
	rm -rf $(VENV) var/*.sqlite3*
