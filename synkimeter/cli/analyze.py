"""`synkimeter analyze` (one clip, a readable summary) and `synkimeter gui` (the window)."""

from __future__ import annotations

import argparse
import sys

from synkimeter import __version__
from synkimeter.cli.common import EXIT_OK, fail
from synkimeter.params import DEFAULT_PARAMS
from synkimeter.usecases.expression_text import format_expressions

SEVERITY_WORDS = {
    "none": "none (within what healthy faces show)",
    "mild": "mild (under 1 mm)",
    "moderate": "moderate (1-2 mm)",
    "severe": "severe (over 2 mm)",
    "undetermined": "not determined (the notes below say why)",
}


def _mm(x, digits: int = 2) -> str:
    return "-" if x is None else f"{x:.{digits}f} mm"


def _nan(x) -> float:
    """A summary number for formatting: None (NaN or inf in the JSON) prints as nan."""
    return float("nan") if x is None else x


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.0f} %"


def format_summary(summary: dict) -> str:
    """The short readable summary a therapist reads after `analyze`."""
    s = summary
    lines = [f"synkimeter {__version__}: {s.get('source', '')}"]
    pct = 100.0 * s["face_frames"] / s["frames"] if s["frames"] else 0.0
    lines.append(f"  {_nan(s['duration_s']):.1f} s, {s['frames']} frames at {_nan(s['fps']):.1f} frames/s; "
                 f"face found in {s['face_frames']} frames ({pct:.0f} %)")
    rel = 100 * (s["mm_per_px_uncertainty"] or 0) / (s["mm_per_px"] or 1)
    lines.append(f"  Scale from the iris: {_nan(s['iris_px']):.1f} px across -> {_nan(s['mm_per_px']):.3f} mm per pixel "
                 f"(+/- {rel:.0f} %)")
    c = s["blink_counts"]
    lines.append(f"  Blinks: {c['both'] + c['right_only'] + c['left_only']} (both eyes {c['both']}, "
                 f"right eye only {c['right_only']}, left eye only {c['left_only']}); {c['scored']} scored"
                 + (f"; {len(s['eye_closures'])} long eye closure(s) reported apart" if s["eye_closures"] else ""))
    oo = s["ocular_oral"]
    lines.append("")
    lines.append("  Mouth-corner movement during blinks (ocular-oral synkinesis), subject's sides:")
    interval = lambda lo_hi: "-" if lo_hi[0] is None else f"{lo_hi[0]:.2f} to {lo_hi[1]:.2f} mm"  # noqa: E731
    rows = [
        ("blink-averaged movement", lambda d: _mm(d["average_peak_mm"])),
        ("  95 % interval", lambda d: interval(d["average_ci95_mm"])),
        ("median of blink peaks", lambda d: _mm(d["median_mm"])),
        ("  95 % interval", lambda d: interval(d["ci95_mm"])),
        (f"blinks over {DEFAULT_PARAMS.coupled_threshold_mm:g} mm", lambda d: _pct(d["coupled_fraction"])),
        ("eye-mouth correlation", lambda d: "-" if d["correlation"] is None else f"{d['correlation']:.2f}"),
        ("blinks scored", lambda d: str(d["n"])),
    ]
    lines.append(f"    {'':24}{'right side':>17}{'left side':>17}")
    for label, fmt in rows:
        lines.append(f"    {label:24}{fmt(oo['right']):>17}{fmt(oo['left']):>17}")
    lines.append("")
    side = oo["affected_side"]
    no_side = "not determined" if oo["severity"] == "undetermined" else "neither side stands out"
    lines.append(f"  Affected side: {side or no_side}    "
                 f"Severity: {SEVERITY_WORDS.get(oo['severity'], oo['severity'])}")
    if oo["asymmetry_mm"] is not None:
        more = "right" if oo["asymmetry_mm"] > 0 else "left"
        lines.append(f"  Asymmetry: {abs(oo['asymmetry_mm']):.2f} mm more movement on the {more} side")
    lines.extend(format_expressions(s))
    if s["warnings"]:
        lines.append("")
        lines.append("  Notes:")
        lines.extend(f"    - {w}" for w in s["warnings"])
    return "\n".join(lines)


