"""`synkimeter analyze` (one clip, a readable summary) and `synkimeter gui` (the window)."""

from __future__ import annotations

import argparse
import sys

from synkimeter.cli.common import EXIT_OK, fail, mirrored_option, outputs_problem, real_number


def cmd_analyze(args: argparse.Namespace) -> int:
    from synkimeter.cli.summary import format_blink_table, format_summary
    from synkimeter.io.export import write_frames_csv, write_json
    from synkimeter.usecases.analyze import ClipError, analyze_clip
    from synkimeter.usecases.settings import DEFAULT_SETTINGS

    problem = outputs_problem(args.json, args.csv, args.landmarks)
    if problem:  # before the analysis, not after minutes of it
        return fail(problem)
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
        result = analyze_clip(args.video, DEFAULT_SETTINGS, affected_side=args.affected_side, progress=progress,
                              mirrored=args.mirrored)
    except ClipError as exc:
        return fail(str(exc))
    finally:
        if bar is not None:
            bar.close()
    outputs = [(args.json, lambda p: write_json(result.result, p)),
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
        print(format_summary(result.result))
        if args.blinks:
            print()
            print(format_blink_table(result.result))
    return EXIT_OK


def cmd_gui(args: argparse.Namespace) -> int:
    from synkimeter.cli.display import window_problem

    problem = window_problem()
    if problem:
        return fail(problem)
    from synkimeter.gui.app import run_app

    return run_app(source=args.source, quit_after=args.quit_after)


def add_commands(subparsers) -> None:
    p = subparsers.add_parser("analyze", help="measure a video file and print a summary",
                              description="Measure blinks and mouth-corner movement in a video file "
                                          "(or a saved .npz of landmarks).")
    p.add_argument("video", help="video file (or landmarks .npz saved with --landmarks)")
    p.add_argument("--json", metavar="PATH", help="write the full result as JSON")
    p.add_argument("--csv", metavar="PATH", help="write the per-frame series as CSV")
    p.add_argument("--landmarks", metavar="PATH", help="save the face-mesh landmarks (.npz) for re-analysis")
    p.add_argument("--affected-side", choices=("left", "right"), help="the subject's affected side, if known")
    mirrored_option(p)
    p.add_argument("--blinks", action="store_true", help="also print a table of every blink")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing (use with --json/--csv)")
    p.set_defaults(func=cmd_analyze)

    g = subparsers.add_parser("gui", help="open the window", description="Open the live window.")
    g.add_argument("--source", default="0", help="camera number (0, 1, ...) or a video file to replay (default 0)")
    g.add_argument("--quit-after", type=real_number(0, 1e6), metavar="SECONDS",
                   help="close the window after SECONDS (to check that it starts)")
    g.set_defaults(func=cmd_gui)
