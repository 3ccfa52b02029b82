"""The training-time noise layer: distortions applied between embedder and extractor.

Each attack the networks are trained against has two implementations: the real one in
`core.attacks` (Pillow's codecs, OpenCV's filters, on uint8 photos), for measuring, and a
*counterpart* here, a TensorFlow function on float luma batches (B×H×W×1 in [0, 1]) that runs
inside the training graph and passes gradients. A counterpart takes the registry attack's
parameter, in its units, and does to luma what that attack does (tests/test_noise_layer.py
checks each pair against each other); `core.attacks` names each attack's counterpart. JPEG is
the real codec with gradients passed straight through (the output is the codec's, the
gradient is the identity's); the others are differentiable as they are.

Every residual first goes through the resampling that inference applies (see
`NoiseLayer.resample`) and is moved by up to `NoiseConfig.misregistration` px each way (none
by default, `NoiseLayer.misregister`). Then each sample gets one attack, drawn uniformly, with a
parameter drawn from `NoiseConfig`'s range, then, with some probability, a JPEG on top (most
photos end as JPEG whatever happened before), then 8-bit rounding. `ramp` in [0, 1] scales
every attack's strength, so training starts easy and reaches the full ranges.
"""

from __future__ import annotations

import math

from ..config import NOISE, NoiseConfig
from ..core.luma import LUMA_WEIGHTS
from ..nets.tf_env import keras, tf

GREY_LEVELS = 255.0
BLUR_RADIUS = 3  # px each side of the kernel's centre


def straight_through(clean: tf.Tensor, distorted: tf.Tensor) -> tf.Tensor:
    """`distorted` forward, the identity's gradient backward."""
    return clean + tf.stop_gradient(distorted - clean)


# The counterparts of `core.attacks`, by the names the registry gives them. A parameter is a
# scalar tensor for the whole batch or, where the random attacks draw one per sample, B×1×1×1
# (B for JPEG's quality).


def identity(x: tf.Tensor, _: tf.Tensor | None = None) -> tf.Tensor:
    return x


def jpeg(x: tf.Tensor, quality: tf.Tensor) -> tf.Tensor:
    """Real JPEG (libjpeg through TensorFlow) of each image at its quality."""
    clipped = tf.clip_by_value(x, 0.0, 1.0)
    qualities = tf.broadcast_to(tf.cast(quality, tf.int32), tf.shape(x)[:1])
    coded = tf.map_fn(
        lambda item: tf.image.adjust_jpeg_quality(item[0], item[1]),
        (clipped, qualities),
        fn_output_signature=tf.float32,
    )
    return straight_through(x, coded)


def noise(x: tf.Tensor, sigma: tf.Tensor) -> tf.Tensor:
    """What Gaussian noise of σ grey levels on each of R, G and B does to luma: noise of
    σ·‖luma weights‖ grey levels."""
    luma_sigma = sigma * math.hypot(*LUMA_WEIGHTS) / GREY_LEVELS
    return x + tf.random.normal(tf.shape(x)) * luma_sigma


def blur(x: tf.Tensor, sigma: tf.Tensor) -> tf.Tensor:
    """Gaussian blur of σ px (one σ for the batch)."""
    offsets = tf.range(-BLUR_RADIUS, BLUR_RADIUS + 1, dtype=tf.float32)
    weights = tf.exp(-0.5 * tf.square(offsets / sigma))
    weights = weights / tf.reduce_sum(weights)
    kernel = (weights[:, None] * weights[None, :])[:, :, None, None]
    pad = [[0, 0], [BLUR_RADIUS, BLUR_RADIUS], [BLUR_RADIUS, BLUR_RADIUS], [0, 0]]
    return tf.nn.conv2d(tf.pad(x, pad, mode="REFLECT"), kernel, strides=1, padding="VALID")


def resize_back(x: tf.Tensor, scale: tf.Tensor) -> tf.Tensor:
    """Down to `scale` of the size (one for the batch) and back up, both bicubic, the way down
    antialiased: the nearest differentiable match of OpenCV's area-down, cubic-up."""
    size = tf.shape(x)[1:3]
    small = tf.cast(tf.round(tf.cast(size, tf.float32) * scale), tf.int32)
    down = tf.image.resize(x, small, method="bicubic", antialias=True)
    return tf.image.resize(down, size, method="bicubic")


def brightness(x: tf.Tensor, factor: tf.Tensor) -> tf.Tensor:
    """Every value times `factor`, as Pillow's ImageEnhance.Brightness."""
    return x * factor


def contrast(x: tf.Tensor, factor: tf.Tensor) -> tf.Tensor:
    """Away from the image's mean by `factor`, as Pillow's ImageEnhance.Contrast."""
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
    return (x - mean) * factor + mean


