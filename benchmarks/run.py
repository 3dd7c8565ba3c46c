"""Speed of every stage and end to end, on the sample clips (640x480) and a 1280x720 copy made here.

    python benchmarks/run.py                 # the full run, a few minutes on 2 cores
    python benchmarks/run.py --quick         # a 5 s cut of one clip, every stage once (a smoke test)
    python benchmarks/run.py --json out.json # also keep the figures

Stages: decode (VideoFileSource), landmarks (FaceMeshExtractor.process alone), core (analysis of the
extracted landmarks, per frame; and benchmarks/bench_core.py's hour of landmarks), offline `analyze`
end to end (one face mesh, and the clip split over 2 meshes), 1280x720 with and without downscaling
before the mesh (and what that changes in the results), `batch` on all cores, the live path
(VideoFileSource(realtime=True) -> gui.worker.LiveWorker, no window) with capture-to-result latency,
and memory. Timed figures are repeated (--repeats) and given as best and median, with the load
average beside them: other work on the machine slows everything down.

The yardstick (issue 17) is the bare mesh loop, run here in the same run: one thread that decodes
every frame with cv2.VideoCapture, converts it to RGB and runs the same MediaPipe face mesh on it,
nothing else. `analyze` is timed side by side with it (alternating, per clip), on all cores and in
child processes pinned to 1 and to 2 cores (sched_setaffinity, as `taskset -c 0` would); the other
figures are printed with their ratio to it, and a last table says which of the issue's targets are
met. Start-up (`--help`, the window's first picture) comes from benchmarks/bench_startup.py.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_videos"
HD_SIZE = (1280, 720)

os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from synkimeter.capture import VideoFileSource  # noqa: E402
from synkimeter.capture._cv import cv2  # noqa: E402
from synkimeter.landmarks import FaceMeshExtractor, extract_landmarks  # noqa: E402
from synkimeter.usecases.analyze import analyze_clip, analyze_series  # noqa: E402
from synkimeter.usecases.settings import DEFAULT_SETTINGS  # noqa: E402

RESULTS: dict = {}


# -- helpers ---------------------------------------------------------------------------------------
def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f}/{five:.1f}"


def rss_mb() -> float:
    """Current resident memory of this process (Linux /proc; elsewhere the peak)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def best_median(values: list[float], higher_is_better: bool = True) -> tuple[float, float]:
    best = max(values) if higher_is_better else min(values)
    return best, statistics.median(values)


def record(stage: str, figure: str, values: list[float], unit: str, how: str, loads: list[str],
           higher_is_better: bool = True) -> None:
    best, med = best_median(values, higher_is_better)
    fmt = (lambda v: f"{v:,.0f}") if abs(best) >= 100 else (lambda v: f"{v:.2f}")
    text = f"{fmt(best)} {unit}" + (f" (median {fmt(med)}, n={len(values)})" if len(values) > 1 else "")
    load_text = loads[0] if len(set(loads)) == 1 else f"{min(loads)}..{max(loads)}"
    RESULTS.setdefault("figures", []).append(
        {"stage": stage, "figure": figure, "best": best, "median": med, "runs": values, "unit": unit,
         "how": how, "load_1m_5m": loads})
    print(f"  {stage:<34} {figure:<30} {text:<38} load {load_text}", flush=True)


def cut_clip(src: Path, dst: Path, frames: int, size: tuple[int, int] | None = None) -> Path:
    """The first `frames` frames of `src` (all when 0), resized to `size` (w, h) keeping the aspect
    ratio and padding the sides (edge pixels), as an mp4 at the source's rate."""
    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    writer = None
    n = 0
    while not frames or n < frames:
        ok, image = cap.read()
        if not ok:
            break
        if size is not None:
            h, w = image.shape[:2]
            scale = min(size[0] / w, size[1] / h)
            new_w, new_h = round(w * scale), round(h * scale)
            image = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_CUBIC)
            left = (size[0] - new_w) // 2
            top = (size[1] - new_h) // 2
            image = cv2.copyMakeBorder(image, top, size[1] - new_h - top, left, size[0] - new_w - left,
                                       cv2.BORDER_REPLICATE)
        if writer is None:
            writer = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), fps,
                                     (image.shape[1], image.shape[0]))
        writer.write(image)
        n += 1
    cap.release()
    if writer is not None:
        writer.release()
    return dst


def loop_clip(src: Path, dst: Path, seconds: float) -> Path:
    """`src` played over and over for `seconds`, as one file (a long live session); streamed, so
    the benchmark's own memory stays that of the live path."""
    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    writer = None
    for _ in range(int(seconds * fps)):
        ok, image = cap.read()
        if not ok:  # start the clip again
            cap.release()
            cap = cv2.VideoCapture(str(src))
            ok, image = cap.read()
        if writer is None:
            writer = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), fps, (image.shape[1], image.shape[0]))
        writer.write(image)
    cap.release()
    if writer is not None:
        writer.release()
    return dst


