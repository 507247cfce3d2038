# The same commands for people and for CI. Each target sets itself up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo lab test lint jscheck typecheck unit notebooks book bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# The widgets' type checker (TypeScript, checking JSDoc in plain ES modules).
WIDGETS_STAMP := widgets/node_modules/.installed

$(WIDGETS_STAMP): widgets/package.json widgets/package-lock.json
	cd widgets && npm ci --no-audit --no-fund --silent
	touch $(WIDGETS_STAMP)

# A live tutorial world in the browser: prints the page's URL, Ctrl-C stops.
demo: $(STAMP)
	$(BIN)/stdb demo

# The tutorial in JupyterLab, opened on the chapters' folder.
lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

jscheck: $(WIDGETS_STAMP)
	cd widgets && node_modules/.bin/tsc -p .

lint: $(STAMP) jscheck
	$(BIN)/ruff format --check stdblite tests bench
	$(BIN)/ruff check stdblite tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

# Run every tutorial chapter in a fresh kernel; compare outputs with the stored.
notebooks: $(STAMP)
	$(BIN)/pytest --nbval --nbval-current-env \
		--nbval-sanitize-with notebooks/sanitize.cfg notebooks/

test: lint typecheck unit notebooks

# The book: Jupyter Book 1 over the chapters and reference pages, executing
# every chapter. book/prepare.py copies the widgets' front-end files in and
# records the story the pages replay, so a built page needs no network.
DOCS_STAMP := $(VENV)/.installed-docs

$(DOCS_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[docs]'
	touch $(DOCS_STAMP)

book: $(DOCS_STAMP)
	$(BIN)/python book/prepare.py
	$(BIN)/jupyter-book build --warningiserror --keep-going book

# The engine against a naive DuckDB loop, then every design side by side over
# the wire (about seven minutes on two cores); the report goes to book/benchmarks/,
# and chapter 7, which plots it, runs again so its stored outputs show it.
bench: $(STAMP)
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/report.py --publish
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		notebooks/07-beyond.ipynb

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache widgets/node_modules \
		book/_build book/_vendor book/_static/sessions
