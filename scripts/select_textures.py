"""Copy the photographic, textured pictures of an unpacked Debian tree into a training folder.

Game data holds more than photographic textures: UV atlases, normal and gloss maps, sprites on
black or on transparency, icons. Kept: pictures of at least `MIN_SIDE` px, opaque, whose fine
detail is strong and spread (not mostly flat, not mostly black), not a normal map, and not seen
before (same bytes). Usage: python scripts/select_textures.py UNPACKED_ROOT DEST
"""

from __future__ import annotations

import hashlib
import re
import shutil
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from watermark.core.luma import luma as to_luma

MIN_SIDE = 256
NOT_A_PICTURE = re.compile(
    r"normal|_nm|nrm|gloss|spec|mask|light|emit|bump|height|rough|metal|occlusion|icon|logo|"
    r"font|gui|splash|text|page|chess|checker|palette|skybox|_n\.|_s\.|_g\.",
    re.IGNORECASE,
)
MIN_DETAIL = 2.0  # grey levels: standard deviation of luma minus its blur (σ 1.5 px)
MAX_FLAT = 0.4  # share of pixels whose 7×7 neighbourhood varies less than 1 grey level
MAX_BLACK = 0.2  # share of pixels darker than 8 (sprites cut out on black)


def is_textured_photo(path: Path) -> bool:
    if NOT_A_PICTURE.search(path.name):
        return False
    try:
        with Image.open(path) as image:
            if min(image.size) < MIN_SIDE:
                return False
            rgba = np.asarray(image.convert("RGBA"))
    except OSError:
        return False
    if np.mean(rgba[..., 3] < 250) > 0.005:
        return False
    rgb = rgba[..., :3].astype(np.float32)
    red, green, blue = (rgb[..., i].mean() for i in range(3))
    if blue > 180 and abs(red - 128) < 30 and abs(green - 128) < 30:
        return False  # a normal map
    luma = to_luma(rgb)
    detail = luma - cv2.GaussianBlur(luma, (0, 0), 1.5)
    mean = cv2.blur(luma, (7, 7))
    local_std = np.sqrt(np.maximum(cv2.blur(luma * luma, (7, 7)) - mean * mean, 0.0))
    return (
        detail.std() >= MIN_DETAIL
        and np.mean(local_std < 1.0) <= MAX_FLAT
        and np.mean(luma < 8) <= MAX_BLACK
    )


def select(root: Path, dest: Path) -> int:
    dest.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    kept = 0
    candidates = sorted(p for p in root.rglob("*") if p.suffix.lower() in {".png", ".jpg", ".jpeg"})
    for path in candidates:
        digest = hashlib.md5(path.read_bytes()).hexdigest()
        if digest in seen or not is_textured_photo(path):
            continue
        seen.add(digest)
        name = "_".join(path.relative_to(root).parts[-3:])
        shutil.copyfile(path, dest / name)
        kept += 1
    return kept


if __name__ == "__main__":
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    print(f"{select(source, target)} textured pictures in {target} (of {source})")
