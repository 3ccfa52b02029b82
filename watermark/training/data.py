"""Training data: photos from one or more folders (scripts/fetch_photos.sh,
scripts/fetch_textures.sh), decoded once into luma caches, random crops at random scales and
flips, with random marks whitened as at inference. Photos whose stem is listed in
`TrainConfig.validation_photos` are held out for validation. Each folder gets an equal share of
the crops, so that a folder of many small texture tiles does not drown one of few large photos.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from ..app import formats
from ..app.errors import ImageError
from ..app.io import load_photo
from ..config import TRAIN, ModelConfig, TrainConfig
from ..core.keys import random_whitening
from ..core.luma import luma as to_luma
from ..core.marks import random_marks
from ..core.tiling import plane_map

if TYPE_CHECKING:
    from ..nets.tf_env import tf


def split_photos(folder: Path, config: TrainConfig = TRAIN) -> tuple[list[Path], list[Path]]:
    """(training, validation) photo paths; validation = stems named in the config (may be
    none)."""
    photos = sorted(p for p in folder.rglob("*") if formats.by_suffix(p) is not None)
    held_out = set(config.validation_photos)
    validation = [p for p in photos if p.stem in held_out]
    training = [p for p in photos if p.stem not in held_out]
    if not training:
        raise FileNotFoundError(f"{folder}: no training images found")
    return training, validation


def load_caches(
    folders: Sequence[Path], config: TrainConfig = TRAIN
) -> tuple[list[list[np.ndarray]], list[np.ndarray]]:
    """(a training cache per folder, the validation cache); with no held-out photo in any
    folder, the first training photo validates (a run on generated images, in the tests)."""
    training, validation = [], []
    for folder in folders:
        train_paths, held_out = split_photos(folder, config)
        training.append(load_luma_cache(train_paths, config.cache_long_side))
        validation += load_luma_cache(held_out, config.cache_long_side)
    print(
        f"{sum(map(len, training))} training photos ({', '.join(map(str, folders))}), "
        f"{len(validation)} validation photos",
        flush=True,
    )
    return training, validation or training[0][:1]


def load_luma_cache(paths: list[Path], long_side: int) -> list[np.ndarray]:
    """Each photo as uint8 luma, upright (EXIF orientation applied, as `wm embed` reads it),
    scaled so its long side is at most `long_side`; files that do not read are left out."""
    cache = []
    for path in paths:
        try:
            luma = to_luma(load_photo(path))
        except ImageError:
            continue
        scale = min(1.0, long_side / max(luma.shape))
        size = (round(luma.shape[1] * scale), round(luma.shape[0] * scale))
        cache.append(cv2.resize(luma, size, interpolation=cv2.INTER_AREA))
    return cache


def batches(
    caches: list[list[np.ndarray]],
    config: TrainConfig,
    model: ModelConfig,
    seed: int,
    first_step: int,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Endless (luma crops B×C×C×1, plane maps B×C/4×C/4×1) batches, reproducible from `seed`.

    From step `whiten_after_steps` on, marks are whitened with a random key each, as
    `Watermarker` whitens every mark (see `keys`). Before, they are left as drawn (mostly white
    logos, blocky noise): a cold start on coin-flip planes collapses the extractor to a constant
    0.5 within a few dozen steps (dead ReLUs, measured), while structured planes give it a
    prior to hold on to until the embedding is found. A 128 px crop holds exactly one period of
    the plane; smaller crops hold part of it.
    """
    rng = np.random.default_rng(seed + first_step)
    crop = config.crop
    step = first_step
    while True:
        images = np.stack([_random_crop(caches, crop, config, rng) for _ in range(config.batch)])
        marks = random_marks(config.batch, rng, model.plane_size)
        whiten = step >= config.whiten_after_steps
        planes = [random_whitening(rng, model.plane_size).apply(m) if whiten else m for m in marks]
        step += 1
        maps = np.stack([plane_map(plane, (crop, crop), model) for plane in planes])
        yield images[..., None], maps[..., None]


def _random_crop(
    caches: list[list[np.ndarray]], crop: int, config: TrainConfig, rng: np.random.Generator
) -> np.ndarray:
    cache = caches[rng.integers(len(caches))]
    image = cache[rng.integers(len(cache))]
    side = min(int(crop * rng.uniform(*config.crop_scale)), *image.shape)
    top = rng.integers(image.shape[0] - side + 1)
    left = rng.integers(image.shape[1] - side + 1)
    patch = image[top : top + side, left : left + side]
    interpolation = cv2.INTER_AREA if side > crop else cv2.INTER_LINEAR
    patch = cv2.resize(patch, (crop, crop), interpolation=interpolation)
    if rng.random() < 0.5:
        patch = patch[:, ::-1]
    if rng.random() < 0.5:
        patch = patch[::-1]
    return patch.astype(np.float32) / 255.0


def dataset(
    caches: list[list[np.ndarray]],
    config: TrainConfig,
    model: ModelConfig,
    seed: int,
    first_step: int,
) -> tf.data.Dataset:
    from ..nets.tf_env import tf  # only here: the photo split and the cache need no TensorFlow

    crop, cells = config.crop, config.crop // model.cell
    signature = (
        tf.TensorSpec((None, crop, crop, 1), tf.float32),
        tf.TensorSpec((None, cells, cells, 1), tf.float32),
    )
    return tf.data.Dataset.from_generator(
        lambda: batches(caches, config, model, seed, first_step), output_signature=signature
    ).prefetch(2)
