#!/usr/bin/env bash
# Set up, then run the test suite; the exit code is pytest's (0 only when every test passed).
# The Ray engine's tests (marked `ray`) are left out: scripts/test_ray.sh runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python -m pytest -q -p no:cacheprovider -m "not ray" "$@"
