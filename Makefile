# Takeline developer entry points (GNU make).
#
#   make run     build .venv if needed, then open the editor on the demo project (built on
#                first run in the user data folder, ~/.local/share/takeline/demo; DEMO=path
#                for another)
#   make test    build .venv if needed, then ruff, import-linter and pytest (Qt offscreen)
#   make bench   run every benchmarks/bench_*.py
#   make screenshots  docs/screenshots/*.png of the editor on the demo (under Xvfb)
#   make deps    check/install the system packages (scripts/system_deps.sh)
#   make package    a one-folder bundle of the editor and CLI in dist/takeline (PyInstaller,
#                packaging/takeline.spec), then make package-smoke runs it offscreen
#   make test-lowest  the suite in .venv-lowest, on the lowest versions pyproject.toml allows
#   make install-desktop    Takeline in the desktop's menu with its icon and the .takeline
#                type, for this user (~/.local/share), running EXEC [the venv's takeline];
#                make uninstall-desktop removes it
#   make clean   remove .venv and caches;  make distclean  also removes ./demo (where older
#                versions built the demo; the current one is in the user data folder)
#
# Variables:
#   PYTHON       interpreter that creates the venv (>= 3.11)          [python3]
#   TORCH_SPEC   what pip installs for torch, before anything else    [torch==2.13.0]
#   TORCH_INDEX  optional --index-url for torch only, e.g. for a GPU build:
#                  make TORCH_SPEC=torch TORCH_INDEX=https://download.pytorch.org/whl/cu128 test
#   PYTEST_ARGS  extra pytest arguments, e.g. make test PYTEST_ARGS='-k edits -x'
#   DEMO         the demo project `make run` opens (default: in the user data folder)
#
# torch is pinned and installed first on purpose: torch==2.13.0 resolves to the CPU wheel in the
# local wheel cache, whereas an unpinned torch (or one pulled in by another package) is the
# multi-GB CUDA build. The same spec is then passed as a constraint to the project install, so
# nothing can silently replace it. CI stays on CPU torch.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON      ?= python3
TORCH_SPEC  ?= torch==2.13.0
TORCH_INDEX ?=
PYTEST_ARGS ?=
DEMO        ?=
EXEC        ?= $(VENV)/bin/takeline

VENV   := .venv
VPY    := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TORCH_PIP_ARGS := $(if $(strip $(TORCH_INDEX)),--index-url $(TORCH_INDEX))

# In CI (CI=true): no .pytest_cache in the clone, and Hypothesis' derandomized "ci" profile
# (built into Hypothesis; tests/conftest.py may register its own "ci" profile, which wins).
ifeq ($(CI),true)
PYTEST_CI_ARGS := -p no:cacheprovider --hypothesis-profile=ci
else
PYTEST_CI_ARGS :=
endif

.PHONY: help venv deps check-python run test lint imports pytest bench screenshots clean \
        distclean install-desktop uninstall-desktop package package-smoke test-lowest

help:
	@echo "make run | test | bench | screenshots | deps | venv | lint | imports | pytest |" \
	      "package | package-smoke | test-lowest | install-desktop | uninstall-desktop |" \
	      "clean | distclean"

# Fails clearly when the interpreter that would create the venv is missing or older than 3.11.
define CHECK_PYTHON
command -v $(PYTHON) >/dev/null 2>&1 || { \
    echo "ERROR: '$(PYTHON)' not found; install Python >= 3.11 or pass PYTHON=..." >&2; exit 1; }; \
$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || { \
    echo "ERROR: Takeline needs Python >= 3.11, but $(PYTHON) is" \
         "$$($(PYTHON) -c 'import platform; print(platform.python_version())')." \
         "Install a newer one and run: make PYTHON=python3.11 ..." >&2; exit 1; }
endef

check-python:
	@$(CHECK_PYTHON)

deps:
	PYTHON=$(PYTHON) bash scripts/system_deps.sh

venv: $(STAMP)

# The stamp is rebuilt when pyproject.toml changes; a failed install leaves no stamp, so the next
# make retries. Re-running `python -m venv` on an existing .venv keeps what it has.
$(STAMP): pyproject.toml
	@$(CHECK_PYTHON)
	PYTHON=$(PYTHON) bash scripts/system_deps.sh
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --upgrade pip
	$(VPY) -m pip install $(TORCH_PIP_ARGS) '$(TORCH_SPEC)'
	printf '%s\n' '$(TORCH_SPEC)' > $(VENV)/torch-constraint.txt
	$(VPY) -m pip install --constraint $(VENV)/torch-constraint.txt -e '.[dev,generate,farm]'
	@$(VPY) -c 'import torch; print("torch", torch.__version__, "cuda:", torch.version.cuda)'
	touch $@