# -- the yardstick: the bare mesh loop, and `analyze` beside it ----------------------------------------
def cpu_s() -> float:
    """CPU time of this process, all threads (MediaPipe's own included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bare_mesh_loop(clip: Path, max_faces: int | None = None) -> dict:
    """One thread: decode every frame (cv2.VideoCapture.read), convert it to RGB and run the same face
    mesh on it (MediaPipe's own FaceMesh, FaceMeshExtractor's settings: up to two faces, so that
    MediaPipe looks for a second face on every frame), nothing else. Wall and CPU time of the whole
    call, the mesh's start-up included, as `analyze` is timed. (OpenCV's thread pool is off here as
    in synkimeter, which if anything makes this loop's colour conversion cheaper.)

    `max_faces=1`: the **one-face loop**, the same but never looking for a second face (MediaPipe's
    detector then runs only when the face is lost): the landmark model's own floor, which synkimeter's
    mesh comes close to by looking for another face only every `face_search_interval_s`."""
    import mediapipe as mp

    p = DEFAULT_SETTINGS
    t0, c0 = time.perf_counter(), cpu_s()
    mesh = mp.solutions.face_mesh.FaceMesh(
        static_image_mode=False, max_num_faces=int(max_faces or p.max_faces), refine_landmarks=True,
        min_detection_confidence=float(p.min_detection_confidence),
        min_tracking_confidence=float(p.min_tracking_confidence))
    cap = cv2.VideoCapture(str(clip))
    n = 0
    while True:
        ok, image = cap.read()
        if not ok:
            break
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        rgb.flags.writeable = False
        mesh.process(rgb)
        n += 1
    cap.release()
    mesh.close()
    return {"frames": n, "wall_s": time.perf_counter() - t0, "cpu_s": cpu_s() - c0}


def analyze_call(clip: Path, workers: int | None = None) -> dict:
    """`synkimeter analyze CLIP` without the printing: analyze_clip, the pipeline as shipped
    (params.landmark_workers meshes, the optical flow, the core); wall and CPU of the whole call."""
    params = DEFAULT_SETTINGS if workers is None else dataclasses.replace(DEFAULT_SETTINGS, landmark_workers=workers)
    t0, c0 = time.perf_counter(), cpu_s()
    result = analyze_clip(clip, params)
    return {"frames": int(result.summary["frames"]), "wall_s": time.perf_counter() - t0, "cpu_s": cpu_s() - c0}


def side_by_side(clips: list[Path], repeats: int, variants: dict[str, object]) -> dict[str, dict]:
    """The bare loop and each variant on every clip, alternating (bare, variant, ...; the order turned
    round every repeat), so that load changes hit all alike. Per variant: totals over the clips, the
    best repeat's, and the ratio to the bare loop of the same repeat."""
    out: dict[str, dict] = {name: {"wall_s": [], "cpu_s": [], "frames": 0} for name in ["bare", *variants]}
    # Once each, untimed: the first call pays for imports (scipy, MediaPipe) that no later one does.
    bare_mesh_loop(clips[0])
    for run_variant in variants.values():
        run_variant(clips[0])
    for r in range(repeats):
        names = ["bare", *variants] if r % 2 == 0 else [*variants, "bare"]
        totals = {name: [0.0, 0.0, 0] for name in names}
        for clip in clips:
            for name in names:
                run = bare_mesh_loop(clip) if name == "bare" else variants[name](clip)
                totals[name][0] += run["wall_s"]
                totals[name][1] += run["cpu_s"]
                totals[name][2] += run["frames"]
        for name, (wall, cpu, frames) in totals.items():
            out[name]["wall_s"].append(wall)
            out[name]["cpu_s"].append(cpu)
            out[name]["frames"] = frames
    for name in variants:
        out[name]["wall_ratio"] = [a / b for a, b in zip(out[name]["wall_s"], out["bare"]["wall_s"])]
        out[name]["cpu_ratio"] = [a / b for a, b in zip(out[name]["cpu_s"], out["bare"]["cpu_s"])]
    return out


ONE_FACE = "one-face mesh loop"


def one_face_loop(clip: Path) -> dict:
    return bare_mesh_loop(clip, max_faces=1)


def _to_one_face(res: dict, name: str, what: str) -> list[float]:
    """`name`'s wall or CPU time as a ratio to the one-face loop's of the same repeat."""
    key = f"{what}_s"
    return [a / b for a, b in zip(res[name][key], res[ONE_FACE][key])]


def _ratio_text(values: list[float]) -> str:
    return f"{min(values):.2f}x best, {statistics.median(values):.2f}x median"


