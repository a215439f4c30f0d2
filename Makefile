# The two commands a newcomer needs: `make run` and `make test`.
# Each creates .venv on first use and (re)installs the project, at the tested versions of
# requirements/constraints.txt, when pyproject.toml or the constraints change.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    ?= results
LOCK   := requirements/constraints.txt
PIP    := $(BIN)/python -m pip install -c $(LOCK)

.PHONY: run test app lint format lock venv clean bench notebooks

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip >/dev/null

$(VENV)/.installed: pyproject.toml $(LOCK) | $(BIN)/python
	$(PIP) -e .
	touch $@

$(VENV)/.installed-app: pyproject.toml $(LOCK) | $(BIN)/python
	$(PIP) -e '.[app]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-test: pyproject.toml $(LOCK) | $(BIN)/python
	$(PIP) -e '.[test]'
	touch $@ $(VENV)/.installed $(VENV)/.installed-app $(VENV)/.installed-lint

$(VENV)/.installed-lint: pyproject.toml $(LOCK) | $(BIN)/python
	$(PIP) -e '.[lint]'
	touch $@ $(VENV)/.installed

venv: $(VENV)/.installed

WORKERS ?= $(shell nproc 2>/dev/null || echo 2)

# The main job: the baseline hospital against two what-ifs, paired under common random numbers;
# writes results/baseline-vs-whatifs/ with report.html.
run: $(VENV)/.installed
	$(BIN)/hospital-twin validate scenarios/baseline.yaml scenarios/whatif/*.yaml
	$(BIN)/hospital-twin compare scenarios/baseline.yaml scenarios/whatif/winter_surge.yaml \
		--workers $(WORKERS) --log --out $(OUT)/baseline-vs-whatifs

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n 2

# Execute every notebook top to bottom and store it with its outputs (they are committed with
# them, so that they read on a code host); tests/test_notebooks.py checks they are not stale.
notebooks: $(VENV)/.installed-test
	$(BIN)/python scripts/run_notebooks.py

# Ruff's lint rules and formatting (pyproject.toml [tool.ruff]); `make format` applies both.
lint: $(VENV)/.installed-lint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-lint
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Refresh the tested versions: a fresh venv with every extra at the newest releases, then freeze.
# Run `make test` afterwards and commit requirements/constraints.txt only if it passes.
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --upgrade pip >/dev/null
	.venv-lock/bin/python -m pip install -e '.[test,app,lint,cluster]'
	{ echo "# Tested versions of every dependency (constraints for pip: a version is used only where a package is needed)."; \
	  echo "# Made with Python 3.11 on Linux x86_64 by 'make lock' from a venv with .[test,app,lint,cluster];"; \
	  echo "# 'make run', 'make test' and 'make app' install with '-c requirements/constraints.txt'. See README (Dependencies)."; \
	  .venv-lock/bin/python -m pip freeze --exclude-editable | grep -v '^hospital-twin'; } > $(LOCK)
	rm -rf .venv-lock

# The Streamlit app for hospital managers, on this machine only (http://127.0.0.1:8501).
app: $(VENV)/.installed-app
	cd app && ../$(BIN)/streamlit run streamlit_app.py --server.address 127.0.0.1 --browser.gatherUsageStats false

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_sim.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
