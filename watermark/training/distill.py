"""A smaller embedder taught to make the trained embedder's residual (knowledge distillation).

Why: the embedder's convolutions are most of the time `wm embed` and `wm batch embed` take
(issue 6). A student with the same design and fewer channels learns, on the training photos'
crops with random whitened planes, to reproduce the teacher's residual. The extractor is
untouched, so a student that matches the residual closely inherits the teacher's
robustness and quality; `wm bench` and `benchmarks/quality.py` check that it does.

The loss is the MSE between the two residuals; the log also reports the relative error,
‖student − teacher‖ / ‖teacher‖, which is what decides whether the marks still read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from ..config import MODEL, TRAIN, ModelConfig, TrainConfig
from ..nets.model import build_embedder
from ..nets.tf_env import keras, tf
from .checkpoints import (
    CHECKPOINT_FOLDER,
    checkpoint_model_config,
    compile_with_schedule,
    export,
    fit_in_epochs,
    restore_checkpoint,
)
from .data import dataset, load_caches


class Distiller(keras.Model):
    """Trains `student` to output what the frozen `teacher` outputs, on the same inputs."""

    def __init__(self, student: keras.Model, teacher: keras.Model, **kwargs):
        super().__init__(**kwargs)
        self.student, self.teacher = student, teacher
        self.teacher.trainable = False
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("loss", "relative")}
        self.built = True

    @property
    def metrics(self):
        return list(self.trackers.values())

    def _errors(self, inputs, training: bool) -> tuple[tf.Tensor, tf.Tensor]:
        target = self.teacher(inputs, training=False)
        residual = self.student(inputs, training=training)
        loss = tf.reduce_mean(tf.square(residual - target))
        relative = tf.sqrt(loss / (tf.reduce_mean(tf.square(target)) + 1e-12))
        return loss, relative

    def train_step(self, data):
        with tf.GradientTape() as tape:
            loss, relative = self._errors(data, training=True)
        variables = self.student.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        return self._record(loss, relative)

    def test_step(self, data):
        return self._record(*self._errors(data, training=False))

    def _record(self, loss, relative) -> dict:
        self.trackers["loss"].update_state(loss)
        self.trackers["relative"].update_state(relative)
        return {name: tracker.result() for name, tracker in self.trackers.items()}


def build_distiller(
    teacher: Path, student_config: ModelConfig, config: TrainConfig = TRAIN
) -> Distiller:
    distiller = Distiller(
        build_embedder(student_config), keras.models.load_model(teacher, safe_mode=True)
    )
    compile_with_schedule(distiller, distiller.student.trainable_variables, config)
    return distiller


def distill(
    images: Sequence[Path],
    teacher: Path,
    out: Path,
    steps: int,
    student_config: ModelConfig = MODEL,
    config: TrainConfig = TRAIN,
) -> Distiller:
    """Distil (or resume distilling) into `out`; export the student as `embedder.keras`
    and `embedder.tflite` there, with the `model.json` of the student beside the teacher's
    extractor. Checkpoints go to `out/checkpoint/`."""
    config = replace(config, steps=steps)
    checkpoint = out / CHECKPOINT_FOLDER
    student_config = checkpoint_model_config(checkpoint, student_config)
    distiller = build_distiller(teacher, student_config, config)
    done = restore_checkpoint(distiller, checkpoint)
    training_caches, validation_cache = load_caches(images, config)
    whitened = config.whiten_after_steps  # inference only ever embeds whitened planes
    train_data = dataset(training_caches, config, student_config, config.seed + done, whitened)
    validation_data = dataset([validation_cache], config, student_config, config.seed + 1, whitened)
    fit_in_epochs(distiller, train_data, validation_data, checkpoint, done, config)
    export([distiller.student], student_config, out)
    return distiller
