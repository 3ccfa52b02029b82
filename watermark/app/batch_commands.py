"""`wm batch embed|extract|verify`: parse, then `batch.batch_folder`, then print the summary."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .formats import OUTPUT_CHOICES
from .options import (
    fpr_option,
    key_option,
    overwrite_option,
    quality_option,
    reports_bad_input,
    size_option,
    strength_option,
)


@click.group()
def batch() -> None:
    """Embed, extract or verify every image in a folder tree.

    \b
      wm batch embed photos/ out/ mark.png          # tree mirrored in out/, names kept
      wm batch extract out/ marks/                  # one recovered mark per image
      wm batch verify out/ mark.png --csv verify.csv

    Interrupted? Run the same command again: finished files are skipped (--overwrite redoes
    them); outputs are written atomically, so none is ever half-written. Exit code 0 when
    every image succeeded, 1 when some failed (listed at the end), 2 on bad arguments.
    """


def batch_options(command):
    for option in reversed(
        [
            click.option(
                "-w",
                "--workers",
                type=click.IntRange(1, 64),
                default=None,
                help="Worker processes (Ray actors with --engine ray). "
                "[default: CPU cores, the cluster's with --engine ray]",
            ),
            click.option(
                "--engine",
                type=click.Choice(["local", "ray"]),
                default="local",
                show_default=True,
                help='Run the files on this machine, or on Ray (pip install "wm[ray]"); '
                "with Ray, SOURCE and OUT must be on a file system every node sees.",
            ),
            click.option(
                "--address",
                help="The Ray cluster for --engine ray: auto (the one started on this "
                "machine), HOST:PORT or ray://HOST:10001. [default: a Ray of its own, here]",
            ),
            click.option(
                "--recursive/--no-recursive",
                default=True,
                show_default=True,
                help="Descend into sub-folders.",
            ),
            click.option(
                "--log",
                "log_path",
                type=click.Path(dir_okay=False, path_type=Path),
                help="Append one JSON line per file (result, PSNR, reason).",
            ),
            key_option,
        ]
    ):
        command = option(command)
    return command


@batch.command("embed")
@click.argument("source", type=click.Path(path_type=Path))
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.argument("mark", type=click.Path(path_type=Path))
@strength_option
@quality_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(OUTPUT_CHOICES),
    default=OUTPUT_CHOICES[0],
    show_default=True,
    help="Output format.",
)
@overwrite_option
@batch_options
@reports_bad_input
def batch_embed(source, out, mark, strength, quality, fmt, overwrite, key, **options) -> None:
    """Hide MARK in every image under SOURCE, writing the tree again under OUT."""
    from watermark.app.tasks import EmbedTask

    task = EmbedTask(strength, quality, key, fmt)
    report_batch(task, source, out, mark, overwrite=overwrite, **options)


@batch.command("extract")
@click.argument("source", type=click.Path(path_type=Path))
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@size_option
@overwrite_option
@batch_options
@reports_bad_input
def batch_extract(source, out, size, overwrite, key, **options) -> None:
    """Recover the mark of every image under SOURCE as NAME.mark.png under OUT."""
    from watermark.app.tasks import ExtractTask

    report_batch(ExtractTask(size, key), source, out, None, overwrite=overwrite, **options)


@batch.command("verify")
@click.argument("source", type=click.Path(path_type=Path))
@click.argument("mark", type=click.Path(path_type=Path))
@fpr_option
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write one row per image: file, bits, matching, p_value, present.",
)
@click.option("--overwrite", is_flag=True, help="Replace the --csv file if it exists.")
@batch_options
@reports_bad_input
def batch_verify(source, mark, fpr, csv_path, overwrite, key, **options) -> None:
    """Decide for every image under SOURCE whether it carries MARK."""
    from watermark.app.tasks import VerifyTask

    task = VerifyTask(fpr, key)
    report_batch(task, source, None, mark, csv_path=csv_path, overwrite=overwrite, **options)


def report_batch(task, source, out, mark, **options) -> None:
    """Run a batch (`options`: batch_folder's, from `batch_options` and the command); print its
    failures and summary; exit 0 (all done) or 1 (some failed)."""
    from watermark.app.batch import batch_folder

    if options["address"] and options["engine"] != "ray":
        raise click.UsageError("--address needs --engine ray")
    summary = batch_folder(task, source, out, mark, **options)
    for line in summary.failure_lines():
        click.echo(line, err=True)
    click.echo(summary.line(verified=task.name == "verify"))
    sys.exit(summary.exit_code)
