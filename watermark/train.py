"""Joint training of embedder and extractor through the noise layer, with resumable checkpoints.

Losses, as the design asks: MSE between marked and original luma (weighted per pixel by SSIM's
sensitivity, so the residual goes where texture hides it) and MSE between extracted and embedded
planes. The image loss weight is not hand-tuned but steered: after every step its logarithm moves
by `loss_weight_rate` × log(MSE / target MSE), so the batch PSNR tracks a target that ramps from
`psnr_start` to `psnr_end` (the constraint "PSNR ≥ target" solved by dual ascent). Starting at a
low PSNR lets the networks find a code quickly; raising the target then trades robustness for
invisibility at a controlled pace.

Data: photos from a folder (see scripts/fetch_photos.sh), decoded once into a luma cache, random
crops at random scales, flips; marks from `marks.random_marks`, whitened as at inference.
Photos whose stem is listed in `TrainConfig.validation_photos` are held out for validation.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path

import cv2
import numpy as np

from .config import MODEL, TRAIN, ModelConfig, TrainConfig
from .io import SUFFIX_FORMATS
from .keys import random_whitening
from .marks import random_marks
from .model import build_embedder, build_extractor
from .noise_layer import NoiseLayer, jpeg_batch, quantize
from .tf_env import keras, tf
from .tiling import plane_map

IMAGE_SUFFIXES = set(SUFFIX_FORMATS)


def split_photos(folder: Path, config: TrainConfig = TRAIN) -> tuple[list[Path], list[Path]]:
    """(training, validation) photo paths; validation = stems named in the config."""
    photos = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    held_out = set(config.validation_photos)
    validation = [p for p in photos if p.stem in held_out]
    training = [p for p in photos if p.stem not in held_out]
    if not training:
        raise FileNotFoundError(f"{folder}: no training images found")
    return training, validation or training[:1]


def load_luma_cache(paths: list[Path], long_side: int) -> list[np.ndarray]:
    """Each photo as uint8 luma, scaled so its long side is at most `long_side`."""
    cache = []
    for path in paths:
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            continue
        luma = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        scale = min(1.0, long_side / max(luma.shape))
        size = (round(luma.shape[1] * scale), round(luma.shape[0] * scale))
        cache.append(cv2.resize(luma, size, interpolation=cv2.INTER_AREA))
    return cache


def batches(
    cache: list[np.ndarray], config: TrainConfig, model: ModelConfig, seed: int, first_step: int
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
        images = np.stack([_random_crop(cache, crop, config, rng) for _ in range(config.batch)])
        marks = random_marks(config.batch, rng, model.plane_size)
        whiten = step >= config.whiten_after_steps
        planes = [random_whitening(rng, model.plane_size).apply(m) if whiten else m for m in marks]
        step += 1
        maps = np.stack([plane_map(plane, (crop, crop), model) for plane in planes])
        yield images[..., None], maps[..., None]


def _random_crop(
    cache: list[np.ndarray], crop: int, config: TrainConfig, rng: np.random.Generator
) -> np.ndarray:
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
    cache, config: TrainConfig, model: ModelConfig, seed: int, first_step: int
) -> tf.data.Dataset:
    crop, cells = config.crop, config.crop // model.cell
    signature = (
        tf.TensorSpec((None, crop, crop, 1), tf.float32),
        tf.TensorSpec((None, cells, cells, 1), tf.float32),
    )
    return tf.data.Dataset.from_generator(
        lambda: batches(cache, config, model, seed, first_step), output_signature=signature
    ).prefetch(2)


def texture_weights(luma: tf.Tensor, constant: float) -> tf.Tensor:
    """Per-pixel image-loss weights following SSIM's sensitivity: C / (local variance + C).

    SSIM's contrast term barely moves where the picture already varies and drops fast where it
    is flat (sky, bokeh, gradients): a residual in flat areas costs SSIM, the same residual in
    texture does not. With C = (0.03)², SSIM's own constant, weighting the MSE this way steers
    the residual into texture. Normalised to mean 1 over the batch.
    """
    mean = tf.nn.avg_pool2d(luma, 7, 1, "SAME")
    variance = tf.maximum(tf.nn.avg_pool2d(tf.square(luma), 7, 1, "SAME") - tf.square(mean), 0.0)
    weights = constant**2 / (variance + constant**2)
    return weights / tf.reduce_mean(weights)


def psnr_from_mse(mse: tf.Tensor) -> tf.Tensor:
    return -10.0 * tf.math.log(tf.maximum(mse, 1e-12)) / math.log(10.0)


class WatermarkTrainer(keras.Model):
    """Embedder → noise layer → extractor, with a custom train_step (Keras 'customizing fit')."""

    def __init__(self, embedder, extractor, noise, config: TrainConfig = TRAIN, **kwargs):
        super().__init__(**kwargs)
        self.embedder, self.extractor, self.noise = embedder, extractor, noise
        self.config = config
        self.log_image_weight = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(math.log(config.initial_image_weight)),
            trainable=False,
            name="log_image_weight",
        )
        names = ("loss", "mark_loss", "psnr", "bit_accuracy", "image_weight")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}
        self.jpeg_tracker = keras.metrics.Mean(name="bit_accuracy_jpeg50")
        self.built = True  # its parts are functional models, built already

    @property
    def metrics(self):
        return [*self.trackers.values(), self.jpeg_tracker]

    def _schedule(self) -> tuple[tf.Tensor, tf.Tensor]:
        """(attack ramp in [0, 1], target MSE) at the current step."""
        step = tf.cast(self.optimizer.iterations, tf.float32)
        config = self.config
        ramp = tf.minimum(1.0, step / config.attack_ramp_steps)
        progress = tf.minimum(1.0, step / config.psnr_ramp_steps)
        target_psnr = config.psnr_start + (config.psnr_end - config.psnr_start) * progress
        return ramp, tf.pow(10.0, -target_psnr / 10.0)

    def train_step(self, data):
        cover, plane = data
        ramp, target_mse = self._schedule()
        with tf.GradientTape() as tape:
            residual = self.embedder([cover, plane], training=True)
            marked = tf.clip_by_value(cover + residual, 0.0, 1.0)
            predicted = self.extractor(self.noise(marked, cover, ramp), training=True)
            weights = texture_weights(cover, self.config.masking_constant)
            image_loss = tf.reduce_mean(weights * tf.square(marked - cover))
            mark_loss = tf.reduce_mean(tf.square(predicted - plane))
            loss = tf.exp(self.log_image_weight) * image_loss + mark_loss
        variables = self.embedder.trainable_variables + self.extractor.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        mse = tf.reduce_mean(tf.square(marked - cover))
        step = self.config.loss_weight_rate * (tf.math.log(mse) - tf.math.log(target_mse))
        self.log_image_weight.assign(tf.clip_by_value(self.log_image_weight + step, 0.0, 12.0))
        return self._record(loss, mark_loss, mse, plane, predicted)

    def test_step(self, data):
        """Validation: PSNR, bits read with no attack and after real JPEG 50."""
        cover, plane = data
        residual = self.embedder([cover, plane], training=False)
        marked = quantize(cover + residual)
        predicted = self.extractor(marked, training=False)
        quality = tf.fill([tf.shape(cover)[0]], 50)
        after_jpeg = self.extractor(jpeg_batch(marked, quality), training=False)
        self.jpeg_tracker.update_state(bit_accuracy(plane, after_jpeg))
        mse = tf.reduce_mean(tf.square(marked - cover))
        mark_loss = tf.reduce_mean(tf.square(predicted - plane))
        logs = self._record(mark_loss, mark_loss, mse, plane, predicted)
        return {**logs, "bit_accuracy_jpeg50": self.jpeg_tracker.result()}

    def _record(self, loss, mark_loss, mse, plane, predicted) -> dict:
        self.trackers["loss"].update_state(loss)
        self.trackers["mark_loss"].update_state(mark_loss)
        self.trackers["psnr"].update_state(psnr_from_mse(mse))
        self.trackers["bit_accuracy"].update_state(bit_accuracy(plane, predicted))
        self.trackers["image_weight"].update_state(tf.exp(self.log_image_weight))
        return {name: tracker.result() for name, tracker in self.trackers.items()}


def bit_accuracy(plane: tf.Tensor, predicted: tf.Tensor) -> tf.Tensor:
    return tf.reduce_mean(tf.cast(tf.equal(plane > 0.5, predicted > 0.5), tf.float32))


class Checkpoint(keras.callbacks.Callback):
    """Saves weights, optimizer state and progress after every epoch, atomically.

    A kill at any moment leaves the previous complete checkpoint: each file is written under a
    temporary name and renamed into place, the progress file last.
    """

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


def save_checkpoint(trainer: WatermarkTrainer, folder: Path, epoch: int, logs: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    write_atomically(folder / "trainer.weights.h5", trainer.save_weights)
    optimizer_state = {f"v{i}": v.numpy() for i, v in enumerate(trainer.optimizer.variables)}
    write_atomically(folder / "optimizer.npz", lambda path: np.savez(path, **optimizer_state))
    state = {"epoch": epoch, "logs": {k: float(v) for k, v in logs.items()}}
    write_atomically(
        folder / "state.json",
        lambda path: Path(path).write_text(json.dumps(state, indent=1)),
    )
    with open(folder / "log.jsonl", "a") as log:
        log.write(json.dumps({"epoch": epoch, "time": time.time(), **state["logs"]}) + "\n")


def write_atomically(path: Path, write) -> None:
    temporary = path.with_name(f".tmp-{path.name}")
    write(str(temporary))
    if not temporary.exists():  # np.savez appends .npz to names without it
        temporary = temporary.with_name(temporary.name + ".npz")
    os.replace(temporary, path)


def restore_checkpoint(trainer: WatermarkTrainer, folder: Path) -> int:
    """Load a checkpoint into a built trainer; returns the number of epochs done (0 if none)."""
    state_path = folder / "state.json"
    if not state_path.exists():
        return 0
    trainer.load_weights(str(folder / "trainer.weights.h5"))
    saved = np.load(folder / "optimizer.npz")
    for i, variable in enumerate(trainer.optimizer.variables):
        variable.assign(saved[f"v{i}"])
    return int(json.loads(state_path.read_text())["epoch"])


def build_trainer(config: TrainConfig, model: ModelConfig = MODEL) -> WatermarkTrainer:
    trainer = WatermarkTrainer(build_embedder(model), build_extractor(model), NoiseLayer(), config)
    schedule = keras.optimizers.schedules.CosineDecay(
        config.learning_rate,
        config.steps,
        alpha=config.final_learning_rate / config.learning_rate,
    )
    trainer.compile(optimizer=keras.optimizers.Adam(schedule))
    trainer.optimizer.build(
        trainer.embedder.trainable_variables + trainer.extractor.trainable_variables
    )
    return trainer


def train(
    images: Path,
    out: Path,
    steps: int = TRAIN.steps,
    batch: int = TRAIN.batch,
    resume: bool = False,
    config: TrainConfig = TRAIN,
) -> WatermarkTrainer:
    """Train (or resume training) and export the inference models into `out`.

    Checkpoints go to `out/checkpoint/`; without `resume`, an existing checkpoint is an error,
    so that a finished run is never overwritten by accident.
    """
    config = replace(config, steps=steps, batch=batch)
    checkpoint = out / "checkpoint"
    if (checkpoint / "state.json").exists() and not resume:
        raise FileExistsError(f"{checkpoint}: a checkpoint exists; pass resume=True (--resume)")
    training, validation = split_photos(images, config)
    print(
        f"{len(training)} training photos, {len(validation)} validation photos",
        flush=True,
    )
    trainer = build_trainer(config)
    done = restore_checkpoint(trainer, checkpoint) if resume else 0
    first_step = done * config.steps_per_epoch
    training_cache = load_luma_cache(training, config.cache_long_side)
    train_data = dataset(training_cache, config, MODEL, config.seed, first_step)
    validation_cache = load_luma_cache(validation, config.cache_long_side)
    always_whitened = config.whiten_after_steps  # validation measures the real task
    validation_data = dataset(validation_cache, config, MODEL, config.seed + 1, always_whitened)
    fit_in_epochs(trainer, train_data, validation_data, checkpoint, done, config)
    export(trainer, out)
    return trainer


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


def export(trainer: WatermarkTrainer, out: Path) -> None:
    """Write the inference models: Keras files (TensorFlow path) and LiteRT files (fast path)."""
    out.mkdir(parents=True, exist_ok=True)
    for network in (trainer.embedder, trainer.extractor):
        write_atomically(out / f"{network.name}.keras", network.save)
        write_atomically(
            out / f"{network.name}.tflite",
            partial(network.export, format="litert", verbose=False),
        )


def export_checkpoint(checkpoint: Path, out: Path, config: TrainConfig = TRAIN) -> None:
    """Export the networks saved in `checkpoint` (of a finished run, or one still going)."""
    trainer = build_trainer(config)
    if restore_checkpoint(trainer, checkpoint) == 0:
        raise FileNotFoundError(f"{checkpoint}: no checkpoint")
    export(trainer, out)