def bench_yardstick(clips: list[Path], repeats: int) -> dict:
    """`analyze` beside the bare mesh loop, in this process (all the machine's cores)."""
    loads = [load()]
    res = side_by_side(clips, repeats, {"analyze": analyze_call, "analyze, 1 mesh": lambda c: analyze_call(c, 1),
                                        ONE_FACE: one_face_loop})
    loads.append(load())
    bare = res["bare"]
    frames = bare["frames"]
    record("bare mesh loop", f"{os.cpu_count()} cores, ms per frame", [1000 * w / frames for w in bare["wall_s"]],
           "ms", "decode + RGB + face mesh, one thread, whole call over the clips", loads, False)
    record("bare mesh loop", "CPU per frame", [1000 * c / frames for c in bare["cpu_s"]], "ms",
           "process CPU time (all threads) / frames", loads, False)
    for name in ("analyze", "analyze, 1 mesh", ONE_FACE):
        r = res[name]
        record(name, "wall per frame", [1000 * w / frames for w in r["wall_s"]], "ms",
               f"whole call; ratio to the bare loop: {_ratio_text(r['wall_ratio'])}", loads, False)
        record(name, "wall / bare loop", r["wall_ratio"], "x", "same repeat, same clips", loads, False)
        record(name, "CPU / bare loop", r["cpu_ratio"], "x", "process CPU time, same repeat", loads, False)
    for name in ("analyze", "analyze, 1 mesh"):
        for what in ("wall", "cpu"):
            ratios = _to_one_face(res, name, what)
            record(name, f"{'CPU' if what == 'cpu' else 'wall'} / one-face loop", ratios, "x",
                   "the landmark model's floor, same repeat", loads, False)
    RESULTS["yardstick"] = {k: {kk: vv for kk, vv in v.items()} for k, v in res.items()}
    return res


_CORES_CHILD = r"""
import json, os, sys
cores = [int(c) for c in sys.argv[1].split(",")]
os.sched_setaffinity(0, cores)  # before MediaPipe starts any thread: every thread inherits it
sys.path.insert(0, sys.argv[2])
import run as bench
clips = [bench.Path(c) for c in sys.argv[4:]]
res = bench.side_by_side(clips, int(sys.argv[3]), {"analyze": bench.analyze_call, bench.ONE_FACE: bench.one_face_loop})
print("RESULT", json.dumps(res))
"""


def bench_cores(clips: list[Path], repeats: int) -> dict:
    """How the cores scale: the bare loop and `analyze` side by side in a child process pinned to
    1 core, then to 2 (`taskset -c 0` / `-c 0,1`). Linux only (sched_setaffinity)."""
    out = {}
    if not hasattr(os, "sched_setaffinity"):
        print("  (cores: no sched_setaffinity here; skipped)")
        return out
    available = sorted(os.sched_getaffinity(0))
    for n in (1, 2):
        if len(available) < n:
            continue
        cores = ",".join(str(c) for c in available[:n])
        before = load()
        proc = subprocess.run([sys.executable, "-c", _CORES_CHILD, cores, str(ROOT / "benchmarks"), str(repeats),
                               *map(str, clips)], capture_output=True, text=True, cwd=ROOT)
        lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
        if proc.returncode or not lines:
            print(f"  cores {cores}: the child failed:\n{proc.stderr[-1500:]}")
            continue
        res = json.loads(lines[0][len("RESULT "):])
        out[n] = res
        frames = res["bare"]["frames"]
        loads = [before, load()]
        label = f"pinned to {n} core{'s' if n > 1 else ''} ({cores})"
        record("bare mesh loop", f"{label}, ms/frame", [1000 * w / frames for w in res["bare"]["wall_s"]], "ms",
               "wall per frame", loads, False)
        record("analyze", f"{label}, ms/frame", [1000 * w / frames for w in res["analyze"]["wall_s"]], "ms",
               "wall per frame", loads, False)
        record("analyze", f"{label}, wall / bare", res["analyze"]["wall_ratio"], "x", "same repeat", loads, False)
        record("analyze", f"{label}, CPU / bare", res["analyze"]["cpu_ratio"], "x", "same repeat", loads, False)
        record("analyze", f"{label}, wall / one-face loop", _to_one_face(res, "analyze", "wall"), "x", "same repeat",
               loads, False)
    if 1 in out and 2 in out:
        for name in ("bare", "analyze"):
            one, two = min(out[1][name]["wall_s"]), min(out[2][name]["wall_s"])
            print(f"  {'cores scale':<34} {name + ': 1 -> 2 cores':<30} {one / two:.2f}x faster (best runs)")
    RESULTS["cores"] = out
    return out


def bench_startup(repeats: int) -> dict:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_startup as startup

    before = load()
    res = startup.run(repeats)
    loads = [before, load()]
    record("start-up", "python -c pass", res["python_s"], "s", "a fresh interpreter, for scale", loads, False)
    record("start-up", "synkimeter --help", res["help_s"], "s", "python -m synkimeter --help, from launch", loads,
           False)
    record("start-up", "window's first picture", res["first_picture_s"], "s",
           "python -m synkimeter gui --source CLIP, launch -> first picture drawn", loads, False)
    RESULTS["startup"] = res
    return res


