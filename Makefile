# Two commands on a fresh machine: `make run` and `make test`. Everything else is a step of those.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test serve install lock assets migrate data lint browser clean

run: install assets migrate data ## Install, build, migrate, load the data and serve on http://127.0.0.1:8000
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install assets browser ## Install everything and run every test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check --quiet .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

serve: install assets run/secret_key ## A production-like run: gunicorn (gunicorn.conf.py), DEBUG off, collected static files, plain HTTP on 127.0.0.1
	DJANGO_SETTINGS_MODULE=devolution_portal.settings.production SECURE_TRANSPORT=false \
	  SECRET_KEY=$${SECRET_KEY:-$$(cat run/secret_key)} HOST=$(HOST) PORT=$(PORT) \
	  sh -c '$(BIN)/python manage.py collectstatic --noinput -v0 && \
	         $(BIN)/python manage.py migrate --noinput -v0 && \
	         $(BIN)/python manage.py load_portal_data && \
	         exec $(BIN)/gunicorn devolution_portal.wsgi'

# A random signing key made once for production-like local runs (never guessable from the host name).
run/secret_key:
	@mkdir -p run
	@umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@.tmp && mv $@.tmp $@
	@chmod 600 $@

install: $(VENV)/.installed

# Exactly the versions (and hashes) in requirements.lock; `make lock` regenerates it from pyproject.toml.
$(VENV)/.installed: requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements.lock
	touch $@

lock: install ## Re-resolve requirements.lock from pyproject.toml's ranges (then commit both)
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --extra test --strip-extras -o requirements.lock pyproject.toml

assets: static/dist/.built

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/dist/.built: node_modules/.installed $(shell find frontend static/js -type f 2>/dev/null)
	npm run --silent build
	touch $@

migrate: install
	$(BIN)/python manage.py migrate --noinput

data: migrate
	$(BIN)/python manage.py load_portal_data

browser: ## Debian's Chromium for the browser tests and Java for the HTML checker (never a downloaded browser)
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	@command -v java >/dev/null || (apt-get update -qq && apt-get install -y -qq default-jre-headless)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) node_modules static/dist staticfiles db.sqlite3

.PHONY: bench
bench: install assets ## Benchmarks: synthetic data at scale 1 and 100 on SQLite and PostgreSQL, page times, query counts, load; writes bench/RESULTS.md
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python -m bench.run all

# ---- Deploying: a production-shaped cluster on 127.0.0.1, fault drills, backup and restore (deploy/)
.PHONY: cluster cluster-stop cluster-status drills backup restore
cluster: install assets ## nginx :8080, two gunicorn app servers, PostgreSQL primary and streaming replica, Redis; all on 127.0.0.1
	bash deploy/cluster.sh start

cluster-stop: ## Stop exactly the processes `make cluster` started (their pids are in run/cluster/)
	bash deploy/cluster.sh stop

cluster-status:
	bash deploy/cluster.sh status

drills: install assets ## Fault drills against the cluster (starts it if needed); results appended to bench/RESULTS.md
	$(BIN)/python deploy/drills.py

backup: install ## pg_dump -Fc (PostgreSQL) or SQLite's online backup of DATABASE_URL's database into run/backups/
	$(BIN)/python deploy/backup.py

restore: install ## make restore FILE=run/backups/portal-....dump into DATABASE_URL's (empty) database; FORCE=1 to overwrite
	$(BIN)/python deploy/restore.py "$(FILE)" $(if $(FORCE),--force)
