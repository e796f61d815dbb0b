# Entry points for developers and CI (.ci/run calls `make test`). Nothing here reads a terminal.
VENV ?= .venv
PYTHON ?= python3
PYTEST_ARGS ?=
NODE_DIR := tests/e2e/node
# Only the trees that exist yet: mypy fails on a missing path.
TYPED_DIRS := $(wildcard sealdrop source_interface journalist_interface web_shared onion reader tests bench)

.PHONY: test test-fast lint lock venv system-deps node-deps demo clean translations

# lint runs after the dependencies and before pytest, so a type error fails fast.
# pytest exits 5 when it collects nothing; that is a failure here, never a green run.
test: system-deps venv node-deps
	$(MAKE) lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# The inner loop: unit and Flask-client tests, no server process, browser, PostgreSQL or Tor, no apt.
# `make test` before you push: CI runs that, and only it proves the invariants end to end.
# Its files (data directories, SQLite) go to /dev/shm: on a disk, SQLite's fsyncs cost about a
# third of the run. pytest-xdist spreads the tests over one worker per core.
# PYTHONDONTWRITEBYTECODE is cleared: without the __pycache__ files (bytecode, and pytest's
# rewritten test modules), each worker and each `sealdrop` subprocess compiles every import
# again: about 13 s of CPU per worker, a quarter of the loop.
# schemathesis's and hypothesis's plugins load in every worker (~1.2 s of CPU each) and serve
# only the schema test, which is slow and not run here.
test-fast: venv
	TMPDIR=/dev/shm PYTHONDONTWRITEBYTECODE= $(VENV)/bin/pytest -q -n auto \
		-p no:schemathesis -p no:hypothesispytest \
		-m "not server and not e2e and not postgres and not slow and not tor and not ansible" $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy $(TYPED_DIRS)
	$(VENV)/bin/lint-imports

venv: $(VENV)/.installed

# Exactly the locked versions, each checked against its hash; then Sealdrop itself, no deps.
# The stamp makes reruns instant; a new lock or pyproject.toml reinstalls.
$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes \
		-r requirements.lock
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

# Re-resolve every dependency (run, review the diff, commit): pip-tools in a venv of its own.
lock:
	test -x .venv-lock/bin/pip-compile || \
		($(PYTHON) -m venv .venv-lock && .venv-lock/bin/pip install --quiet pip-tools)
	.venv-lock/bin/pip-compile --quiet --generate-hashes --strip-extras --no-emit-index-url \
		--no-emit-find-links --extra test --extra postgres --output-file requirements.lock \
		pyproject.toml
	# What a server runs, nothing for tests (psycopg for PostgreSQL included): the Ansible app role
	# builds its wheelhouse from this.
	.venv-lock/bin/pip-compile --quiet --generate-hashes --strip-extras --no-emit-index-url \
		--no-emit-find-links --extra postgres --output-file requirements-server.lock \
		pyproject.toml

system-deps:
	bash scripts/install-system-deps.sh

# npm ci installs exactly the lock; `npm install axe-core@4` would rewrite the pin in package.json.
node-deps: $(NODE_DIR)/node_modules/axe-core/axe.min.js

$(NODE_DIR)/node_modules/axe-core/axe.min.js: $(NODE_DIR)/package-lock.json
	npm ci --no-audit --no-fund --prefix $(NODE_DIR)
	touch $@

demo: system-deps venv
	$(VENV)/bin/sealdrop demo

# Re-extract the source interface's messages (see source_interface/babel.cfg), merge them into
# every catalogue, and compile the .mo files that are committed so a plain install works.
# After this, translate whatever is new or marked fuzzy in the .po files and run it again.
translations: venv
	$(VENV)/bin/pybabel extract -F source_interface/babel.cfg --project=Sealdrop \
		--copyright-holder="Sealdrop contributors" -o source_interface/translations/messages.pot .
	$(VENV)/bin/pybabel update -i source_interface/translations/messages.pot \
		-d source_interface/translations
	$(VENV)/bin/pybabel compile --statistics -d source_interface/translations

clean:
	rm -rf $(VENV) .venv-lock $(NODE_DIR)/node_modules build .mypy_cache .ruff_cache .pytest_cache
	find . -path ./.git -prune -o -name __pycache__ -type d -exec rm -rf {} +
	find . -maxdepth 1 -name '*.egg-info' -exec rm -rf {} +
