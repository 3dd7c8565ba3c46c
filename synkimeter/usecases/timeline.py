"""A patient's treatment timeline set against the measured coupling (issue 18).

Pure functions over the trend series (`usecases.trends`), the treatment events and the practice sets
the store keeps; `patient_timeline` loads them. Nothing here claims more than the measurement:

- **Cycles.** Each botulinum toxin injection starts a cycle that runs to the next injection, or to
  `CYCLE_DEFAULT_WEEKS` after it (the effect usually lasts 3-5 months), or to today, whichever comes
  first (the shaded band on every trend).
- **Before and after an injection.** Per side of the headline score (the blink-averaged mouth-corner
  movement): the last session in the `BEFORE_WEEKS` before the injection against the *first* session
  `AFTER_FROM_DAYS` days to `AFTER_WEEKS` weeks after it (the toxin takes a few days to act), and before
  the next injection. The first session, not the best one: picking the lowest of several would flatter
  the effect. The difference is judged by `trends.compare`: it must exceed both the recordings' own
  uncertainty and the between-session floor (MDC95) to count as beyond noise.
- **Weeks since the last injection**, beside the latest session, with the usual course of the effect
  (stated as the usual course, not as a measurement).
- **Practice against outcome.** Practice sets per week and their share of clean attempts; over the
  span from the last session before practice began to the latest session, whether a regular practice
  (at least `REGULAR_SETS_PER_WEEK` sets a week on average) went with a fall in the coupling beyond
  the floor, or whether the change could not be told apart from measurement noise. An injection in
  the same span is named: the two cannot be told apart by the measurement.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from datetime import timedelta

from synkimeter.usecases.practice import counted_sets
from synkimeter.usecases.settings import DEFAULT_SETTINGS, Settings
from synkimeter.usecases.trends import METRIC_BY_KEY, Change, Point, Series, Trends, compare

HEADLINE = "ocular_oral_average_peak"
SIDES = ("right", "left")
CYCLE_DEFAULT_WEEKS = 17  # about 4 months: the shaded cycle when no later injection ends it
BEFORE_WEEKS = 26  # the "before" session is at most this long before the injection
AFTER_FROM_DAYS = 7  # the toxin takes some days to act: sessions earlier than this are not "after"
AFTER_WEEKS = 12
REGULAR_SETS_PER_WEEK = 3.0
WEAR_OFF_WEEKS = (12, 20)  # the effect usually wears off 3-5 months after an injection

KIND_LABELS = {"botox": "Botulinum toxin", "therapy-start": "Therapy started", "therapy-stop": "Therapy stopped",
               "therapy-change": "Therapy changed", "surgery": "Surgery", "other": "Other"}
SHORT_LABELS = {"botox": "BoNT", "therapy-start": "therapy start", "therapy-stop": "therapy stop",
                "therapy-change": "therapy change", "surgery": "surgery", "other": "other"}


@dataclass(frozen=True)
class Event:
    id: int
    date: str  # YYYY-MM-DD
    kind: str
    side: str | None = None
    detail: str = ""
    units: float | None = None
    muscles: str = ""
    product: str = ""

    @property
    def day(self) -> dt.date:
        return dt.date.fromisoformat(self.date)

    @property
    def label(self) -> str:
        """A marker's short label: 'BoNT R 20 U', 'therapy start', 'surgery'."""
        side = {"right": " R", "left": " L", "both": " R+L"}.get(self.side or "", "")
        units = f" {self.units:g} U" if self.units is not None else ""
        text = SHORT_LABELS.get(self.kind, self.kind) + side + units
        if self.kind in ("other", "therapy-start", "therapy-change") and self.detail:
            text += f": {self.detail[:24]}" + ("…" if len(self.detail) > 24 else "")
        return text

    @property
    def description(self) -> str:
        """One line for lists and the report: kind, side, product, units, muscles, detail."""
        bits = [KIND_LABELS.get(self.kind, self.kind)]
        if self.side:
            bits.append(f"{self.side} side" if self.side != "both" else "both sides")
        if self.product:
            bits.append(self.product)
        if self.units is not None:
            bits.append(f"{self.units:g} units")
        if self.muscles:
            bits.append(self.muscles)
        if self.detail:
            bits.append(self.detail)
        return ", ".join(bits)


