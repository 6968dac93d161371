PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LINT_STAMP := $(VENV)/.lint-installed
YAML_LS := yaml-language-server@2.0.0
NODE_STAMP := $(VENV)/node/.installed-$(YAML_LS)

.PHONY: setup demo test test-windows-locks lint lock screenshots bench fuzz clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make: $(PYTHON) not found; set PYTHON=/path/to/python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The CI linters (zizmor, check-jsonschema with SchemaStore's schemas, shellcheck), pinned in the lint extra.
$(LINT_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,lint]'
	@touch $(LINT_STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m crmconf.demo

# The editor test asks the real yaml-language-server (npm), run by the Node.js of the dev extra.
$(NODE_STAMP): $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/npm install --prefix $(VENV)/node --no-audit --no-fund --silent $(YAML_LS)
	@touch $(NODE_STAMP)

test: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m pytest -n 2 -q

# The lock, journal, interruption and local-provider tests with every lock on portalocker's Windows code path
# (tests/winlock.py); tests/test_windows_locks.py runs part of this in every `make test`.
test-windows-locks: $(STAMP)
	CRMCONF_TEST_LOCKS=windows $(BIN)/python -m pytest -n 2 -q tests/test_oslock.py tests/engine/test_lock.py \
		tests/engine/test_journal.py tests/engine/test_interrupts.py tests/providers/local

lint: $(LINT_STAMP)
	$(BIN)/ruff check crmconf providers tests bench tools
	$(BIN)/mypy
	$(BIN)/python tools/ci_lint.py

# The Action's lock: every runtime dependency and the build backend, pinned with hashes for every platform.
lock: $(LINT_STAMP)
	$(BIN)/uv pip compile pyproject.toml requirements/build.in --extra salesforce --extra hubspot --generate-hashes --universal \
		--python-version 3.11 -o requirements/ci.txt -q

# The pictures in docs/pictures/ (handbook process maps, audit report), checked to fit 1,280 px and to print.
screenshots: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,screenshots]'
	$(BIN)/python tools/screenshots.py

bench: $(STAMP)
	$(BIN)/python -m bench

fuzz: $(STAMP)
	CRMCONF_FUZZ_EXAMPLES=10000 CRMCONF_CONVERGENCE_EXAMPLES=500 \
	CRMCONF_INTERRUPT_POINTS=40 CRMCONF_INTERRUPT_FIELDS=3000 $(BIN)/python -m pytest -n 2 -q \
		tests/spec/test_fuzz.py tests/engine/test_convergence.py tests/engine/test_interrupts.py \
		$(wildcard tests/providers/*/test_convergence_fuzz.py)

clean:
	rm -rf $(VENV) .crmconf .pytest_cache .mypy_cache .ruff_cache
