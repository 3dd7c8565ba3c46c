"""Oral-ocular synkinesis: how much each eye narrows while the mouth moves (smile, pucker).

Pure numpy. Per side, the palpebral fissure height (mm, from `ClipAnalysis.fissure_mm`) is reduced
to one level per clip:

- rest clip: the *open* level, the median over frames outside blinks;
- task clip (smile, pucker): the *active* level, a low percentile over frames outside blinks, i.e.
  the narrowing the eye holds for at least that fraction of the task. A percentile rather than the
  minimum, so a single mis-tracked frame cannot make a narrowing; low rather than the median, so a
  task clip that starts and ends at rest still shows the held expression.

Blinks are left out by their events (onset..offset plus a margin); long eye closures (longer than a
blink) are kept, because a synkinetic eye that closes during a pucker is exactly what is measured.
(A rolling-baseline closure threshold would not do here: it would call the first seconds of a
held narrowing a closure and throw them away.)

narrowing % = 100 x (1 - task level / rest level), per side and task, with a 95 % interval from a
moving-block bootstrap of both levels (frames are correlated, so blocks of ~0.5 s are resampled).

eFACE-style ocular synkinesis score (100 = none): per task, the affected side's remaining fissure
relative to the healthy side's, ratio = (task/rest)_affected / (task/rest)_healthy, so the ~20 %
narrowing every healthy eye shows in a big smile cancels; score = 100 x ratio clipped to 0..100.
Tasks are combined with `params.pucker_weight` and `params.smile_weight` (pucker discriminates).

Its tunables (`fissure_*`, `pucker_weight`, `smile_weight`, `bootstrap_resamples`) live in
`core.params` like every other default of the measurement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from synkimeter.core.anatomy import SIDES
from synkimeter.core.params import DEFAULT_MEASUREMENT, MeasurementParams

REST_TASK = "rest"
MOUTH_TASKS = ("pucker", "smile")

_Z95 = 1.959964


@dataclass(frozen=True)
class FissureLevel:
    """One side's fissure height over a clip: the level (mm), its bootstrap standard error, frames used."""

    mm: float
    se_mm: float
    n_frames: int


@dataclass(frozen=True)
class Narrowing:
    """Eye narrowing of one side during one task, relative to rest (percent of the rest height)."""

    pct: float
    se_pct: float
    ci95_pct: tuple[float, float]
    rest_mm: float
    task_mm: float

    @property
    def remaining(self) -> float:
        """task / rest: the fraction of the rest fissure still open."""
        return 1.0 - self.pct / 100.0


@dataclass
class OcularScore:
    """eFACE-style ocular synkinesis: 100 = none, 0 = the affected eye closes completely."""

    score: float
    ci95: tuple[float, float]
    affected_side: str | None
    per_task: dict = field(default_factory=dict)  # task -> {"score", "ci95", "ratio", "weight"}


def event_mask(timestamps_s: np.ndarray, onset_s: np.ndarray | Sequence[float], offset_s: np.ndarray | Sequence[float],
               margin_s: float = 0.0) -> np.ndarray:
    """(T,) bool: frames inside any [onset - margin, offset + margin] interval (vectorised)."""
    t = np.asarray(timestamps_s, dtype=np.float64)
    onset = np.asarray(onset_s, dtype=np.float64).ravel()
    offset = np.asarray(offset_s, dtype=np.float64).ravel()
    keep = np.isfinite(onset) & np.isfinite(offset)
    if t.size == 0 or not keep.any():
        return np.zeros(t.shape, dtype=bool)
    order = np.argsort(t, kind="stable")
    ts = t[order]
    starts = np.searchsorted(ts, onset[keep] - margin_s, side="left")
    ends = np.searchsorted(ts, offset[keep] + margin_s, side="right")
    delta = np.zeros(ts.size + 1, dtype=np.int64)
    np.add.at(delta, starts, 1)
    np.add.at(delta, ends, -1)
    inside_sorted = np.cumsum(delta[:-1]) > 0
    inside = np.empty_like(inside_sorted)
    inside[order] = inside_sorted
    return inside


# Resampled values held at once by `block_bootstrap` (their indices and values: 4 MB).
_RESAMPLED_VALUES = 1 << 18


