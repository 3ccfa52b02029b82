import numpy as np
from conftest import photo

from watermark import bench


def test_bench_records_every_photo_and_attack(watermarker):
    photos = [("a", photo(160, 200, seed=1)), ("b", photo(200, 160, seed=2))]
    planes = [np.random.default_rng(0).integers(0, 2, (32, 32))]
    records = bench.run(photos, planes, ["identity", "jpeg:50", "crop:0.5"], watermarker)
    assert len(records) == 6
    assert {r.image for r in records} == {"a", "b"}
    for record in records:
        assert 0 <= record.bit_accuracy <= 1 and 0 <= record.confidence <= 1
        assert record.psnr > 30 and 0 < record.ssim <= 1 and record.embed_seconds > 0
    rows = bench.summarize(records)
    assert [row["attack"] for row in rows] == ["identity", "jpeg:50", "crop:0.5"]
    assert all(row["images"] == 2 for row in rows)
    table = bench.markdown_table(rows)
    assert table.count("\n") == 4 and "jpeg:50" in table