def format_blink_table(summary: dict) -> str:
    lines = ["   #  eye    onset s  apex s  dur ms  closure R/L  complete  mouth R mm  mouth L mm  scored"]
    # Blinks and long closures in the order they happened; a row that is not scored shows no
    # millimetres (talking reads as 10-20 mm of "movement"), only why.
    rows = sorted(summary["blinks"] + summary["eye_closures"], key=lambda b: _nan(b["onset_s"]))
    for i, b in enumerate(rows, 1):
        cr, cl = b["closure"]["right"], b["closure"]["left"]
        mr, ml = (b["mouth_mm"]["right"], b["mouth_mm"]["left"]) if b["scored"] else (None, None)
        mouth = lambda v: f"{v:10.2f}" if v is not None else f"{'-':>10}"  # noqa: E731
        lines.append(
            f"  {i:2d}  {b['eye']:5}  {_nan(b['onset_s']):7.2f}  {_nan(b['apex_s']):6.2f}  {1000 * _nan(b['duration_s']):6.0f}"
            f"  {cr if cr is not None else float('nan'):4.2f}/{cl if cl is not None else float('nan'):4.2f}"
            f"  {'yes' if b['complete'] else 'partial':8}  {mouth(mr)}"
            f"  {mouth(ml)}  {'yes' if b['scored'] else 'no: ' + str(b['reason'])}"
        )
    return "\n".join(lines)


def cmd_analyze(args: argparse.Namespace) -> int:
    from synkimeter.io.export import write_frames_csv, write_json
    from synkimeter.usecases.analyze import ClipError, analyze_clip

    bar = None
    progress = None
    if not args.quiet and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(desc="Finding the face", unit=" frames", leave=False, file=sys.stderr)

        def progress(done: int, total: int | None) -> None:
            if total and bar.total != total:
                bar.total = total
            bar.update(done - bar.n)
    try:
        result = analyze_clip(args.video, DEFAULT_PARAMS, affected_side=args.affected_side, progress=progress)
    except ClipError as exc:
        return fail(str(exc))
    finally:
        if bar is not None:
            bar.close()
    summary = result.summary
    outputs = [(args.json, lambda p: write_json(summary, p)),
               (args.csv, lambda p: write_frames_csv(result.analysis, p)),
               (args.landmarks, lambda p: result.series.save_npz(p))]
    for path, write in outputs:
        if not path:
            continue
        try:
            write(path)
        except OSError as exc:
            return fail(f"Could not write '{path}': {exc.strerror or exc}.")
    if not args.quiet:
        print(format_summary(summary))
        if args.blinks:
            print()
            print(format_blink_table(summary))
    return EXIT_OK


def cmd_gui(args: argparse.Namespace) -> int:
    from synkimeter.cli.display import display_problem

    problem = display_problem()  # instead of Qt's abort (exit 134)
    if problem:
        return fail(problem)
    try:
        from synkimeter.gui.app import run_app
    except ImportError as exc:
        return fail(f"The window cannot start here ({exc}).")
    return run_app(source=args.source)


def add_commands(subparsers) -> None:
    p = subparsers.add_parser("analyze", help="measure a video file and print a summary",
                       description="Measure blinks and mouth-corner movement in a video file (or a saved .npz of landmarks).")
    p.add_argument("video", help="video file (or landmarks .npz saved with --landmarks)")
    p.add_argument("--json", metavar="PATH", help="write the full result as JSON")
    p.add_argument("--csv", metavar="PATH", help="write the per-frame series as CSV")
    p.add_argument("--landmarks", metavar="PATH", help="save the face-mesh landmarks (.npz) for re-analysis")
    p.add_argument("--affected-side", choices=("left", "right"), help="the subject's affected side, if known")
    p.add_argument("--blinks", action="store_true", help="also print a table of every blink")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing (use with --json/--csv)")
    p.set_defaults(func=cmd_analyze)

    g = subparsers.add_parser("gui", help="open the window", description="Open the live window.")
    g.add_argument("--source", default="0", help="camera number (0, 1, ...) or a video file to replay (default 0)")
    g.set_defaults(func=cmd_gui)
