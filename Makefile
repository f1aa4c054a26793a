# Set-up is two commands: `make demo` and `make test`. Both create .venv and install
# everything they need, system packages included, on a fresh Debian machine.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
CORPUS ?= ../shared/corpus
APT := $(shell [ "$$(id -u)" = 0 ] && echo apt-get || echo sudo apt-get)

.PHONY: demo test install system-fonts system-deps eval fuzz bench clean

demo: install system-fonts
	$(VENV)/bin/exporter build samples/briefing.toml -o out

test: install system-deps
	$(PY) -m pytest -q -n 2 --dist loadgroup

install: $(STAMP)

$(STAMP):
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

# Debian packages, installed only when missing: fonts for the PDF (CJK included),
# Java for EPUBCheck, Chromium for layout tests and previews, poppler for reading PDFs,
# openssl for the HTTPS fetch test, strace to prove the canary file is never opened.
system-fonts:
	@fc-list 2>/dev/null | grep -qi "Noto Sans CJK" && fc-list | grep -qi "DejaVu Serif" || \
	  { $(APT) update -qq && DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq \
	    fonts-noto-cjk fonts-dejavu-core fonts-dejavu-extra >/dev/null; }

system-deps: system-fonts
	@missing=""; \
	command -v java >/dev/null || missing="$$missing default-jre-headless"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	command -v openssl >/dev/null || missing="$$missing openssl"; \
	command -v strace >/dev/null || missing="$$missing strace"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(APT) update -qq && DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq $$missing >/dev/null; \
	fi

# The web-page and pasted-text sources on the three corpora (aeb-dev, pages-dev,
# pasted-dev), each split into a dev half and a held-out half, trafilatura beside them.
eval: install
	$(PY) tests/eval_corpora.py --corpus $(CORPUS)

# Longer fuzzing and the full hostile corpus (about 7 minutes on 2 cores).
fuzz: install system-deps
	HYPOTHESIS_PROFILE=long HOSTILE_FULL=1 FAILURE_KILLS=40 FAILURE_ROUNDS=3 \
	  $(PY) -m pytest -q -n 2 --dist loadgroup tests/test_properties.py tests/test_backend_properties.py \
	  tests/test_hostile.py tests/test_failure.py

# Speed against pandoc and calibre on generated issues, then personal editions and their
# delivery to a local SMTP sink (never part of `make test`).
# QUICK=1: N=50 only. Prints a table and writes out/bench.json. The first run generates
# 1000 photos into out/bench-data (a minute or two), reused afterwards.
bench: install system-fonts
	@missing=""; \
	command -v pandoc >/dev/null || missing="$$missing pandoc"; \
	command -v ebook-convert >/dev/null || missing="$$missing calibre"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(APT) update -qq && DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq $$missing >/dev/null; \
	fi
	$(PY) tests/bench/run.py
	$(PY) tests/bench/editions.py

clean:
	rm -rf out .pytest_cache
