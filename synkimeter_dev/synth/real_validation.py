"""Measured against imposed on a real face: the table in docs/validation.md.

    python -m synkimeter_dev.synth.real_validation ../shared/realclips [--out DIR]

Writes the coupled clips and their controls (synth/realface.py) for several recording conditions,
measures each with `analyze`, and prints a Markdown table: the blink-averaged movement per side, the
pull the coupling added over its control (the peak of the difference of the two clips' averaged
traces, so a pull at an angle to the face's own blink movement is not under-read), severity and
affected side. Takes a few minutes.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from synkimeter.usecases.analyze import analyze_clip
from synkimeter_dev.synth.realface import CameraMotion, RealCouplingSpec, prepare, write_coupled

SOURCE = "expressions_glasses_man.mp4"
STRETCH_S = (0.2, 2.0)
CYCLES = 4
CONDITIONS = {
    "as recorded": {},
    "camera motion (roll 3 deg, 25 px, 4 %)": {"camera": CameraMotion(3.0, 25.0, 0.04)},
    "further away (iris ~14 px)": {"resize": 0.65},
    "darker": {"gain": 0.55, "gamma": 1.3},
    "brighter": {"gain": 1.25, "gamma": 0.8},
}
# (coupling mm, field) per condition: every coupling as recorded, 2 mm broad in the others.
FULL = [(mm, kind) for mm in (0.5, 1.0, 2.0, 4.0) for kind in ("narrow", "broad")]


def added_pull_mm(coupled: dict, control: dict, side: str) -> float:
    """Peak of the difference of two clips' blink-averaged (up, out) traces, after the lid starts."""
    a = coupled["ocular_oral"]["blink_triggered_average"]
    b = control["ocular_oral"]["blink_triggered_average"]
    after = np.asarray(a["time_s"]) >= 0
    diff = np.hypot(np.subtract(a[side]["up_mm"], b[side]["up_mm"]), np.subtract(a[side]["out_mm"], b[side]["out_mm"]))
    return float(np.nanmax(diff[after]))


def _row(condition: str, label: str, s: dict, control: dict | None) -> str:
    oo = s["ocular_oral"]
    fmt = lambda x: "-" if x is None else f"{x:.2f}"  # noqa: E731
    added = ("-" if control is None
             else f"{added_pull_mm(s, control, 'right'):.2f} / {added_pull_mm(s, control, 'left'):.2f}")
    return (f"| {condition} | {label} | {fmt(oo['right']['average_peak_mm'])} | {fmt(oo['left']['average_peak_mm'])} "
            f"| {added} | {oo['right']['n']} of {len(s['blinks'])} | {oo['severity']} | {oo['affected_side'] or '-'} |")


# The same face and coupling recorded differently: what a repeat session can change.
REPEAT_CONDITIONS = {
    "as recorded": {},
    "near (iris ~35 px)": {"resize": 1.6},
    "far (iris ~14 px)": {"resize": 0.65},
    "darker": {"gain": 0.55, "gamma": 1.3},
    "brighter": {"gain": 1.25, "gamma": 0.8},
    "tilted 10 deg": {"camera": CameraMotion(tilt_deg=10.0)},
    "compressed (JPEG 25)": {"jpeg_quality": 25},
    "camera motion": {"camera": CameraMotion(3.0, 25.0, 0.04)},
}
REPEAT_COUPLINGS_MM = (0.0, 2.0, 4.0)
REPEAT_KEYS = ("average_peak_mm", "median_mm", "coupled_fraction")


def repeatability(prepared, out: Path) -> dict:
    """Blink-averaged right-side readings of each coupling under every REPEAT_CONDITIONS, their spread
    (SD across conditions) and the minimal detectable change MDC95 = 1.96 x sqrt(2) x SD."""
    readings: dict[str, dict[float, dict[str, float]]] = {key: {} for key in REPEAT_KEYS}
    for mm in REPEAT_COUPLINGS_MM:
        for key in REPEAT_KEYS:
            readings[key][mm] = {}
        for n, (condition, extra) in enumerate(REPEAT_CONDITIONS.items()):
            path = out / f"r{n}_{mm:g}.mp4"
            write_coupled(prepared, path, RealCouplingSpec(mm, "right", "broad", *STRETCH_S, CYCLES, **extra))
            right = analyze_clip(path).summary["ocular_oral"]["right"]
            for key in REPEAT_KEYS:
                readings[key][mm][condition] = right[key]
    result: dict[str, dict] = {}
    for key, by_coupling in readings.items():
        result[key] = {}
        for mm, by_condition in by_coupling.items():
            values = np.array([v for v in by_condition.values() if v is not None], dtype=float)
            sd = float(values.std(ddof=1)) if values.size > 1 else float("nan")
            result[key][mm] = {"readings": by_condition, "mean": float(values.mean()), "sd": sd,
                               "mdc95": 1.959964 * np.sqrt(2.0) * sd}
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m synkimeter_dev.synth.real_validation",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("realclips", type=Path)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--repeatability", action="store_true",
                    help="the between-session spread and minimal detectable change instead of the table")
    args = ap.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="synkimeter-real-"))
    out.mkdir(parents=True, exist_ok=True)
    prepared = prepare(args.realclips / SOURCE, *STRETCH_S)
    if args.repeatability:
        result = repeatability(prepared, out)
        print("| measure | imposed | " + " | ".join(REPEAT_CONDITIONS) + " | mean | SD | MDC95 |")
        print("|---" * (len(REPEAT_CONDITIONS) + 5) + "|")
        for key, by_coupling in result.items():
            for mm, r in by_coupling.items():
                cells = " | ".join("-" if v is None else f"{v:.2f}" for v in r["readings"].values())
                print(f"| {key} | {mm:g} mm | {cells} | {r['mean']:.2f} | {r['sd']:.2f} | {r['mdc95']:.2f} |")
        return 0
    print("| condition | imposed on the right | right mm | left mm | added right / left mm | blinks scored "
          "| severity | affected |")
    print("|---|---|---|---|---|---|---|---|")
    for n, (condition, extra) in enumerate(CONDITIONS.items()):
        cases = [(0.0, "narrow")] + (FULL if n == 0 else [(2.0, "broad")])
        control = None
        for mm, kind in cases:
            spec = RealCouplingSpec(mm, "right", kind, *STRETCH_S, CYCLES, **extra)
            path = out / f"c{n}_{kind}_{mm:g}.mp4"
            write_coupled(prepared, path, spec)
            s = analyze_clip(path).summary
            label = "none (control)" if mm == 0 else f"{mm:g} mm {kind}"
            print(_row(condition, label, s, None if mm == 0 else control), flush=True)
            if mm == 0:
                control = s
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