class NoiseLayer(keras.layers.Layer):
    """Attacks a batch of marked luma images (B×H×W×1, floats in [0, 1])."""

    def __init__(self, config: NoiseConfig = NOISE, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.attacks = (
            self.random_identity,
            self.random_jpeg,
            self.random_noise,
            self.random_blur,
            self.random_resize,
            self.cropout,
            self.random_brightness_contrast,
        )

    def call(self, marked: tf.Tensor, cover: tf.Tensor, ramp: tf.Tensor) -> tf.Tensor:
        marked = cover + self.misregister(self.resample(marked - cover))
        batch = tf.shape(marked)[0]
        candidates = tf.stack([attack(marked, cover, ramp) for attack in self.attacks], axis=1)
        choice = tf.random.uniform([batch], 0, len(self.attacks), dtype=tf.int32)
        attacked = tf.gather(candidates, choice, axis=1, batch_dims=1)
        extra = tf.random.uniform([batch, 1, 1, 1]) < self.config.extra_jpeg_probability
        attacked = tf.where(extra, self.random_jpeg(attacked, cover, ramp), attacked)
        return quantize(attacked)

    def resample(self, residual: tf.Tensor) -> tf.Tensor:
        """The inference pipeline's path for the residual, applied to every sample.

        `embed` upsamples the working-resolution residual to the photo's size (bilinear) and
        `extract` area-downsamples the photo back: a residual that lives in frequencies this
        round trip removes would be invisible to the extractor. Scales as from working size
        (1024) to photos of 1024–4096 px; some batches keep native size (small photos).
        """
        low, high = self.config.resample_scale
        scale = tf.random.uniform([], low, high)
        scale = tf.where(tf.random.uniform([]) < self.config.native_probability, 1.0, scale)
        size = tf.shape(residual)[1:3]
        large = tf.cast(tf.round(tf.cast(size, tf.float32) * scale), tf.int32)
        up = tf.image.resize(residual, large, method="bilinear")
        return tf.image.resize(up, size, method="bilinear", antialias=True)

    def misregister(self, residual: tf.Tensor) -> tf.Tensor:
        """The residual moved by a whole pixel or none, each way, drawn per batch.

        The reader's grid is off by up to half a pixel after any search (it tries whole-pixel
        phases; a fitted lattice is sub-pixel exact at best), and a code that lives inside the
        cell can read inverted a few pixels off, which no reading can tell from the truth.
        """
        reach = self.config.misregistration
        shift = tf.random.uniform([2], -reach, reach + 1, dtype=tf.int32)
        return tf.roll(residual, shift, axis=[1, 2])

    def random_identity(self, x: tf.Tensor, cover: tf.Tensor, ramp: tf.Tensor) -> tf.Tensor:
        return identity(x)

    def random_jpeg(self, x: tf.Tensor, cover: tf.Tensor, ramp: tf.Tensor) -> tf.Tensor:
        low, high = self.config.jpeg_quality
        floor = high - ramp * (high - low)
        return jpeg(x, tf.random.uniform([tf.shape(x)[0]], floor, high + 1.0))

    def random_noise(self, x: tf.Tensor, cover: tf.Tensor, ramp: tf.Tensor) -> tf.Tensor:
        sigma = tf.random.uniform([tf.shape(x)[0], 1, 1, 1], 0.0, 1.0) * ramp
        return noise(x, sigma * self.config.noise_sigma)

    def random_blur(self, x: tf.Tensor, cover: tf.Tensor, ramp: tf.Tensor) -> tf.Tensor:
        low, high = self.config.blur_sigma
        return blur(x, tf.random.uniform([], low, low + ramp * (high - low) + 1e-3))

    def random_resize(self, x: tf.Tensor, cover: tf.Tensor, ramp: tf.Tensor) -> tf.Tensor:
        low, _ = self.config.resize_scale
        return resize_back(x, tf.random.uniform([], 1.0 - ramp * (1.0 - low), 1.0))

    def cropout(self, x: tf.Tensor, cover: tf.Tensor, ramp: tf.Tensor) -> tf.Tensor:
        """Keep a random rectangle of the marked image, the rest reverts to the unmarked cover.

        Teaches the extractor to read from part of an image and to answer 0.5 (no evidence)
        where there is no mark, so that folding weights unmarked areas down. No registry
        attack does this (a crop throws the rest away): it is training's own.
        """
        low, _ = self.config.cropout_keep
        batch, height, width = tf.shape(x)[0], tf.shape(x)[1], tf.shape(x)[2]
        keep = tf.random.uniform([batch], 1.0 - ramp * (1.0 - low), 1.0)
        aspect = tf.random.uniform([batch], 0.5, 2.0)
        frac_h = tf.clip_by_value(tf.sqrt(keep * aspect), 0.0, 1.0)
        frac_w = tf.clip_by_value(keep / tf.maximum(frac_h, 1e-3), 0.0, 1.0)
        top = tf.random.uniform([batch]) * (1.0 - frac_h)
        left = tf.random.uniform([batch]) * (1.0 - frac_w)
        rows = (tf.range(height, dtype=tf.float32) + 0.5) / tf.cast(height, tf.float32)
        cols = (tf.range(width, dtype=tf.float32) + 0.5) / tf.cast(width, tf.float32)
        in_rows = (rows[None] >= top[:, None]) & (rows[None] < (top + frac_h)[:, None])
        in_cols = (cols[None] >= left[:, None]) & (cols[None] < (left + frac_w)[:, None])
        mask = tf.cast(in_rows[:, :, None] & in_cols[:, None, :], x.dtype)[..., None]
        return mask * x + (1.0 - mask) * cover

    def random_brightness_contrast(
        self, x: tf.Tensor, cover: tf.Tensor, ramp: tf.Tensor
    ) -> tf.Tensor:
        shape = [tf.shape(x)[0], 1, 1, 1]
        gain = 1.0 + tf.random.uniform(shape, -1.0, 1.0) * ramp * self.config.brightness
        factor = 1.0 + tf.random.uniform(shape, -1.0, 1.0) * ramp * self.config.contrast
        return contrast(brightness(x, gain), factor)


def quantize(x: tf.Tensor) -> tf.Tensor:
    """Clip to [0, 1] and round to 8 bits, as saving the image does; gradients pass through."""
    clipped = tf.clip_by_value(x, 0.0, 1.0)
    return straight_through(x, tf.round(clipped * GREY_LEVELS) / GREY_LEVELS)
