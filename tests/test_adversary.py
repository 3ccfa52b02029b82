from dataclasses import replace

import numpy as np
import pytest

from tests.images import photo
from watermark import Watermarker
from watermark.config import MODEL, SYNC
from watermark.core import adversary
from watermark.core.binding import binding_pattern
from watermark.core.keys import key_seed
from watermark.core.luma import luma
from watermark.core.metrics import psnr
from watermark.core.tiling import fold, plane_map

# A 256-px photo is worked at 512 px (see tiling.working_shape): one period is 64 photo px.
PHOTO = photo(256, 256, seed=3)
PATTERN = np.random.default_rng(4).choice([-3.0, 3.0], (16, 16)).repeat(4, 0).repeat(4, 1)


def with_pattern(image: np.ndarray) -> np.ndarray:
    tiled = np.tile(PATTERN, (image.shape[0] // 64, image.shape[1] // 64))
    return np.clip(np.rint(image + tiled[..., None]), 0, 255).astype(np.uint8)


def correlation(first: np.ndarray, second: np.ndarray) -> float:
    return float(np.corrcoef(first.ravel(), second.ravel())[0, 1])


def test_the_fold_estimate_finds_a_pattern_that_repeats_with_the_period():
    estimate = adversary.fold_estimate(with_pattern(PHOTO), MODEL, SYNC)
    truth = np.tile(PATTERN, (4, 4))
    assert correlation(estimate, truth) > 0.6
    assert abs(correlation(adversary.fold_estimate(PHOTO, MODEL, SYNC), truth)) < 0.2


def test_the_denoise_estimate_is_the_fine_detail():
    estimate = adversary.denoise_estimate(PHOTO)
    assert estimate.shape == PHOTO.shape[:2]
    assert abs(float(estimate.mean())) < 1.0 and estimate.std() > 0.5


@pytest.mark.parametrize("decibels", [38.0, 45.0])
def test_the_attacker_pays_the_psnr_asked(decibels: float):
    estimate = adversary.fold_estimate(with_pattern(PHOTO), MODEL, SYNC)
    assert psnr(PHOTO, adversary.forge(PHOTO, estimate, decibels)) == pytest.approx(
        decibels, abs=0.3
    )


def test_strip_takes_out_what_forge_puts_in():
    estimate = np.tile(PATTERN, (4, 4)).astype(np.float32)
    forged = adversary.forge(PHOTO, estimate, 40.0)
    stripped = adversary.strip(forged, estimate, 40.0)
    assert np.abs(luma(stripped).astype(int) - luma(PHOTO)).mean() < 0.6


def test_copied_cells_keep_the_plane_centre_on_centre():
    plane = np.random.default_rng(5).integers(0, 2, (32, 32))
    cells = plane_map(plane, (512, 768)).astype(np.float32)  # 128×192 cells
    assert np.array_equal(adversary.copy_cells(cells, (512, 768), MODEL), cells)
    for shape in [(384, 512), (1024, 1024)]:
        copied = adversary.copy_cells(cells, shape, MODEL)
        assert copied.shape == (shape[0] // 4, shape[1] // 4)
        assert np.array_equal(fold(copied), plane)


@pytest.mark.networks
def test_under_a_key_neither_an_averaged_copy_nor_a_cell_copy_forges(watermarker):
    plane = np.random.default_rng(6).integers(0, 2, (32, 32))
    marked = watermarker.embed_plane(photo(768, 1024, seed=8), plane, key="secret")
    assert watermarker.verify_plane(marked, plane, key="secret").present
    other = photo(768, 1024, seed=9)
    folded = adversary.forge(other, adversary.fold_estimate(marked, MODEL, SYNC), 38.0)
    assert not watermarker.verify_plane(folded, plane, key="secret").present
    cells = adversary.read_cells(marked, watermarker.extractor, MODEL)
    copied = watermarker.embed_cells(other, lambda shape: adversary.copy_cells(cells, shape, MODEL))
    assert not watermarker.verify_plane(copied, plane, key="secret").present


def grey(level: int, shape: tuple[int, int], seed: int) -> np.ndarray:
    """A flat photo: one grey, a grey level of noise."""
    noise = np.random.default_rng(seed).normal(0, 1, (*shape, 1))
    return np.clip(level + noise, 0, 255).repeat(3, 2).astype(np.uint8)


@pytest.mark.networks
def test_a_copy_from_a_flat_photo_onto_a_mostly_flat_one_is_told_from_the_mark(watermarker):
    """Both photos flat where the cells land, the content flips them in neither, but for the
    textured strip of the second: only there is the copy read turned over."""
    plane = np.random.default_rng(6).integers(0, 2, (32, 32))
    marked = watermarker.embed_plane(grey(225, (768, 1024), seed=0), plane, key="secret")
    assert watermarker.verify_plane(marked, plane, key="secret").copied is False
    other = grey(200, (768, 1024), seed=1)
    other[:, 700:] = photo(768, 1024, seed=9)[:, 700:]
    cells = adversary.read_cells(marked, watermarker.extractor, MODEL)
    copied = watermarker.embed_cells(other, lambda shape: adversary.copy_cells(cells, shape, MODEL))
    verdict = watermarker.verify_plane(copied, plane, key="secret")
    assert not verdict.present and verdict.copied
    untested = Watermarker(sync_config=replace(SYNC, copy_tail=0.0))
    assert untested.verify_plane(copied, plane, key="secret").present  # the copy forges so


@pytest.mark.networks
def test_the_public_key_is_not_bound_so_a_cell_copy_forges_its_mark(watermarker):
    plane = np.random.default_rng(6).integers(0, 2, (32, 32))
    marked = watermarker.embed_plane(photo(768, 1024, seed=8), plane)
    cells = adversary.read_cells(marked, watermarker.extractor, MODEL)
    other = photo(768, 1024, seed=9)
    copied = watermarker.embed_cells(other, lambda shape: adversary.copy_cells(cells, shape, MODEL))
    assert watermarker.verify_plane(copied, plane).present


@pytest.mark.networks
def test_two_photos_marked_with_one_key_and_mark_give_the_hash_pattern_away(watermarker):
    plane = np.random.default_rng(6).integers(0, 2, (32, 32))
    first, second = (
        watermarker.embed_plane(photo(768, 1024, seed=seed), plane, key="secret")
        for seed in (8, 10)
    )
    learned = adversary.learned_pattern(first, second, watermarker.extractor, MODEL)
    true = binding_pattern(key_seed("secret"), MODEL)
    assert float(learned @ true) > 0.5  # unit vectors, 10 free dimensions; the sign found too
    other = photo(768, 1024, seed=9)
    cells = adversary.rebound_cells(first, other, learned, watermarker.extractor, MODEL)
    copied = watermarker.embed_cells(other, lambda shape: cells)
    assert watermarker.verify_plane(copied, plane, key="secret").present
