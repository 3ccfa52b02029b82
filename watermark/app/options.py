"""What every `wm` command shares: the options, and how a bad input is answered (one line,
exit code 2, no traceback). Plain click and the config: importing this costs nothing."""

from __future__ import annotations

import functools
import sys

import click

from ..config import AUTO, DEFAULTS

EXIT_BAD_INPUT = 2


def fail(message: str) -> None:
    """One line on stderr, exit code 2: the answer to every bad input."""
    click.echo(f"wm: error: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def reports_bad_input(command):
    """Turn the package's input errors into `fail`, without a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from watermark.app.errors import ImageError

        try:
            return command(*args, **kwargs)
        except ImageError as error:
            fail(str(error))
        except MemoryError:
            fail("out of memory: the image is too large for this machine")

    return wrapper


def note(lines: list[str]) -> None:
    for line in lines:
        click.echo(f"wm: note: {line}", err=True)


STRENGTHS = (0.1, 4.0)  # the numbers `--strength` takes


def strength_value(text: str | float) -> float | str:
    """'auto', or a number from 0.1 to 4 (ValueError otherwise): what `--strength` takes."""
    if text == AUTO:
        return AUTO
    number = float(text)
    if not STRENGTHS[0] <= number <= STRENGTHS[1]:
        raise ValueError(f"{number:g} is outside {STRENGTHS[0]:g}-{STRENGTHS[1]:g}")
    return number


class Strength(click.ParamType):
    """'auto', or a number from 0.1 to 4."""

    name = "auto|0.1-4"

    def convert(self, value, param, ctx):
        try:
            return strength_value(value)
        except ValueError:
            self.fail(f"{value!r}: expected 'auto' or a number from 0.1 to 4", param, ctx)


force_option = click.option("-f", "--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
strength_option = click.option(
    "-s",
    "--strength",
    type=Strength(),
    default=DEFAULTS.strength,
    show_default=True,
    help="auto: fitted to each photo (more where it needs it, less where it has margin to "
    "spare, within PSNR 38 dB and SSIM 0.98); or a residual gain, the same for every photo: "
    "higher survives more, lower hides better (1.0 ≈ 42 dB PSNR).",
)
quality_option = click.option(
    "-q",
    "--quality",
    type=click.IntRange(1, 100),
    default=DEFAULTS.quality,
    show_default=True,
    help="JPEG/WebP quality of the output.",
)
overwrite_option = click.option("--overwrite", is_flag=True, help="Redo outputs that exist.")
key_option = click.option(
    "-k",
    "--key",
    envvar="WM_KEY",
    help="Secret key: only the same key reads the mark back (also from $WM_KEY, which keeps "
    "it out of your shell history). [default: a public key]",
)
fpr_option = click.option(
    "--fpr",
    type=click.FloatRange(1e-300, 0.5),
    default=DEFAULTS.fpr,
    show_default=True,
    help="False-alarm probability allowed: present when p ≤ FPR.",
)
size_option = click.option(
    "--size",
    type=click.IntRange(32, 4096),
    default=DEFAULTS.view_size,
    show_default=True,
    help="Side of the written mark in pixels; 32 = the raw plane, a pixel per bit.",
)
