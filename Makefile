# Samizdat: `make demo` runs the site, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test install messages makemessages lint bench bench-newsletters validators

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

# Compiled with Babel, so no system gettext is needed; `make makemessages`
# (for developers, needs gettext) refreshes the catalogues.
# A catalogue is compiled only when its .po is newer: two `make test` at once (.ci/run's
# two passes) would otherwise rewrite a .mo while the other's tests read it.
messages: install
	@for po in samizdat/locale/*/LC_MESSAGES/*.po samizdat/*/locale/*/LC_MESSAGES/*.po; do \
	  [ -e "$$po" ] || continue; \
	  [ "$${po%.po}.mo" -nt "$$po" ] && continue; \
	  $(BIN)/pybabel -q compile -i "$$po" -o "$${po%.po}.mo" || exit 1; \
	done

makemessages: install
	cd samizdat && ../$(BIN)/python ../manage.py makemessages -l ru --ignore='*/migrations/*' --no-obsolete

# The site's own address (feeds, sitemaps, language links, e-mails) follows PORT and HOST.
demo: export SITE_URL ?= http://$(HOST):$(PORT)
demo: messages
	mkdir -p var
	DEBUG=1 $(MANAGE) migrate --no-input
	DEBUG=1 $(MANAGE) load_demo
	DEBUG=1 $(MANAGE) ensure_demo_admin --url http://$(HOST):$(PORT)/
	@echo "Serving on http://$(HOST):$(PORT)/ (admin at http://$(HOST):$(PORT)/admin/). Ctrl-C stops."
	@echo "E-mails (receipts, 'manage my support' links) are printed here and kept in var/worker.log."
	@trap 'kill 0' INT TERM EXIT; \
	while :; do DEBUG=1 $(MANAGE) db_worker --interval 1; \
	  echo "task worker exited ($$?); restarting it in 2 s"; sleep 2; done \
	  2>&1 | tee var/worker.log | grep --line-buffered -v '^Task id=' & \
	while :; do DEBUG=1 $(MANAGE) run_periodic; \
	  echo "run_periodic exited ($$?); restarting it in 2 s"; sleep 2; done \
	  >var/periodic.log 2>&1 & \
	DEBUG=1 $(MANAGE) runserver --noreload $(HOST):$(PORT)

# Tests run in parallel with pytest-xdist, JOBS workers (default: one per CPU core); tests
# marked xdist_group stay on one worker. `make test JOBS=0` runs them all in this process;
# PYTEST_ARGS go to pytest (`make test PYTEST_ARGS="tests/news -k feed"`).
JOBS ?= auto
test: messages
	$(BIN)/pytest -n $(JOBS) --dist loadgroup $(PYTEST_ARGS)

# The Nu Html Checker and axe-core for tests/validation (npm; vnu also needs Java:
# apt-get install default-jre-headless). Without them those tests are skipped.
validators: .ci/validators/node_modules/.installed

.ci/validators/node_modules/.installed: .ci/validators/package.json .ci/validators/package-lock.json
	cd .ci/validators && npm ci --no-audit --no-fund --ignore-scripts
	touch $@

lint: install
	$(BIN)/ruff check .
	$(MANAGE) makemigrations --check --dry-run

bench: messages bench/lighthouse/node_modules/.installed
	bash bench/run.sh

# Newsletter sending through a private loopback Postfix (bench/README.md; root: installs postfix).
bench-newsletters: messages
	$(BIN)/python bench/newsletter_send.py $(ARGS)

# Lighthouse for `make bench` (pinned in bench/lighthouse/package.json), run with
# Debian's chromium headless (apt-get install -y chromium).
bench/lighthouse/node_modules/.installed: bench/lighthouse/package.json bench/lighthouse/package-lock.json
	cd bench/lighthouse && npm ci --no-audit --no-fund
	touch $@

# The production set-up on loopback (nginx + 2 gunicorn + supervised worker; a PostgreSQL
# database, a Redis server and ports of its own, so runs side by side): see docs/deploy.md.
.PHONY: prod-smoke
prod-smoke: messages
	SAMIZDAT_PROD_SMOKE=1 $(BIN)/pytest tests/deploy -q $(PYTEST_ARGS)
