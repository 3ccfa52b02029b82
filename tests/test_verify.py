import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from cli import main
from tests.images import monogram, photo
from watermark.core.tiling import keyed_bits
from watermark.core.verify import binomial_tail, copied, decide, matching_bits

pytestmark = pytest.mark.networks


def test_binomial_tail_exact_values():
    assert binomial_tail(3, 4) == 5 / 16
    assert binomial_tail(0, 10) == 1.0
    assert binomial_tail(512, 1024) == pytest.approx(0.5125, abs=1e-4)
    assert binomial_tail(1024, 1024) == 2.0**-1024  # no underflow to 0 at the extreme
    assert binomial_tail(1003, 1024) == pytest.approx(1.49e-265, rel=1e-2)


def test_decide_counts_only_the_bits_it_is_told_and_pays_for_every_hypothesis():
    expected = np.zeros((32, 32))
    read = np.zeros((32, 32))
    read[:2] = 1  # the first 64 bits disagree
    counted = np.zeros((32, 32), bool)
    counted[::2, ::2] = True  # 256 bits, 16 of them among the disagreeing ones
    assert matching_bits(expected, read, counted) == 240
    verdict = decide(224, 256, 20)
    assert (verdict.bits, verdict.matching, verdict.present) == (256, 224, True)
    assert verdict.p_value == pytest.approx(20 * binomial_tail(224, 256))
    assert not decide(140, 256, 20).present  # p ≈ 0.08 × 20
    assert decide(224, 256, 20, fpr=1e-300).present is False
    assert decide(0, 0, 20).p_value == 1.0  # a reading that says nothing


def test_a_reading_turned_over_where_the_content_flips_cells_is_a_copy():
    expected = np.random.default_rng(0).integers(0, 2, (32, 32))
    counted = keyed_bits()
    cover = np.where(counted, 0.5, 0.0)
    noisy = np.where(np.random.default_rng(1).random((32, 32)) < 0.3, 1 - expected, expected)
    assert not copied(expected, (expected, cover), counted)  # made here
    assert not copied(expected, (noisy, cover), counted)  # made here, read noisily
    assert copied(expected, (1 - noisy, cover), counted)  # a copy: turned over
    assert not copied(expected, (1 - expected, np.zeros((32, 32))), counted)  # nothing flipped


def test_verify_command_exit_codes(tmp_path: Path, mark_path: Path):
    Image.fromarray(photo(384, 512, seed=11)).save(tmp_path / "p.png")
    run = CliRunner().invoke
    assert run(main, ["embed", str(tmp_path / "p.png"), str(mark_path), "-k", "s"]).exit_code == 0
    marked = str(tmp_path / "p.wm.png")
    result = run(main, ["verify", marked, str(mark_path), "-k", "s"])
    assert result.exit_code == 0 and result.output.startswith("mark present")
    result = run(main, ["verify", str(tmp_path / "p.png"), str(mark_path), "-k", "s", "--json"])
    answer = json.loads(result.output)
    assert result.exit_code == 1 and answer["present"] is False
    assert answer["bits"] == 144  # under a secret key, the keyed bits only
    result = run(main, ["verify", marked, str(mark_path), "--key", "wrong"])
    assert result.exit_code == 1
    result = run(main, ["verify", str(tmp_path / "none.png"), str(mark_path)])
    assert result.exit_code == 2 and "no such file" in result.output


def test_api_verify(watermarker):
    image, mark = photo(384, 512, seed=12), monogram()
    verdict = watermarker.verify(watermarker.embed(image, mark), mark)
    assert verdict.present and verdict.bits == 1024  # the public key: every bit counts
    assert not watermarker.verify(image, mark).present
