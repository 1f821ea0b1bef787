# Two commands matter: `make demo` and `make test`. Both install first; installing twice is a no-op.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.arshif-installed
# pywb, the archivists' replay engine, needs a venv of its own: it pins packages that break Scrapy.
PYWB_VENV ?= .venv-pywb
PYWB_STAMP := $(PYWB_VENV)/.pywb-installed
# Pelican, the static-site generator the tests build a third real platform with (tests/pelican/), has its own venv too.
PELICAN_VENV ?= .venv-pelican
PELICAN_STAMP := $(PELICAN_VENV)/.pelican-installed

.PHONY: install system-needs test lint demo bench bench-quick drills clean

install: $(STAMP) $(PYWB_STAMP) $(PELICAN_STAMP)

$(PYWB_STAMP): requirements-pywb.lock
	test -x $(PYWB_VENV)/bin/python || $(PYTHON) -m venv $(PYWB_VENV)
	$(PYWB_VENV)/bin/python -m pip install -qq --upgrade pip
	$(PYWB_VENV)/bin/python -m pip install -qq -r requirements-pywb.lock
	touch $(PYWB_STAMP)

$(PELICAN_STAMP): requirements-pelican.lock
	test -x $(PELICAN_VENV)/bin/python || $(PYTHON) -m venv $(PELICAN_VENV)
	$(PELICAN_VENV)/bin/python -m pip install -qq --upgrade pip
	$(PELICAN_VENV)/bin/python -m pip install -qq -r requirements-pelican.lock
	touch $(PELICAN_STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -r requirements.lock
	$(BIN)/python -m pip install -qq --no-deps --no-build-isolation -e .
	touch $(STAMP)

# The system packages some tests need (tools/system-needs.txt: a browser, redis-server, nginx, …): installed when
# root, without starting or enabling any service; otherwise one line says what to install and those tests skip.
system-needs:
	@$(PYTHON) tools/system_needs.py install

# The suite runs on two workers (pytest-xdist): most of it waits on crawls of the replica. TEST_WORKERS=0 runs it in
# one process.
TEST_WORKERS ?= 2

test: install system-needs
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

demo: install
	$(BIN)/python -m archive.ops.demo

# Benchmarks stay out of `make test`: they take minutes and need wget and nginx (apt-get install wget nginx-light).
bench: install
	$(BIN)/python -m bench.run

bench-quick: install
	$(BIN)/python -m bench.run --quick

# Long failure drills (kill -9, server faults, damaged WARC files, a lost database): a quarter of an hour; writes
# docs/DRILLS.md and exits 1 when a drill fails. `python -m bench.drills --quick` is the few-minute version.
drills: install
	$(BIN)/python -m bench.drills

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) $(PYWB_VENV) $(PELICAN_VENV) build *.egg-info .pytest_cache
