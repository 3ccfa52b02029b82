"""A tiny training run on generated images: the loss goes down, checkpoints resume, export."""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.images import photo
from watermark.config import MODEL, TRAIN, load_model_config
from watermark.nets.runtime import load_network
from watermark.nets.tf_env import keras

pytestmark = pytest.mark.training


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("photos")
    for seed in range(6):
        Image.fromarray(photo(160, 200, seed=seed)).save(folder / f"p{seed}.png")
    return folder


TINY = replace(
    TRAIN,
    crop=64,
    steps_per_epoch=10,
    validation_batches=1,
    attack_ramp_steps=10_000,  # attacks stay near zero: a few steps must show learning
    learning_rate=3e-3,
    cache_long_side=200,
    crop_scale=(0.8, 1.2),
    validation_photos=("p0",),
    whiten_after_steps=10_000,  # the curriculum's first phase: structured marks
)


def test_loss_goes_down_and_training_resumes(images: Path, tmp_path: Path):
    from watermark.training.train import train

    keras.utils.set_random_seed(0)
    out = tmp_path / "run"
    train([images], out, steps=60, batch=8, config=TINY)
    losses = [entry["mark_loss"] for entry in _log(out)]
    assert len(losses) == 6
    # 60 tiny steps learn the marks' prior first (real embedding takes ~200 full steps, see
    # assets/TRAINING.md); seeded, so this measures a real, repeatable decrease.
    assert np.mean(losses[-2:]) < 0.97 * np.mean(losses[:2]), losses
    assert losses[-1] < losses[0], losses

    with pytest.raises(FileExistsError):
        train([images], out, steps=60, batch=8, config=TINY)
    # The defaults may have changed since: a resumed run trains its checkpoint's networks.
    other = replace(MODEL, embedder_channels=MODEL.embedder_channels // 2)
    trainer = train([images], out, steps=70, batch=8, config=TINY, resume=True, model=other)
    assert [entry["epoch"] for entry in _log(out)] == list(range(1, 8))
    assert load_model_config(out) == load_model_config(out / "checkpoint") == MODEL

    for name in ("embedder", "extractor"):
        assert (out / f"{name}.keras").exists() and (out / f"{name}.tflite").exists()
    luma = np.random.default_rng(0).random((1, 64, 64, 1), dtype=np.float32)
    exported = load_network("extractor", out, backend="litert")(luma)
    assert np.allclose(exported, trainer.extractor(luma), atol=1e-4)


def test_a_run_from_exported_networks_starts_from_their_weights(tmp_path: Path):
    from watermark.nets.runtime import assets_dir
    from watermark.training.train import train

    folder = tmp_path / "photos"
    folder.mkdir()
    for seed in range(3):
        Image.fromarray(photo(160, 200, seed=seed)).save(folder / f"p{seed}.png")
    frozen = replace(TINY, learning_rate=1e-12, final_learning_rate=1e-12)
    out = tmp_path / "run"
    trainer = train([folder], out, steps=10, batch=2, config=frozen, init=assets_dir())
    assert load_model_config(out) == load_model_config(assets_dir())
    for network in (trainer.embedder, trainer.extractor):
        shipped = keras.models.load_model(assets_dir() / f"{network.name}.keras")
        for ours, theirs in zip(network.get_weights(), shipped.get_weights(), strict=True):
            assert np.allclose(ours, theirs, atol=1e-6)


def test_an_extractor_only_run_keeps_the_embedder(images: Path, tmp_path: Path):
    from watermark.nets.runtime import assets_dir
    from watermark.training.train import export_checkpoint, train

    config = replace(TINY, train_embedder=False)
    out = tmp_path / "run"
    trainer = train([images], out, steps=10, batch=2, config=config, init=assets_dir())
    (out / "extractor.keras").unlink()
    export_checkpoint(out)  # as `wm train --export-only` does, not told the recipe
    assert (out / "extractor.keras").exists()
    changed = {}
    for network in (trainer.embedder, trainer.extractor):
        shipped = keras.models.load_model(assets_dir() / f"{network.name}.keras")
        pairs = zip(network.get_weights(), shipped.get_weights(), strict=True)
        changed[network.name] = any(not np.array_equal(ours, theirs) for ours, theirs in pairs)
    assert changed == {"embedder": False, "extractor": True}


def test_each_folder_gets_an_equal_share_of_the_crops():
    from watermark.training.data import batches

    dark = [np.zeros((150, 150), np.uint8)] * 20
    bright = [np.full((150, 150), 255, np.uint8)]
    crops, _ = next(batches([dark, bright], replace(TINY, batch=400), MODEL, 0, 0))
    assert 0.4 < np.mean(crops[:, 0, 0, 0] > 0.5) < 0.6


def _log(out: Path) -> list[dict]:
    lines = (out / "checkpoint" / "log.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]
