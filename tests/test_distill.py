"""A tiny distillation run: the student comes closer to the teacher, resumes, and exports."""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.images import photo
from watermark.config import MODEL, TRAIN
from watermark.nets.runtime import assets_dir, load_network
from watermark.nets.tf_env import keras

pytestmark = [pytest.mark.networks, pytest.mark.training]

TINY = replace(
    TRAIN,
    crop=64,
    batch=4,
    steps_per_epoch=10,
    validation_batches=1,
    learning_rate=1e-2,
    cache_long_side=200,
    crop_scale=(0.8, 1.2),
    validation_photos=("p0",),
)


def test_student_learns_the_teachers_residual(tmp_path: Path):
    from watermark.training.distill import distill

    images = tmp_path / "photos"
    images.mkdir()
    for seed in range(4):
        Image.fromarray(photo(160, 200, seed=seed)).save(images / f"p{seed}.png")
    keras.utils.set_random_seed(0)
    out, student = tmp_path / "run", replace(MODEL, embedder_channels=16)
    teacher = assets_dir() / "embedder.keras"
    distill([images], teacher, out, steps=40, student_config=student, config=TINY)
    errors = [entry["relative"] for entry in _log(out)]
    assert len(errors) == 4 and errors[-1] < 0.8 * errors[0], errors

    distiller = distill([images], teacher, out, steps=50, student_config=student, config=TINY)
    assert [entry["epoch"] for entry in _log(out)] == [1, 2, 3, 4, 5]  # resumed, not restarted
    assert distiller.student.count_params() < distiller.teacher.count_params() / 2

    luma = np.random.default_rng(0).random((1, 64, 64, 1), dtype=np.float32)
    plane_map = np.ones((1, 16, 16, 1), np.float32)
    exported = load_network("embedder", out, backend="litert")(luma, plane_map)
    assert np.allclose(exported, distiller.student([luma, plane_map]), atol=1e-4)


def _log(out: Path) -> list[dict]:
    lines = (out / "checkpoint" / "log.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]
