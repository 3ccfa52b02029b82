"""`wm train` and `wm distill`, the developers' commands: parse, then call `train` or
`distill` (TensorFlow is imported only then)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from ..config import FINE_TUNE, TRAIN, load_model_config


@click.command()
@click.option(
    "--images",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of training photos (scripts/fetch_photos.sh); repeat for more folders, each "
    "an equal share of the crops.",
)
@click.option(
    "--init",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Start from these exported networks (e.g. assets) with the fine-tuning recipe.",
)
@click.option(
    "--export-only",
    is_flag=True,
    help="Only export the networks of the checkpoint in OUT (e.g. of a run you stopped).",
)
@click.option(
    "--steps",
    type=click.IntRange(1),
    help=f"Steps in all [default: {TRAIN.steps}; with --init {FINE_TUNE.steps}].",
)
@click.option(
    "--batch",
    type=click.IntRange(1),
    default=TRAIN.batch,
    show_default=True,
    help="Photos per step.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("runs/train"),
    show_default=True,
    help="Folder for checkpoints and the exported networks.",
)
@click.option(
    "--extractor-only",
    is_flag=True,
    help="With --init: train the extractor alone; the embedder, and so every marked photo, "
    "stays as it is.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue from the checkpoint in OUT (give the run's --init and --extractor-only again).",
)
def train(
    images: tuple[Path, ...],
    init: Path | None,
    extractor_only: bool,
    export_only: bool,
    steps: int | None,
    batch: int,
    out: Path,
    resume: bool,
) -> None:
    """Train the embedder and extractor jointly (slow: hours on a laptop CPU).

    Checkpoints are written to OUT/checkpoint after every epoch; a killed run continues with
    --resume. At the end the networks are exported to OUT (.keras and .tflite); copy those to
    assets/ to ship them.

    \b
    Example:
      scripts/fetch_photos.sh data/photos
      wm train --images data/photos --steps 4000 --out runs/main
      wm train --out runs/main --export-only && cp runs/main/*.keras runs/main/*.tflite assets/
      scripts/fetch_textures.sh data/textures
      wm train --init assets --images data/photos --images data/textures --out runs/fine
    """
    from .train import export_checkpoint
    from .train import train as run_training

    if not export_only and not images:
        raise click.UsageError("--images is needed to train (or use --export-only)")
    if extractor_only and not init:
        raise click.UsageError("--extractor-only needs --init (the embedder to keep)")
    config = replace(FINE_TUNE, train_embedder=not extractor_only) if init else TRAIN
    try:
        if export_only:
            export_checkpoint(out)
        else:
            run_training(
                images, out, steps or config.steps, batch, resume, config=config, init=init
            )
    except (FileExistsError, FileNotFoundError, ValueError) as error:
        raise click.UsageError(str(error)) from None


@click.command()
@click.option(
    "--images",
    required=True,
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of training photos (scripts/fetch_photos.sh); repeat for more folders.",
)
@click.option(
    "--teacher",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=Path("assets/embedder.keras"),
    show_default=True,
    help="The trained embedder to imitate.",
)
@click.option(
    "--channels",
    type=click.IntRange(1),
    required=True,
    help="The student's encoder and decoder channels (the teacher's are in its model.json).",
)
@click.option("--steps", type=click.IntRange(1), default=3000, show_default=True)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("runs/distill"),
    show_default=True,
    help="Folder for checkpoints and the exported student (a run there is resumed).",
)
def distill(images: tuple[Path, ...], teacher: Path, channels: int, steps: int, out: Path) -> None:
    """Teach a smaller embedder to make the trained one's residual (faster embedding).

    Checkpoints go to OUT/checkpoint after every epoch, and a run is resumed from them. The
    student is exported to OUT/embedder.keras and .tflite with OUT/model.json (the teacher's,
    with CHANNELS); measure it (wm bench, benchmarks/quality.py) before copying the three to
    assets/.
    """
    from .distill import distill as run_distillation

    try:
        student = replace(load_model_config(teacher.parent), embedder_channels=channels)
    except (FileNotFoundError, ValueError) as error:
        raise click.UsageError(str(error)) from None
    run_distillation(images, teacher, out, steps, student)
