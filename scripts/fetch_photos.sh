#!/usr/bin/env bash
# Fetch the training photographs from Debian wallpaper packages into a folder.
# Usage: scripts/fetch_photos.sh [DEST]   (default: data/photos)
# The photos are not committed; TrainConfig.validation_photos names the held-out ones.
set -euo pipefail
dest=${1:-data/photos}
packages=(mate-backgrounds ukui-wallpapers lomiri-wallpapers-20.04 gnome-backgrounds)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$dest"
(cd "$work" && apt-get download "${packages[@]}" >/dev/null)
for deb in "$work"/*.deb; do
  dpkg -x "$deb" "$work/root"
done
find "$work/root" -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' -o -iname '*.webp' \) -size +100k \
  | while read -r f; do
      pkg=$(echo "$f" | sed -E "s|$work/root/usr/share/(backgrounds\|wallpapers)/?||; s|/|_|g")
      cp -n "$f" "$dest/$pkg"
    done
echo "$(find "$dest" -type f | wc -l) photos in $dest"
