"""`synkimeter batch --scheduler`: the clips on a Dask distributed cluster, one clip per task.

A local cluster of two worker processes on 127.0.0.1 (nothing beyond it): three short clips, one of
them not a video. The results are the very JSON a local run writes, the bad clip is reported
without stopping the others, and a second run with --skip-existing measures only what is missing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from synkimeter.capture._cv import cv2  # noqa: E402
from synkimeter.cli import main  # noqa: E402
from synkimeter.usecases import batch  # noqa: E402
from synkimeter.usecases.batch import BatchError, measure_clip, run_batch  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"
FRAMES = 150  # 5 s: a blink or two, and under one split's worth (one mesh per clip)


def _cut(src: Path, dst: Path, frames: int = FRAMES) -> Path:
    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    writer = None
    for _ in range(frames):
        ok, image = cap.read()
        if not ok:
            break
        if writer is None:
            writer = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), fps, (image.shape[1], image.shape[0]))
        writer.write(image)
    cap.release()
    writer.release()
    return dst


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, worker_dashboard_address=None) as local:
        yield local


def test_batch_on_a_local_cluster_matches_local_runs_and_resumes(cluster, tmp_path, capsys):
    clips_dir = tmp_path / "clips"
    clips_dir.mkdir()
    good = [_cut(SAMPLES / "right_3mm.mp4", clips_dir / "a.mp4"), _cut(SAMPLES / "healthy.mp4", clips_dir / "b.mp4")]
    bad = clips_dir / "bad.mp4"
    bad.write_bytes(b"not a video at all")
    clips = [good[0], bad, good[1]]

    # What a local run writes: the function each worker process of the local pool runs.
    reference = {}
    for clip in good:
        outcome = measure_clip(str(clip), str(tmp_path / f"ref-{clip.stem}.json"))
        assert outcome.error is None, outcome.error
        reference[clip.stem] = json.loads(Path(outcome.output).read_text())

    out = tmp_path / "out"
    seen = []
    outcomes = run_batch(clips, out, scheduler=cluster.scheduler_address,
                         report=lambda o, done, total: seen.append((o.clip, done, total)))
    assert [o.clip for o in outcomes] == [str(c) for c in clips]
    assert sorted(done for _, done, _ in seen) == [1, 2, 3] and {t for _, _, t in seen} == {3}
    by_clip = {Path(o.clip).stem: o for o in outcomes}
    assert by_clip["bad"].error and by_clip["bad"].output is None
    for clip in good:
        o = by_clip[clip.stem]
        assert o.error is None and o.frames == FRAMES
        assert json.loads(Path(o.output).read_text()) == reference[clip.stem]
    assert not (out / "bad.json").exists()

    # Resume through the command line: a.json is kept, b.json is measured again, bad fails again.
    (out / "b.json").unlink()
    kept = (out / "a.json").stat().st_mtime_ns
    capsys.readouterr()
    code = main(["batch", *map(str, clips), "--out", str(out), "--skip-existing",
                 "--scheduler", cluster.scheduler_address])
    printed = capsys.readouterr()
    assert code == 2  # one clip failed
    assert "skipped" in printed.out and "a.mp4" in printed.out
    assert "bad.mp4" in printed.err
    assert "2 of 3 clips measured" in printed.out and "1 failed" in printed.out
    assert (out / "a.json").stat().st_mtime_ns == kept
    assert json.loads((out / "b.json").read_text()) == reference["b"]


def test_no_scheduler_at_the_address_is_one_sentence(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(batch, "CLUSTER_CONNECT_TIMEOUT_S", 1.0)
    clip = tmp_path / "x.mp4"
    clip.write_bytes(b"")
    with pytest.raises(BatchError, match="No Dask scheduler answered"):
        run_batch([clip], tmp_path, scheduler="tcp://127.0.0.1:9")
    code = main(["batch", str(clip), "--scheduler", "tcp://127.0.0.1:9"])
    assert code == 2
    err = capsys.readouterr().err
    assert "No Dask scheduler answered at 'tcp://127.0.0.1:9'" in err and "Traceback" not in err
