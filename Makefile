# Two entry points: `make demo` and `make test`. Both bootstrap .venv with the system
# python3 when it is missing and (re)install when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_WORKERS ?= 2

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,distributed]'
	@# An editable install leaves the sources uncompiled; where PYTHONDONTWRITEBYTECODE is set
	@# every command would compile them again (~0.2 s). Stale files are simply recompiled.
	$(BIN)/python -m compileall -q src
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/nctransport demo --out demo-output

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) tests src/nctransport
	$(BIN)/python -m pytest -q --doctest-glob='*.md' README.md docs/python.md

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples

# Every benchmark prints its ratio lines; all run even when one misses its target.
bench: $(STAMP)
	@$(BIN)/python -m compileall -q src  # sources edited since the install: time them compiled
	@status=0; for f in benchmarks/startup.py $$(ls benchmarks/*.py | grep -v startup.py); do \
		echo "== $$f"; $(BIN)/python $$f || status=1; done; exit $$status

clean:
	rm -rf $(VENV) demo-output build dist src/*.egg-info
