#!/usr/bin/env bash
# The Ray engine's tests (marked `ray`: they start real Ray instances on this machine, about
# 30 s on 2 cores), which scripts/test.sh leaves out. Needs Ray in .venv:
#   .venv/bin/pip install -e ".[ray]"
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m pytest -q -p no:cacheprovider -m ray "$@"
