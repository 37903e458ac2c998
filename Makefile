# k8saudit: every target sets itself up (creates .venv and installs the project when needed).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.k8saudit-installed

.PHONY: setup demo lint test lab dashboard bench bench-checkov notebooks sample catalog clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e '.[test,lab,dashboard,charts]'
	@touch $(STAMP)

setup: $(STAMP)

## demo: audit the bundled sample cluster, print the summary, write every export to out/
demo: $(STAMP)
	@$(VENV)/bin/k8saudit demo --out out

## lint: ruff (lint and import order), mypy (strict on frames, checks, findings, sources, vocab), the import-linter layers
lint: $(STAMP)
	@$(VENV)/bin/ruff check --quiet .
	@$(VENV)/bin/ruff format --check --quiet .
	@$(VENV)/bin/mypy --no-error-summary
	@out=$$($(VENV)/bin/lint-imports 2>&1) || { echo "$$out"; exit 1; }

## test: lint, then unit tests, check fixtures, the live loader against a loopback API server, every notebook (nbval)
test: $(STAMP) lint
	@$(PY) -m pytest -q tests notebooks --nbval-lax --nbval-current-env -p no:cacheprovider

## lab: open JupyterLab on the notebooks
lab: $(STAMP)
	@$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root,)

## dashboard: the overview and practice notebooks as a web app (Voilà) on http://127.0.0.1:8866, code hidden
##   on another source: make dashboard SOURCE=sample:legacy (or a snapshot path, or context:NAME)
SOURCE ?= sample
dashboard: $(STAMP)
	@$(VENV)/bin/k8saudit dashboard $(SOURCE)

## bench: the benchmarks (not part of the tests): files and live at 1k and 10k pods
##   larger: $(PY) benchmarks/bench_load.py --pods 100000 (6.3 GB of JSON, minutes); make bench-checkov
bench: $(STAMP)
	@$(PY) benchmarks/bench_load.py --pods 1000,10000
	@$(PY) benchmarks/bench_live.py

## bench-checkov: k8saudit vs Checkov on the same 7,081 manifests (installs Checkov in its own venv; ~10 min)
bench-checkov: $(STAMP)
	@$(PY) benchmarks/bench_checkov.py

## notebooks: re-run every notebook and store the outputs of its checked cells (after an intended change)
notebooks: $(STAMP)
	@$(PY) scripts/nbhygiene.py

## sample: regenerate the bundled sample clusters from data/generate_sample.py and data/generate_legacy.py
sample: $(STAMP)
	@$(PY) data/generate_sample.py
	@$(PY) data/generate_legacy.py

## catalog: regenerate CHECKS.md from the check registry and docs/attack-paths.md from the edge-kind registry
catalog: $(STAMP)
	@$(VENV)/bin/k8saudit checks --format markdown > CHECKS.md
	@$(PY) -m k8saudit.paths > docs/attack-paths.md

clean:
	rm -rf out .pytest_cache build dist *.egg-info
