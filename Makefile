# The two commands of the README:
#   make run   - create the environment and open the app on examples/hello-sam
#   make test  - create the environment, start what the tests need, lint, type-check, test
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PROJECT ?= examples/hello-sam

.PHONY: run test lint typecheck pytest services bench screenshot dist clean

$(BIN)/.app-installed: pyproject.toml
	bash scripts/venv.sh "$(PYTHON)" "$(VENV)" app
	@touch $@

$(BIN)/.test-installed: pyproject.toml
	bash scripts/venv.sh "$(PYTHON)" "$(VENV)" test
	@touch $@

run: $(BIN)/.app-installed
	bash scripts/run-app.sh "$(BIN)" "$(PROJECT)"

services: $(BIN)/.test-installed
	bash scripts/test-services.sh "$(BIN)"

lint: $(BIN)/.test-installed
	$(BIN)/ruff check app runner widgets tests bench scripts
	$(BIN)/ruff format --check app runner widgets tests bench scripts

typecheck: $(BIN)/.test-installed
	$(BIN)/mypy

pytest: $(BIN)/.test-installed
	bash scripts/pytest.sh "$(BIN)"

test: services lint typecheck pytest

bench: $(BIN)/.test-installed
	bash scripts/test-services.sh "$(BIN)"
	$(BIN)/python -m bench

# Renders the window on the example project after one invoke into docs/screenshot.png.
screenshot: $(BIN)/.test-installed
	QT_QPA_PLATFORM=offscreen $(BIN)/python scripts/screenshot.py $(PROJECT) docs/screenshot.png

# The desktop bundle and dist/lambda-studio-<version>-<os>-<arch>.tar.gz (see docs/packaging.md).
dist:
	$(PYTHON) packaging/build.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
