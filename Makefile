# Tradelane — two commands on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install services chromium test e2e test-unit test-odoo lint demo bench chaos fuzz clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# Start PostgreSQL and NATS JetStream when they are not already running.
services: install
	@bash scripts/services.sh

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser of its own).
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# The control tower and the portal in Chromium, plus their HTTP-level checks; screenshots under e2e-artifacts/.
e2e: install chromium
	$(BIN)/pytest -q -p no:cacheprovider -m e2e tests/e2e

# Everything: the browser tests first (make e2e), then the rest.
test: install services lint e2e
	$(BIN)/pytest -q -p no:cacheprovider --durations=15 -m "not e2e"

test-unit: install
	$(BIN)/pytest -q tests/unit

# The Odoo contract suite and the outbound and returns flow scenarios against a real Odoo
# (TRADELANE_ODOO_URL/DB/USER/PASSWORD must be set; the flow rig then uses it instead of the emulator).
test-odoo: install
	@test -n "$$TRADELANE_ODOO_URL" || (echo "set TRADELANE_ODOO_URL, TRADELANE_ODOO_DB, TRADELANE_ODOO_USER, TRADELANE_ODOO_PASSWORD" && exit 2)
	$(BIN)/pytest -q -p no:cacheprovider tests/contract tests/acceptance/test_outbound_flow.py \
		tests/acceptance/test_returns_flow.py tests/acceptance/test_inbound_flow.py \
		tests/acceptance/test_settlement_flow.py tests/acceptance/test_settlement_edi210.py \
		tests/acceptance/test_inventory_flow.py tests/acceptance/test_wms_receipts.py \
		tests/acceptance/test_demo.py::test_demo_on_real_odoo

demo: install
	$(BIN)/tradelane demo

# the e2e figures in distributed mode need PostgreSQL and NATS (make services)
bench: install services
	$(BIN)/python bench/run.py

# The delivery contract under kill -9 (embedded and distributed): exits non-zero on any loss or duplicate effect.
chaos: install services
	$(BIN)/python bench/chaos.py

fuzz: install
	FUZZ_EXAMPLES=20000 $(BIN)/pytest -q tests/unit/edi -k fuzz

clean:
	rm -rf $(VENV) .tradelane .pytest_cache .mypy_cache .ruff_cache e2e-artifacts
