"""The therapist's home programme as the patient meets it: today's sets and how many are done, the
practice set's count and goal while one runs, and adherence per week. Computed here only; the store
keeps the programmes (`Store.set_programme`, `Store.programmes`), the window, the CLI and the report
show what this module computes.

Adherence of a week, per practice kind: the sets done on the days a programme of that kind ran, each
day counted up to that day's prescription (extra sets one day do not make up for a missed one),
against the sets prescribed (sets a day x the days the programme ran that week). Only counted sets
count: a set in which no attempt was judged (`judged == 0`) is not a set.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable, Sequence

from synkimeter.store.records import Programme
from synkimeter.usecases.practice import KINDS, TargetPlan, _day

# What one repetition of each kind is called, one and many.
REPETITION_WORDS = {"blink": ("blink", "blinks"), "pucker": ("pucker", "puckers"), "smile": ("smile", "smiles")}


def repetitions_text(kind: str, n: int) -> str:
    one, many = REPETITION_WORDS[kind]
    return f"{n} {one if n == 1 else many}"


def counted(practice_set: dict) -> bool:
    """A practice set counts when at least one of its attempts was judged."""
    return int(practice_set.get("judged") or 0) > 0


def running(programmes: Iterable[Programme], kind: str, day: date) -> Programme | None:
    """The programme of `kind` that runs on `day` (the newest, should two overlap)."""
    found = [p for p in programmes if p.kind == kind and p.active_on(day)]
    return found[-1] if found else None


def _sets_per_day(practice_sets: Iterable[dict], kind: str) -> Counter:
    return Counter(_day(s["started_at"]) for s in practice_sets if s.get("kind") == kind and counted(s))


# --- today ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Today:
    """Today's programme of one kind and the counted sets done today."""

    programme: Programme
    done: int

    @property
    def text(self) -> str:
        p = self.programme
        sets = f"{p.sets_per_day} set{'' if p.sets_per_day == 1 else 's'}"
        return f"Today: {sets} of {repetitions_text(p.kind, p.repetitions)}, {self.done} done"

    @property
    def goal_text(self) -> str:
        p = self.programme
        if p.goal is None:
            return ""
        return f"goal under {p.goal:.2f} mm" if p.unit == "mm" else f"goal under {p.goal:.0f} %"


def today(programmes: Sequence[Programme], practice_sets: Iterable[dict], day: date | None = None) -> list[Today]:
    """Each kind's programme running on `day` (default today) with the counted sets done that day."""
    day = day or date.today()
    sets = list(practice_sets)
    out = []
    for kind in KINDS:
        programme = running(programmes, kind, day)
        if programme is not None:
            out.append(Today(programme, _sets_per_day(sets, kind)[day]))
    return out


def planned(plan: TargetPlan, programme: Programme | None) -> TargetPlan:
    """The set's target: the programme's goal while one with a goal runs, else the practice's own plan."""
    if programme is None or programme.goal is None:
        return plan
    return dataclasses.replace(plan, target=float(programme.goal), why="The goal your therapist set in your home "
                                                                        "programme.")


# --- adherence -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class AdherenceWeek:
    """One calendar week (Monday first) of one kind's programme: counted sets done (each day up to its
    prescription) against sets prescribed."""

    start: date
    kind: str
    done: int
    prescribed: int

    @property
    def fraction(self) -> float:
        return self.done / self.prescribed if self.prescribed else float("nan")

    @property
    def text(self) -> str:
        return f"{self.done} of {self.prescribed} {self.kind} sets ({self.fraction:.0%})"


def weekly_adherence(programmes: Sequence[Programme], practice_sets: Iterable[dict], day: date | None = None,
                     weeks: int | None = None) -> list[AdherenceWeek]:
    """Adherence per week and kind, oldest first, from the week the first programme began up to the
    week of `day` (default today; days after it are not counted yet); the last `weeks` weeks only, when
    given. Weeks in which no programme of a kind ran are left out."""
    day = day or date.today()
    if not programmes:
        return []
    sets = list(practice_sets)
    first = min(_day(p.start_date) for p in programmes)
    monday = first - timedelta(days=first.weekday())
    last_monday = day - timedelta(days=day.weekday())
    out = []
    while monday <= last_monday:
        for kind in KINDS:
            done_by_day = _sets_per_day(sets, kind)
            done = prescribed = 0
            for offset in range(7):
                d = monday + timedelta(days=offset)
                programme = running(programmes, kind, d) if d <= day else None
                if programme is not None:
                    prescribed += programme.sets_per_day
                    done += min(done_by_day[d], programme.sets_per_day)
            if prescribed:
                out.append(AdherenceWeek(monday, kind, done, prescribed))
        monday += timedelta(weeks=1)
    if weeks is not None:
        keep = sorted({w.start for w in out})[-weeks:]
        out = [w for w in out if w.start in keep]
    return out


@dataclass(frozen=True)
class AdherenceRow:
    """One week of the programme beside the coupling trend: the week's adherence per kind, and the
    blink-averaged mouth-corner movement per side of the week's last session that measured it (None:
    no session that week)."""

    start: date
    adherence: tuple[AdherenceWeek, ...]
    coupling: dict  # side -> trends Point (value in mm with its 95 % interval)


COUPLING_METRIC = "ocular_oral_average_peak"  # the headline coupling trend (usecases.trends)


def beside_coupling(weeks: Sequence[AdherenceWeek], series) -> list[AdherenceRow]:
    """Each adherence week with the headline coupling measured in it (`series`: `Trends.series`)."""
    out = []
    for start in sorted({w.start for w in weeks}):
        end = start + timedelta(days=7)
        coupling = {}
        for s in series:
            if s.metric.key != COUPLING_METRIC or s.side is None:
                continue
            inside = [pt for pt in s.points if start <= _day(pt.started_at) < end]
            if inside:
                coupling[s.side] = inside[-1]
        out.append(AdherenceRow(start, tuple(w for w in weeks if w.start == start), coupling))
    return out


def adherence_for_patient(store, patient, day: date | None = None, weeks: int | None = None) -> list[AdherenceWeek]:
    """The stored patient's adherence per week and kind (see weekly_adherence)."""
    return weekly_adherence(store.programmes(patient), store.practice_sets(patient), day, weeks)


def today_for_patient(store, pseudonym: str, day: date | None = None) -> list[Today]:
    """The stored patient's programmes running today with the sets done; [] for an unknown patient."""
    patient = store.patient(pseudonym)
    if patient is None:
        return []
    return today(store.programmes(patient), store.practice_sets(patient), day)


__all__ = ["AdherenceRow", "AdherenceWeek", "COUPLING_METRIC", "REPETITION_WORDS", "Today", "adherence_for_patient",
           "beside_coupling", "counted", "planned", "repetitions_text", "running", "today", "today_for_patient",
           "weekly_adherence"]
