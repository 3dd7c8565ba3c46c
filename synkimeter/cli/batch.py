"""`synkimeter batch`: many clips at once, one JSON each."""

from __future__ import annotations

import argparse
import sys
import time

from synkimeter.cli.analyze import AFFECTED_SIDE_HELP
from synkimeter.cli.common import EXIT_BAD_INPUT, EXIT_OK, whole_number
from synkimeter.cli.progress import print_above, progress_bar


def cmd_batch(args: argparse.Namespace) -> int:
    # The process pool and the pipeline are loaded only when a batch runs (`--help` stays quick).
    from synkimeter.usecases.batch import BatchError, ClipOutcome, run_batch

    start = time.perf_counter()

    with progress_bar("Clips measured", quiet=False, unit=" clips", total=len(args.clips)) as bar:

        def report(outcome: "ClipOutcome", done: int, total: int) -> None:
            head = f"[{done}/{total}] {outcome.clip}:"
            if outcome.skipped:
                print_above(bar, f"{head} skipped, {outcome.output} exists")
            elif outcome.error:
                print_above(bar, f"{head} {outcome.error}", file=sys.stderr)
            else:
                print_above(bar, f"{head} {outcome.frames} frames in {outcome.seconds:.1f} s -> {outcome.output}")
            if bar is not None:
                bar.update(done - bar.n)

        try:
            outcomes = run_batch(args.clips, args.out, args.jobs, args.affected_side, args.skip_existing, report,
                                 scheduler=args.scheduler)
        except BatchError as exc:
            print(f"synkimeter: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except OSError as exc:
            print(f"synkimeter: Could not use '{args.out}': {exc.strerror or exc}.", file=sys.stderr)
            return EXIT_BAD_INPUT
    wall = time.perf_counter() - start
    failed = sum(o.error is not None for o in outcomes)
    frames = sum(o.frames for o in outcomes)
    rate = f", {frames / wall:.0f} frames/s" if frames and wall > 0 else ""
    print(f"{len(outcomes) - failed} of {len(outcomes)} clips measured in {wall:.1f} s{rate}"
          + (f"; {failed} failed" if failed else ""))
    return EXIT_BAD_INPUT if failed else EXIT_OK


def add_commands(subparsers) -> None:
    p = subparsers.add_parser(
        "batch", help="measure many video files at once, one JSON per clip",
        description="Measure many clips (video files or saved .npz landmarks) on all cores; each result "
                    "is the JSON `analyze --json` writes.")
    p.add_argument("clips", nargs="+", metavar="CLIP", help="video files (or landmark .npz files)")
    p.add_argument("-o", "--out", metavar="DIR", help="folder for the JSON files (default: beside each clip)")
    p.add_argument("-j", "--jobs", type=whole_number(1, 1024), default=0, metavar="N",
                   help="clips measured at once, each in its own process (default: one per core)")
    p.add_argument("--affected-side", choices=("left", "right"), help=AFFECTED_SIDE_HELP)
    p.add_argument("--skip-existing", action="store_true",
                   help="leave clips whose JSON already exists (resumes a batch that was stopped)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a Dask distributed cluster, one clip per task (e.g. tcp://host:8786; needs the "
                        "'cluster' extra; clip and --out paths must be valid on the workers); --jobs is then ignored")
    p.set_defaults(func=cmd_batch)


