# Two commands on a fresh machine: `make run` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test browser nginx bench eval-faq clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) app.py

test: $(STAMP) browser nginx
	$(PY) -m pytest -q -n 4

# The browser tests drive Debian's Chromium with Thai fonts (a test tool's own browser download does not work
# here); the PDF report needs the Thai font, and its test reads the PDF back with poppler-utils (pdftotext,
# pdftoppm). Installed once, when missing; without root outside CI those tests skip and say why.
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi tlwg || ! fc-list 2>/dev/null | grep -qi emoji || ! command -v pdftoppm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium, fonts-thai-tlwg and poppler-utils (apt-get)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-thai-tlwg fonts-noto-color-emoji poppler-utils >/dev/null; \
	  else echo "browser and report tests need: apt-get install chromium fonts-thai-tlwg fonts-noto-color-emoji poppler-utils"; fi; \
	fi

# The production recipe's reverse proxy (deploy/nginx/opengov-bot.conf) is tested and benchmarked with Debian's
# nginx (and openssl for its test certificate). Installed once, when missing, as the browser above; without root
# the nginx test skips and says why.
nginx:
	@if { ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; } || ! command -v openssl >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing nginx and openssl (apt-get)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx openssl >/dev/null; \
	  else echo "the reverse-proxy test needs: apt-get install nginx openssl"; fi; \
	fi

bench: $(STAMP) nginx
	$(PY) bench/ingest.py
	$(PY) bench/votes.py
	$(PY) bench/questions.py
	$(PY) bench/questions_duplicates.py
	$(PY) bench/broadcast.py
	$(PY) bench/faq.py
	$(PY) bench/faq.py --compare
	$(PY) bench/opinions.py
	$(PY) bench/opinions.py --route webhook
	$(PY) bench/live_viewers.py

# FAQ accuracy through the real webhook on the shared development questions (or FAQ_QUESTIONS=file.tsv).
FAQ_QUESTIONS ?= ../shared/faq-dev.tsv
eval-faq: $(STAMP)
	$(PY) bench/eval_faq.py --file $(FAQ_QUESTIONS)

clean:
	rm -rf $(VENV) instance/*.sqlite3* .pytest_cache
