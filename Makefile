# Two commands on a fresh machine: `make demo` (the main job) and `make test` (the suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV     := $(BIN)/uv
STAMP  := $(VENV)/.installed
export MLFLOW_DISABLE_TELEMETRY := true
export MLFLOW_TRACKING_URI ?= sqlite:///mlflow.db
export SPARK_LOCAL_IP := 127.0.0.1
export PYSPARK_PYTHON := $(CURDIR)/$(BIN)/python
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: demo test bench lint notebooks lab clean

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9

# the lock pins every package; --frozen refuses to run if pyproject and lock disagree;
# --compile-bytecode writes every module's .pyc once here, so no command compiles the ~3,250
# modules it imports again on every start (this machine runs with PYTHONDONTWRITEBYTECODE=1)
$(STAMP): $(UV) pyproject.toml uv.lock
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --all-extras --python $(BIN)/python --quiet --compile-bytecode
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/riskmodels demo

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup

bench: $(STAMP)
	$(BIN)/python -m benchmarks

lint: $(STAMP)
	$(BIN)/ruff check riskmodels tests benchmarks notebooks

notebooks: $(STAMP)
	$(BIN)/jupytext --sync notebooks/*.py

# the demo's environment has JupyterLab and ipywidgets (the notebooks extra)
lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf $(VENV) mlruns mlartifacts mlflow.db reports .pytest_cache