@dataclass(frozen=True)
class SideEffect:
    """One side's score before against after one injection (`change` None: no pair of sessions)."""

    side: str
    before: Point | None
    after: Point | None
    change: Change | None

    @property
    def verdict(self) -> str:
        if self.change is None:
            if self.before is None and self.after is None:
                return "no session before or after"
            if self.before is None:
                return "no session before"
            return f"no session {AFTER_FROM_DAYS} days to {AFTER_WEEKS} weeks after"
        c = self.change
        if c.verdict == "healthy at both visits":
            return "healthy before and after"
        if c.beyond_noise is None:
            return "no interval to judge"
        if not c.beyond_noise:
            return "within noise"
        return "lower after (beyond noise)" if c.change < 0 else "higher after (beyond noise)"


@dataclass(frozen=True)
class Cycle:
    """One botulinum toxin cycle: from the injection to `end` (the shaded band)."""

    number: int
    event: Event
    start: str
    end: str
    end_reason: str  # "next injection", "about 4 months", "today"
    effects: tuple[SideEffect, ...] = ()
    sessions_in_cycle: int = 0

    def effect(self, side: str) -> SideEffect | None:
        return next((e for e in self.effects if e.side == side), None)


@dataclass(frozen=True)
class PracticeWeek:
    week_start: str  # the Monday, YYYY-MM-DD
    sets: int
    judged: int
    clean: int

    @property
    def clean_pct(self) -> float:
        return 100.0 * self.clean / self.judged if self.judged else math.nan


@dataclass(frozen=True)
class PracticeOutcome:
    """Whether a span of practice went with a falling coupling on one side."""

    side: str
    start: str  # the session before (or at) the start of practice
    end: str  # the latest session
    weeks: float
    sets: int
    sets_per_week: float
    clean_pct: float
    regular: bool
    change: Change | None
    injections_in_span: int
    sentence: str


@dataclass(frozen=True)
class SinceInjection:
    injection: Event
    session_date: str
    weeks: float
    sentence: str  # to the patient ("your last injection")
    clinical: str = ""  # for the report ("the last injection")

    @property
    def short(self) -> str:
        """Beside the latest session on a trend: '24 weeks after injection'."""
        days = (_day(self.session_date) - self.injection.day).days
        return f"{days} days after injection" if days < 14 else f"{self.weeks:.0f} weeks after injection"


@dataclass
class Timeline:
    events: list[Event]
    cycles: list[Cycle]
    practice_weeks: list[PracticeWeek]
    outcomes: list[PracticeOutcome] = field(default_factory=list)
    since_injection: SinceInjection | None = None
    today: str = ""

    @property
    def markers(self) -> list[tuple[str, str, str]]:
        """(date, short label, kind) per event: the vertical lines on every trend."""
        return [(e.date, e.label, e.kind) for e in self.events]

    @property
    def shading(self) -> list[tuple[str, str]]:
        """(start, end) of each botulinum toxin cycle: the shaded bands."""
        return [(c.start, c.end) for c in self.cycles]


def event_from_row(row: dict) -> Event:
    return Event(int(row["id"]), str(row["date"])[:10], str(row["kind"]), row.get("side"), row.get("detail") or "",
                 row.get("units"), row.get("muscles") or "", row.get("product") or "")


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text[:10])


def _weeks(a: dt.date, b: dt.date) -> float:
    return (b - a).days / 7.0


def cycles(events: list[Event], series_by_side: dict[str, Series], today: dt.date,
           params: Settings = DEFAULT_SETTINGS) -> list[Cycle]:
    """Every botulinum toxin cycle with its before/after figures per side (see the module's doc)."""
    shots = sorted((e for e in events if e.kind == "botox"), key=lambda e: (e.date, e.id))
    metric = METRIC_BY_KEY[HEADLINE]
    out = []
    for i, shot in enumerate(shots):
        start = shot.day
        following = next((s.day for s in shots[i + 1:] if s.day > start), None)
        default_end = start + timedelta(weeks=CYCLE_DEFAULT_WEEKS)
        if following is not None and following <= default_end:
            end, reason = following, "next injection"
        elif default_end <= today:
            end, reason = default_end, "about 4 months"
        else:
            end, reason = today, "today"
        effects = []
        in_cycle: set[int] = set()
        for side, series in series_by_side.items():
            points = sorted(series.points, key=lambda p: (p.started_at, p.session_id))
            in_cycle |= {p.session_id for p in points if start <= _day(p.started_at) < end}
            before = [p for p in points if start - timedelta(weeks=BEFORE_WEEKS) <= _day(p.started_at) < start]
            after = [p for p in points if start + timedelta(days=AFTER_FROM_DAYS) <= _day(p.started_at)
                     <= start + timedelta(weeks=AFTER_WEEKS) and (following is None or _day(p.started_at) < following)]
            b = before[-1] if before else None
            a = after[0] if after else None
            change = compare(metric, side, b, a, params) if b is not None and a is not None else None
            effects.append(SideEffect(side, b, a, change))
        out.append(Cycle(i + 1, shot, start.isoformat(), end.isoformat(), reason, tuple(effects), len(in_cycle)))
    return out


