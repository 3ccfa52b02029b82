import hashlib
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from tests.images import photo
from watermark.app import formats
from watermark.app.atomic import save_atomically
from watermark.app.batch import sniffed_format
from watermark.app.errors import ImageError
from watermark.app.io import Picture, read_image, write_image

TABLE = {fmt.suffix: fmt for fmt in formats.FORMATS}


@pytest.mark.parametrize("suffix", TABLE)
def test_each_format_round_trips(tmp_path: Path, suffix: str):
    pixels = photo(64, 80)
    path = tmp_path / f"a{suffix}"
    write_image(path, Picture(pixels))
    back = read_image(path)
    assert back.pixels.shape == (64, 80, 3) and back.pixels.dtype == np.uint8
    assert back.format == TABLE[suffix]
    if TABLE[suffix].quality:
        assert np.abs(back.pixels.astype(int) - pixels).mean() < 4
    else:
        assert np.array_equal(back.pixels, pixels)


@pytest.mark.parametrize("suffix", TABLE)
def test_each_format_is_known_by_its_first_bytes(tmp_path: Path, suffix: str):
    named = tmp_path / f"a{suffix}"
    write_image(named, Picture(photo(64, 80)[..., 0]))
    unnamed = tmp_path / "no_suffix"
    unnamed.write_bytes(named.read_bytes())
    assert sniffed_format(unnamed) == TABLE[suffix]


@pytest.mark.parametrize("suffix", TABLE)
def test_each_format_keeps_what_the_table_says(tmp_path: Path, suffix: str):
    fmt = TABLE[suffix]
    alpha = np.full((64, 80), 200, np.uint8)
    picture = Picture(photo(64, 80), alpha, exif=_exif_with_artist(), dpi=(300.0, 300.0))
    notes = write_image(tmp_path / f"a{suffix}", picture)
    back = read_image(tmp_path / f"a{suffix}")
    assert (back.alpha is not None) == fmt.alpha
    assert (back.exif is not None) == fmt.metadata
    assert any("EXIF" in note for note in notes) != fmt.metadata
    if fmt.dpi:
        assert back.dpi == pytest.approx((300.0, 300.0), abs=0.5)


def _exif_with_artist() -> bytes:
    exif = Image.Exif()
    exif[0x013B] = "wm tests"  # Artist
    return exif.tobytes()


def test_rgba_keeps_alpha(tmp_path: Path):
    alpha = np.tile(np.linspace(0, 255, 80, dtype=np.uint8), (64, 1))
    Image.fromarray(np.dstack([photo(64, 80), alpha]), "RGBA").save(tmp_path / "a.png")
    picture = read_image(tmp_path / "a.png")
    assert picture.pixels.shape == (64, 80, 3) and np.array_equal(picture.alpha, alpha)
    write_image(tmp_path / "b.png", picture)
    assert Image.open(tmp_path / "b.png").mode == "RGBA"
    assert np.array_equal(read_image(tmp_path / "b.png").alpha, alpha)


def test_grey_stays_grey(tmp_path: Path):
    grey = photo(64, 80)[..., 0]
    Image.fromarray(grey).save(tmp_path / "g.jpg")
    picture = read_image(tmp_path / "g.jpg")
    assert picture.pixels.ndim == 2
    write_image(tmp_path / "h.jpg", picture)
    assert Image.open(tmp_path / "h.jpg").mode == "L"


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_16_bit_grey_stays_16_bit(tmp_path: Path, suffix: str):
    deep = photo(64, 80)[..., 1].astype(np.uint16) * 257 + 3
    Image.fromarray(deep).save(tmp_path / f"d{suffix}")
    picture = read_image(tmp_path / f"d{suffix}")
    assert picture.pixels.dtype == np.uint16 and np.array_equal(picture.pixels, deep)
    write_image(tmp_path / f"e{suffix}", picture)
    assert np.array_equal(read_image(tmp_path / f"e{suffix}").pixels, deep)


def test_16_bit_to_jpeg_is_written_as_8_bit_with_a_note(tmp_path: Path):
    deep = np.full((40, 40), 65535, np.uint16)
    notes = write_image(tmp_path / "d.jpg", Picture(deep))
    assert any("8-bit" in note for note in notes)
    assert read_image(tmp_path / "d.jpg").pixels.min() >= 250


def test_exif_and_icc_are_kept(tmp_path: Path):
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    Image.fromarray(photo(64, 80)).save(tmp_path / "a.jpg", exif=exif, icc_profile=icc)
    picture = read_image(tmp_path / "a.jpg")
    for suffix in (".jpg", ".png", ".webp", ".tif"):
        write_image(tmp_path / f"b{suffix}", picture)
        with Image.open(tmp_path / f"b{suffix}") as out:
            assert out.info.get("icc_profile") == icc, suffix
            assert out.getexif().get(0x010F) == "TestCam", suffix


