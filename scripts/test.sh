#!/usr/bin/env bash
# Install everything the tests need (venv + test packages + Debian's chromium) and run the whole suite.
# Extra arguments go to pytest, e.g. scripts/test.sh -k checkpoints
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
scripts/install-test-deps.sh
exec .venv/bin/python -m pytest "$@"
