# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed
STATIC_STAMP := var/static/staticfiles.json

# What `make run` gives manage.py: the site as its users see it. No debug pages
# (the platform's own error pages), static files served by whitenoise, plain
# http on 127.0.0.1 (C2I_HTTPS=0: cookies without Secure, no redirect), links
# printed and e-mailed to the port served, two-factor authentication left to
# each account (the demo accounts log in with their password). Each may be
# set beforehand: `C2I_DEBUG=1 make run` shows Django's debug pages.
# The secret key is made once, in var/secret_key.
RUN_ENV = C2I_DEBUG=$${C2I_DEBUG:-0} C2I_HTTPS=0 C2I_REQUIRE_2FA=$${C2I_REQUIRE_2FA:-0} \
	C2I_SITE_URL=$${C2I_SITE_URL:-http://127.0.0.1:$(PORT)} C2I_SECRET_KEY=$${C2I_SECRET_KEY:-$$(cat var/secret_key)}

.PHONY: run run-env test install setup demo lint typecheck check bench faults messages worker clean

$(STAMP): requirements/base.txt requirements/dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements/base.txt -r requirements/dev.txt
	touch $(STAMP)

install: $(STAMP)

var/secret_key: | $(STAMP)
	mkdir -p var
	umask 077; $(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > $@

# Collected once, again when a static file or a dependency changes.
$(STATIC_STAMP): $(STAMP) $(shell find static -type f) | var/secret_key
	$(RUN_ENV) C2I_DEBUG=0 $(PY) manage.py collectstatic --noinput --verbosity 0

setup: install var/secret_key $(STATIC_STAMP)
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py createcachetable
	$(RUN_ENV) $(PY) manage.py load_frameworks
	$(RUN_ENV) $(PY) manage.py load_communes
	$(RUN_ENV) $(PY) manage.py load_demo
	$(RUN_ENV) $(PY) manage.py ensure_signing_key

run: setup
	$(RUN_ENV) $(PY) manage.py print_demo_accounts
	$(RUN_ENV) $(PY) manage.py db_worker & worker=$$!; trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	$(RUN_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

# The environment of `make run`, for tests/test_make_run.py.
run-env:
	@echo '$(RUN_ENV)'

worker: install var/secret_key
	$(RUN_ENV) $(PY) manage.py db_worker

test: install
	mkdir -p var test-artifacts
	$(PY) manage.py compilemessages --ignore=.venv >/dev/null
	$(PY) -m pytest -n 2 --dist loadfile

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy c2i

check: lint typecheck
	$(VENV)/bin/lint-imports  # the layers of docs/architecture.md (pyproject.toml [tool.importlinter])
	$(PY) manage.py makemigrations --check --dry-run
	C2I_DEBUG=0 C2I_SECRET_KEY=check-$$(head -c 32 /dev/urandom | base64) C2I_ALLOWED_HOSTS=c2i.example.fr \
	  C2I_SITE_URL=https://c2i.example.fr $(PY) manage.py check --deploy --fail-level WARNING

messages: install
	$(PY) manage.py makemessages -l fr --ignore=.venv --ignore=var --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv

bench: install
	$(PY) bench/run

# Faults on the real server and PostgreSQL (docs/reliability.md); merges its figures into bench/results.json.
faults: install
	$(PY) bench/faults

clean:
	rm -rf var
