# Two commands on a fresh machine with Python 3.11-3.13:
#   make run   set up, load the seed data and serve on http://127.0.0.1:8000 (SQLite)
#   make test  set up and run the whole test suite (lint, import contract, migrations check, pytest)
# In production (docs/deploy.md): make serve, and make worker for the webhooks; the load test: make load.
# The virtual environment is made with PYTHON if given (make run PYTHON=python3.12), else with the first
# of python3.11 python3.12 python3.13 python3 that is Python 3.11-3.13 (tools/find-python).
PYTHON ?=
VENV := .venv
BIN := $(VENV)/bin
DEV_ENV := DEBUG=1

.PHONY: run test typecheck setup setup-dev seed lint clean bench serve load worker

# The modules whose public functions carry type hints, checked by mypy (django-stubs) in `make test`:
# services, QuerySets (the model modules: their QuerySets fully, tests/test_typing.py holds it), span tools, ingest.
TYPED := core/spans.py core/pages.py core/texts.py core/marking.py core/models.py meetings/models.py meetings/drafts.py meetings/periods.py commitments/models.py \
	commitments/services.py commitments/search.py commitments/assessments.py commitments/assessment_parts.py commitments/follow_through.py commitments/verdicts.py commitments/rules.py commitments/timeline.py commitments/wording.py commitments/choices.py commitments/publishing.py commitments/counts.py commitments/merging.py commitments/pledge_links.py \
	ingest/segments.py ingest/cues.py ingest/figures.py ingest/ranking.py ingest/concepts.py ingest/corpus.py ingest/defaults.py \
	ingest/services.py ingest/evaluation.py ingest/participants.py ingest/progress.py ingest/suggested_facts.py ingest/evaluation_splits.py ingest/proposal.py \
	core/attribution.py api/imports.py api/import_files.py api/import_resources.py \
	changes/models.py changes/recording.py changes/webhooks.py changes/feed.py

# Tools the browser tests inject into pages (axe-core), pinned by package-lock.json.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

$(BIN)/python:
	@python=$$(PYTHON='$(PYTHON)' $(SHELL) tools/find-python) && $$python -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

setup: $(VENV)/.runtime
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	test -f var/snapshot-signing-key.pem || $(DEV_ENV) $(BIN)/python manage.py snapshot keygen var/snapshot-signing-key.pem
	$(DEV_ENV) $(BIN)/python manage.py load_seed
	$(DEV_ENV) $(BIN)/python manage.py ensure_dev_user

run: setup
	@echo "Public pages: http://127.0.0.1:8000/  Admin: http://127.0.0.1:8000/admin/  (user dev, password dev)"
	$(DEV_ENV) $(BIN)/python manage.py runserver 127.0.0.1:8000

test: $(VENV)/.dev node_modules/.package-lock.json
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	@# A throwaway key: the check reads no secret, and DATABASE_URL may name a server (manage.py then needs one).
	SECRET_KEY=makemigrations-check-only $(BIN)/python manage.py makemigrations --check --dry-run
	$(MAKE) --no-print-directory typecheck
	$(BIN)/pytest $(PYTEST_ARGS)

typecheck: $(VENV)/.dev
	@# A fresh check each time: a stale incremental cache has hidden a real error.
	SECRET_KEY=typecheck-only $(BIN)/mypy --no-incremental $(TYPED)

# Every user path timed against a baseline in the same run, on SQLite and PostgreSQL, at 10k and 100k
# commitments (hours: the snapshot group is the longest, docs/benchmark.md); the table also goes to var/bench/results.json.
bench: $(VENV)/.dev
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Rebuild fixtures/seed.json after editing fixtures/curation/.
seed: $(VENV)/.runtime
	$(DEV_ENV) $(BIN)/python manage.py build_seed

clean:
	rm -rf $(VENV) db.sqlite3 var node_modules

# -- Production: docs/deploy.md, Production, gives the environment (SECRET_KEY, DATABASE_URL, REDIS_URL, ...).
# Collects the static files (hashed, compressed; whitenoise serves them), migrates, updates the
# roles, then runs gunicorn with gunicorn.conf.py in the foreground, for the service manager.
serve: $(VENV)/.runtime
	@test -n "$$SECRET_KEY" || { echo "make serve: set SECRET_KEY and the rest of the Production environment in docs/deploy.md first." >&2; exit 1; }
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py setup_roles
	exec $(BIN)/gunicorn --config gunicorn.conf.py

# The webhooks worker (docs/deploy.md, Webhooks worker): drains the outbox until stopped.
worker: $(VENV)/.runtime
	$(BIN)/python manage.py run_webhooks

# Load test: its own gunicorn (2 workers) on 127.0.0.1, PostgreSQL and Redis, at most 60 s (bench/load.py).
load: $(VENV)/.dev
	$(BIN)/python bench/load.py $(LOAD_ARGS)
