# Two commands on a fresh machine:  `make demo`  and  `make test`.
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app iok_saas
# The stamp's name follows the dependency list, so editing setup.cfg reinstalls.
STAMP  := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml | sha1sum | cut -c1-12)
DEMO_PORT ?= 5000

.PHONY: install demo test lint translations clean

install: $(STAMP) translations

$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

translations: $(STAMP)
	$(VENV)/bin/pybabel compile -q -d iok_saas/translations

demo: install
	IOK_PUBLIC_PORT=$(DEMO_PORT) $(FLASK) db upgrade
	IOK_PUBLIC_PORT=$(DEMO_PORT) $(FLASK) tenants sync
	IOK_PUBLIC_PORT=$(DEMO_PORT) $(FLASK) demo load
	IOK_PUBLIC_PORT=$(DEMO_PORT) $(FLASK) demo urls
	IOK_PUBLIC_PORT=$(DEMO_PORT) $(FLASK) run --host 127.0.0.1 --port $(DEMO_PORT)

test: install
	$(PY) -m pytest -q $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(FLASK) policy check

clean:
	rm -rf $(VENV) var *.egg-info
