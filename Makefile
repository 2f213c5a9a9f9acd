# Two entry points: `make lab` (the product) and `make test` (the whole suite).
# Both bootstrap .venv on a fresh machine; nothing needs installing by hand.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
HOST    ?= 127.0.0.1
PORT    ?= 8888

.PHONY: lab voila test lint bench clean

# uv (from the package registry, into the venv) installs the project's ~140 wheels in
# parallel: a clean clone's bootstrap, no caches, 129-131 -> 43-80 s under load 14-19
# (README "Measured"). Bytecode is compiled at install (~19 s CPU once, telecom_nb's own 0.3 s):
# where Python may not write it (PYTHONDONTWRITEBYTECODE, as on the host these figures come
# from, or a read-only venv) every process otherwise compiles its imports again: a notebook
# kernel's imports 4.2 -> 1.8 s CPU, the CLI's 2.5 -> 0.8 s (forty-eighth session). pip stays
# the fallback if uv cannot install.
$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv || true

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[test]' \
	  || $(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q telecom_nb
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/python -m telecom_nb.warm  # numba's kernels: ~1 min once, then seconds
	$(BIN)/jupyter lab notebooks/live_monitor.ipynb --ip=$(HOST) --port=$(PORT) $(if $(filter 0,$(shell id -u)),--allow-root,)

voila: $(STAMP)
	$(BIN)/python -m telecom_nb.warm
	$(BIN)/voila notebooks/live_monitor.ipynb --Voila.ip=$(HOST) --port=8866 --no-browser --token \
	  --MappingKernelManager.cull_idle_timeout=300 --MappingKernelManager.cull_interval=60

test: $(STAMP)
	$(BIN)/ruff check telecom_nb tests benchmarks
	# Chromium installed (when missing) beside the warm-up; unit tests; browser tests + nbval
	BIN=$(BIN) bash scripts/test_suite.sh

lint: $(STAMP)
	$(BIN)/ruff check telecom_nb tests benchmarks
	$(BIN)/ruff format --check telecom_nb tests benchmarks

bench: $(STAMP)
	$(BIN)/telecom-nb bench --sectors 500,10000,100000 --ticks 20

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
