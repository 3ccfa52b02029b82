"""The Python API with the shipped weights."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from tests.images import monogram, photo
from watermark import ImageTooSmall, Watermarker
from watermark.config import MODEL_CONFIG_FILE
from watermark.core.metrics import bit_accuracy, largest_change, psnr, worst_block_psnr
from watermark.nets.runtime import LiteRTNetwork, assets_dir, load_network

pytestmark = pytest.mark.networks


def test_embed_keeps_shape_and_dtype_and_is_faint(watermarker):
    image = photo(256, 384)
    marked = watermarker.embed(image, monogram())
    assert marked.shape == image.shape and marked.dtype == np.uint8
    assert 36 < psnr(image, marked) < 60


def test_round_trip_recovers_the_mark(watermarker):
    image, mark = photo(384, 512, seed=3), monogram()
    plane = watermarker.mark_plane(mark)
    extracted = watermarker.extract(watermarker.embed(image, mark))
    assert extracted.shape == (32, 32) and extracted.dtype == np.float32
    assert 0 <= extracted.min() and extracted.max() <= 1
    assert bit_accuracy(plane, extracted) >= 0.95


def test_unmarked_image_reads_as_noise_not_as_the_mark(watermarker):
    plane = watermarker.mark_plane(monogram())
    reading = watermarker.read(photo(384, 512, seed=4))
    assert bit_accuracy(plane, reading.plane) < 0.8


def test_strength_scales_the_change(watermarker):
    image = photo(256, 256, seed=5)
    faint = psnr(image, watermarker.embed(image, monogram(), strength=0.25))
    strong = psnr(image, watermarker.embed(image, monogram(), strength=1.0))
    assert faint > strong + 10  # 4× the amplitude is 12 dB, within the visibility budget


def test_the_weights_own_gain_is_what_strength_1_means(watermarker, tmp_path):
    weights = tmp_path / "weights"
    shutil.copytree(assets_dir(), weights)
    config = json.loads((weights / MODEL_CONFIG_FILE).read_text())
    halved_gain = 0.5 * config.get("residual_gain", 1.0)
    (weights / MODEL_CONFIG_FILE).write_text(json.dumps({**config, "residual_gain": halved_gain}))
    image = photo(256, 256, seed=5)
    halved = Watermarker(weights).embed(image, monogram(), strength=1.0)
    assert np.array_equal(halved, watermarker.embed(image, monogram(), strength=0.5))


def test_grey_and_16_bit_images(watermarker):
    grey = photo(256, 256, seed=6)[..., 0]
    marked = watermarker.embed(grey, monogram())
    assert marked.shape == grey.shape and marked.dtype == np.uint8
    deep = grey.astype(np.uint16) * 257
    marked16 = watermarker.embed(deep, monogram())
    assert marked16.dtype == np.uint16
    plane = watermarker.mark_plane(monogram())
    assert bit_accuracy(plane, watermarker.extract(marked16)) >= 0.9


def test_colour_does_not_shift(watermarker):
    image = photo(256, 256, seed=7)
    delta = watermarker.embed(image, monogram()).astype(int) - image
    unclipped = (image > 8).all(axis=2) & (image < 247).all(axis=2)
    spread = delta.max(axis=2) - delta.min(axis=2)
    assert np.mean(spread[unclipped] <= 1) > 0.99  # R, G, B move together


@pytest.mark.parametrize("shape", [(127, 500), (500, 100), (10, 10)])
def test_too_small_to_embed_is_refused(watermarker, shape):
    with pytest.raises(ImageTooSmall, match="too small"):
        watermarker.embed(photo(*shape), monogram())


def test_small_crops_can_still_be_read(watermarker):
    assert watermarker.extract(photo(64, 100)).shape == (32, 32)
    with pytest.raises(ImageTooSmall, match="at least 32×32"):
        watermarker.extract(photo(20, 100))


def test_wrong_inputs(watermarker):
    with pytest.raises(TypeError):
        watermarker.embed(photo(200, 200).astype(np.float32), monogram())
    with pytest.raises(ValueError, match="plane must be"):
        watermarker.embed_plane(photo(200, 200), np.zeros((16, 16)))


def test_litert_and_keras_backends_agree():
    image = photo(256, 320, seed=8)
    fast, reference = Watermarker(backend="litert"), Watermarker(backend="keras")
    marked = fast.embed(image, monogram())
    assert np.abs(marked.astype(int) - reference.embed(image, monogram())).max() <= 1
    assert np.allclose(fast.extract(marked), reference.extract(marked), atol=1e-4)


def test_litert_keeps_an_interpreter_per_shape_a_bounded_few():
    network = load_network("extractor", backend="litert")
    rng = np.random.default_rng(0)
    first = rng.random((1, 64, 96, 1)).astype(np.float32)
    once = network(first)
    sides = range(32, 32 + 8 * (LiteRTNetwork.SHAPES_KEPT + 2), 8)
    for side in sides:
        assert network(rng.random((1, side, side, 1))).shape == (1, side // 4, side // 4, 1)
    assert len(network.interpreters) == LiteRTNetwork.SHAPES_KEPT
    assert np.array_equal(network(first), once)  # made again, reads alike


def test_import_does_not_load_tensorflow():
    code = (
        "import sys, numpy as np, watermark; w = watermark.Watermarker();"
        "w.extract(np.zeros((128, 128, 3), np.uint8));"
        "print('TF' if 'tensorflow' in sys.modules else 'no TF')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "no TF", out.stderr


def test_the_right_key_reads_the_mark_and_a_wrong_key_reads_noise(watermarker):
    image, mark = photo(384, 512, seed=9), monogram()
    plane = watermarker.mark_plane(mark)
    marked = watermarker.embed(image, mark, key="secret")
    assert bit_accuracy(plane, watermarker.extract(marked, key="secret")) >= 0.95
    assert 0.35 < bit_accuracy(plane, watermarker.extract(marked, key="guess")) < 0.65
    assert 0.35 < bit_accuracy(plane, watermarker.extract(marked)) < 0.65


def test_no_strength_passes_the_visibility_budget(watermarker):
    image = photo(384, 512, seed=9)
    marked = watermarker.embed(image, monogram(), strength=4.0)
    budget = watermarker.embed_config
    assert psnr(image, marked) >= budget.min_psnr - 0.3
    assert (
        worst_block_psnr(image, marked, budget.spot) >= 20 * np.log10(255 / budget.max_spot_rms) - 1
    )
    assert psnr(image, watermarker.embed(image, monogram(), strength=0.5)) > budget.min_psnr + 3


def test_no_pixel_moves_more_than_the_cap(watermarker):
    image = photo(256, 320, seed=8)
    marked = watermarker.embed(image, monogram(), strength=4.0)
    assert largest_change(image, marked) <= watermarker.embed_config.max_change + 1
