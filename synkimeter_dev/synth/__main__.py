"""python -m synkimeter_dev.synth OUT_DIR  -- regenerate the sample clips and their truth files."""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def _one(args: tuple[str, str]) -> str:
    from synkimeter_dev.synth.clips import SAMPLE_CLIPS
    from synkimeter_dev.synth.generate import write_clip

    name, out_dir = args
    spec = next(s for s in SAMPLE_CLIPS if s.name == name)
    video, _, truth = write_clip(spec, out_dir)
    size = video.stat().st_size / 1e6
    return f"{video.name}: {truth['frames']} frames, {len(truth['blinks'])} blinks, {size:.2f} MB"


def main(argv: list[str] | None = None) -> int:
    from synkimeter_dev.synth.clips import SAMPLE_CLIPS

    names = [s.name for s in SAMPLE_CLIPS]
    p = argparse.ArgumentParser(
        prog="python -m synkimeter_dev.synth",
        description="Generate synthetic synkinesis clips (astronaut photo, known ground truth).",
    )
    p.add_argument("out_dir", type=Path, nargs="?", default=Path("sample_videos"))
    p.add_argument("--only", nargs="+", choices=names, metavar="NAME", help=f"subset of {names}")
    p.add_argument("--jobs", type=int, default=2, help="clips rendered in parallel (default 2)")
    p.add_argument(
        "--remeasure",
        action="store_true",
        help="rerun MediaPipe on the rest frame and print a new _rest_landmarks.py to stdout",
    )
    args = p.parse_args(argv)

    if args.remeasure:
        from synkimeter_dev.synth.face import measure_rest_landmarks

        points = measure_rest_landmarks()
        print("LANDMARKS = (")
        for x, y in points:
            print(f"    ({x:.2f}, {y:.2f}),")
        print(")")
        return 0

    todo = [(n, str(args.out_dir)) for n in (args.only or names)]
    t0 = time.perf_counter()
    if args.jobs > 1 and len(todo) > 1:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            for line in pool.map(_one, todo):
                print(line, flush=True)
    else:
        for item in todo:
            print(_one(item), flush=True)
    print(f"done in {time.perf_counter() - t0:.1f} s -> {args.out_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
