"""`synkimeter analyze` (one clip, a readable summary) and `synkimeter gui` (the window)."""

from __future__ import annotations

import argparse
import textwrap

from synkimeter.cli.common import EXIT_OK, fail, mirrored_option, outputs_problem, real_number
from synkimeter.cli.progress import progress_bar, progress_callback

AFFECTED_SIDE_HELP = ("the subject's affected side, if known: the verdict grades that side's movement (not the "
                      "side that moves more) and the eFACE-style score compares that eye with the other (not the eye "
                      "that narrows more); the measurements themselves stay the same")

# The summary's rows on mouth-corner movement during blinks, in its words, and what each means
# (`analyze --help`; the README says the same). The first is the headline the verdict comes from.
HEADLINE = "averaged over all blinks"
ROW_DEFINITIONS = (
    (HEADLINE, "the headline: the mouth corner's peak movement, in mm, on the average of every scored "
               "blink lined up on the moment the lid closes; the affected side and the severity come from it"),
    ("typical single blink", "the median of each scored blink's own peak, in mm: a check on the headline "
                             "(one large blink moves the average more than the median)"),
    ("95 % interval", "where the figure above it lies with 95 % confidence (bootstrap over the blinks)"),
    ("blinks that moved it over N mm", "the share of scored blinks whose peak passed N mm"),
    ("moves with the eyelid", "how closely the mouth corner follows the eyelid through the blinks: their "
                              "correlation, from -1 to 1 (1: in step with the lid; near 0: not at all)"),
    ("asymmetry", "right minus left on the headline row"),
)


def cmd_analyze(args: argparse.Namespace) -> int:
    from synkimeter.cli.summary import format_blink_table, format_summary
    from synkimeter.io.export import write_frames_csv, write_json
    from synkimeter.usecases.analyze import ClipError, analyze_clip
    from synkimeter.usecases.settings import DEFAULT_SETTINGS

    problem = outputs_problem(args.json, args.csv, args.landmarks)
    if problem:  # before the analysis, not after minutes of it
        return fail(problem)
    with progress_bar("Finding the face", quiet=args.quiet) as bar:
        try:
            result = analyze_clip(args.video, DEFAULT_SETTINGS, affected_side=args.affected_side,
                                  progress=progress_callback(bar), mirrored=args.mirrored)
        except ClipError as exc:
            return fail(str(exc))
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
    rows = "\n".join(textwrap.fill(f"{name}: {words}.", 90, initial_indent="  ", subsequent_indent="      ")
                     for name, words in ROW_DEFINITIONS)
    p = subparsers.add_parser("analyze", help="measure a video file and print a summary",
                              description="Measure blinks and mouth-corner movement in a video file "
                                          "(or a saved .npz of landmarks).",
                              formatter_class=argparse.RawDescriptionHelpFormatter,
                              epilog=f"The summary's rows on mouth-corner movement during blinks:\n{rows}\n\n"
                                     "example: synkimeter analyze sample_videos/right_3mm.mp4 --blinks")
    p.add_argument("video", help="video file (or landmarks .npz saved with --landmarks)")
    p.add_argument("--json", metavar="PATH", help="write the full result as JSON")
    p.add_argument("--csv", metavar="PATH", help="write the per-frame series as CSV")
    p.add_argument("--landmarks", metavar="PATH", help="save the face-mesh landmarks (.npz) for re-analysis")
    p.add_argument("--affected-side", choices=("left", "right"), help=AFFECTED_SIDE_HELP)
    mirrored_option(p)
    p.add_argument("--blinks", action="store_true", help="also print a table of every blink")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing (use with --json/--csv)")
    p.set_defaults(func=cmd_analyze)

    g = subparsers.add_parser("gui", help="open the window", description="Open the live window.")
    g.add_argument("--source", default="0", help="camera number (0, 1, ...) or a video file to replay (default 0)")
    g.add_argument("--quit-after", type=real_number(0, 1e6), metavar="SECONDS",
                   help="close the window after SECONDS (to check that it starts)")
    g.set_defaults(func=cmd_gui)
