"""Guard for speed work on the core: the measurement of several simulated tracks must not change.

    python benchmarks/check_core_results.py save BASELINE.npz     # before a change
    python benchmarks/check_core_results.py compare BASELINE.npz  # after it

Compares the result documents and, because `to_json` rounds, the unrounded typed result and the
per-frame arrays (alignment, closure, traces, per-event mouth) too. Prints the largest relative
difference found; fails when one exceeds --tolerance or a NaN/shape/text differs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

# The development package (simulated tracks) lives in the checkout, not in the installed package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synkimeter.core.align import align_to_reference  # noqa: E402
from synkimeter.core.analysis import analyze_landmarks  # noqa: E402
from synkimeter.core.anatomy import HEAD_ANCHORS, MEASURED  # noqa: E402
from synkimeter_dev.simulate import SimBlink, regular_blinks, simulate  # noqa: E402


def _with_gaps(points: np.ndarray, seed: int) -> np.ndarray:
    """Missing faces (whole NaN frames, a run and scattered ones) and a few partial frames."""
    rng = np.random.default_rng(seed)
    points = points.copy()
    n = points.shape[0]
    points[n // 3:n // 3 + 45] = np.nan
    points[rng.choice(n, n // 200, replace=False)] = np.nan
    for frame in rng.choice(n, 20, replace=False):
        points[frame, rng.choice(points.shape[1], 3, replace=False)] = np.nan
    return points


def tracks() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {}
    d = 600.0
    a = simulate(d, blinks=regular_blinks(d, 3.0), coupling_mm={"right": 1.0}, jitter_px=0.3,
                 head_motion={"yaw_deg": 4, "roll_deg": 3, "translate_px": 15, "period_s": 8.0})
    out["right_coupled_10min_mesh"] = (a.timestamps_s, a.points)
    out["right_coupled_10min_subset"] = (a.timestamps_s, MEASURED.take(a.points))
    d = 300.0
    blinks = regular_blinks(d, 2.7, eye="both") + [SimBlink(apex_s=float(x), eye="left") for x in (20.3, 77.1, 150.6)]
    b = simulate(d, blinks=blinks, coupling_mm={"left": 1.6, "right": 0.2}, jitter_px=0.4, seed=3,
                 head_motion={"yaw_deg": 6, "pitch_deg": 5, "roll_deg": 2, "translate_px": 25, "scale": 0.05,
                              "period_s": 5.0}, frame_time_jitter_s=0.004)
    out["left_coupled_gaps_mesh"] = (b.timestamps_s, _with_gaps(b.points, 1))
    out["left_coupled_gaps_subset"] = (b.timestamps_s, MEASURED.take(_with_gaps(b.points, 2)))
    d = 40.0
    c = simulate(d, blinks=regular_blinks(d, 2.0, depth=0.9), coupling_mm={"right": 2.5, "left": 0.5},
                 jitter_px=0.2, seed=7, head_motion={"yaw_deg": 2, "pitch_deg": 2, "period_s": 3.0},
                 dtype=np.float64)
    out["short_float64_mesh"] = (c.timestamps_s, c.points)
    e = simulate(25.0, blinks=regular_blinks(25.0, 4.0), jitter_px=0.5, seed=11)
    out["still_no_coupling_subset"] = (e.timestamps_s, MEASURED.take(e.points))
    return out


def _arrays(obj, prefix: str, into: dict) -> None:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            _arrays(getattr(obj, f.name), f"{prefix}.{f.name}", into)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _arrays(v, f"{prefix}[{k}]", into)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            _arrays(v, f"{prefix}[{i}]", into)
    elif isinstance(obj, np.ndarray) or isinstance(obj, (int, float, np.number, bool, np.bool_)) or obj is None \
            or isinstance(obj, str):
        into[prefix] = np.array(obj) if not isinstance(obj, (str, type(None))) else obj


def measure() -> dict[str, dict]:
    results = {}
    for name, (t, points) in tracks().items():
        a = analyze_landmarks(t, points)
        flat: dict = {}
        _arrays(a.summary, "json", flat)
        _arrays(a.result, "result", flat)
        for field in ("face_found", "alignment", "closure", "fissure_mm", "traces", "blinks", "mouth", "reasons",
                      "mm_per_px"):
            _arrays(getattr(a, field), field, flat)
        results[name] = flat
        print(f"measured {name}: {len(flat)} values, {len(a.summary['blinks'])} blinks", flush=True)
    # align_to_reference on its own: no hold, and a given reference (the practice judge's path).
    t, points = tracks()["left_coupled_gaps_subset"]
    anchors = MEASURED[HEAD_ANCHORS]
    flat = {}
    first = align_to_reference(points, anchors)
    _arrays(first, "nohold", flat)
    _arrays(align_to_reference(points[::3], anchors, reference=first.reference,
                               hold=np.arange(points[::3].shape[0]) % 40 < 4), "given_reference", flat)
    results["align_direct"] = flat
    return results


def compare(before: dict, after: dict, tolerance: float) -> bool:
    worst, worst_where, ok = 0.0, "", True
    for name, flat in before.items():
        other = after.get(name, {})
        if set(flat) != set(other):
            print(f"{name}: keys differ: {sorted(set(flat) ^ set(other))[:10]}")
            ok = False
        for key, b in flat.items():
            a = other.get(key)
            if isinstance(b, (str, type(None))) or b.dtype.kind in "OUSb":
                if not (a == b if isinstance(b, (str, type(None))) else np.array_equal(a, b)):
                    print(f"{name} {key}: differs: {b!r} -> {a!r}")
                    ok = False
                continue
            if a.shape != b.shape or not np.array_equal(np.isnan(a), np.isnan(b)) if b.dtype.kind == "f" \
                    else a.shape != b.shape:
                print(f"{name} {key}: shape or NaN pattern differs")
                ok = False
                continue
            a64, b64 = a.astype(np.float64), b.astype(np.float64)
            fin = np.isfinite(b64)
            if not np.array_equal(a64[~fin], b64[~fin]) and not np.array_equal(np.isnan(a64), np.isnan(b64)):
                print(f"{name} {key}: non-finite values differ")
                ok = False
            diff = np.abs(a64[fin] - b64[fin])
            denom = np.maximum(np.abs(a64[fin]), np.abs(b64[fin]))
            with np.errstate(invalid="ignore", divide="ignore"):
                rel = np.where(diff == 0, 0.0, diff / denom)
            if rel.size and rel.max() > worst:
                i = int(rel.argmax())
                worst, worst_where = float(rel.max()), f"{name} {key} (|diff| {diff[i]:.3g} of {denom[i]:.6g})"
            if rel.size and rel.max() > tolerance:
                print(f"{name} {key}: relative difference {rel.max():.3g} > {tolerance:g}")
                ok = False
    print(f"largest relative difference: {worst:.3g}" + (f" at {worst_where}" if worst else " (all identical)"))
    return ok


_SEP = "||"  # between the kind, the track and the value's path in a key of the .npz (no pickle)


def save(path: Path, results: dict[str, dict]) -> None:
    arrays = {}
    for name, flat in results.items():
        for key, value in flat.items():
            if value is None or isinstance(value, str):
                arrays[f"text{_SEP}{name}{_SEP}{key}"] = np.array(json.dumps(value))
            else:
                arrays[f"array{_SEP}{name}{_SEP}{key}"] = value
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def load(path: Path) -> dict[str, dict]:
    results: dict[str, dict] = {}
    with np.load(path, allow_pickle=False) as data:
        for stored in data.files:
            kind, name, key = stored.split(_SEP, 2)
            value = data[stored]
            results.setdefault(name, {})[key] = json.loads(str(value[()])) if kind == "text" else value
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("save", "compare"))
    parser.add_argument("baseline", type=Path)
    parser.add_argument("--tolerance", type=float, default=1e-9)
    args = parser.parse_args()
    results = measure()
    if args.action == "save":
        save(args.baseline, results)
        print(f"saved {args.baseline}")
        return
    ok = compare(load(args.baseline), results, args.tolerance)
    print("SAME" if ok else "CHANGED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