def bench_script(script: str, args: list[str], key: str) -> str:
    before = load()
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    RESULTS[key] = {"output": out, "load_before": before, "load_after": load()}
    for line in out.strip().splitlines():
        print(f"  {key}: {line}")
    print(f"  (load {before} before, {load()} after)", flush=True)
    return out


# -- stages ----------------------------------------------------------------------------------------
def bench_decode(clips: list[Path], label: str, repeats: int) -> None:
    rates, cpu = [], []
    loads = []
    for _ in range(repeats):
        loads.append(load())
        frames, wall, cpu_s = 0, 0.0, 0.0
        for clip in clips:
            c0, t0 = time.process_time(), time.perf_counter()
            for _frame in VideoFileSource(clip):
                frames += 1
            wall += time.perf_counter() - t0
            cpu_s += time.process_time() - c0
        rates.append(frames / wall)
        cpu.append(1000 * cpu_s / frames)
    how = "VideoFileSource, every frame to BGR, one thread"
    record("decode", f"{label} frames/s", rates, "frames/s", how, loads)
    record("decode", f"{label} CPU per frame", cpu, "ms", "process CPU time / frames (all threads)", loads, False)


def bench_mesh(clip: Path, label: str, repeats: int, max_face_px: float | None = None) -> None:
    """The face mesh alone: only FaceMeshExtractor.process() is timed (decoding is outside)."""
    rates, loads = [], []
    for _ in range(repeats):
        loads.append(load())
        spent, n = 0.0, 0
        with FaceMeshExtractor(max_face_px=max_face_px) as mesh:
            for i, frame in enumerate(VideoFileSource(clip)):
                t0 = time.perf_counter()
                mesh.process(frame.image, frame.timestamp_s)
                if i:  # the first frame includes the model's start and a full detection
                    spent += time.perf_counter() - t0
                    n += 1
        rates.append(n / spent)
    extra = f", downscaled to a face <= {max_face_px:g} px" if max_face_px else ""
    record("landmarks", f"{label} frames/s{extra and ' (downscaled)'}", rates, "frames/s",
           "FaceMeshExtractor.process() time only, tracking mode, after the first frame" + extra, loads)


def run_offline(clip: Path, workers: int = 1, max_face_px: float | None = None) -> dict:
    """`analyze` end to end on one clip (decode thread + face mesh + core); times after start-up."""
    first: list[float] = []

    def progress(done: int, total) -> None:
        if not first:
            first.append(time.perf_counter())

    t0 = time.perf_counter()
    series = extract_landmarks(VideoFileSource(clip), progress=progress, workers=workers, max_face_px=max_face_px)
    t_mesh = time.perf_counter()
    analysis = analyze_series(series)
    t_end = time.perf_counter()
    n = len(series)
    return {"frames": n, "total_s": t_end - t0, "startup_s": first[0] - t0 if first else math.nan,
            "after_startup_s": t_end - (first[0] if first else t0), "core_s": t_end - t_mesh,
            "summary": analysis.summary, "series": series}


def bench_offline(clips: list[Path], label: str, repeats: int, workers: int = 1,
                  max_face_px: float | None = None) -> list[dict]:
    rates, rates_total, startups, cpu, loads = [], [], [], [], []
    first_runs: list[dict] = []
    for r in range(repeats):
        loads.append(load())
        c0 = time.process_time()
        runs = [run_offline(clip, workers, max_face_px) for clip in clips]
        cpu.append(1000 * (time.process_time() - c0) / sum(x["frames"] for x in runs))
        if r == 0:
            first_runs = runs
        frames = sum(x["frames"] for x in runs)
        rates.append((frames - len(runs)) / sum(x["after_startup_s"] for x in runs))
        rates_total.append(frames / sum(x["total_s"] for x in runs))
        startups.append(statistics.median(x["startup_s"] for x in runs))
    mode = f"{workers} meshes (split)" if workers > 1 else "1 mesh"
    if max_face_px:
        mode += f", downscaled to face <= {max_face_px:g} px"
    how = f"extract_landmarks ({mode}) + analyze_series over {len(clips)} clip(s)"
    record("offline analyze", f"{label}, {mode.split(',')[0]}", rates, "frames/s", how + ", after the first frame",
           loads)
    record("offline analyze", f"{label}, {mode.split(',')[0]}, with start-up", rates_total, "frames/s",
           how + ", whole call", loads)
    record("offline analyze", f"{label} start-up", startups, "s", "call -> first frame's landmarks (median)", loads,
           False)
    record("offline analyze", f"{label}, {mode.split(',')[0]}, CPU per frame", cpu, "ms",
           "process CPU time (all threads, MediaPipe's included) / frames: the figure load does not change much",
           loads, False)
    return first_runs


def bench_core_per_frame(runs: list[dict], label: str) -> None:
    frames = sum(r["frames"] for r in runs)
    per_frame = [1e6 * sum(r["core_s"] for r in runs) / frames]
    record("core", f"{label} per frame", per_frame, "us", "analyze_series on the extracted clips / frames", [load()],
           False)
    # Memory of the core alone (numpy allocations included), one clip.
    tracemalloc.start()
    analyze_series(runs[0]["series"])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    RESULTS.setdefault("memory", {})["core_one_clip_tracemalloc_mb"] = peak / 2**20
    print(f"  {'memory':<34} {'core, one clip (tracemalloc)':<30} {peak / 2**20:.0f} MB", flush=True)


