"""The joint model: embedder → noise layer → extractor, trained on two MSE losses.

Losses, as the design asks: MSE between marked and original luma (weighted per pixel by SSIM's
sensitivity, so the residual goes where texture hides it) and MSE between extracted and
embedded planes. The image loss weight is not hand-tuned but steered: after every step its
logarithm moves by `loss_weight_rate` × log(MSE / target MSE), so the batch PSNR tracks a
target that ramps from `psnr_start` to `psnr_end` (the constraint "PSNR ≥ target" solved by
dual ascent). Starting at a low PSNR lets the networks find a code quickly; raising the target
then trades robustness for invisibility at a controlled pace.
"""

from __future__ import annotations

import math

from ..config import TRAIN, TrainConfig
from ..nets.tf_env import keras, tf
from .noise_layer import jpeg, quantize


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
        after_jpeg = self.extractor(jpeg(marked, quality), training=False)
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
