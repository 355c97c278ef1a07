# newsbot: `make demo` answers a question over the bundled sample article; `make test` runs
# the test suite. Both set up .venv first (once; again when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DATA := .demo-data

.PHONY: setup demo test reliability lint clean reader

setup: $(STAMP)

# torch is pinned and installed first: the CPU wheel on these machines. Left to pip's
# resolver, sentence-transformers would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test,onnx,postgres]'
	touch $(STAMP)

demo: setup
	$(BIN)/newsbot --data-dir $(DEMO_DATA) ingest index/samples/zelensky-putin-meeting.txt
	$(BIN)/newsbot --data-dir $(DEMO_DATA) ask "What condition did Zelensky set?"

# Two workers (pytest-xdist), a test file each at a time: most of a test waits on HTTP or on
# the other half of the bot, so two halves of the suite overlap on two cores. What every
# worker reads is built once (tests/conftest.py `build_once`).
test: setup
	$(BIN)/python -m pytest -n 2 --dist loadfile

# The slow tests (real processes killed mid-way, large corpora) and every property test at
# 1,000 generated cases: benchmarks/README.md "Reliability".
reliability: setup
	NEWSBOT_HYPOTHESIS_PROFILE=thorough $(BIN)/python -m pytest -m "slow or properties"

# Rebuild the reader's weights (retrieval/reader/weights) from its recipe and seed: about
# 25 min to train and 3 to measure on 2 cores it has to itself, ~95 min when it shares them
# (benchmarks/README.md "The reader (issue 20)"). Needs the training
# data at ../shared/data or NEWSBOT_SHARED_DATA; not run by CI. Override settings with
# READER_ARGS="layers=2 epochs=1".
reader: setup
	$(BIN)/python -m retrieval.reader.recipe $(READER_ARGS)

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) $(DEMO_DATA) .pytest_cache
