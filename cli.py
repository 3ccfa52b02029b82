"""The `wm` command line: parses, calls the `watermark` package, prints.

The one-photo commands and the measurements are here; `wm batch` lives beside the batch code
(`watermark/app/batch_commands.py`), `wm train` and `wm distill` beside training
(`watermark/training/commands.py`), and what they share in `watermark/app/options.py`. Nothing
heavy is imported at module level (the config and the format table are plain Python), so
`wm --help` answers at once; each command imports what it needs when it runs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from watermark.app.batch_commands import batch
from watermark.app.options import (
    force_option,
    fpr_option,
    key_option,
    note,
    quality_option,
    reports_bad_input,
    size_option,
    strength_option,
    strength_value,
)
from watermark.config import DEFAULTS
from watermark.training.commands import distill, train


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="wm", prog_name="wm")
def main() -> None:
    """Hide a mark (a logo, a monogram) invisibly in photos, and find it again.

    \b
      wm embed photo.jpg mark.png       writes photo.wm.jpg, the marked photo
      wm extract photo.wm.jpg           writes photo.wm.mark.png, the recovered mark
      wm verify photo.wm.jpg mark.png   says whether the mark is there, with a p-value
      wm batch embed photos/ out/ mark.png   the same for whole folders
      wm bench photos/ --mark mark.png  measures robustness against a suite of attacks
      wm train --images photos/         trains the networks (for developers)

    The mark survives re-compression, resizing and colour edits. Run `wm COMMAND --help`
    for each command's options and examples.
    """


@main.command()
@click.argument("image", type=click.Path(path_type=Path))
@click.argument("mark", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Where to write the marked image; its suffix picks the format. "
    "[default: IMAGE.wm.<same type> next to IMAGE]",
)
@strength_option
@quality_option
@force_option
@key_option
@reports_bad_input
def embed(
    image: Path,
    mark: Path,
    output: Path | None,
    strength: float | str,
    quality: int,
    force: bool,
    key: str | None,
) -> None:
    """Hide MARK (a picture: logo, monogram, signature) in IMAGE.

    The mark becomes a 32×32 black-and-white plane (dark = 1, Otsu threshold, aspect kept) and
    is hidden in the photo's brightness. IMAGE is never modified. Alpha, EXIF and the ICC
    profile are kept; EXIF orientation is applied.

    \b
    Examples:
      wm embed photo.jpg logo.png                   # -> photo.wm.jpg
      wm embed photo.png logo.png -o out.webp       # .png .jpg .webp .tif .bmp .ppm
      wm embed photo.png logo.png --strength 0.8    # the same strength for every photo
      WM_KEY='my secret' wm embed photo.jpg logo.png  # readable only with the same key
    """
    from watermark.app.files import embed_file

    result = embed_file(image, mark, output, strength, quality, force, key=key)
    note(result.notes)
    click.echo(f"{result.output}  (PSNR {result.psnr:.1f} dB, strength {result.strength:.2f})")


@main.command()
@click.argument("image", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Where to write the recovered mark (PNG). [default: IMAGE.mark.png]",
)
@size_option
@force_option
@key_option
@reports_bad_input
def extract(image: Path, output: Path | None, size: int, force: bool, key: str | None) -> None:
    """Recover the mark hidden in IMAGE and write it as a black-on-white PNG.

    No original is needed, and the copy may have been cropped, resized, turned, mirrored or
    stretched: the mark's own grid is found again in it. The confidence printed is the mean
    of |2p−1| over the 1024 bits: near 1 for a clean read, lower when the image was damaged
    or carries no mark. For a decision with a false-alarm probability, use `wm verify`.

    \b
    Examples:
      wm extract photo.wm.jpg                       # -> photo.wm.mark.png, 256×256
      wm extract photo.wm.jpg -o plane.png --size 32
    """
    from watermark.app.files import extract_file

    result = extract_file(image, output, size, force, key=key)
    note(result.notes)
    click.echo(f"{result.output}  ({describe(result.extraction)})")


def describe(extraction) -> str:
    """'confidence 0.97', plus what had to be undone to read the mark, if anything."""
    parts = [f"confidence {extraction.confidence:.2f}"]
    lattice = extraction.lattice
    if lattice is not None:
        period, turn = lattice.period, lattice.rotation
        parts.append(f"grid re-found: period {period:.0f} px, turned {turn:.1f}°")
    if extraction.perspective is not None:
        parts.append("perspective undone")
    if extraction.shift is not None:
        parts.append("off-centre crop: mark placed again")
    if not extraction.orientation.upright:
        parts.append(f"copy was {extraction.orientation}: read the right way round")
    return "; ".join(parts)


@main.command()
@click.argument("image", type=click.Path(path_type=Path))
@click.argument("mark", type=click.Path(path_type=Path))
@fpr_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@key_option
@reports_bad_input
def verify(image: Path, mark: Path, fpr: float, as_json: bool, key: str | None) -> None:
    """Decide whether IMAGE carries MARK: exit 0 if it does, 1 if not, 2 on bad input.

    Counts the bits read from IMAGE that match MARK's plane, k of n, under every grid,
    orientation and place the reader tries, and gives p, a bound on the probability that an
    image without this mark (or marked with another key) matches as well: P[Binomial(n,
    1/2) ≥ k] times the hypotheses the reading paid for (--json: "hypotheses"; 4 for the copy
    read as it is and for its likeliest grid, each given a quarter of the budget, 6 or 8 for
    a copy under 1024 px, also read as if resized from a larger original). Under a
    secret key n ≤ 144, the keyed bits, which do not repeat (see the README's Security);
    under the public key n ≤ 1024 (bits the reading says nothing about are left out).
    Present when p ≤ --fpr. Under a secret key a reading that shows the mark as copied from
    another photo is passed over (--json: "copied"). Not a proof of origin: a mark can still
    be copied onto some photos (see the README's Security).

    \b
    Examples:
      wm verify suspect.jpg logo.png     # mark present: 1024/1024 bits match, p = 2.23e-308
      wm verify suspect.jpg logo.png -k SECRET   # mark present: 144/144 bits match, p = 1.79e-43
      wm verify suspect.jpg logo.png --json
    """
    from watermark.app.files import verify_file

    verdict = verify_file(image, mark, key, fpr)
    click.echo(json.dumps(verdict.as_dict()) if as_json else verdict.sentence())
    sys.exit(0 if verdict.present else 1)


def parse_list(kind: type, text: str) -> list:
    try:
        return [kind(part.strip()) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise click.BadParameter(f"{text!r}: {error}") from None


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-m",
    "--mark",
    type=click.Path(path_type=Path),
    help="Mark to embed in every photo (else random planes: --random-marks).",
)
@click.option(
    "--random-marks",
    type=click.IntRange(1),
    default=None,
    help=f"Use N random planes (photo i gets plane i mod N). [default: {DEFAULTS.random_planes}]",
)
@click.option(
    "-a",
    "--attacks",
    "attack_list",
    default=None,
    help="Comma-separated attacks, e.g. jpeg:50,resize:0.5,crop:0.5. [default: the suite]",
)
@click.option(
    "-s",
    "--strength",
    "strengths",
    default=str(DEFAULTS.strength),
    show_default=True,
    help="Strength (auto or 0.1-4), or a comma-separated list for the robustness/PSNR curve.",
)
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write results.csv, results.json, plots and report.md here.",
)
@key_option
@reports_bad_input
def bench(inputs, mark, random_marks, attack_list, strengths, out, key) -> None:
    """Measure robustness: embed in each photo, attack, extract, compare bits.

    INPUTS are image files and/or folders (searched recursively). For each photo and attack
    it records PSNR and SSIM of the marked photo and the share of the 1024 bits read back;
    the table shows, per attack, the median and worst bit accuracy over photos.

    \b
    Examples:
      wm bench photos/ --mark mark.png
      wm bench a.jpg b.png --mark mark.png --out report/
      wm bench photos/ --mark mark.png --attacks jpeg:50,resize:0.5,crop:0.5 --strength 0.8
      wm bench photos/ --random-marks 5 --strength 0.5,1,1.5 --out curve/
    """
    from watermark.app.bench import bench as run_bench
    from watermark.app.bench import markdown_table

    options = {"random_planes": random_marks} if random_marks else {}
    if attack_list:
        options["attack_specs"] = parse_list(str, attack_list)
    strength_list = parse_list(strength_value, strengths)
    result = run_bench(inputs, mark, strengths=strength_list, out=out, key=key, **options)
    click.echo(markdown_table(result.rows))
    click.echo(
        f"\n{result.photos} photos; median embed {result.median_embed_seconds:.2f} s, "
        f"extract {result.median_extract_seconds:.2f} s"
    )
    for path in result.written:
        click.echo(f"wrote {path}")


class AttackCommand(click.Command):
    """Lists the registered attacks at the end of its help (imported only for the help)."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from watermark.core.attacks import ATTACKS

        formatter.write_paragraph()
        formatter.write_text("Attacks: " + " ".join(ATTACKS))


@main.command(cls=AttackCommand)
@click.argument("image", type=click.Path(path_type=Path))
@click.argument("spec")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="Where to write the attacked image; its suffix picks the format.",
)
@force_option
@reports_bad_input
def attack(image: Path, spec: str, output: Path, force: bool) -> None:
    """Apply one named attack (SPEC, e.g. jpeg:50, crop:0.5, rotate:2) to IMAGE.

    \b
    Examples:
      wm attack photo.wm.png jpeg:50 -o attacked.jpg
      wm attack photo.wm.png social -o shared.jpg && wm extract shared.jpg
    """
    from watermark.app.files import attack_file

    click.echo(str(attack_file(image, spec, output, force)))


main.add_command(batch)
main.add_command(train)
main.add_command(distill)


if __name__ == "__main__":
    main()
