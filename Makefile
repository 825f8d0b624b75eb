# Structure Cloud: the README's two commands are `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
APP_PORT ?= 8000
SIM_PORT ?= 8001

.PHONY: run test lint bench venv clean

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	@touch $(STAMP)

# The whole demo on embedded defaults (SQLite, local-memory cache, eager tasks): the app,
# the Jira simulator (demo dataset) which installs the app into itself, and the demo
# structures once the install has arrived. Open http://localhost:$(SIM_PORT)/ ; Ctrl-C
# stops both processes.
DEMO_ENV := DEBUG=1 CONNECT_ALLOWED_HOSTS=localhost,127.0.0.1,*.atlassian.net,*.jira.com \
	CONNECT_INSTALL_KEYS_URL=http://localhost:$(SIM_PORT)/connect-install-keys \
	APP_BASE_URL=http://localhost:$(APP_PORT)
run: venv
	$(DEMO_ENV) $(PY) manage.py migrate --noinput
	@bash -c 'trap "kill \$$(jobs -p) 2>/dev/null; wait" INT TERM EXIT; \
	  $(DEMO_ENV) $(PY) manage.py runserver --noreload 127.0.0.1:$(APP_PORT) & \
	  $(PY) -m jira_simulator --port $(SIM_PORT) --dataset demo \
	    --app-url http://localhost:$(APP_PORT) --install-wait 60 & \
	  $(DEMO_ENV) $(PY) manage.py seed_demo --wait 90 \
	    && echo "Demo ready: open http://localhost:$(SIM_PORT)/ (switch users in the top bar)"; \
	  wait'

# The whole suite on the machine's real PostgreSQL and Redis (DATABASE_URL / REDIS_URL
# override the 127.0.0.1 defaults).
test: venv
	$(PY) -m pytest

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(PY) manage.py makemigrations --check --dry-run --settings=structure_cloud.settings_test

bench: venv
	$(PY) -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
