# Two commands on a fresh machine: `make run` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench eval-faq clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) app.py

test: $(STAMP)
	$(PY) -m pytest -q -n 4

bench: $(STAMP)
	$(PY) bench/ingest.py
	$(PY) bench/votes.py
	$(PY) bench/broadcast.py
	$(PY) bench/faq.py
	$(PY) bench/faq.py --compare

# FAQ accuracy through the real webhook on the shared development questions (or FAQ_QUESTIONS=file.tsv).
FAQ_QUESTIONS ?= ../shared/faq-dev.tsv
eval-faq: $(STAMP)
	$(PY) bench/eval_faq.py --file $(FAQ_QUESTIONS)

clean:
	rm -rf $(VENV) instance/*.sqlite3* .pytest_cache
