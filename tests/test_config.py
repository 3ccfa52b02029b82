"""The model config travels with the weights: written beside them, read back by Watermarker."""

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from watermark import Watermarker
from watermark.config import MODEL, load_model_config, model_config_json
from watermark.nets.runtime import assets_dir


def test_model_config_round_trips(tmp_path: Path):
    config = replace(MODEL, extractor_channels=64, work_long_side=768)
    (tmp_path / "model.json").write_text(model_config_json(config))
    assert load_model_config(tmp_path) == config


def test_the_shipped_weights_say_what_they_are():
    assert load_model_config(assets_dir()) == Watermarker().config


def test_watermarker_takes_the_config_beside_its_weights(tmp_path: Path):
    for name in ("embedder.tflite", "extractor.tflite"):
        shutil.copy(assets_dir() / name, tmp_path / name)
    config = replace(MODEL, min_side=160)
    (tmp_path / "model.json").write_text(model_config_json(config))
    assert Watermarker(tmp_path).config == config


def test_missing_or_unknown_settings_are_errors(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="no model config"):
        load_model_config(tmp_path)
    (tmp_path / "model.json").write_text('{"cell": 4, "colour_channels": 3}')
    with pytest.raises(ValueError, match="unknown model settings colour_channels"):
        load_model_config(tmp_path)
