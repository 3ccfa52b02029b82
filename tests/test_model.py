"""The networks: shapes, output ranges, composition, and the shipped files."""

import numpy as np
import pytest

from watermark.config import MODEL
from watermark.nets.runtime import assets_dir
from watermark.nets.tf_env import keras

pytestmark = pytest.mark.networks


@pytest.fixture(scope="module")
def networks():
    from watermark.nets.model import build_embedder, build_extractor

    return build_embedder(), build_extractor()


@pytest.mark.parametrize("shape", [(128, 128), (256, 384), (132, 200)])
def test_shapes_for_any_size(networks, shape):
    embedder, extractor = networks
    luma = np.random.default_rng(0).random((2, *shape, 1), dtype=np.float32)
    cells = (2, shape[0] // MODEL.cell, shape[1] // MODEL.cell, 1)
    residual = embedder([luma, np.ones(cells, np.float32)])
    assert tuple(residual.shape) == luma.shape
    bits = np.asarray(extractor(luma))
    assert bits.shape == cells and bits.min() >= 0 and bits.max() <= 1


def test_embedder_is_encoder_concat_decoder(networks):
    embedder, _ = networks
    names = [layer.name for layer in embedder.layers]
    assert "encoder" in names and "decoder" in names and "merge_plane" in names
    merge = embedder.get_layer("merge_plane")
    assert merge.output.shape[-1] == MODEL.embedder_channels + 1  # encoding channels + the plane


def test_extractor_ends_in_sigmoid(networks):
    _, extractor = networks
    assert extractor.layers[-1].activation.__name__ == "sigmoid"


@pytest.mark.parametrize("name", ["embedder", "extractor"])
def test_shipped_models_load_in_safe_mode_without_lambda(name):
    model = keras.models.load_model(assets_dir() / f"{name}.keras", safe_mode=True, compile=False)
    kinds = {type(layer).__name__ for layer in _all_layers(model)}
    assert "Lambda" not in kinds
    assert (assets_dir() / f"{name}.tflite").stat().st_size > 10_000


def _all_layers(model):
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from _all_layers(layer)
