"""Every tunable number of the model, its geometry and its training, in one place.

The configs are passed down to whatever needs them; the module-level instances are the
defaults. A `ModelConfig` also travels with the weights it describes (`model.json` beside them,
`model_config_json` / `load_model_config`), so that weights are always run, and training always
resumed, with the geometry and sizes they were made with.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

MODEL_CONFIG_FILE = "model.json"


@dataclass(frozen=True)
class ModelConfig:
    """Architecture and geometry shared by training and inference, and how strongly inference
    applies these networks' residual.

    The networks see luma at a *working resolution*: the image is scaled so its long side is
    `work_long_side`, or `small_long_side` for a smaller image, each side rounded to a
    multiple of two cells (so the centre is a cell corner). One plane bit covers a
    `cell`×`cell` patch of working pixels, so the 32×32 plane repeats with a period of
    `plane_size * cell` = 128 working pixels in both directions, but for the keyed cells:
    a square of `keyed_block` rows and columns around each period's corner (144 of its 1024
    cells) is flipped by a keyed canvas of `keyed_canvas` cells a side, so it does not repeat
    within any image (see `core.layout`).
    """

    plane_size: int = 32
    cell: int = 4
    work_long_side: int = 1024
    small_long_side: int = 512  # a smaller photo is embedded at this long side (see `tiling`)
    max_upscale: float = 2.0  # but never enlarged more (a thumbnail's cells would be too fine)
    min_side: int = 128  # to embed: one whole period of the plane
    min_read_side: int = 32  # to extract: a crop may hold part of a period (the rest reads 0.5)
    patch_channels: int = 32
    embedder_channels: int = 32  # encoder and decoder (distilled from 48: see assets/TRAINING.md)
    extractor_channels: int = 48
    encoder_depth: int = 2
    decoder_depth: int = 3
    extractor_depth: int = 4
    keyed_block: int = 12  # cells: one square per period, so that few repeating cells have
    # keyed neighbours (the embedder's residual at a cell depends on its neighbours' bits); 16
    # lost the lattice of some textured and web-size photos, 8 keeps too few bits to decide on
    keyed_canvas: int = 1024  # cells: four of the largest working images across
    binding_block: int = 4  # cells: the blocks whose means the content hash weighs (`binding`)
    binding_span: int = 4  # blocks a side around each cell
    binding_floor: float = 0.4 / 255  # luma: the hash's threshold, a cell is flipped above it;
    # a flat cell (hash 0) is then a full margin below and keeps its bit, at both ends
    binding_margin: float = 0.4 / 255  # luma: a hash this far from its threshold is trusted
    # fully, a nearer one in proportion (see `binding.content_signs`)
    residual_gain: float = 1.0  # what strength 1 means for these networks: set by
    # `benchmarks/calibrate.py` so that networks trained apart mark at the same PSNR


@dataclass(frozen=True)
class PerspectiveConfig:
    """Finding a perspective (see `core.perspective`): the blocks its evidence is gathered in,
    and the hypotheses tried. Scale and tilt are changes of scale: the tilt, from one side of
    the copy to the other (0.13 across and down for corners moved by 6%)."""

    min_periods: float = 3.0  # a copy must hold this many on its short side to be searched
    block: int = 32  # half cells (64 analysis px): the warp moves a block's lattice little
    max_lag: float = 1.3  # periods: the longest lag measured (a far corner's, at the widest)
    min_overlap: float = 0.5  # of a block a lag must keep inside the copy to be measured
    max_change: float = 0.12  # of scale, each way
    scale_step: float = 0.04
    max_turn: float = 5.0  # degrees each way (a larger turn is a lattice `find_lattices` sees)
    turn_step: float = 2.5
    max_tilt: float = 0.16  # each way, across and down
    tilt_step: float = 0.08
    starts: int = 2  # best hypotheses of the grid refined
    refinements: int = 5  # times the refinement's steps are halved
    max_moves: int = 100  # of the refinement, at most
    rectify_tolerance: float = 0.08  # the lattice left after the warp, in each vector's entries
    # per period: the homography's scale and aspect are good to a few per cent


@dataclass(frozen=True)
class SyncConfig:
    """Reading the mark from an attacked copy: finding its lattice and its place (see
    `core.lattice`, `core.reading`), and telling it from a copy off another photo
    (`core.verify.copied`)."""

    highpass_sigma: float = 1.5  # px: fine detail = luma minus its blur
    jpeg_block: int = 8  # JPEG's block pattern, removed before looking for ours
    contrast_sigma: float = 2.0  # px: fine detail is divided by its local RMS over this
    contrast_floor: float = 0.002  # luma (half a grey level): added to that RMS
    min_period: float = 56.0  # px in the analysis image: shorter lags are the photo's own
    min_periods: float = 1.4  # the image must hold this many periods on its short side
    max_rotation: float = 15.0  # degrees searched each side of across and down
    min_strength: float = 5.0  # robust z of both of a candidate's peaks over the searched zones
    seeds_per_direction: int = 24  # strongest peaks near across and near down taken as seeds
    max_aspect_change: float = 0.02  # a lattice's down may differ this much from across
    max_aspect: float = 1.34  # or a stretched copy's: down up to this many times across, or 1/it
    max_shear: float = 8.0  # degrees down may be off a quarter turn from across (a slant)
    max_divisor: int = 4  # a seed may be up to this many periods long
    fits_per_image: int = 24  # seed pairs fitted to the whole lattice (the strongest)
    unturned_seeds: int = 6  # and unturned square lattices, seeded by their period alone
    warped_seeds: int = 4  # turned square and stretched lattices seeded by all their points
    warped_strength: float = 7.0  # the evidence they need: picked from far more lattices
    seed_spacing: float = 3.0  # px: a seed lattice nearer a stronger one is that one
    fit_reach: float = 2.5  # periods: a lattice is fitted to nearer points first, then to all
    guess_weight: float = 0.1  # of a seed in its lattice's fit (a peak of strength z weighs √z)
    fit_tolerance: float = 3.0  # px a fitted period may move from its seed
    max_candidates: int = 6  # lattices with evidence proposed (besides the unturned seeds)
    max_rectified_side: int = 2048  # px: a lattice asking for more is not the mark's
    window: int = 512  # px: central window on which candidate grids and orientations are read
    phased_lattices: int = 3  # the strongest lattices seen, ranked at every half-cell phase
    scan_periods: float = 2.5  # periods scanned: those the short side holds fewer times than this
    scan_step: float = 0.01  # step in log period between periods scanned (1%)
    scan_window: int = 256  # px: central window on which each scanned period is read
    scan_margin: float = 0.03  # consistency the scanned grid must win by (see `locate`)
    consistent: float = 0.98  # a grid whose reading is this consistent is taken, no more tried
    # (a smooth photo stretched and read as it is, on the wrong grid, can come close)
    picture_agreement: float = 0.3  # neighbour agreement that makes a read plane a picture
    keyed_clearness: float = 6.5  # robust z of the place the keyed cells put a crop at
    centre_clearness: float = 4.0  # robust z at which the centre stays a crop's place
    decoy_layouts: int = 8  # layouts of no key the place must be clearer than (`Layout.placed`)
    copy_cover: float = 0.05  # mean trust of a bit's content flips for `verify.copied` to test it
    copy_tail: float = 0.01  # P[a fair coin's agreement is this low] that makes a reading a copy
    first_share: float = 0.5  # of `verify`'s false-alarm budget, given its likeliest
    # readings in equal parts: the copy as it is, as if only resized, and on its likeliest
    # grid (see `Search.paid`)
    perspective: PerspectiveConfig = field(default_factory=PerspectiveConfig)


@dataclass(frozen=True)
class NoiseConfig:
    """Ranges of the training noise layer at full strength (reached after the ramp), in the
    units of the attacks' parameters (see `core.attacks`)."""

    jpeg_quality: tuple[int, int] = (40, 95)
    noise_sigma: float = 12.0  # per RGB channel on 0–255: 8 grey levels of luma noise
    blur_sigma: tuple[float, float] = (0.3, 1.5)
    resize_scale: tuple[float, float] = (0.45, 0.95)
    cropout_keep: tuple[float, float] = (0.25, 1.0)
    brightness: float = 0.3
    contrast: float = 0.3
    extra_jpeg_probability: float = 0.5
    resample_scale: tuple[float, float] = (1.0, 4.0)
    native_probability: float = 0.2
    misregistration: int = 0  # px each way the residual is moved before the extractor (off:
    # on, 3,000 steps made reading shift-tolerant but lost the most textured photos; TRAINING.md)


