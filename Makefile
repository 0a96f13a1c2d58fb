# Two commands do everything on a fresh machine:
#   make demo   set up what is missing (the package and its base dependencies), analyse a shipped sample video into results/
#   make test   set up what is missing (the test extras, Ray, Debian's chromium, poppler, espeak-ng), run the test suite
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
DEMO_CLIP ?= sample_videos/seated_cable_row.mp4
DEMO_EXERCISE ?= seated_row
# One stamp per set of extras, all in the one venv: `make demo` installs only the base
# dependencies; `make test` and `make lint` add theirs to it later (pip upgrades in place).
BASE := $(VENV)/.installed-base
TEST := $(VENV)/.installed-test
DEV := $(VENV)/.installed-dev

.PHONY: setup demo test chromium pdftools espeak lint bench clean fixtures model eval robustness

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(BASE): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[test,ray]"
	touch $@

$(DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev,ray]"
	touch $@

# A developer's venv: everything (tests, Ray, ruff, mypy, matplotlib for docs/ figures).
setup: $(DEV)

demo: $(BASE)
	$(BIN)/formcheck analyze $(DEMO_CLIP) --exercise $(DEMO_EXERCISE) --out results --annotate

# The browser tests need Debian's chromium: installed here when missing, or one line saying how.
chromium:
	tools/ensure-chromium

# The report tests need poppler and Pango (Debian packages): installed here when missing.
pdftools:
	tools/ensure-pdf-tools

# The terminal voice's test speaks through espeak-ng (a Debian package): installed here when missing.
espeak:
	tools/ensure-espeak

test: $(TEST) chromium pdftools espeak
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(DEV)
	$(BIN)/ruff check formcheck tests bench
	$(BIN)/mypy formcheck

clean:
	rm -rf results .pytest_cache

# Regenerate the stored landmark fixtures from sample_videos/ (runs the model; review the test diff after).
fixtures: $(BASE)
	for v in sample_videos/*.mp4; do \
	  $(BIN)/formcheck extract $$v -o tests/fixtures/landmarks/$$(basename $$v .mp4).npz --no-progress || exit 1; \
	done

# Accuracy on every labelled real clip (eval/real_labels.csv: the repo's samples and ../shared/clips,
# which is not in the repo; runs the model on each clip, about 4 minutes), and the robustness
# suite: each clip mirrored, shrunk, tilted, cropped, trimmed and cut into another (about 15-20 minutes
# on 2 cores; the remade clips are kept in results/variants and reused).
JOBS ?= 2
eval: $(BASE)
	@test -d ../shared/clips || { echo "error: make eval needs the labelled real clips in ../shared/clips" >&2; exit 1; }
	$(BIN)/formcheck eval eval/real_labels.csv

robustness: $(BASE)
	@test -d ../shared/clips || { echo "error: make robustness needs the labelled real clips in ../shared/clips" >&2; exit 1; }
	$(BIN)/formcheck eval eval/real_labels.csv --variants all --work results/variants --jobs $(JOBS)

bench: $(BASE)
	$(BIN)/python bench/bench.py
	$(BIN)/python bench/bench_batch.py

# Rebuild the shipped pose model from the mediapipe 0.10.21 wheel in its own pinned environment,
# and check it against the committed sha256 (see formcheck/media/models/NOTICE).
MODEL_DIR := formcheck/media/models
model:
	$(PY) -m venv .venv-model
	.venv-model/bin/python -m pip install -q -r tools/model/requirements.txt
	.venv-model/bin/python tools/model/build_pose_task.py $(MODEL_DIR)/pose_landmarker_full.task --check $(MODEL_DIR)/pose_landmarker_full.task.sha256
