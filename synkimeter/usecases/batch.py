"""`synkimeter batch`: measure many clips at once, one JSON result per clip, on all cores.

    synkimeter batch archive/*.mp4 --out results/ [--jobs N] [--skip-existing]

Each clip is measured exactly as `synkimeter analyze CLIP --json ...` measures it (same pipeline,
one face mesh per clip, results identical); the clips are shared among N worker processes (default:
one per core), each with its own MediaPipe. The longest clips go first so the workers finish
together. A clip that cannot be measured is reported in one line and the others go on; the exit
code is 2 when any clip failed.

With `scheduler` (an address such as tcp://host:8786) the clips go to a Dask distributed cluster
instead, one clip per task (the optional extra `synkimeter[cluster]`); each task runs the same
`measure_clip` on a worker, which writes the clip's JSON itself, so the clip and output paths must
be valid on the workers (a shared folder). Skipping clips whose JSON exists (`skip_existing`)
makes a cluster run resumable like a local one.
"""

from __future__ import annotations

import os
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

_WORKER_DIED = "The measurement stopped unexpectedly (its worker process ended)."


class BatchError(Exception):
    """The batch cannot start at all (no cluster at that address, the extra not installed);
    str() is one plain sentence."""


@dataclass
class ClipOutcome:
    clip: str
    output: str | None  # the JSON written, None when the clip failed or was skipped
    frames: int
    seconds: float  # wall time spent on this clip in its worker
    error: str | None = None  # one plain sentence
    skipped: bool = False


def output_paths(clips: list[Path], out_dir: Path | None) -> list[Path]:
    """Where each clip's JSON goes: beside the clip, or in `out_dir` (same names made unique)."""
    if out_dir is None:
        return [clip.with_suffix(".json") for clip in clips]
    taken: set[str] = set()
    paths = []
    for clip in clips:
        name, n = f"{clip.stem}.json", 1
        while name in taken:
            n += 1
            name = f"{clip.stem}-{n}.json"
        taken.add(name)
        paths.append(out_dir / name)
    return paths


def measure_clip(clip: str, output: str, affected_side: str | None = None) -> ClipOutcome:
    """One clip, in a worker process: analyse and write its JSON (atomically)."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from synkimeter.io.export import write_json
    from synkimeter.usecases.analyze import ClipError, analyze_clip
    from synkimeter.usecases.settings import DEFAULT_SETTINGS

    start = time.perf_counter()
    try:
        result = analyze_clip(clip, DEFAULT_SETTINGS, affected_side=affected_side)
        write_json(result.result, output)
    except ClipError as exc:
        return ClipOutcome(clip, None, 0, time.perf_counter() - start, str(exc))
    except OSError as exc:
        return ClipOutcome(clip, None, 0, time.perf_counter() - start,
                           f"Could not write '{output}': {exc.strerror or exc}.")
    return ClipOutcome(clip, output, int(result.result.frames), time.perf_counter() - start)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def run_batch(clips: list[str | os.PathLike[str]], out_dir: str | os.PathLike[str] | None = None, jobs: int = 0,
              affected_side: str | None = None, skip_existing: bool = False,
              report=None, scheduler: str | None = None) -> list[ClipOutcome]:
    """Measure `clips` with `jobs` worker processes (0: one per core), or on the Dask cluster whose
    scheduler is at `scheduler` (`jobs` is then ignored: the cluster's workers set the pace);
    `report(outcome, done, total)` is called in this process as each clip finishes. Returns the
    outcomes in the clips' order. Raises BatchError when the cluster cannot be reached."""
    paths = [Path(c) for c in clips]
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    outputs = output_paths(paths, out)
    outcomes: list[ClipOutcome | None] = [None] * len(paths)
    todo = []
    for i, (clip, output) in enumerate(zip(paths, outputs)):
        if skip_existing and output.exists():
            outcomes[i] = ClipOutcome(str(clip), str(output), 0, 0.0, skipped=True)
        else:
            todo.append(i)
    done = len(paths) - len(todo)
    if report is not None:
        for outcome in outcomes:
            if outcome is not None:
                report(outcome, done, len(paths))
    todo.sort(key=lambda i: _size(paths[i]), reverse=True)  # longest first: the workers end together
    jobs = max(1, min(int(jobs) or os.cpu_count() or 1, len(todo) or 1))
    if not todo:
        return [o for o in outcomes if o is not None]
    if scheduler:
        _run_on_cluster(scheduler, todo, paths, outputs, outcomes, done, affected_side, report)
        return [o for o in outcomes if o is not None]
    import multiprocessing

    # spawn: a clean interpreter per worker (no forked MediaPipe or Qt threads), on every platform.
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        pending: dict[Future, int] = {}
        queue = list(todo)
        try:
            while queue or pending:
                while queue and len(pending) < 2 * jobs:  # a few queued ahead, not the whole archive
                    i = queue.pop(0)
                    try:
                        pending[pool.submit(measure_clip, str(paths[i]), str(outputs[i]), affected_side)] = i
                    except BrokenProcessPool:  # a worker died: the pool is unusable; say so per clip
                        outcomes[i] = ClipOutcome(str(paths[i]), None, 0, 0.0, _WORKER_DIED)
                        done += 1
                        if report is not None:
                            report(outcomes[i], done, len(paths))
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    i = pending.pop(future)
                    try:
                        outcome = future.result()
                    except Exception:  # a worker died (out of memory, a crash in MediaPipe)
                        outcome = ClipOutcome(str(paths[i]), None, 0, 0.0, _WORKER_DIED)
                    outcomes[i] = outcome
                    done += 1
                    if report is not None:
                        report(outcome, done, len(paths))
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return [o for o in outcomes if o is not None]


def _run_on_cluster(scheduler: str, todo: list[int], paths: list[Path], outputs: list[Path],
                    outcomes: list[ClipOutcome | None], done: int, affected_side: str | None, report) -> None:
    """Each clip of `todo` as one task on the cluster (longest first); outcomes filled in place."""
    try:
        from distributed import Client, as_completed
    except ImportError as exc:
        raise BatchError("Running on a cluster needs Dask distributed: install synkimeter with the extra "
                         "'cluster' (pip install 'synkimeter[cluster]').") from exc
    try:
        client = Client(scheduler, timeout=CLUSTER_CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise BatchError(f"No Dask scheduler answered at '{scheduler}' ({exc}).") from exc
    total = len(paths)
    try:
        futures = {}
        for i in todo:
            # Its own task name per clip and output (not content-hashed: a clip measured again is
            # measured, not looked up); a failed task is not retried (the error is the answer).
            future = client.submit(measure_clip, str(paths[i]), str(outputs[i]), affected_side,
                                   key=f"synkimeter-batch-{uuid.uuid4().hex}", pure=False,
                                   priority=_size(paths[i]), retries=0)
            futures[future] = i
        for future in as_completed(list(futures), loop=client.loop):
            i = futures.pop(future)
            try:
                outcome = future.result()
            except Exception as exc:  # the task raised, or its worker died (KilledWorker)
                outcome = ClipOutcome(str(paths[i]), None, 0, 0.0,
                                      f"The measurement stopped unexpectedly on the cluster ({type(exc).__name__}: "
                                      f"{exc}).")
            outcomes[i] = outcome
            done += 1
            if report is not None:
                report(outcome, done, total)
    finally:
        client.close()


CLUSTER_CONNECT_TIMEOUT_S = 10.0

__all__ = ["BatchError", "ClipOutcome", "measure_clip", "output_paths", "run_batch"]