def test_exif_orientation_is_applied_and_reset(tmp_path: Path):
    pixels = photo(40, 100)  # landscape as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # display rotated 90° clockwise
    Image.fromarray(pixels).save(tmp_path / "r.png", exif=exif)
    picture = read_image(tmp_path / "r.png")
    assert picture.pixels.shape == (100, 40, 3)  # portrait, as people see it
    assert np.array_equal(picture.pixels, np.rot90(pixels, k=-1))
    write_image(tmp_path / "s.png", picture)
    assert Image.open(tmp_path / "s.png").getexif().get(0x0112) == 1


def test_palette_png_reads_as_rgb(tmp_path: Path):
    Image.fromarray(photo(64, 80)).convert("P").save(tmp_path / "p.png")
    assert read_image(tmp_path / "p.png").pixels.shape == (64, 80, 3)


def test_cmyk_jpeg_reads_as_rgb_with_a_note(tmp_path: Path):
    Image.fromarray(photo(64, 80)).convert("CMYK").save(tmp_path / "c.jpg")
    picture = read_image(tmp_path / "c.jpg")
    assert picture.pixels.shape == (64, 80, 3) and picture.notes


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda p: None, "no such file"),
        (lambda p: p.write_bytes(b""), "not an image"),
        (lambda p: p.write_text("hello, I am text"), "not an image"),
        (lambda p: p.write_bytes(_png_bytes()[:200]), "truncated or corrupt"),
        (lambda p: p.mkdir(), "is a folder"),
    ],
)
def test_bad_inputs_name_the_file_and_the_problem(tmp_path: Path, make, problem):
    path = tmp_path / "bad.png"
    make(path)
    with pytest.raises(ImageError, match=problem) as error:
        read_image(path)
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def _png_bytes() -> bytes:
    from io import BytesIO

    buffer = BytesIO()
    Image.fromarray(photo(64, 64)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_animated_images_are_refused(tmp_path: Path):
    frames = [Image.fromarray(photo(32, 32, seed=s)) for s in range(3)]
    frames[0].save(tmp_path / "a.webp", save_all=True, append_images=frames[1:])
    with pytest.raises(ImageError, match="animated"):
        read_image(tmp_path / "a.webp")


def test_no_overwrite_without_force(tmp_path: Path):
    target = tmp_path / "out.png"
    target.write_bytes(b"precious")
    with pytest.raises(ImageError, match="already exists"):
        write_image(target, Picture(photo(32, 32)))
    assert target.read_bytes() == b"precious"
    write_image(target, Picture(photo(32, 32)), force=True)
    assert read_image(target).pixels.shape == (32, 32, 3)


def test_failed_write_leaves_nothing(tmp_path: Path):
    def crash(temporary: str):
        Path(temporary).write_bytes(b"half a file")
        raise OSError(28, "No space left on device")

    with pytest.raises(ImageError, match="No space left"):
        save_atomically(tmp_path / "out.png", crash)
    assert list(tmp_path.iterdir()) == []


def test_output_has_the_usual_permissions(tmp_path: Path):
    write_image(tmp_path / "o.png", Picture(photo(32, 32)))
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "o.png").stat().st_mode & 0o777 == 0o666 & ~mask


def test_unwritable_folder_and_unknown_suffix(tmp_path: Path):
    with pytest.raises(ImageError, match="does not exist"):
        write_image(tmp_path / "missing" / "o.png", Picture(photo(32, 32)))
    with pytest.raises(ImageError, match="unknown output type"):
        write_image(tmp_path / "o.xyz", Picture(photo(32, 32)))


def test_reading_never_changes_the_file(tmp_path: Path):
    path = tmp_path / "a.jpg"
    Image.fromarray(photo(64, 80)).save(path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    read_image(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_huge_images_are_refused_before_decoding(tmp_path: Path):
    Image.new("1", (20_000, 10_000)).save(tmp_path / "huge.png")  # 200 MP, a small file
    with pytest.raises(ImageError, match="too large"):
        read_image(tmp_path / "huge.png")


def test_unwritable_folder_is_reported(tmp_path: Path, monkeypatch):
    """chmod cannot make a folder unwritable for root (CI), so the OS's answer is simulated."""

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("watermark.app.atomic.tempfile.mkstemp", refuse)
    with pytest.raises(ImageError, match="permission denied"):
        write_image(tmp_path / "o.png", Picture(photo(32, 32)))
    assert list(tmp_path.iterdir()) == []


def test_rotated_tiff_is_written_with_its_own_size(tmp_path: Path):
    """A TIFF's EXIF holds its structure tags; carried over, they described the wrong size."""
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(photo(100, 200)).save(tmp_path / "r.tif", exif=exif)
    picture = read_image(tmp_path / "r.tif")
    write_image(tmp_path / "s.tif", picture)
    again = read_image(tmp_path / "s.tif")
    assert again.pixels.shape == (200, 100, 3)
    assert np.array_equal(again.pixels, picture.pixels)
