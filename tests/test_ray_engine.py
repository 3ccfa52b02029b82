"""`--engine ray` against the local engine: the same outputs (byte for byte), log, CSV, summary
and exit code on a messy tree; a killed run resumes to one valid output per input; a worker
that dies fails its file only. These start a real Ray on this machine: marked `ray` (run by
scripts/test_ray.sh), skipped where Ray is not installed."""

import csv
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from PIL import Image

from cli import main
from tests.images import photo
from tests.runs import assert_a_killed_run_resumes
from watermark.app.batch import batch_folder
from watermark.app.tasks import EmbedTask

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.ray

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def ray_session():
    """One Ray for the module's in-process runs (the engine uses a session it finds)."""
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray.get_runtime_context().get_node_id()
    ray.shutdown()


def batch(*args: str) -> Result:
    return CliRunner().invoke(main, ["batch", *args])


def summary(result: Result) -> str:
    """The summary line without its timings."""
    return re.sub(r"[\d.]+ s, [\d.]+ images/s", "", result.stdout)


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def log_entries(path: Path, out: Path) -> list[dict]:
    """The log's entries in source order, without timings or nodes, outputs relative to `out`."""
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    for entry in entries:
        entry.pop("seconds"), entry.pop("node", None)
        if "output" in entry:
            entry["output"] = str(Path(entry["output"]).relative_to(out))
    return sorted(entries, key=lambda entry: entry["source"])


def test_embed_matches_the_local_engine(ray_session, messy: Path, mark_path: Path, tmp_path):
    runs = {}
    for engine in ("local", "ray"):
        out, log = tmp_path / engine, tmp_path / f"{engine}.jsonl"
        result = batch(
            "embed", str(messy), str(out), str(mark_path), "--log", str(log), "--engine", engine
        )
        runs[engine] = (result.exit_code, summary(result), files(out), log_entries(log, out))
    assert runs["ray"] == runs["local"]
    assert runs["ray"][0] == 1 and len(runs["ray"][2]) == 3  # 3 done, 3 failed
    nodes = [json.loads(line).get("node") for line in (tmp_path / "ray.jsonl").open()]
    assert nodes == [ray_session] * 6  # every file that ran says where

    again = batch("embed", str(messy), str(tmp_path / "ray"), str(mark_path), "--engine", "ray")
    assert again.exit_code == 1 and "done 0, skipped 3 (already there), failed 3" in again.stdout


def test_extract_and_verify_match_the_local_engine(ray_session, messy, mark_path, tmp_path):
    marked = tmp_path / "marked"
    batch("embed", str(messy), str(marked), str(mark_path), "-w", "1")
    runs = {}
    for engine in ("local", "ray"):
        marks, table = tmp_path / f"marks-{engine}", tmp_path / f"{engine}.csv"
        extracted = batch("extract", str(marked), str(marks), "--engine", engine)
        verified = batch(
            "verify", str(marked), str(mark_path), "--csv", str(table), "--engine", engine
        )
        rows = sorted(csv.reader(table.open()))
        runs[engine] = [extracted.exit_code, summary(extracted), files(marks)]
        runs[engine] += [verified.exit_code, summary(verified), rows]
    assert runs["ray"] == runs["local"]
    assert "mark present in 3" in runs["ray"][4] and len(runs["ray"][2]) == 3


def test_killed_run_resumes_to_exactly_one_valid_output_each(tmp_path: Path, mark_path: Path):
    """The command as users run it, Ray started by `wm` itself, killed once outputs appear."""
    assert_a_killed_run_resumes(tmp_path, mark_path, 16, (384, 480), ["--engine", "ray"], wait=120)


@dataclass(frozen=True)
class FatalEmbed(EmbedTask):
    """Embeds, except that the worker process dies on a file named fatal.png."""

    def run(self, source, output, force, worker, outcome) -> None:
        if source.name == "fatal.png":
            os._exit(1)
        super().run(source, output, force, worker, outcome)


def test_a_dying_worker_fails_its_file_only(ray_session, tmp_path: Path, mark_path: Path):
    source, out = tmp_path / "src", tmp_path / "out"
    source.mkdir()
    for name in ("a.png", "fatal.png", "b.png", "c.png", "d.png"):
        Image.fromarray(photo(160, 160, seed=len(name))).save(source / name)
    summary = batch_folder(FatalEmbed(), source, out, mark_path, engine="ray")
    assert summary.counts == {"done": 4, "failed": 1}
    [(name, reason)] = summary.failures
    assert name.endswith("fatal.png") and "the Ray worker died" in reason
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.png", "c.png", "d.png"]
