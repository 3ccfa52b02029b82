"""The watermarking networks: encoder, decoder, embedder (their composition) and extractor.

Each part is its own small functional `keras.Model`, composed as the Keras autoencoder examples
compose theirs. All are fully convolutional, so one set of weights serves any image size.

- The encoder turns working-resolution luma (H×W×1) into an encoding at 1/`cell` resolution
  (one position per plane bit), starting with overlapping 8×8 patches so that it sees the
  texture inside each cell: that is what lets the decoder hide the residual in busy areas.
- The embedder concatenates the plane map (the 32×32 plane tiled to H/4×W/4, see `tiling`)
  with the encoding along channels; the decoder turns that into a luma residual (H×W×1)
  through an overlapping 8×8 transposed convolution, so the residual has no 4×4 block edges.
- The extractor maps (attacked) luma back to a soft bit map at H/4×W/4, sigmoid output.

Everything after the first layer runs at 1/16 of the working pixels: measured here, the first
design with half- and full-resolution layers was several times slower (see benchmarks/).
"""

from __future__ import annotations

from ..config import MODEL, ModelConfig
from .tf_env import keras

layers = keras.layers


def _conv(channels: int, name: str | None = None) -> keras.layers.Layer:
    return layers.Conv2D(channels, 3, padding="same", activation="relu", name=name)


def _patchify(channels: int, config: ModelConfig) -> keras.layers.Layer:
    """Overlapping patches to 1/cell resolution: every later layer runs on 16× fewer positions."""
    return layers.Conv2D(
        channels,
        2 * config.cell,
        strides=config.cell,
        padding="same",
        activation="relu",
    )


def build_encoder(config: ModelConfig = MODEL) -> keras.Model:
    image = keras.Input((None, None, 1), name="luma")
    x = _patchify(config.patch_channels, config)(image)
    for _ in range(config.encoder_depth):
        x = _conv(config.embedder_channels)(x)
    return keras.Model(image, x, name="encoder")


def build_decoder(config: ModelConfig = MODEL) -> keras.Model:
    merged = keras.Input((None, None, config.embedder_channels + 1), name="encoding_and_plane")
    x = merged
    for _ in range(config.decoder_depth):
        x = _conv(config.embedder_channels)(x)
    residual = layers.Conv2DTranspose(
        1, 2 * config.cell, strides=config.cell, padding="same", name="residual"
    )(x)
    return keras.Model(merged, residual, name="decoder")


def build_embedder(config: ModelConfig = MODEL) -> keras.Model:
    """Luma and plane map in, luma residual out (the marked luma is luma + residual)."""
    image = keras.Input((None, None, 1), name="luma")
    plane_map = keras.Input((None, None, 1), name="plane_map")
    encoding = build_encoder(config)(image)
    merged = layers.Concatenate(name="merge_plane")([encoding, plane_map])
    residual = build_decoder(config)(merged)
    return keras.Model([image, plane_map], residual, name="embedder")


def build_extractor(config: ModelConfig = MODEL) -> keras.Model:
    image = keras.Input((None, None, 1), name="luma")
    x = _patchify(config.patch_channels, config)(image)
    for _ in range(config.extractor_depth):
        x = _conv(config.extractor_channels)(x)
    bits = layers.Conv2D(1, 3, padding="same", activation="sigmoid", name="bits")(x)
    return keras.Model(image, bits, name="extractor")