def block_bootstrap(values: np.ndarray, statistic: str, block: int, resamples: int, percentile: float = 50.0,
                    seed: int = 0) -> np.ndarray:
    """(resamples,) statistic of moving-block resamples of a 1-D series (correlated frames)."""
    values = np.asarray(values, dtype=np.float64)
    n = values.size
    if n == 0 or resamples <= 0:
        return np.full(max(resamples, 0), np.nan)
    block = int(min(max(block, 1), n))
    n_blocks = -(-n // block)
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, n - block + 1, size=(resamples, n_blocks))
    q = 50.0 if statistic == "median" else percentile
    # A few resamples at a time, as many as make `_RESAMPLED_VALUES`: all at once held resamples x n
    # values (30 MB a minute of video), 64 at a time still 1.7 MB a minute.
    out = np.empty(resamples)
    chunk = max(1, _RESAMPLED_VALUES // n)
    for first in range(0, resamples, chunk):
        rows = starts[first:first + chunk]
        idx = (rows[:, :, None] + np.arange(block)[None, None, :]).reshape(rows.shape[0], -1)[:, :n]
        out[first:first + chunk] = np.percentile(values[idx], q, axis=1)
    return out


def moving_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Centred moving mean over `window` samples (shrinking at the ends), same length."""
    values = np.asarray(values, dtype=np.float64)
    window = int(max(1, min(window, values.size)))
    if window <= 1:
        return values
    csum = np.concatenate([[0.0], np.cumsum(values)])
    i = np.arange(values.size)
    lo = np.clip(i - window // 2, 0, values.size)
    hi = np.clip(i - window // 2 + window, 0, values.size)
    return (csum[hi] - csum[lo]) / (hi - lo)


def fissure_level(timestamps_s: np.ndarray, fissure_mm: np.ndarray, exclude: np.ndarray | None = None,
                  kind: str = "open", params: MeasurementParams = DEFAULT_MEASUREMENT) -> FissureLevel:
    """One side's fissure level over a clip. kind "open" (rest: median) or "active" (task: low percentile)."""
    if kind not in ("open", "active"):
        raise ValueError(f"kind must be 'open' or 'active', not {kind!r}")
    t = np.asarray(timestamps_s, dtype=np.float64)
    f = np.asarray(fissure_mm, dtype=np.float64)
    use = np.isfinite(f) & np.isfinite(t)
    if exclude is not None:
        use &= ~np.asarray(exclude, dtype=bool)
    values = f[use]
    if values.size == 0:
        return FissureLevel(float("nan"), float("nan"), 0)
    steps = np.diff(t[np.isfinite(t)])
    steps = steps[steps > 0]
    dt = float(np.median(steps)) if steps.size else 1.0 / 30.0
    if kind == "active":
        # A low percentile of raw frames would read landmark jitter as narrowing: smooth first.
        values = moving_mean(values, int(round(params.fissure_smoothing_s / dt)))
    q = 50.0 if kind == "open" else float(params.fissure_task_percentile)
    level = float(np.percentile(values, q))
    block = int(round(params.fissure_bootstrap_block_s / dt))
    resamples = int(params.bootstrap_resamples)
    boot = block_bootstrap(values, "percentile", block, resamples, percentile=q)
    se = float(np.std(boot, ddof=1)) if boot.size > 1 and np.isfinite(boot).all() else float("nan")
    return FissureLevel(level, se, int(values.size))


def clip_fissure_levels(analysis,
                        params: MeasurementParams = DEFAULT_MEASUREMENT) -> dict[str, dict[str, FissureLevel]]:
    """Both levels, both sides, of one analysed clip (a `ClipAnalysis` or anything with its
    `timestamps_s`, `fissure_mm` and `blinks` attributes): {"right": {"open": .., "active": ..}, ...}.

    Blinks (not long, voluntary closures) are left out with a margin.
    """
    params = params if params is not None else getattr(analysis, "params_used", None)
    t = analysis.timestamps_s
    blinks = analysis.blinks
    voluntary = np.asarray(getattr(blinks, "voluntary", np.zeros(len(blinks.onset_s), dtype=bool)), dtype=bool)
    margin = float(params.fissure_blink_margin_s)
    masked = event_mask(t, np.asarray(blinks.onset_s)[~voluntary], np.asarray(blinks.offset_s)[~voluntary], margin)
    return {
        side: {kind: fissure_level(t, analysis.fissure_mm[side], masked, kind, params) for kind in ("open", "active")}
        for side in SIDES
    }


def narrowing(rest: FissureLevel, task: FissureLevel) -> Narrowing:
    """Narrowing % of the task level against the rest level, with a 95 % interval (error propagation)."""
    nan = float("nan")
    if not (np.isfinite(rest.mm) and np.isfinite(task.mm) and rest.mm > 0):
        return Narrowing(nan, nan, (nan, nan), rest.mm, task.mm)
    ratio = task.mm / rest.mm
    rel = np.hypot(np.nan_to_num(task.se_mm / task.mm if task.mm else 0.0), np.nan_to_num(rest.se_mm / rest.mm))
    se_ratio = abs(ratio) * float(rel)
    pct = 100.0 * (1.0 - ratio)
    se_pct = 100.0 * se_ratio
    return Narrowing(pct, se_pct, (pct - _Z95 * se_pct, pct + _Z95 * se_pct), rest.mm, task.mm)


def session_narrowing(rest_levels: dict, task_levels: dict[str, dict]) -> dict[str, dict[str, Narrowing]]:
    """{task: {side: Narrowing}} from a rest clip's levels and each task clip's levels."""
    return {
        task: {side: narrowing(rest_levels[side]["open"], levels[side]["active"]) for side in SIDES}
        for task, levels in task_levels.items()
    }


def ocular_synkinesis_score(narrowings: dict[str, dict[str, Narrowing]], affected_side: str | None = None,
                            params: MeasurementParams = DEFAULT_MEASUREMENT) -> OcularScore:
    """eFACE-style ocular synkinesis score from the session's narrowing per task and side.

    `affected_side`: the subject's affected side if known; otherwise the side that narrows more (by
    the task weights) is taken as affected. Tasks other than smile and pucker are ignored; a task
    missing from the session is left out and the weights of the others renormalised.
    """
    weights = {"pucker": float(params.pucker_weight), "smile": float(params.smile_weight)}
    tasks = {k: v for k, v in narrowings.items() if k in weights and weights[k] > 0
             and all(np.isfinite(v[s].pct) for s in SIDES)}
    nan = float("nan")
    if not tasks:
        return OcularScore(nan, (nan, nan), affected_side if affected_side in SIDES else None, {})
    if affected_side not in SIDES:
        total = {s: sum(weights[k] * tasks[k][s].pct for k in tasks) for s in SIDES}
        affected_side = "right" if total["right"] >= total["left"] else "left"
    healthy = "left" if affected_side == "right" else "right"
    per_task: dict[str, dict[str, float]] = {}
    for task, by_side in tasks.items():
        a, h = by_side[affected_side], by_side[healthy]
        ratio = a.remaining / h.remaining if h.remaining > 0 else nan
        rel = np.hypot((a.se_pct / 100.0) / a.remaining if a.remaining > 0 else np.inf,
                       (h.se_pct / 100.0) / h.remaining if h.remaining > 0 else np.inf)
        se = 100.0 * abs(ratio) * float(np.nan_to_num(rel, nan=np.inf))
        per_task[task] = {"ratio": ratio, "raw": 100.0 * ratio, "se": se, "weight": weights[task]}
    total_weight = sum(p["weight"] for p in per_task.values())
    raw = sum(p["weight"] * p["raw"] for p in per_task.values()) / total_weight
    se = float(np.sqrt(sum((p["weight"] * p["se"]) ** 2 for p in per_task.values()))) / total_weight

    def clip(x):
        return float(np.clip(x, 0.0, 100.0)) if np.isfinite(x) else nan

    scored: dict[str, dict[str, float | tuple[float, float]]] = {
        task: {**p, "score": clip(p["raw"]), "ci95": (clip(p["raw"] - _Z95 * p["se"]), clip(p["raw"] + _Z95 * p["se"]))}
        for task, p in per_task.items()
    }
    return OcularScore(clip(raw), (clip(raw - _Z95 * se), clip(raw + _Z95 * se)), affected_side, scored)


def oral_ocular_from_analyses(rest, tasks: dict, affected_side: str | None = None,
                              params: MeasurementParams = DEFAULT_MEASUREMENT) -> dict:
    """Convenience: a rest clip's analysis and {task: analysis} -> JSON-ready oral-ocular result."""
    rest_levels = clip_fissure_levels(rest, params)
    task_levels = {task: clip_fissure_levels(a, params) for task, a in tasks.items()}
    narrow = session_narrowing(rest_levels, task_levels)
    score = ocular_synkinesis_score(narrow, affected_side, params)
    return summary_dict(narrow, score)


def _f(x, digits: int = 2):
    x = float(x)
    return round(x, digits) if np.isfinite(x) else None


def summary_dict(narrow: dict[str, dict[str, Narrowing]], score: OcularScore) -> dict:
    """JSON-ready: {"narrowing": {task: {side: {...}}}, "ocular_synkinesis": {...}}."""
    return {
        "narrowing": {
            task: {
                side: {"pct": _f(n.pct, 1), "ci95_pct": [_f(n.ci95_pct[0], 1), _f(n.ci95_pct[1], 1)],
                       "rest_mm": _f(n.rest_mm, 3), "task_mm": _f(n.task_mm, 3)}
                for side, n in by_side.items()
            }
            for task, by_side in narrow.items()
        },
        "ocular_synkinesis": {
            "score": _f(score.score, 1),
            "ci95": [_f(score.ci95[0], 1), _f(score.ci95[1], 1)],
            "affected_side": score.affected_side,
            "per_task": {k: {"score": _f(v["score"], 1), "ci95": [_f(v["ci95"][0], 1), _f(v["ci95"][1], 1)],
                             "weight": v["weight"]} for k, v in score.per_task.items()},
        },
    }
