"""Practice feedback latency: from a blink's apex to the judge's verdict, on replayed sample clips.

    python benchmarks/bench_practice.py [--clips right_3mm healthy] [--repeats 3]

Each clip is decoded and run through the face mesh frame by frame, as the window's worker does, and
every frame's landmarks go straight to `PracticeJudge.push`. For every judged blink:

    latency = (source time of the frame that decided - the blink's TRUE apex, from the clip's
               .truth.json)                      # waiting for the apex + judge window, frame steps
            + face mesh time of that frame       # the frame must be measured before it is judged
            + judge time of that frame           # push(): buffer re-measure, gates, verdict

i.e. the time from the eye's real apex in front of the camera to the verdict being ready for the
screen (camera exposure/transfer and the repaint, a few ms each, are not included). Prints median and
95th percentile over all blinks and repeats, plus the judge's per-frame cost.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from synkimeter.capture import VideoFileSource  # noqa: E402
from synkimeter.landmarks import FaceMeshExtractor  # noqa: E402
from synkimeter.usecases.practice import PracticeJudge  # noqa: E402
from synkimeter.usecases.settings import DEFAULT_SETTINGS  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"
BUDGET_MS = 150.0


def run_clip(path: Path, target_mm: float) -> tuple[list[float], list[float], list[float], list[float]]:
    truth = json.loads(path.with_suffix(".truth.json").read_text())
    apexes = np.array([b["apex_s"] for b in truth["blinks"]])
    judge = PracticeJudge("blink", "right", target_mm, DEFAULT_SETTINGS, count=1000)
    latencies, push_ms, mesh_ms, verdict_ms = [], [], [], []
    source = VideoFileSource(str(path))
    source.open()
    try:
        with FaceMeshExtractor(DEFAULT_SETTINGS) as mesh:
            for frame in source:
                t0 = time.perf_counter()
                obs = mesh.process(frame.image, frame.timestamp_s)
                t1 = time.perf_counter()
                verdicts = judge.push(frame.timestamp_s, obs.points if obs.has_face else None)
                t2 = time.perf_counter()
                mesh_ms.append(1000 * (t1 - t0))
                push_ms.append(1000 * (t2 - t1))
                for a in verdicts:
                    true_apex = apexes[np.argmin(np.abs(apexes - a.apex_s))]
                    latencies.append(1000 * (a.decided_s - true_apex) + 1000 * (t2 - t0))
                    verdict_ms.append(1000 * (t2 - t1))
    finally:
        source.close()
    return latencies, push_ms, mesh_ms, verdict_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", nargs="+", default=["right_3mm", "healthy"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--target-mm", type=float, default=1.3)
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}; judge window {1000 * DEFAULT_SETTINGS.practice_judge_window_s:.0f} ms after the apex")
    lat_all, push_all, mesh_all, verdict_all = [], [], [], []
    for name in args.clips:
        for _ in range(args.repeats):
            lat, push, mesh, verdict = run_clip(SAMPLES / f"{name}.mp4", args.target_mm)
            verdict_all += verdict
            lat_all += lat
            push_all += push
            mesh_all += mesh
        print(f"  {name}: {len(lat) } blinks per run")
    lat = np.array(lat_all)
    push = np.array(push_all)
    mesh = np.array(mesh_all)
    print(f"apex -> verdict over {lat.size} blinks: median {np.median(lat):.0f} ms, 95th percentile "
          f"{np.percentile(lat, 95):.0f} ms, max {lat.max():.0f} ms (budget {BUDGET_MS:.0f} ms: "
          f"{'met' if np.percentile(lat, 95) < BUDGET_MS else 'NOT met'})")
    print(f"face mesh per frame: median {np.median(mesh):.1f} ms, 95th {np.percentile(mesh, 95):.1f} ms")
    verdict = np.array(verdict_all)
    print(f"judge per frame: median {np.median(push):.2f} ms, 95th {np.percentile(push, 95):.2f} ms; on the "
          f"verdict frames (buffer re-measured): median {np.median(verdict):.1f} ms, max {verdict.max():.1f} ms")


if __name__ == "__main__":
    main()
