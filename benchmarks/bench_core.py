"""Core speed: score one hour of 30 fps landmarks (108,000 frames) with the numpy core.

    python benchmarks/bench_core.py [--minutes 60] [--repeats 3]

Prints the machine's core count, the wall time per run and the peak memory of the process.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

# The development package (simulated tracks) lives in the checkout, not in the installed package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synkimeter.core.analysis import analyze_landmarks  # noqa: E402
from synkimeter.core.anatomy import MEASURED  # noqa: E402
from synkimeter_dev.simulate import regular_blinks, simulate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    duration = args.minutes * 60
    track = simulate(duration, blinks=regular_blinks(duration, 3.0), coupling_mm={"right": 1.0}, jitter_px=0.3,
                     head_motion={"yaw_deg": 4, "roll_deg": 3, "translate_px": 15, "period_s": 8.0})
    frames = track.points.shape[0]
    print(f"cores: {os.cpu_count()}  frames: {frames} ({args.minutes:g} min at 30 fps)")
    for label, points in (("478-point mesh", track.points), (f"{len(MEASURED)}-point subset", MEASURED.take(track.points))):
        times, cpu = [], []
        for _ in range(args.repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            result = analyze_landmarks(track.timestamps_s, points)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        # CPU time is reported beside wall time: on a shared machine it is the steadier figure.
        print(f"core, {label:>16}: wall best {min(times):.3f} s, median {np.median(times):.3f} s; "
              f"CPU best {min(cpu):.3f} s ({frames / min(times):,.0f} frames/s); {len(result.summary['blinks'])} blinks")
    print(f"load average while measured: {os.getloadavg()[0]:.2f}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (whole process, including the simulated hour): {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
