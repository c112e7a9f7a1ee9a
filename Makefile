# Two commands do everything on a fresh machine:
#   make run    -> create .venv, install labconsole, start it (no config: the bundled demo)
#   make test   -> create .venv, install dev deps (+ Debian packages when root), lint, run all tests
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: run test lint deps bench fuzz clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/labconsole $(ARGS)

deps:
	@sh .ci/debian-deps.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	sh .ci/static-checks.sh $(VENV)

# pytest exits 5 when it collected nothing: make treats that as a failure, as it should.
# -rs lists every skip with its reason (lab tests skip without root or ip netns; in CI they
# fail instead: tests/conftest.py). --durations lists the slowest tests, so a slow one shows.
test: $(STAMP) deps lint
	$(PY) -m pytest -q -rs --durations=25 --durations-min=1.0 $(PYTEST_ARGS)

bench: $(STAMP) deps
	$(PY) -m bench $(ARGS)

# Coverage-guided fuzzing of every parser (atheris): FUZZ_SECONDS each, two at a time.
FUZZ_SECONDS ?= 60
fuzz: $(STAMP)
	$(PY) -m tests.fuzz.run --seconds $(FUZZ_SECONDS) --jobs 2

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .typecheck build *.egg-info