@dataclass(frozen=True)
class TrainConfig:
    """Training schedule. The image loss weight is steered so that PSNR tracks `target_psnr`."""

    steps: int = 4000
    batch: int = 16
    crop: int = 128
    learning_rate: float = 1e-3
    final_learning_rate: float = 1e-4
    attack_ramp_steps: int = 1500
    whiten_after_steps: int = 900  # marks as drawn before, whitened after (see train.batches)
    psnr_start: float = 33.0
    psnr_end: float = 39.5
    psnr_ramp_steps: int = 3000
    loss_weight_rate: float = 0.02
    initial_image_weight: float = 30.0
    masking_constant: float = 0.03  # SSIM's C2 = (0.03 × peak)²
    steps_per_epoch: int = 100
    validation_batches: int = 4
    cache_long_side: int = 1280
    crop_scale: tuple[float, float] = (0.8, 2.5)
    seed: int = 1234
    train_embedder: bool = True  # False: only the extractor learns (the embedding is kept)
    # Held-out photographs (file stems from scripts/fetch_photos.sh): never trained on.
    validation_photos: tuple[str, ...] = field(
        default=(
            "mate_nature_LadyBird",
            "mate_nature_Storm",
            "mate_nature_YellowFlower",
            "mate_nature_Dune",
            "Kleiber_by_Lukas_Baubkus",
            "goldfish",
            "the-mouse",
            "Fossa_by_Jasper_Roks",
        )
    )