def bench_core_hour(minutes: float, repeats: int) -> None:
    cmd = [sys.executable, str(ROOT / "benchmarks" / "bench_core.py"), "--minutes", f"{minutes:g}",
           "--repeats", str(repeats)]
    before = load()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    RESULTS["bench_core"] = {"output": out, "load_before": before, "load_after": load()}
    RESULTS["bench_core_minutes"] = minutes
    for line in out.strip().splitlines():
        print(f"  bench_core: {line}")
    print(f"  (load {before} before, {load()} after)", flush=True)


def compare(reference: list[dict], other: list[dict], label: str) -> list[dict]:
    """What a change (split, downscale) does to the results: per clip, the blink-averaged movement
    per side (mm), the blink count and the largest shift of a blink's apex (ms)."""
    rows = []
    for ref, new in zip(reference, other):
        a, b = ref["summary"], new["summary"]
        row = {"clip": Path(a["source"]).name, "label": label}
        for side in ("right", "left"):
            x, y = a["ocular_oral"][side]["average_peak_mm"], b["ocular_oral"][side]["average_peak_mm"]
            row[f"{side}_mm"] = (x, y)
            row[f"{side}_diff_mm"] = None if x is None or y is None else y - x
        apex_a = np.array([bl["apex_s"] for bl in a["blinks"]])
        apex_b = np.array([bl["apex_s"] for bl in b["blinks"]])
        row["blinks"] = (len(apex_a), len(apex_b))
        if apex_a.size and apex_b.size:
            row["max_apex_shift_ms"] = float(1000 * max(np.min(np.abs(apex_b - t)) for t in apex_a))
        else:
            row["max_apex_shift_ms"] = None
        row["severity"] = (a["ocular_oral"]["severity"], b["ocular_oral"]["severity"])
        pa, pb = ref["series"].points, new["series"].points
        row["landmark_rms_px"] = float(np.sqrt(np.nanmean((pa[..., :2] - pb[..., :2]) ** 2)))
        rows.append(row)
        mm = lambda v: "-" if v is None else f"{v:.2f}"  # noqa: E731
        dmm = lambda v: "-" if v is None else f"{v:+.2f}"  # noqa: E731
        shift = "-" if row["max_apex_shift_ms"] is None else f"{row['max_apex_shift_ms']:.0f} ms"
        print(f"  {label:<22} {row['clip']:<20} right {mm(row['right_mm'][0])}->{mm(row['right_mm'][1])} "
              f"({dmm(row['right_diff_mm'])}) left {mm(row['left_mm'][0])}->{mm(row['left_mm'][1])} "
              f"({dmm(row['left_diff_mm'])}) mm; blinks {row['blinks'][0]}->{row['blinks'][1]}, "
              f"apex shift <= {shift}; severity {row['severity'][0]}->{row['severity'][1]}; "
              f"landmarks differ {row['landmark_rms_px']:.2f} px RMS", flush=True)
    RESULTS.setdefault("comparisons", []).extend(
        {k: v for k, v in r.items()} for r in rows)
    return rows


def bench_batch(clips: list[Path], jobs_list: list[int], tmp: Path) -> None:
    from synkimeter.usecases.batch import run_batch

    for jobs in jobs_list:
        before = load()
        t0 = time.perf_counter()
        outcomes = run_batch(clips, tmp / f"batch{jobs}", jobs=jobs)
        wall = time.perf_counter() - t0
        frames = sum(o.frames for o in outcomes)
        failed = [o for o in outcomes if o.error]
        if failed:
            raise RuntimeError(f"batch failed: {failed[0].clip}: {failed[0].error}")
        record("batch", f"{len(clips)} clips, --jobs {jobs}", [frames / wall], "frames/s",
               "run_batch wall time, process start-up included", [before])


