# The two commands a newcomer needs: `make run` and `make test`.
# Each creates .venv on first use and (re)installs the project when pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    ?= results

.PHONY: run test app venv clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip >/dev/null

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[test]'
	touch $@ $(VENV)/.installed

venv: $(VENV)/.installed

WORKERS ?= $(shell nproc 2>/dev/null || echo 2)

# The main job: the baseline hospital against two what-ifs, paired under common random numbers;
# writes results/baseline-vs-whatifs/ with report.html.
run: $(VENV)/.installed
	$(BIN)/hospital-twin validate scenarios/baseline.yaml scenarios/whatif/*.yaml
	$(BIN)/hospital-twin compare scenarios/baseline.yaml scenarios/whatif/winter_surge.yaml \
		scenarios/whatif/more_icu_beds.yaml --workers $(WORKERS) --log --out $(OUT)/baseline-vs-whatifs

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n 2

# The Streamlit app for hospital managers, on this machine only (http://127.0.0.1:8501).
app: $(VENV)/.installed
	cd app && ../$(BIN)/streamlit run streamlit_app.py --server.address 127.0.0.1 --browser.gatherUsageStats false

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_sim.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
