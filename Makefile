# Set-up is two commands: `make demo` and `make test`. Both create .venv and install
# everything they need, system packages included, on a fresh Debian machine.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
CORPUS ?= ../shared/corpus
ACE_VERSION := 1.4.6
ACE_DIR := $(VENV)/ace
ACE_STAMP := $(ACE_DIR)/.installed-$(ACE_VERSION)
APT := $(shell [ "$$(id -u)" = 0 ] && echo apt-get || echo sudo apt-get)

.PHONY: demo test install system-fonts system-deps ace eval fuzz bench labels clean

# The English sample, then the zh-Hant and Arabic (right-to-left) ones.
demo: install system-fonts
	$(VENV)/bin/exporter build samples/briefing.toml -o out
	$(VENV)/bin/exporter build samples/taiwan-briefing.toml -o out
	$(VENV)/bin/exporter build samples/gulf-briefing.toml -o out

test: install system-deps ace
	$(PY) -m pytest -q -n 2 --dist loadgroup

install: $(STAMP)

$(STAMP):
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

# Debian packages, installed only when missing: fonts for the PDF (CJK and Thai included;
# DejaVu covers Arabic and Hebrew),
# Java for EPUBCheck, Chromium for layout tests and previews, poppler for reading PDFs,
# openssl for the HTTPS fetch test, strace to prove the canary file is never opened.
system-fonts:
	@fc-list 2>/dev/null | grep -qi "Noto Sans CJK" && fc-list | grep -qi "DejaVu Serif" && \
	  fc-list | grep -qi "Loma" || \
	  { $(APT) update -qq && DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq \
	    fonts-noto-cjk fonts-dejavu-core fonts-dejavu-extra fonts-tlwg-loma-ttf >/dev/null; }

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

# DAISY Ace (EPUB accessibility) into $(ACE_DIR), beside the venv that finds it, offline:
# puppeteer's own browser download is skipped, Ace drives the system Chromium. Node and
# npm come from Debian when missing. Done once; the stamp makes later runs instant.
# patches/ace-reuse-tabs.patch halves Ace's CPU time on a many-chapter book without
# changing what it checks (see the patch); a new patch reinstalls Ace.
ace: $(ACE_STAMP)

$(ACE_STAMP): patches/ace-reuse-tabs.patch | $(STAMP)
	@missing=""; command -v npm >/dev/null || missing="nodejs npm"; \
	command -v patch >/dev/null || missing="$$missing patch"; \
	if [ -n "$$missing" ]; then echo "installing: $$missing"; \
	  $(APT) update -qq && DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq $$missing >/dev/null; fi
	rm -rf $(ACE_DIR) && mkdir -p $(ACE_DIR)
	PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix $(ACE_DIR) --no-save --no-audit --no-fund \
	  --loglevel=error @daisy/ace-cli@$(ACE_VERSION) >/dev/null
	patch -p1 --forward --quiet -d $(ACE_DIR)/node_modules/@daisy/ace-axe-runner-puppeteer \
	  < patches/ace-reuse-tabs.patch
	test -x $(ACE_DIR)/node_modules/.bin/ace-cli && touch $@

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

# After changing a label in the code or templates: extract them again (babel.cfg) and
# update every language's catalogue; then translate the new or changed entries.
labels: install
	$(VENV)/bin/pybabel extract -F babel.cfg --no-location --sort-output --omit-header \
	  -o exporter/locale/exporter.pot .
	$(VENV)/bin/pybabel update -i exporter/locale/exporter.pot -d exporter/locale -D exporter \
	  --ignore-pot-creation-date --no-fuzzy-matching

clean:
	rm -rf out .pytest_cache
