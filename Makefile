# The Prevent assistant. Run `make help` for the targets. Everything is installed into .venv/ by the
# project itself; `make run` and `make test` run the set-up first when it is missing or out of date.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
VENV_STAMP := $(VENV)/.installed
MODEL := models/prevent.tar.gz
AXE := tests/browser/node_modules/axe-core/axe.min.js
# Training data may be laid out in any folders under data/ (Rasa reads them all).
TRAINING_DATA := $(shell find data -name '*.yml' -o -name '*.yaml')
TRAINING_INPUTS := config.yml domain.yml $(TRAINING_DATA)

# No network here and no wish to report usage anywhere: Rasa telemetry stays off.
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help install train run shell test validate test-stories pytest lint lock clean test-deps audit bench

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

install: $(VENV_STAMP)  ## Create .venv with the pinned dependencies

$(VENV_STAMP): pyproject.toml requirements.lock scripts/find-python310
	@python=$$(scripts/find-python310) || exit 1; \
	if [ ! -x $(BIN)/python ] || ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then \
		echo "Creating $(VENV) with $$python"; rm -rf $(VENV); "$$python" -m venv $(VENV) || exit 1; \
	fi
	$(BIN)/python -m pip install --quiet --upgrade "pip<25"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund --silent
	@touch $@

test-deps: $(AXE)  ## Debian packages the tests run (Chromium, nginx) and axe-core for the browser tests
	scripts/install-test-packages

$(MODEL): $(TRAINING_INPUTS) | $(VENV_STAMP)
	$(BIN)/prevent-assistant train

train: install  ## Validate, then train the model (Rasa skips training when nothing changed)
	$(BIN)/prevent-assistant train

run: install $(MODEL)  ## Serve the bot and the action server on localhost (trains first if needed)
	$(BIN)/python -m prevent_assistant.serve --model $(MODEL)

shell: install $(MODEL)  ## Chat with the bot in this terminal
	$(BIN)/python -m prevent_assistant.serve --model $(MODEL) --shell

test: install $(MODEL) lint validate test-stories pytest  ## Run every check: lint, data validation, conversation tests, pytest

# The quick tier while you work: no servers, databases, browser, model or training (tests/conftest.py marks
# each test by what it uses). `make test` still runs everything, and is what CI runs.
.PHONY: test-fast
test-fast: install lint validate  ## Quick checks (under 2 minutes): lint, validation, pytest with no servers, databases or model
	$(BIN)/python -m pytest -m "not (stack or postgres or redis or browser or model or training)"

validate: install  ## Rasa's data validation (any warning fails) and the project's content rules
	$(BIN)/rasa data validate --fail-on-warnings
	$(BIN)/prevent-assistant validate

test-stories: install $(MODEL)  ## Conversation tests in tests/test_stories.yml; any wrong prediction fails
	$(BIN)/rasa test core --e2e --model $(MODEL) --stories tests/test_stories.yml --fail-on-prediction-errors --out results/stories

# --durations: the slowest tests, printed at the end, so a slower suite shows where (CI's log keeps them).
pytest: install $(MODEL) test-deps  ## Content, model, action, storage, webhook and browser tests
	$(BIN)/python -m pytest --durations=15

bench: install $(MODEL)  ## Benchmark the real stack: latency, load, start-up, memory, NLU vs baseline (BENCH_ARGS=--quick)
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	$(BIN)/python -m bench $(BENCH_ARGS)

# The widget's modules (widget/*.js): TypeScript, exact version in widget/package-lock.json, checks their JSDoc
# types; nothing is built, the browser runs the files as they are.
WIDGET_TSC := widget/node_modules/.bin/tsc
$(WIDGET_TSC): widget/package.json widget/package-lock.json
	npm ci --prefix widget --no-audit --no-fund --silent
	@touch $@

.PHONY: widget-check
widget-check: $(WIDGET_TSC)  ## The widget's modules: TypeScript's checker (tsc --noEmit) and their node tests
	$(WIDGET_TSC) --project widget/tsconfig.json
	node --test tests/widget/

lint: install widget-check  ## ruff on all Python code, mypy on prevent_assistant/ and actions/, the widget's checks
	$(BIN)/ruff check --no-cache .
	$(BIN)/ruff format --no-cache --check .
	$(BIN)/mypy --no-incremental

# pip-audit lives in a virtual environment of its own, so its dependencies never mix with the locked ones.
AUDIT_VENV := .build/audit
$(AUDIT_VENV)/bin/pip-audit: | $(VENV_STAMP)
	$(BIN)/python -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/python -m pip install --quiet pip-audit==2.10.1

audit: $(AUDIT_VENV)/bin/pip-audit  ## Known vulnerabilities in requirements.lock (needs pypi.org; fails if it cannot check)
	$(AUDIT_VENV)/bin/python scripts/audit-dependencies requirements.lock

lock:  ## Re-pin requirements.lock from what is installed in .venv
	{ head -2 requirements.lock; $(BIN)/pip freeze --exclude-editable; } > requirements.lock.new && mv requirements.lock.new requirements.lock

clean:  ## Remove everything the targets create (the virtual environment, models, results)
	rm -rf $(VENV) .build models results var .pytest_cache .ruff_cache test-artifacts tests/browser/node_modules widget/node_modules
