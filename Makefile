# kpi-kit: `make help` lists the targets. Everything runs in .venv, created on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
REPORT_CONFIG ?= reports.yml
PYTEST_ARGS ?=
WORKERS ?= $(shell nproc 2>/dev/null || echo 2)

.DEFAULT_GOAL := help
.PHONY: help report test notebooks clean distclean benchmark venv chromium java

help: ## list the targets
	@echo "kpi-kit: make TARGET"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:[^#]*## /\t/' | awk -F'\t' '{printf "  %-11s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "kpi-kit needs Python 3.11 or newer; found " + sys.version.split()[0])'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,spark]'
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (kpi-kit)" >/dev/null
	@touch $(STAMP)

venv: $(STAMP) ## create .venv and install the kit into it (done by the other targets when needed)

report: $(STAMP) ## run every notebook for every sample client and write reports/ (HTML and PDF)
	@$(MAKE) --no-print-directory chromium
	$(PY) -m kpi_helpers report $(REPORT_CONFIG)

java: ## install Debian's Java 17 for the Spark tests, where this user can (root); else they are skipped
	@if [ -z "$$JAVA_HOME" ] && ! command -v java >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 \
	    && [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian's openjdk-17-jre-headless for the Spark tests (apt-get)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null) \
	    || echo "note: Java could not be installed; the Spark tests will be skipped"; \
	fi

chromium: ## install Debian's Chromium for the PDF reports, where this user can (root); else HTML only
	@if [ -z "$$KPI_CHROMIUM" ] && ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 \
	    && [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian's chromium for the PDF reports (apt-get)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	    || echo "note: chromium could not be installed; the reports will be HTML only"; \
	fi

test: $(STAMP) ## run the whole test suite (units, notebooks through papermill, nbval)
	@$(MAKE) --no-print-directory chromium java
	$(PY) -m pytest -n $(WORKERS) tests $(PYTEST_ARGS)
	$(PY) -m pytest -p no:xdist --nbval --nbval-sanitize-with notebooks/nbval_sanitize.cfg notebooks/fr notebooks/en

notebooks: $(STAMP) ## write the French and English notebooks from notebooks/source/ and execute them on the sample data
	$(PY) -m kpi_helpers.editions

benchmark: $(STAMP) ## run the benchmarks (see benchmarks/README.md; takes several minutes)
	$(PY) benchmarks/run.py

clean: ## remove generated reports and caches (keeps .venv)
	rm -rf reports .pytest_cache .hypothesis benchmarks/data benchmarks/results
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean ## also remove .venv
	rm -rf $(VENV) *.egg-info