def practice_weeks(sets: list[dict]) -> list[PracticeWeek]:
    """Practice sets per calendar week (Monday first), with the weeks between without any set, oldest first."""
    by_week: dict[dt.date, list[int]] = {}
    for s in sets:
        try:
            day = _day(str(s["started_at"]))
        except ValueError:
            continue
        monday = day - timedelta(days=day.weekday())
        counts = by_week.setdefault(monday, [0, 0, 0])
        counts[0] += 1
        counts[1] += int(s.get("judged") or 0)
        counts[2] += int(s.get("clean") or 0)
    if not by_week:
        return []
    out, week, last = [], min(by_week), max(by_week)
    while week <= last:
        n, judged, clean = by_week.get(week, [0, 0, 0])
        out.append(PracticeWeek(week.isoformat(), n, judged, clean))
        week += timedelta(weeks=1)
    return out


def _fmt(value: float, digits: int) -> str:
    return f"{value:.{digits}f}"


def practice_outcome(side: str, series: Series, sets: list[dict], events: list[Event],
                     params: Settings = DEFAULT_SETTINGS) -> PracticeOutcome | None:
    """Over the span from the last session before practice began (else the first session) to the latest
    session: the practice done in it and whether the coupling on `side` fell beyond the floor."""
    points = sorted(series.points, key=lambda p: (p.started_at, p.session_id))
    days = sorted(_day(str(s["started_at"])) for s in sets)
    if len(points) < 2 or not days:
        return None
    first_practice = days[0]
    before = [p for p in points if _day(p.started_at) <= first_practice]
    start = before[-1] if before else points[0]
    end = points[-1]
    if end.session_id == start.session_id:
        return None
    d0, d1 = _day(start.started_at), _day(end.started_at)
    weeks = max(_weeks(d0, d1), 1.0)
    in_span = [s for s in sets if d0 <= _day(str(s["started_at"])) <= d1]
    n = len(in_span)
    judged = sum(int(s.get("judged") or 0) for s in in_span)
    clean = sum(int(s.get("clean") or 0) for s in in_span)
    clean_pct = 100.0 * clean / judged if judged else math.nan
    per_week = n / weeks
    regular = per_week >= REGULAR_SETS_PER_WEEK
    change = compare(METRIC_BY_KEY[HEADLINE], side, start, end, params)
    shots = sum(1 for e in events if e.kind == "botox" and d0 <= e.day <= d1)
    months = weeks / 4.345
    span = f"from {start.date} to {end.date} ({months:.0f} month{'s' if round(months) != 1 else ''})" \
        if months >= 1.5 else f"from {start.date} to {end.date} ({weeks:.0f} weeks)"
    clean_text = f", {clean_pct:.0f} % of attempts clean" if judged else ""
    practice = f"{n} practice set{'s' if n != 1 else ''} {span}, {per_week:.1f} a week{clean_text}"
    moved = (f"the {side} mouth-corner movement during blinks went from {_fmt(start.value, 2)} to "
             f"{_fmt(end.value, 2)} mm")
    floor = change.threshold
    noise = f"±{_fmt(floor, 2)} mm" if math.isfinite(floor) else "unknown"
    if not regular:
        sentence = (f"{practice.capitalize()}: fewer than {REGULAR_SETS_PER_WEEK:g} sets a week, so not a regular "
                    f"practice to set against the measurements ({moved}).")
    elif change.beyond_noise is None:
        sentence = f"{practice.capitalize()}; {moved}, but without intervals the change cannot be judged."
    elif change.verdict == "healthy at both visits":
        sentence = f"{practice.capitalize()}; {moved}, within the healthy range at both sessions."
    elif not change.beyond_noise:
        sentence = (f"{practice.capitalize()}; {moved}: a change that could not be told apart from "
                    f"measurement noise (it needs more than {noise}).")
    elif change.change < 0:
        sentence = (f"{practice.capitalize()}; {moved}, more than the measurement noise ({noise}): the months of "
                    "regular practice went with a falling coupling.")
    else:
        sentence = (f"{practice.capitalize()}; {moved}, a rise beyond the measurement noise ({noise}) despite "
                    "regular practice.")
    if shots:
        sentence += (f" {shots} botulinum toxin injection{'s' if shots != 1 else ''} fell in the same span: the "
                     "measurement cannot tell the practice's part from the injections'.")
    return PracticeOutcome(side, start.date, end.date, weeks, n, per_week, clean_pct, regular, change, shots, sentence)


