"""What training and distillation share: the optimizer, fitting in resumable epochs, and export.

A checkpoint folder holds the weights, the optimizer state, the progress and the `model.json`
of the networks being trained; a kill at any moment leaves the previous complete checkpoint
(each file is written atomically, the progress file last). Exported networks go with the
`model.json` that `Watermarker` and `--resume` load, so weights never meet the wrong geometry.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from ..app.atomic import save_atomically, write_text_atomically
from ..config import MODEL_CONFIG_FILE, ModelConfig, TrainConfig, model_config_json
from ..config import load_model_config as load_saved_config
from ..nets.tf_env import keras, tf

CHECKPOINT_FOLDER = "checkpoint"  # inside a run's output folder
STATE_FILE = "state.json"


def compile_with_schedule(model: keras.Model, variables: list, config: TrainConfig) -> None:
    """Adam with a cosine decay from `learning_rate` to `final_learning_rate` over the run,
    its state built now so that a checkpoint can be restored into it."""
    schedule = keras.optimizers.schedules.CosineDecay(
        config.learning_rate,
        config.steps,
        alpha=config.final_learning_rate / config.learning_rate,
    )
    model.compile(optimizer=keras.optimizers.Adam(schedule))
    model.optimizer.build(variables)


class Checkpoint(keras.callbacks.Callback):
    """Saves weights, optimizer state and progress after every epoch, with an ETA."""

    def __init__(self, folder: Path, total_epochs: int):
        super().__init__()
        self.folder, self.total_epochs = folder, total_epochs
        self.started = time.monotonic()
        self.first_epoch: int | None = None

    def on_epoch_begin(self, epoch, logs=None):
        if self.first_epoch is None:
            self.first_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        save_checkpoint(self.model, self.folder, epoch + 1, logs or {})
        done = epoch + 1 - self.first_epoch
        remaining = (time.monotonic() - self.started) / done * (self.total_epochs - epoch - 1)
        print(
            f"epoch {epoch + 1}/{self.total_epochs} saved; ETA {remaining / 60:.1f} min",
            flush=True,
        )


def save_checkpoint(model: keras.Model, folder: Path, epoch: int, logs: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    save_atomically(folder / "trainer.weights.h5", model.save_weights, force=True)
    optimizer_state = {f"v{i}": v.numpy() for i, v in enumerate(model.optimizer.variables)}
    save_atomically(
        folder / "optimizer.npz", lambda path: np.savez(path, **optimizer_state), force=True
    )
    state = {"epoch": epoch, "logs": {k: float(v) for k, v in logs.items()}}
    write_text_atomically(folder / STATE_FILE, json.dumps(state, indent=1))
    with open(folder / "log.jsonl", "a") as log:
        log.write(json.dumps({"epoch": epoch, "time": time.time(), **state["logs"]}) + "\n")


def restore_checkpoint(model: keras.Model, folder: Path) -> int:
    """Load a checkpoint into a built model; returns the number of epochs done (0 if none)."""
    state_path = folder / STATE_FILE
    if not state_path.exists():
        return 0
    load_networks(model, folder)
    saved = np.load(folder / "optimizer.npz")
    for i, variable in enumerate(model.optimizer.variables):
        variable.assign(saved[f"v{i}"])
    return int(json.loads(state_path.read_text())["epoch"])


def load_networks(model: keras.Model, folder: Path) -> None:
    """Load a checkpoint's network weights, not the optimizer state `restore_checkpoint` adds:
    that holds moments for the variables the run trained, which another recipe's optimizer
    (e.g. `--export-only`'s, after an extractor-only run) does not have. Keras loads what it
    saved of the optimizer with the weights where it fits and skips it, warning, where not."""
    model.load_weights(str(folder / "trainer.weights.h5"))


def has_checkpoint(folder: Path) -> bool:
    return (folder / STATE_FILE).exists()


def checkpoint_model_config(folder: Path, fresh: ModelConfig) -> ModelConfig:
    """The `ModelConfig` a run in `folder` trains: the one saved there when it started (a
    resumed run keeps its networks' sizes whatever the defaults now say), else `fresh`, which
    is then saved there."""
    if (folder / MODEL_CONFIG_FILE).exists():
        return load_saved_config(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomically(folder / MODEL_CONFIG_FILE, model_config_json(fresh))
    return fresh


def fit_in_epochs(
    model: keras.Model,
    train_data: tf.data.Dataset,
    validation_data: tf.data.Dataset,
    checkpoint: Path,
    done: int,
    config: TrainConfig,
) -> None:
    """Fit `model` for the epochs of `config.steps` not `done` yet, checkpointing each."""
    epochs = -(-config.steps // config.steps_per_epoch)
    if done < epochs:
        model.fit(
            train_data,
            epochs=epochs,
            initial_epoch=done,
            steps_per_epoch=config.steps_per_epoch,
            validation_data=validation_data,
            validation_steps=config.validation_batches,
            callbacks=[Checkpoint(checkpoint, epochs)],
            verbose=1 if sys.stdout.isatty() else 2,
        )


def export(networks: list[keras.Model], model: ModelConfig, out: Path) -> None:
    """Write inference networks (Keras files: TensorFlow path; LiteRT files: fast path), named
    by the networks' names, and the `model.json` they need."""
    out.mkdir(parents=True, exist_ok=True)
    for network in networks:
        save_atomically(out / f"{network.name}.keras", network.save, force=True)
        save_atomically(
            out / f"{network.name}.tflite",
            lambda path, network=network: network.export(path, format="litert", verbose=False),
            force=True,
        )
    write_text_atomically(out / MODEL_CONFIG_FILE, model_config_json(model))