def bench_live(clip: Path, seconds_label: str) -> None:
    """VideoFileSource(realtime=True) -> LiveWorker's own loop (LatestFrameReader, face mesh,
    LiveEngine), run in this thread without a window. Latency per frame: from the moment the frame
    left the source to (a) its landmarks, overlay and per-frame scores (eye open, corner heights:
    live.InstantScores) being ready for the window, (b) the first published snapshot (blink scores,
    trends) that includes it."""
    from PySide6.QtCore import QCoreApplication

    from synkimeter.gui.worker import LiveWorker

    app = QCoreApplication.instance() or QCoreApplication([])  # noqa: F841 - signals need no loop

    class TimedWorker(LiveWorker):
        def __init__(self, source):
            super().__init__(source)
            self.frame_latency: list[float] = []
            self.pending: list[float] = []  # capture times measured but not yet in a snapshot
            self.score_latency: list[float] = []
            self.update_s: list[float] = []
            self.rss: list[tuple[float, float]] = []
            self._t0 = time.monotonic()

        def _measure(self, mesh, frame, captured):
            super()._measure(mesh, frame, captured)
            self.frame_latency.append(time.monotonic() - captured)
            self.pending.append(captured)

        def _publish(self):
            t0 = time.monotonic()
            super()._publish()
            now = time.monotonic()
            self.update_s.append(now - t0)
            self.score_latency.extend(now - c for c in self.pending)
            self.pending.clear()
            if not self.rss or now - self.rss[-1][0] >= 1.0:
                self.rss.append((now - self._t0, rss_mb()))

    before = load()
    source = VideoFileSource(clip, realtime=True)
    worker = TimedWorker(source)
    t0 = time.monotonic()
    worker._run()  # the QThread's body, here in this thread
    wall = time.monotonic() - t0
    stats = worker.stats()
    n_source = source.frames_read or worker.frames
    fl = np.array(worker.frame_latency) * 1000
    sl = np.array(worker.score_latency) * 1000
    up = np.array(worker.update_s) * 1000
    how = f"VideoFileSource(realtime=True) -> LiveWorker._run, no window, {seconds_label}"
    record("live", "frames measured / delivered", [worker.frames / max(1, n_source) * 100], "%", how, [before])
    record("live", "measured rate", [worker.frames / wall], "frames/s", how + " (frames / wall time)", [before])
    record("live", "latency to per-frame scores, median", [float(np.median(fl))], "ms",
           "frame leaves the source -> its landmarks, overlay and per-frame scores ready", [before], False)
    record("live", "latency to per-frame scores, p95", [float(np.percentile(fl, 95))], "ms",
           "same, 95th percentile", [before], False)
    record("live", "latency to blink scores, median", [float(np.median(sl))], "ms",
           f"frame leaves the source -> first snapshot holding it (updates every "
           f"{worker.params.live_update_interval_s * 1000:.0f} ms)", [before], False)
    record("live", "latency to blink scores, p95", [float(np.percentile(sl, 95))], "ms", "same, 95th percentile",
           [before], False)
    record("live", "snapshot update, median", [float(np.median(up))], "ms", "LiveEngine.update() + emit",
           [before], False)
    record("live", "snapshot update, p95", [float(np.percentile(up, 95))], "ms", "same, 95th percentile",
           [before], False)
    rss = worker.rss
    if len(rss) >= 4:
        settle = rss[len(rss) // 4]  # after start-up and the buffer's first fill
        growth = (rss[-1][1] - settle[1]) / max(1e-9, (rss[-1][0] - settle[0]) / 60)
        RESULTS.setdefault("memory", {})["live_rss_mb"] = [(round(t, 1), round(m, 1)) for t, m in rss]
        print(f"  {'memory':<34} {'live RSS':<30} {settle[1]:.0f} MB at {settle[0]:.0f} s -> {rss[-1][1]:.0f} MB "
              f"at {rss[-1][0]:.0f} s ({growth:+.1f} MB/min); dropped {stats.dropped} frames", flush=True)


# -- the targets, each beside the bare mesh loop ------------------------------------------------
def _figure(stage: str, figure: str) -> dict | None:
    for f in RESULTS.get("figures", []):
        if f["stage"] == stage and f["figure"].startswith(figure):
            return f
    return None


def targets() -> None:
    """Issue 17's targets: the figure (best / median), its ratio to the bare mesh loop measured in
    this run, and whether it is met (by the median: one lucky run does not meet a target)."""
    bare = RESULTS.get("yardstick", {}).get("bare")
    if not bare:
        print("(targets: run without --skip yardstick to compare with the bare mesh loop)")
        return
    frames = bare["frames"]
    bare_ms = 1000 * statistics.median(bare["wall_s"]) / frames  # per frame, mesh start-up included
    bare_cpu_ms = 1000 * statistics.median(bare["cpu_s"]) / frames
    rows: list[tuple[str, str, str, str, bool | None]] = []

    def add(what: str, best: float, med: float, unit: str, ratio: str, target: str, met: bool | None) -> None:
        fmt = (lambda v: f"{v:.3f}") if unit == "s" else (lambda v: f"{v:.2f}")
        rows.append((what, f"{fmt(best)} / {fmt(med)} {unit}", ratio, target, met))

    st = RESULTS.get("startup")
    if st:
        # The bare loop's own start-up is not timed apart; per-frame ratios do not apply. Given for
        # scale: start-up against the bare loop's time for one frame.
        for key, what, limit in (("help_s", "synkimeter --help", 0.3), ("first_picture_s", "window's first picture", 1.5)):
            v = st[key]
            add(what, min(v), statistics.median(v), "s", f"{1000 * statistics.median(v) / bare_ms:.0f} bare frames",
                f"< {limit} s", statistics.median(v) < limit)
    y = RESULTS["yardstick"]
    a = y["analyze"]
    add(f"analyze CPU ({os.cpu_count()} cores)", min(a["cpu_ratio"]), statistics.median(a["cpu_ratio"]), "x",
        "(is the ratio)", "<= 1.15x", statistics.median(a["cpu_ratio"]) <= 1.15)
    add(f"analyze wall ({os.cpu_count()} cores, unpinned)", min(a["wall_ratio"]), statistics.median(a["wall_ratio"]),
        "x", "(is the ratio)", "<= 0.65x on 2 cores", statistics.median(a["wall_ratio"]) <= 0.65)
    for n, limit in ((1, 1.0), (2, 0.65)):
        c = RESULTS.get("cores", {}).get(n)
        if c:
            r = c["analyze"]["wall_ratio"]
            add(f"analyze wall, pinned to {n} core{'s' if n > 1 else ''}", min(r), statistics.median(r), "x",
                "(is the ratio)", f"<= {limit}x", statistics.median(r) <= limit)
    # Not targets: the same figures against the one-face loop (the model alone, no search for a
    # second face), so that what the search's cadence saves is not read as a lean pipeline.
    if ONE_FACE in y:
        for what in ("cpu", "wall"):
            r = _to_one_face(y, "analyze", what)
            add(f"analyze {'CPU' if what == 'cpu' else 'wall'} vs the one-face loop", min(r), statistics.median(r),
                "x", "(is the ratio)", "(for information)", None)
    for n in (1, 2):
        c = RESULTS.get("cores", {}).get(n)
        if c and ONE_FACE in c:
            r = _to_one_face(c, "analyze", "wall")
            add(f"analyze wall vs one-face loop, {n} core{'s' if n > 1 else ''}", min(r), statistics.median(r), "x",
                "(is the ratio)", "(for information)", None)
    live = _figure("live", "latency to per-frame scores, median")
    live95 = _figure("live", "latency to per-frame scores, p95")
    if live and live95:
        add("live: capture -> per-frame scores, median", live["best"], live["median"], "ms",
            f"{live['median'] / bare_ms:.2f}x a bare frame", "<= 15 ms", live["median"] <= 15)
        add("live: capture -> per-frame scores, p95", live95["best"], live95["median"], "ms",
            f"{live95['median'] / bare_ms:.2f}x a bare frame", "(p95, for information)", None)
    prac = RESULTS.get("bench_practice", {}).get("output", "")
    m = re.search(r"95th percentile (\d+) ms", prac)
    if m:
        p95 = float(m.group(1))
        add("practice: apex -> verdict, p95", p95, p95, "ms", f"{p95 / bare_ms:.1f}x a bare frame", "< 150 ms",
            p95 < 150)
    core = RESULTS.get("bench_core", {}).get("output", "")
    m = re.search(r"point subset: wall best ([0-9.]+) s, median ([0-9.]+) s", core)
    minutes = RESULTS.get("bench_core_minutes", 60.0)
    if m:
        best, med = float(m.group(1)), float(m.group(2))
        hour_frames = minutes * 60 * 30
        add(f"core, {minutes:g} min of landmarks", best, med, "s",
            f"{med / (hour_frames * bare_ms / 1000):.4f}x the bare loop on as many frames",
            "< 0.5 s" if minutes == 60 else "(not an hour)", med < 0.5 if minutes == 60 else None)
    batch = [f for f in RESULTS.get("figures", []) if f["stage"] == "batch"]
    for f in batch:
        add(f"batch {f['figure']}", f["best"], f["median"], "frames/s",
            f"{f['median'] / (1000 / bare_ms):.2f}x the bare loop's rate", "(for information)", None)
    print()
    print(f"Targets (issue 17), beside the bare mesh loop of this run: {bare_ms:.2f} ms and {bare_cpu_ms:.2f} ms CPU "
          f"a frame (median over {len(bare['wall_s'])} repeats, {frames} frames); load now {load()}")
    print(f"  {'figure':<46} {'best / median':<22} {'vs bare mesh loop':<40} {'target':<22} met")
    for what, fig, ratio, target, met in rows:
        print(f"  {what:<46} {fig:<22} {ratio:<40} {target:<22} {'-' if met is None else ('yes' if met else 'NO')}")
    RESULTS["targets"] = [dict(zip(("figure", "value", "ratio", "target", "met"), r)) for r in rows]


# -- main ------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny input, every stage once (seconds)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each timed stage (best and median)")
    parser.add_argument("--clips", nargs="*", type=Path, help="640x480 clips (default: sample_videos/*.mp4)")
    parser.add_argument("--max-face-px", type=float, default=160.0,
                        help="face width the 1280x720 run downscales to (default 160 px)")
    parser.add_argument("--live-minutes", type=float, default=0.0,
                        help="length of the live replay (default: one sample clip, 22 s)")
    parser.add_argument("--core-minutes", type=float, default=60.0, help="landmarks bench_core.py scores")
    parser.add_argument("--skip", nargs="*", default=[],
                        choices=["startup", "yardstick", "cores", "decode", "landmarks", "offline", "hd", "core",
                                 "batch", "live", "practice"])
    parser.add_argument("--core-clips", type=int, default=2,
                        help="clips the 1- and 2-core child runs use (default 2; they take a while)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    import mediapipe

    clips = args.clips or sorted(SAMPLES.glob("*.mp4"))
    repeats = 1 if args.quick else max(1, args.repeats)
    RESULTS["machine"] = {
        "cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
        "mediapipe": mediapipe.__version__, "opencv": cv2.__version__, "numpy": np.__version__,
        "load_at_start": load(), "quick": args.quick,
    }
    print(f"synkimeter benchmark: {os.cpu_count()} cores, load average (1 min/5 min) {load()} at start; "
          f"Python {platform.python_version()}, mediapipe {mediapipe.__version__}, OpenCV {cv2.__version__}")
    if not clips:
        print("no clips: put .mp4 files in sample_videos/ or pass --clips", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="synkimeter-bench-") as tmpdir:
        tmp = Path(tmpdir)
        if args.quick:
            clips = [cut_clip(clips[0], tmp / "quick.mp4", 75)]
        base = clips[0] if not args.quick else clips[0]
        reference = next((c for c in clips if c.stem == "right_3mm"), base)
        hd = cut_clip(reference, tmp / f"{reference.stem}_1280x720.mp4", 0, HD_SIZE)
        print(f"clips: {len(clips)} at 640x480 ({', '.join(c.stem for c in clips)}); "
              f"1280x720: {reference.stem} upscaled with cv2 into a temp file")
        skip = set(args.skip)
        if "core" not in skip:  # first, while this process is small (a child's peak includes it)
            bench_core_hour(0.1 if args.quick else args.core_minutes, repeats)
        if "startup" not in skip:
            bench_startup(2 if args.quick else max(3, repeats + 2))
        if "yardstick" not in skip:
            bench_yardstick(clips, repeats)
        if "cores" not in skip and not args.quick:
            bench_cores(clips[: max(1, args.core_clips)], max(1, min(repeats, 2)))
        if "decode" not in skip:
            bench_decode(clips, "640x480", repeats)
            bench_decode([hd], "1280x720", repeats)
        if "landmarks" not in skip:
            bench_mesh(reference, "640x480", repeats)
            bench_mesh(hd, "1280x720", repeats)
            if not args.quick:
                bench_mesh(hd, "1280x720", repeats, args.max_face_px)
        single = None
        if "offline" not in skip:
            single = bench_offline(clips, "640x480", repeats)
            split = bench_offline(clips, "640x480", repeats, workers=2)
            if "core" not in skip:
                bench_core_per_frame(single, "640x480")
            compare(single, split, "split in 2 vs 1 mesh")
        if "hd" not in skip:
            hd_full = bench_offline([hd], "1280x720", repeats)
            hd_down = bench_offline([hd], "1280x720", repeats, max_face_px=args.max_face_px)
            if not args.quick:
                bench_offline([hd], "1280x720", repeats, workers=2)
            compare(hd_full, hd_down, f"downscaled (<= {args.max_face_px:g} px)")
            if single is not None:
                ref_640 = [r for r in single if Path(r["summary"]["source"]).stem == reference.stem]
                if ref_640:
                    oo = ref_640[0]["summary"]["ocular_oral"]
                    # A cut too short for a scored blink has no figure (None in the JSON).
                    mm = {side: "-" if oo[side]["average_peak_mm"] is None else f"{oo[side]['average_peak_mm']:.2f}"
                          for side in ("right", "left")}
                    print(f"  (for scale, the same clip at 640x480 reads right {mm['right']} mm, left {mm['left']} mm)")
        if "batch" not in skip and not args.quick:
            bench_batch(clips, sorted({1, os.cpu_count() or 1}), tmp)
        if "live" not in skip:
            live_clip = reference
            label = f"{reference.stem} replayed once"
            if args.live_minutes > 0:
                live_clip = loop_clip(reference, tmp / "long.mp4", args.live_minutes * 60)
                label = f"{args.live_minutes:g} min replay of {reference.stem}"
            bench_live(live_clip, label)
        if "practice" not in skip and not args.quick:
            bench_script("bench_practice.py", ["--repeats", str(max(1, min(repeats, 2)))], "bench_practice")
    peak = peak_rss_mb()
    RESULTS.setdefault("memory", {})["peak_rss_mb"] = peak
    print(f"  {'memory':<34} {'peak RSS (whole run)':<30} {peak:.0f} MB")
    print(f"load average at the end: {load()}")
    targets()
    if args.json:
        def clean(v):
            if isinstance(v, dict):
                return {k: clean(x) for k, x in v.items() if k not in ("series",)}
            if isinstance(v, (list, tuple)):
                return [clean(x) for x in v]
            if isinstance(v, (np.floating, np.integer)):
                return v.item()
            return v

        args.json.write_text(json.dumps(clean(RESULTS), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