def since_injection(events: list[Event], latest_session: str | None) -> SinceInjection | None:
    """Weeks from the last injection on or before the latest session to that session, with the usual course."""
    if not latest_session:
        return None
    day = _day(latest_session)
    shots = [e for e in events if e.kind == "botox" and e.day <= day]
    if not shots:
        return None
    shot = max(shots, key=lambda e: (e.date, e.id))
    weeks = _weeks(shot.day, day)
    lo, hi = WEAR_OFF_WEEKS
    if weeks < 2:
        when = f"{(day - shot.day).days} days after your last injection"
        course = "its effect usually builds up over the first two weeks."
    elif weeks < lo:
        when = f"{weeks:.0f} weeks after your last injection"
        course = f"its effect usually lasts about {lo}-{hi} weeks (3-5 months)."
    elif weeks <= hi:
        when = f"{weeks:.0f} weeks after your last injection"
        course = "the effect usually wears off about now."
    else:
        when = f"{weeks:.0f} weeks after your last injection"
        course = "its effect has usually worn off by now."
    sentence = (f"Your latest session ({day.isoformat()}) was {when}: {course} "
                "(This is the usual course of an injection, not something this recording measured.)")
    clinical = (f"The latest session ({day.isoformat()}) was {when.replace('your', 'the')} ({shot.date}); "
                f"{course[0].lower()}{course[1:]} This is the usual course of an injection, not a measurement.")
    return SinceInjection(shot, day.isoformat(), weeks, sentence, clinical)


def build_timeline(trends: Trends, events: list[Event], sets: list[dict], today: dt.date | None = None,
                   params: Settings = DEFAULT_SETTINGS) -> Timeline:
    today = today or dt.date.today()
    events = sorted(events, key=lambda e: (e.date, e.id))
    series_by_side = {side: s for side in SIDES if (s := trends.get(HEADLINE, side)) is not None}
    outcome_sides = [trends.patient.affected_side] if trends.patient.affected_side in SIDES else list(SIDES)
    outcomes = [o for side in outcome_sides if side in series_by_side
                and (o := practice_outcome(side, series_by_side[side], sets, events, params)) is not None]
    latest = max((p.started_at for s in series_by_side.values() for p in s.points), default=None)
    return Timeline(events, cycles(events, series_by_side, today, params), practice_weeks(sets), outcomes,
                    since_injection(events, latest), today.isoformat())


def patient_timeline(store, patient, trends: Trends | None = None, today: dt.date | None = None) -> Timeline:
    """The patient's timeline from the store (`trends`: reuse one already computed)."""
    from synkimeter.usecases.trends import patient_trends

    trends = trends or patient_trends(store, patient)
    events = [event_from_row(r) for r in store.events(trends.patient)]
    return build_timeline(trends, events, counted_sets(store.practice_sets(trends.patient)), today)


def add_event(store, patient, kind: str, day: str, *, side: str | None = None, detail: str = "",
              units: float | None = None, muscles: str = "", product: str = "") -> Event:
    """Keep a treatment event (the store checks it: kind, day not in the future, side, units)."""
    if isinstance(patient, str):
        patient = store.require_patient(patient)
    number = store.add_event(patient, kind, day, side=side, detail=detail, units=units, muscles=muscles,
                             product=product)
    return next(event_from_row(r) for r in store.events(patient) if r["id"] == number)


def place_on_sessions(day: str, sessions: list[str]) -> float:
    """A date's place on a trend whose sessions stand one place each (1, 2, ...), in order of date:
    linear between the two sessions it falls between, half a place beyond the first/last session at
    most (so a marker before the first session stands left of it, never off the plot)."""
    d = _day(day).toordinal()
    keys = [_day(s).toordinal() for s in sessions]
    if not keys:
        return 1.0
    if d <= keys[0]:
        span = (keys[1] - keys[0]) if len(keys) > 1 and keys[1] > keys[0] else 30
        return 1.0 - min(0.45, 0.45 * (keys[0] - d) / max(span, 1) * 2)
    if d >= keys[-1]:
        span = (keys[-1] - keys[-2]) if len(keys) > 1 and keys[-1] > keys[-2] else 30
        return len(keys) + min(0.45, 0.45 * (d - keys[-1]) / max(span, 1) * 2)
    for i in range(len(keys) - 1):
        a, b = keys[i], keys[i + 1]
        if a <= d <= b:
            if b == a:
                return i + 1.0
            # sessions of one day stand at consecutive places: the last place of the day a counts
            return i + 1 + (d - a) / (b - a)
    return float(len(keys))