run: $(STAMP)
	@if [ -z "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ] && [ -z "$${QT_QPA_PLATFORM:-}" ]; then \
	    echo "warning: neither DISPLAY nor WAYLAND_DISPLAY is set; Qt may not find a screen" >&2; fi
	$(if $(strip $(DEMO)),TAKELINE_DEMO='$(DEMO)' )$(VPY) -m cli --demo

# All three checks run even when one fails, so one CI log shows every problem; pytest runs last
# so its summary line closes the output.
test: $(STAMP)
	@failed=""; \
	echo "==> ruff check ."; \
	$(VENV)/bin/ruff check . || failed="$$failed ruff"; \
	echo "==> lint-imports"; \
	$(VENV)/bin/lint-imports || failed="$$failed lint-imports"; \
	echo "==> pytest (QT_QPA_PLATFORM=offscreen)"; \
	QT_QPA_PLATFORM=offscreen $(VPY) -m pytest $(PYTEST_CI_ARGS) $(PYTEST_ARGS) || failed="$$failed pytest"; \
	if [ -n "$$failed" ]; then echo "make test: FAILED:$$failed" >&2; exit 1; fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .

imports: $(STAMP)
	$(VENV)/bin/lint-imports

pytest: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(VPY) -m pytest $(PYTEST_CI_ARGS) $(PYTEST_ARGS)

bench: $(STAMP)
	@shopt -s nullglob; benches=(benchmarks/bench_*.py); \
	if [ $${#benches[@]} -eq 0 ]; then echo "no benchmarks/bench_*.py found"; exit 0; fi; \
	failed=""; \
	for b in "$${benches[@]}"; do \
	    echo "==> $$b"; \
	    QT_QPA_PLATFORM=$${QT_QPA_PLATFORM:-offscreen} $(VPY) "$$b" || failed="$$failed $$b"; \
	done; \
	if [ -n "$$failed" ]; then echo "make bench: FAILED:$$failed" >&2; exit 1; fi

# The real window on a private Xvfb display (the script starts it, and installs xvfb with
# apt when run as root); the demo project is built in a temporary folder.
screenshots: $(STAMP)
	$(VPY) scripts/screenshots.py
	$(VPY) scripts/screenshot_source_monitor.py  # offscreen: no X needed
	$(VPY) scripts/screenshot_timeline_editing.py  # offscreen too
	@if command -v xvfb-run >/dev/null 2>&1; then \
	    xvfb-run -a env QT_QPA_PLATFORM=xcb $(VPY) scripts/screenshot_conditioning_editors.py && \
	    xvfb-run -a env QT_QPA_PLATFORM=xcb $(VPY) scripts/screenshot_takes_compare.py; \
	else \
	    echo "xvfb-run not found (Debian: xvfb); editor screenshots use the offscreen platform"; \
	    $(VPY) scripts/screenshot_conditioning_editors.py && \
	    $(VPY) scripts/screenshot_takes_compare.py; \
	fi

# PyInstaller goes into the project venv (a build tool, not a dependency); the bundle leaves
# the model runtime out unless TAKELINE_BUNDLE_GENERATE=1 (packaging/README.md).
package: $(STAMP)
	$(VPY) -m pip install --constraint $(VENV)/torch-constraint.txt 'pyinstaller>=6.10'
	$(VPY) -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller \
	    packaging/takeline.spec
	$(MAKE) package-smoke

package-smoke:
	bash packaging/smoke.sh dist/takeline

# The suite on the lowest versions pyproject.toml allows, in a venv of its own: pip cannot
# resolve to lowest versions, so scripts/lowest_constraints.py pins every floor (name==X for
# name>=X). torch is the exception: TORCH_SPEC (the CPU wheel), since torch's floor on PyPI is
# a multi-GB CUDA build. Rebuilt from scratch each time, so a floor change is never masked.
LOWEST := .venv-lowest
test-lowest:
	@$(CHECK_PYTHON)
	rm -rf $(LOWEST)
	$(PYTHON) -m venv $(LOWEST)
	$(LOWEST)/bin/python -m pip install --upgrade pip
	$(LOWEST)/bin/python scripts/lowest_constraints.py --except torch > $(LOWEST)/lowest.txt
	printf '%s\n' '$(TORCH_SPEC)' >> $(LOWEST)/lowest.txt
	$(LOWEST)/bin/python -m pip install $(TORCH_PIP_ARGS) '$(TORCH_SPEC)'
	$(LOWEST)/bin/python -m pip install --constraint $(LOWEST)/lowest.txt -e '.[dev,generate,farm]'
	$(LOWEST)/bin/python -m pip list --format=freeze > $(LOWEST)/installed.txt
	QT_QPA_PLATFORM=offscreen $(LOWEST)/bin/python -m pytest $(PYTEST_CI_ARGS) $(PYTEST_ARGS)

# With EXEC=dist/takeline/takeline the menu entry runs the bundle (make package) instead.
install-desktop: $(if $(filter $(VENV)/bin/takeline,$(EXEC)),$(STAMP))
	bash scripts/install_desktop.sh '$(EXEC)'

uninstall-desktop:
	bash scripts/install_desktop.sh --uninstall

clean:
	rm -rf $(VENV) .venv-lowest build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache .hypothesis \
	    .import_linter_cache
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

distclean: clean
	rm -rf demo