@dataclass(frozen=True)
class EmbedConfig:
    """Embedding-time settings (see `masking`)."""

    masking_constant: float = 0.03  # C in sqrt(local variance + C²), luma in [0, 1]
    masking_window: int = 9  # working pixels
    masking_cap: float = 2.0  # largest gain relative to the root mean square
    edge_exponent: float = 2.0  # texture = variance × (1 − edge coherence)^this
    max_change: float = 20.0  # no pixel moves more, in 8-bit grey levels (scaled for 16 bits)
    spot: int = 32  # photo px: the side of a spot a close look sees (see `masking.budget_gain`)
    max_spot_rms: float = 5.6  # 8-bit grey levels RMS of the working residual in any spot: the
    # photo-size change, smoothed by the resize, then measures ~34.5 dB in its worst spots
    min_psnr: float = 38.0  # dB over the whole photo


@dataclass(frozen=True)
class StrengthConfig:
    """`strength="auto"`: each photo gets more strength where its own margin is short, within
    a visibility budget, and less where it is past the budget with margin to spare (see
    `core.strength`)."""

    candidates: tuple[float, ...] = (0.6, 0.8, 1.0, 1.25, 1.6, 2.0)
    start: float = 1.0  # tried first: the networks' calibrated strength
    probe: str = "jpeg:50"  # the attack the margin is read after (`core.attacks`)
    probe_long_side: int = 2048  # px: the probe attacks the photo at its size, up to this
    target_bits: float = 0.999  # share of the plane read right after the probe: enough
    spare_probe: str = "jpeg:30"  # a harsher attack: what a photo keeps its margin for
    spare_bits: float = 0.99  # share read right after it that lowering must leave
    min_psnr: float = 38.0  # dB: no more strength past this
    min_ssim: float = 0.98


AUTO = "auto"  # the strength that fits each photo (`StrengthConfig`)


@dataclass(frozen=True)
class Defaults:
    """What the commands and the API do when not told otherwise."""

    strength: float | str = AUTO  # fitted to each photo (`StrengthConfig`); a number is a
    # residual gain (see `ModelConfig.residual_gain`)
    quality: int = 95  # JPEG/WebP quality of outputs
    fpr: float = 1e-6  # false-alarm probability `verify` allows
    view_size: int = 256  # px: side of a recovered mark written as a picture
    random_planes: int = 5  # planes `wm bench` draws when given no mark


DEFAULTS = Defaults()
MODEL = ModelConfig()
EMBED = EmbedConfig()
STRENGTH = StrengthConfig()
SYNC = SyncConfig()
NOISE = NoiseConfig()
TRAIN = TrainConfig()
# Teaching trained networks new photos (`wm train --init`): the code exists, so marks are
# whitened and attacks at full strength from the first step, the PSNR target is the recipe's
# last, the image-loss weight starts where the shipped run's ended, and the learning rate
# is a tenth of a fresh run's.
FINE_TUNE = replace(
    TRAIN,
    steps=3000,
    learning_rate=3e-4,
    final_learning_rate=3e-5,
    attack_ramp_steps=1,
    whiten_after_steps=0,
    psnr_start=TRAIN.psnr_end,
    initial_image_weight=900.0,
)


def model_config_json(config: ModelConfig) -> str:
    """`config` as the text of a `model.json`."""
    return json.dumps(asdict(config), indent=1) + "\n"


def load_model_config(folder: Path) -> ModelConfig:
    """The `ModelConfig` in `folder`'s `model.json`; fields it does not name keep defaults."""
    path = Path(folder) / MODEL_CONFIG_FILE
    try:
        saved = json.loads(path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no model config beside these weights") from None
    known = {f.name for f in fields(ModelConfig)}
    unknown = set(saved) - known
    if unknown:
        raise ValueError(f"{path}: unknown model settings {', '.join(sorted(unknown))}")
    return ModelConfig(**saved)
