"""A training run: the networks `ModelConfig` describes, trained jointly, checkpointed every
epoch, exported with their `model.json` at the end. A run may start from exported networks
instead of random ones (`init`, with the `FINE_TUNE` recipe): how the shipped networks were
taught new photos without re-running the whole recipe and the distillation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from ..config import MODEL, TRAIN, ModelConfig, TrainConfig, load_model_config
from ..nets.model import build_embedder, build_extractor
from .checkpoints import (
    CHECKPOINT_FOLDER,
    checkpoint_model_config,
    compile_with_schedule,
    export,
    fit_in_epochs,
    has_checkpoint,
    load_networks,
    restore_checkpoint,
)
from .data import dataset, load_caches
from .noise_layer import NoiseLayer
from .trainer import WatermarkTrainer


def build_trainer(config: TrainConfig, model: ModelConfig) -> WatermarkTrainer:
    trainer = WatermarkTrainer(build_embedder(model), build_extractor(model), NoiseLayer(), config)
    trainer.embedder.trainable = config.train_embedder
    variables = trainer.embedder.trainable_variables + trainer.extractor.trainable_variables
    compile_with_schedule(trainer, variables, config)
    return trainer


def train(
    images: Sequence[Path],
    out: Path,
    steps: int = TRAIN.steps,
    batch: int = TRAIN.batch,
    resume: bool = False,
    config: TrainConfig = TRAIN,
    model: ModelConfig = MODEL,
    init: Path | None = None,
) -> WatermarkTrainer:
    """Train (or resume training) on the photos of the `images` folders and export the
    inference models into `out`.

    Checkpoints go to `out/checkpoint/`; without `resume`, an existing checkpoint is an error,
    so that a finished run is never overwritten by accident. A resumed run trains the networks
    its checkpoint was started with (its `model.json`), not `model`. With `init`, a folder of
    exported networks (e.g. assets/), those networks and their `model.json` are the start.
    """
    config = replace(config, steps=steps, batch=batch)
    checkpoint = out / CHECKPOINT_FOLDER
    if has_checkpoint(checkpoint) and not resume:
        raise FileExistsError(f"{checkpoint}: a checkpoint exists; pass resume=True (--resume)")
    model = checkpoint_model_config(checkpoint, load_model_config(init) if init else model)
    training_caches, validation_cache = load_caches(images, config)
    trainer = build_trainer(config, model)
    done = restore_checkpoint(trainer, checkpoint) if resume else 0
    if init and not done:
        for network in (trainer.embedder, trainer.extractor):
            network.load_weights(init / f"{network.name}.keras")
    first_step = done * config.steps_per_epoch
    train_data = dataset(training_caches, config, model, config.seed, first_step)
    always_whitened = config.whiten_after_steps  # validation measures the real task
    validation_data = dataset([validation_cache], config, model, config.seed + 1, always_whitened)
    fit_in_epochs(trainer, train_data, validation_data, checkpoint, done, config)
    export([trainer.embedder, trainer.extractor], model, out)
    return trainer


def export_checkpoint(out: Path, config: TrainConfig = TRAIN) -> None:
    """Export the networks saved in `out`'s checkpoint (of a finished run, or one going on)."""
    checkpoint = out / CHECKPOINT_FOLDER
    if not has_checkpoint(checkpoint):
        raise FileNotFoundError(f"{checkpoint}: no checkpoint")
    model = checkpoint_model_config(checkpoint, MODEL)
    trainer = build_trainer(config, model)
    load_networks(trainer, checkpoint)
    export([trainer.embedder, trainer.extractor], model, out)
