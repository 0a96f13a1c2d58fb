# Two commands do everything on a fresh machine:
#   make demo   set up what is missing, analyse a shipped sample video into results/
#   make test   set up what is missing, run the test suite
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_CLIP ?= sample_videos/seated_cable_row.mp4
DEMO_EXERCISE ?= seated_row

.PHONY: setup demo test lint bench clean fixtures model

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev,ray]"
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/formcheck analyze $(DEMO_CLIP) --exercise $(DEMO_EXERCISE) --out results --annotate

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check formcheck tests bench
	$(BIN)/mypy formcheck

clean:
	rm -rf results .pytest_cache

# Regenerate the stored landmark fixtures from sample_videos/ (runs the model; review the test diff after).
fixtures: setup
	for v in sample_videos/*.mp4; do \
	  $(BIN)/formcheck extract $$v -o tests/fixtures/landmarks/$$(basename $$v .mp4).npz --no-progress || exit 1; \
	done

bench: setup
	$(BIN)/python bench/bench.py
	$(BIN)/python bench/bench_batch.py

# Rebuild the shipped pose model from the mediapipe 0.10.21 wheel in its own pinned environment,
# and check it against the committed sha256 (see formcheck/media/models/NOTICE).
MODEL_DIR := formcheck/media/models
model:
	$(PY) -m venv .venv-model
	.venv-model/bin/python -m pip install -q -r tools/model/requirements.txt
	.venv-model/bin/python tools/model/build_pose_task.py $(MODEL_DIR)/pose_landmarker_full.task --check $(MODEL_DIR)/pose_landmarker_full.task.sha256
