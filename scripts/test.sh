#!/usr/bin/env bash
# Set up, then run the test suite; the exit code is pytest's (0 only when every test passed).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
