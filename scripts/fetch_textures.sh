#!/usr/bin/env bash
# Fetch textured training pictures (gravel, rock, grass, sand, wood, stone walls, bark, a few
# photos) from Debian packages into a folder; scripts/select_textures.py keeps only opaque,
# textured, photographic-looking pictures of at least 256 px (no UV atlases, normal maps,
# sprites on black). Usage: scripts/fetch_textures.sh [DEST]   (default: data/textures)
# supertuxkart-data and extremetuxracer-data: the games' photographic ground and wall textures;
# python3-skimage: scikit-image's sample photos (grass, gravel, brick, coffee, a cat...).
# None of these is a held-out source (scripts/fetch_heldout.sh). Nothing here is committed.
set -euo pipefail
dest=${1:-data/textures}
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-$here/../.venv/bin/python}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download supertuxkart-data extremetuxracer-data python3-skimage >/dev/null)
for deb in "$work"/*.deb; do
  dpkg -x "$deb" "$work/root"
done
"$python" "$here/select_textures.py" "$work/root" "$dest"
