"""A patient's scores over sessions, each with its 95 % interval, and baseline against latest.

A session's score for a metric comes from its last complete clip of the metric's task (ocular-oral
from `natural_blinking`, narrowing from `smile`/`pucker` against the session's `rest`, the mouth
during held eye closures from `gentle_closure`, else `forceful_blink`, else any clip with held
closures); the ocular synkinesis score is per session. Only complete sessions are trended.

Baseline: the earliest complete session of kind 'baseline' (else the earliest complete session).
Latest: the most recent complete session after it that has the metric.

Is a change real? Two floors, and it must clear both:
- within the recordings: each interval is turned into a standard error (half-width / 1.96;
  asymmetric intervals use the half towards the other value), combined in quadrature, x 1.96;
- between sessions: the minimal detectable change (MDC95) measured for this tool on one real face
  and coupling recorded nearer and further, darker and brighter, tilted, compressed and under camera
  motion (`MeasurementParams.*_between_sd*`, docs/validation.md); it grows with the movement.
  Distance, light and pose change a reading more than one recording's own noise says.
The patient's own Synkinesis Assessment Questionnaire (SAQ) total is trended beside the measurements, by
the date it was answered (`Trends.questionnaires`); its first against latest is judged against the SAQ's
own smallest detectable change (`core.questionnaire.SaqChange`), not against the measurement's floors.

And it must matter: a side within the healthy range (`healthy_floor_mm`) at both visits is
"healthy at both visits", never "improved" or "worse". Whether the two intervals overlap is reported
too (non-overlap is the stricter, simpler test a reader can see).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from synkimeter.core.questionnaire import SaqChange
from synkimeter.store.records import Patient, SaqRecord
from synkimeter.usecases.settings import DEFAULT_SETTINGS, Settings

if TYPE_CHECKING:  # the database layer (SQLAlchemy) loads when a store is opened, not with this module
    from synkimeter.store.database import Store

Z95 = 1.959964
SIDES = ("right", "left")


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str
    task: str | None  # None: a session-level score
    column: str  # "{side}_" prefixed when per_side
    ci: tuple[str, str] | None
    per_side: bool = True
    better: str = "lower"  # which direction is improvement
    scale: float = 1.0  # stored value x scale = shown value
    digits: int = 2
    # Settings fields (stored units): the between-session SD (absolute, and the fraction of the
    # value it grows by), and the healthy upper limit.
    between_sd: tuple[str, str | None] | None = None
    healthy_param: str | None = None
    count: str | None = None  # the per-side column counting what the value pools (blinks, closures)
    full_range: float | None = None  # the largest shown value (a fraction's 100 %); None: open-ended

    def can_change(self, params: Settings = DEFAULT_SETTINGS) -> bool:
        """Whether a real change can show between two sessions at all: not when the smallest change
        repeat recordings do not reach (from 0 to 0) is more than half the measure's whole range
        (the fraction of blinks over 1 mm needs +/-72 %). Such a measure is listed, never trended."""
        if self.full_range is None:
            return True
        floor = minimal_detectable_change(self, 0.0, 0.0, params)
        return math.isnan(floor) or floor < self.full_range / 2

# The held eye closures' figure is read from the stored result documents (not a column): the
# session's gentle eye closure clip, else its forceful blink clip, else any clip with one.
HELD_CLOSURE = "held_eye_closure"
CLOSURE_TASKS = ("gentle_closure", "forceful_blink")

METRICS = (
    # The headline per-side score (as `analyze` leads with it): the peak of the blink-averaged trace.
    Metric("ocular_oral_average_peak", "Mouth-corner movement during blinks (blink-averaged)", "mm",
           "natural_blinking", "average_peak_mm", ("average_ci_low_mm", "average_ci_high_mm"),
           between_sd=("ocular_oral_between_sd_mm", "ocular_oral_between_sd_fraction"),
           healthy_param="healthy_floor_mm", count="n"),
    Metric("ocular_oral_median", "Mouth-corner movement per blink (median)", "mm", "natural_blinking",
           "median_mm", ("ci_low_mm", "ci_high_mm"),
           between_sd=("ocular_oral_median_between_sd_mm", "ocular_oral_median_between_sd_fraction"),
           healthy_param="healthy_blink_peak_mm", count="n"),
    Metric("coupled_fraction", "Blinks with mouth-corner movement over 1 mm", "%", "natural_blinking",
           "coupled_fraction", None, scale=100.0, digits=0, between_sd=("coupled_fraction_between_sd", None),
           count="n", full_range=100.0),
    # Between-session spread not measured yet: judged on the recordings' own intervals.
    Metric("closure_ocular_oral", "Mouth-corner movement during held eye closures (median)", "mm", HELD_CLOSURE,
           "closure_median_mm", ("closure_ci_low_mm", "closure_ci_high_mm"), healthy_param="healthy_floor_mm",
           count="closure_n"),
    Metric("narrowing_pucker", "Eye narrowing during pucker", "%", "pucker", "narrowing_pct",
           ("narrowing_ci_low_pct", "narrowing_ci_high_pct"), digits=1),
    Metric("narrowing_smile", "Eye narrowing during smile", "%", "smile", "narrowing_pct",
           ("narrowing_ci_low_pct", "narrowing_ci_high_pct"), digits=1),
    Metric("ocular_synkinesis", "Ocular synkinesis score (eFACE-style, 100 = none)", "points", None,
           "ocular_score", ("ocular_ci_low", "ocular_ci_high"), per_side=False, better="higher", digits=0),
)
METRIC_BY_KEY = {m.key: m for m in METRICS}
# Said beside a change judged without a between-session floor (`Change.mdc` NaN: not measured for the
# metric): the verdict then rests on the two recordings' intervals alone.
NO_FLOOR = "no between-session floor measured for this measure: judged on the recordings' intervals only"


@dataclass(frozen=True)
class Point:
    session_id: int
    started_at: str
    kind: str
    value: float
    ci_low: float | None
    ci_high: float | None
    n: int | None = None
    baseline: bool = False

    @property
    def date(self) -> str:
        return self.started_at[:10]


@dataclass
class Series:
    metric: Metric
    side: str | None  # None for a session-level score
    points: list[Point] = field(default_factory=list)


@dataclass(frozen=True)
class Change:
    metric: Metric
    side: str | None
    baseline: Point
    latest: Point
    change: float
    noise_95: float  # 1.96 x combined standard error; NaN if either point has no interval
    beyond_noise: bool | None  # beyond both floors; None when no interval is known
    intervals_overlap: bool | None
    mdc: float = math.nan  # the between-session floor in shown units (NaN: not measured for this metric)
    healthy_at_both: bool = False

    @property
    def has_floor(self) -> bool:
        """Whether the between-session floor (MDC95) has been measured for this metric."""
        return not math.isnan(self.mdc)

    @property
    def threshold(self) -> float:
        """The change a verdict needs: the larger of the two floors."""
        return max((v for v in (self.noise_95, self.mdc) if not math.isnan(v)), default=math.nan)

    @property
    def verdict(self) -> str:
        if self.healthy_at_both:
            return "healthy at both visits"
        if self.beyond_noise is None:
            return "no interval to judge"
        if not self.beyond_noise:
            return "within noise"
        improved = (self.change < 0) == (self.metric.better == "lower")
        return "improved" if improved else "worse"


@dataclass
class Trends:
    patient: Patient
    sessions: list  # Session records, oldest first (all statuses)
    baseline_session_id: int | None
    series: list[Series]
    changes: list[Change]
    questionnaires: list[SaqRecord] = field(default_factory=list)  # the patient's SAQ answers, oldest first

    @property
    def saq_change(self) -> SaqChange | None:
        """The SAQ total at the first answers against the latest; None with fewer than two."""
        return SaqChange.of(self.questionnaires)

    def get(self, key: str, side: str | None = None) -> Series | None:
        for s in self.series:
            if s.metric.key == key and s.side == side:
                return s
        return None


def wilson_interval(fraction: float, n: int, z: float = Z95) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion (coupled fraction of n blinks)."""
    if not n:
        return (math.nan, math.nan)
    denom = 1 + z * z / n
    centre = (fraction + z * z / (2 * n)) / denom
    half = z * math.sqrt(fraction * (1 - fraction) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def _point_from_row(metric: Metric, side: str | None, row: dict, baseline_id: int | None) -> Point | None:
    prefix = f"{side}_" if metric.per_side else ""
    value = row.get(prefix + metric.column)
    if value is None:
        return None
    lo = hi = None
    n = row.get(prefix + metric.count) if metric.per_side and metric.count else None
    if metric.ci:
        lo, hi = row.get(prefix + metric.ci[0]), row.get(prefix + metric.ci[1])
    elif metric.key == "coupled_fraction" and n:
        lo, hi = wilson_interval(float(value), int(n))
    s = metric.scale
    return Point(row["session_id"], row["started_at"], row["kind"], float(value) * s,
                 None if lo is None else float(lo) * s, None if hi is None else float(hi) * s,
                 n, row["session_id"] == baseline_id)


def _se_towards(p: Point, other: float) -> float:
    if p.ci_low is None or p.ci_high is None:
        return math.nan
    half = (p.ci_high - p.value) if other >= p.value else (p.value - p.ci_low)
    return max(half, 0.0) / Z95


def minimal_detectable_change(metric: Metric, before: float, after: float,
                              params: Settings = DEFAULT_SETTINGS) -> float:
    """The smallest change between two sessions (shown units) that repeat recordings of the same face
    do not reach, 95 % of the time; NaN where it has not been measured for the metric."""
    if metric.between_sd is None:
        return math.nan
    absolute, fraction = metric.between_sd
    sd_abs = getattr(params, absolute)
    grow = getattr(params, fraction) if fraction else 0.0

    def sd(value: float) -> float:
        return math.hypot(sd_abs, grow * value / metric.scale)

    return Z95 * math.hypot(sd(before), sd(after)) * metric.scale


def compare(metric: Metric, side: str | None, baseline: Point, latest: Point,
            params: Settings = DEFAULT_SETTINGS) -> Change:
    change = latest.value - baseline.value
    se = math.hypot(_se_towards(baseline, latest.value), _se_towards(latest, baseline.value))
    noise = Z95 * se
    mdc = minimal_detectable_change(metric, baseline.value, latest.value, params)
    beyond = None if math.isnan(noise) else abs(change) > max(noise, 0.0 if math.isnan(mdc) else mdc)
    overlap = None
    b_low, b_high, l_low, l_high = baseline.ci_low, baseline.ci_high, latest.ci_low, latest.ci_high
    if b_low is not None and b_high is not None and l_low is not None and l_high is not None:
        overlap = not (l_low > b_high or l_high < b_low)
    healthy = getattr(params, metric.healthy_param) * metric.scale if metric.healthy_param else math.nan
    healthy_at_both = bool(baseline.value <= healthy and latest.value <= healthy)
    return Change(metric, side, baseline, latest, change, noise, beyond, overlap, mdc, healthy_at_both)


def _closure_rows(store: Store, rows: list[dict]) -> dict[int, dict]:
    """Per session, the held eye closures' figure as a row of columns (`Metric` reads them): from the
    session's last gentle eye closure clip that has one, else its forceful blink's, else any clip's."""
    def rank(i: int) -> tuple[int, int]:  # the preferred task first, the last clip of it first
        task = rows[i]["task"]
        return (CLOSURE_TASKS.index(task) if task in CLOSURE_TASKS else len(CLOSURE_TASKS), -i)

    out: dict[int, dict] = {}
    for i in sorted(range(len(rows)), key=rank):
        r = rows[i]
        if r["session_id"] in out:
            continue
        clip = store.clip(r["clip_id"])
        document = store.summary(clip) if clip is not None else None
        figure = (document or {}).get("closure_ocular_oral") or {}
        if not any(figure.get(side) for side in SIDES):
            continue
        row = {"session_id": r["session_id"], "started_at": r["started_at"], "kind": r["kind"]}
        for side in SIDES:
            d = figure.get(side) or {}
            low, high = d.get("ci95_mm") or (None, None)
            row.update({f"{side}_closure_median_mm": d.get("median_mm"), f"{side}_closure_ci_low_mm": low,
                        f"{side}_closure_ci_high_mm": high, f"{side}_closure_n": d.get("n")})
        out[r["session_id"]] = row
    return out


def patient_trends(store: Store, patient: Patient | str) -> Trends:
    if isinstance(patient, str):
        patient = store.require_patient(patient)
    sessions = store.sessions(patient)
    complete = [s for s in sessions if s.status == "complete"]
    baseline = next((s for s in complete if s.kind == "baseline"), complete[0] if complete else None)
    baseline_id = baseline.id if baseline else None
    complete_ids = {s.id for s in complete}

    rows = [r for r in store.results(patient) if r["session_id"] in complete_ids and r["clip_status"] == "complete"]
    # per session and task: the last complete clip
    by_session_task: dict[tuple[int, str], dict] = {}
    session_rows: dict[int, dict] = {}
    for r in rows:
        by_session_task[(r["session_id"], r["task"])] = r
        session_rows[r["session_id"]] = r
    for session_id, held in _closure_rows(store, rows).items():
        by_session_task[(session_id, HELD_CLOSURE)] = held

    series_list, changes = [], []
    for metric in METRICS:
        for side in (SIDES if metric.per_side else (None,)):
            series = Series(metric, side)
            for s in complete:
                row = session_rows.get(s.id) if metric.task is None else by_session_task.get((s.id, metric.task))
                if row is None:
                    continue
                point = _point_from_row(metric, side, row, baseline_id)
                if point is not None:
                    series.points.append(point)
            series_list.append(series)
            base = next((p for p in series.points if p.baseline), None)
            later = [p for p in series.points if base is not None and p.session_id != base.session_id
                     and (p.started_at, p.session_id) > (base.started_at, base.session_id)]
            if base is not None and later and metric.can_change():
                changes.append(compare(metric, side, base, later[-1]))
    return Trends(patient, sessions, baseline_id, series_list, changes, store.questionnaires(patient))
