# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test install setup demo lint typecheck check bench faults messages worker clean

$(STAMP): requirements/base.txt requirements/dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements/base.txt -r requirements/dev.txt
	touch $(STAMP)

install: $(STAMP)

setup: install
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py load_frameworks
	$(PY) manage.py load_communes
	$(PY) manage.py load_demo
	$(PY) manage.py ensure_signing_key

run: setup
	$(PY) manage.py print_demo_accounts
	$(PY) manage.py db_worker & worker=$$!; trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

worker: install
	$(PY) manage.py db_worker

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
