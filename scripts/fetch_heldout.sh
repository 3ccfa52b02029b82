#!/usr/bin/env bash
# Fetch the broad held-out photographs (never trained on) from two Debian packages.
# Usage: scripts/fetch_heldout.sh [DEST]   (default: data/heldout-broad)
# plasma-workspace-wallpapers: KDE's photographs (moss, forest path, rows of cups, a lake at
# dusk, leaves...); lomiri-wallpapers-16.04: landscapes, a dragonfly, a bridge, a wine glass.
# Neither package is used for training (scripts/fetch_photos.sh). The largest picture of each
# wallpaper is kept; benchmarks/every_photo.py makes the 1920-px and web-size copies from them.
set -euo pipefail
dest=${1:-data/heldout-broad}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$dest"
(cd "$work" && apt-get download plasma-workspace-wallpapers lomiri-wallpapers-16.04 >/dev/null 2>&1)
for deb in "$work"/*.deb; do
  dpkg -x "$deb" "$work/root"
done
# KDE: one folder per wallpaper, pictures in several sizes; keep the largest.
for folder in "$work"/root/usr/share/wallpapers/*/contents/images; do
  name=$(basename "$(dirname "$(dirname "$folder")")")
  largest=$(ls -S "$folder"/*.jpg 2>/dev/null | head -n 1) || true
  [ -n "$largest" ] && cp -n "$largest" "$dest/plasma_${name}.jpg"
done
find "$work/root/usr/share/backgrounds" -iname '*.jpg' -size +100k | while read -r f; do
  cp -n "$f" "$dest/lomiri16_$(basename "$f")"
done
echo "$(find "$dest" -type f | wc -l) photos in $dest"
