#!/usr/bin/env bash
# Set up, then watermark the bundled sample photo with the bundled mark and read the mark back.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
mkdir -p demo
.venv/bin/wm embed assets/sample.jpg assets/mark.png -o demo/sample.wm.jpg --force
.venv/bin/wm extract demo/sample.wm.jpg -o demo/sample.wm.mark.png --force
echo "Marked photo: demo/sample.wm.jpg   Recovered mark: demo/sample.wm.mark.png"
