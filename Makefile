# Two commands on a fresh machine:  `make demo`  and  `make test`.
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app iok_saas
# The stamp's name follows the dependency list, so editing setup.cfg reinstalls.
STAMP  := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml | sha1sum | cut -c1-12)
DEMO_PORT ?= 5000
# Test processes: one a core, at most four (each gets databases of its own: tests/services.py).
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); echo $$(( n > 4 ? 4 : n )))

.PHONY: install demo test lint screenshots translations i18n-update clean

install: $(STAMP) translations

$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

translations: $(STAMP)
	$(VENV)/bin/pybabel compile --statistics -d iok_saas/translations 2>&1 | tail -n 1

demo: install
	IOK_PUBLIC_PORT=$(DEMO_PORT) IOK_MIGRATIONS_QUIET=1 $(FLASK) db upgrade
	IOK_PUBLIC_PORT=$(DEMO_PORT) $(FLASK) tenants sync
	IOK_PUBLIC_PORT=$(DEMO_PORT) $(FLASK) demo load
	IOK_PUBLIC_PORT=$(DEMO_PORT) $(FLASK) demo serve --port $(DEMO_PORT)

test: install
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(FLASK) policy check

# The README's pictures, taken by the browser tests (Chromium + axe-core: `cd tests/browser && npm ci`).
screenshots: install
	IOK_GALLERY_DIR=$(CURDIR)/docs/screenshots $(PY) -m pytest -q -m browser tests/browser/test_gallery.py

clean:
	rm -rf $(VENV) var *.egg-info

# After changing UI text: refresh the catalogue, then translate the new entries in
# iok_saas/translations/en/LC_MESSAGES/messages.po (tests/test_i18n.py fails on empty ones).
i18n-update: $(STAMP)
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k _l -o iok_saas/translations/messages.pot .
	$(VENV)/bin/pybabel -q update -i iok_saas/translations/messages.pot -d iok_saas/translations --no-fuzzy-matching
