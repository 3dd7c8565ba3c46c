"""Keeping a measured clip in the store, and importing a video into a patient's record.

The measuring happens here; the store is given finished documents and numbers and only keeps them:
a clip's result document (with its task and eye-fissure levels), how much each eye narrowed in the
session's smile and pucker against its rest clip, and the session's ocular synkinesis score.
"""

from __future__ import annotations

import contextlib
import math
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from synkimeter.core.analysis import ClipAnalysis
from synkimeter.core.anatomy import SIDES
from synkimeter.core.oral_ocular import FissureLevel, Narrowing, clip_fissure_levels, narrowing, ocular_synkinesis_score
from synkimeter.core.results import finite, jsonable, number
from synkimeter.io.files import not_a_file
from synkimeter.landmarks.series import LandmarkSeries
from synkimeter.store.choices import SESSION_KINDS, TASKS
from synkimeter.store.errors import is_unreachable
from synkimeter.store.records import (
    MAX_IMPORT_MB,
    Clip,
    ImportResult,
    SessionScores,
    StoreError,
    check_pseudonym,
    check_side,
    free_text,
    parse_date,
)
from synkimeter.usecases.analyze import ClipError, analyze_clip
from synkimeter.usecases.settings import DEFAULT_SETTINGS, Settings

if TYPE_CHECKING:  # the database layer (SQLAlchemy) loads when a store is opened, not with this module
    from synkimeter.store.database import Store

# The guided tasks whose eye narrowing against the session's rest is measured (Sunnybrook's movements
# that grade the eye: core/grades.py), and with the rest, those whose eye-fissure levels are compared.
NARROWING_TASKS = ("brow_lift", "smile", "snarl", "pucker")
_Z95 = 1.959964
FISSURE_TASKS = ("rest", *NARROWING_TASKS)


@dataclass(frozen=True)
class SavedClip:
    clip: Clip
    # How much each eye narrowed in this clip against the session's rest clip (smile and pucker
    # clips with a rest to compare with; empty otherwise).
    narrowing: dict[str, Narrowing]


def clip_document(clip: Clip, analysis: ClipAnalysis | None = None, summary: dict[str, Any] | None = None,
                  series: LandmarkSeries | None = None) -> tuple[dict[str, Any], dict | None]:
    """(the result document the store keeps, the eye-fissure levels per side): the analysis's
    result with the clip's task, the video's picture size and source (for the report's source
    line) and its fissure levels (open-eye and during the task)."""
    if summary is None and analysis is not None:
        summary = analysis.summary
    if summary is None:
        raise StoreError("A clip needs its measurement to be saved.")
    document = jsonable(dict(summary))
    document["task"] = clip.task
    if series is not None and not isinstance(document.get("video"), dict):
        document["video"] = {"width": int(series.width or 0), "height": int(series.height or 0),
                             "source": str(series.source or "")}
    levels = None
    if analysis is not None:
        found = clip_fissure_levels(analysis)
        levels = {side: {kind: {"mm": finite(lv.mm), "se_mm": finite(lv.se_mm), "frames": lv.n_frames}
                         for kind, lv in by_kind.items()} for side, by_kind in found.items()}
        document["fissure_levels"] = levels
    elif isinstance(document.get("fissure_levels"), dict):
        levels = document["fissure_levels"]
    return document, levels


def stored_level(levels: dict | None, side: str, kind: str) -> FissureLevel | None:
    """One side's fissure level of one kind from stored levels ({side: {kind: {"mm", "se_mm", ...}}})."""
    item = ((levels or {}).get(side) or {}).get(kind) or {}
    mm = item.get("mm")
    if mm is None:
        return None
    se = item.get("se_mm")
    return FissureLevel(float(mm), float("nan") if se is None else float(se), int(item.get("frames") or 0))


def own_narrowing(document: dict, task: str) -> dict[str, Narrowing]:
    """The narrowing a clip measured against its own rest (`oral_ocular.narrowing[task]` of its result
    document: a free clip's smile or pucker), per side; empty when it has none."""
    by_side = (((document.get("oral_ocular") or {}).get("narrowing") or {}).get(task)) or {}
    out = {}
    for side in SIDES:
        item = by_side.get(side) or {}
        pct, ci = item.get("pct"), item.get("ci95_pct") or [None, None]
        if pct is None:
            return {}
        lo, hi = (float(x) if x is not None else math.nan for x in ci[:2])
        se = (hi - lo) / (2 * _Z95) if math.isfinite(lo) and math.isfinite(hi) else math.nan
        rest_mm, task_mm = item.get("rest_mm"), item.get("task_mm")
        out[side] = Narrowing(float(pct), se, (lo, hi), math.nan if rest_mm is None else float(rest_mm),
                              math.nan if task_mm is None else float(task_mm))
    return out


def session_scores(store: Store, clip: Clip, document: dict[str, Any],
                   levels: dict | None) -> tuple[SessionScores, dict[str, Narrowing]]:
    """The session's oral-ocular numbers once `clip` is in it: each smile and pucker clip's narrowing
    against the rest clip (the latest complete clip of each task counts; without a rest clip in the
    session, the narrowing the clip measured against its own rest, as the grades take it), and the
    ocular score; and this clip's own narrowing per side (empty unless it is a smile or pucker with a
    rest to compare)."""
    session = store.session(clip.session_id)
    if session is None:
        raise StoreError("The clip's session is no longer in the store.")
    latest = {c.task: (c.id, store.fissure_levels(c)) for c in store.clips(session)
              if c.status == "complete" and c.task in FISSURE_TASKS and c.id != clip.id}
    if clip.task in FISSURE_TASKS:
        latest[clip.task] = (clip.id, levels)
    rest = latest.get("rest")
    narrow_rows: dict[int, tuple[float | None, ...]] = {}
    narrows: dict[str, dict[str, Narrowing]] = {}
    own: dict[str, Narrowing] = {}
    for task in NARROWING_TASKS:
        if task not in latest:
            continue
        clip_id, task_levels = latest[task]
        by_side: dict[str, Narrowing] = {}
        for side in SIDES:
            open_level = stored_level(rest[1], side, "open") if rest else None
            active = stored_level(task_levels, side, "active")
            if open_level is None or active is None:
                by_side = {}
                break
            by_side[side] = narrowing(open_level, active)
        if not by_side and rest is None:  # no rest clip: the clip's own rest (an imported smile or pucker)
            other = store.clip(clip_id) if clip_id != clip.id else None
            by_side = own_narrowing(document if other is None else store.summary(other) or {}, task)
        values: list[float | None] = []
        for side in SIDES:
            n = by_side[side] if by_side else None
            values += [finite(n.pct), finite(n.ci95_pct[0]), finite(n.ci95_pct[1])] if n else [None] * 3
        narrow_rows[clip_id] = tuple(values)
        if by_side:
            narrows[task] = by_side
            if clip_id == clip.id:
                own = by_side
    patient = store.patient_by_id(session.patient_id)
    if not latest:
        # A session without the guided rest, smile and pucker clips (an imported free clip) takes
        # its ocular score from the smiles and puckers found in its own clip(s): the newest that has one.
        documents = [document] + [store.summary(c) or {} for c in reversed(store.clips(session))
                                  if c.status == "complete" and c.id != clip.id]
        for doc in documents:
            score = ((doc.get("oral_ocular") or {}).get("ocular_synkinesis")) or {}
            if number(score.get("score")) is not None:
                ci = score.get("ci95") or [None, None]
                return SessionScores(narrow_rows, (finite(score["score"]), finite(ci[0]),
                                                   finite(ci[1]), score.get("affected_side"))), own
    score = ocular_synkinesis_score(narrows, patient.affected_side if patient else None)
    return SessionScores(narrow_rows, (finite(score.score), finite(score.ci95[0]), finite(score.ci95[1]),
                                       score.affected_side if narrows else None)), own


def save_clip(store: Store, clip: Clip, *, analysis: ClipAnalysis | None = None, summary: dict | None = None,
              series=None, video: str | os.PathLike | None = None, finish_session: str | None = None) -> Clip:
    """Keep a measured clip (see `keep_clip`); the clip as recorded complete."""
    return keep_clip(store, clip, analysis=analysis, summary=summary, series=series, video=video,
                     finish_session=finish_session).clip


def keep_clip(store: Store, clip: Clip, *, analysis: ClipAnalysis | None = None, summary: dict | None = None,
              series=None, video: str | os.PathLike | None = None, finish_session: str | None = None) -> SavedClip:
    """Keep a measured clip: its document, landmarks and video, and the session's updated
    oral-ocular numbers, in one transaction (StoreError, and nothing of the clip kept, on failure);
    `finish_session` also ends the session in it."""
    document, levels = clip_document(clip, analysis, summary, series)
    try:
        scores, narrowed = session_scores(store, clip, document, levels)
    except (TypeError, ValueError) as exc:  # a foreign or damaged stored document
        raise StoreError(f"The session's earlier results could not be read ({exc}).") from exc
    except StoreError as exc:
        if store.is_server and is_unreachable(str(exc)):  # nothing recorded is lost: kept here for later
            raise StoreError(store.keep_unsent(clip, str(exc), document=document, series=series, video=video)) from exc
        raise
    saved = store.save_clip(clip, document=document, levels=levels, series=series, video=video, scores=scores,
                            finish_session=finish_session)
    return SavedClip(saved, narrowed)


def import_video(store: Store, video: str | os.PathLike, pseudonym: str, *, kind: str = "follow-up",
                 task: str = "natural_blinking", date: str | None = None, affected_side: str | None = None,
                 protocol: str = "import", notes: str = "", params: Settings | None = None,
                 progress: Callable[[int, int | None], None] | None = None, mirrored: bool = False,
                 into_session: int | str | None = None) -> ImportResult:
    """Analyse an existing clip, copy it into the store with its landmarks and result, and record a
    complete session. Creates the patient if new. On failure nothing is left behind.
    `into_session`: the number of one of the patient's sessions to add the clip to instead (it keeps its
    date and kind; a clip that fails there is kept as failed)."""
    params = params or DEFAULT_SETTINGS
    if kind not in SESSION_KINDS:
        raise StoreError(f"The session kind must be one of {', '.join(SESSION_KINDS)}, not '{kind}'.")
    if task not in TASKS:
        raise StoreError(f"The task must be one of {', '.join(TASKS)}, not '{task}'.")
    check_side(affected_side)
    check_pseudonym(pseudonym)
    notes = free_text(notes, "A session's notes")  # refused before the analysis, not after it
    started_at = parse_date(date) if date else None
    video = Path(video)
    problem = not_a_file(video)
    if problem:
        raise StoreError(problem)
    size_mb = video.stat().st_size / 2**20
    if size_mb > MAX_IMPORT_MB:
        raise StoreError(f"'{video}' is {size_mb:.0f} MB; an import keeps videos of up to {MAX_IMPORT_MB} MB: "
                         "cut it to the part that shows the task (a minute or two is plenty).")
    existing = store.patient(pseudonym)
    into = None
    if into_session is not None:  # checked before the clip is analysed: a wrong number costs no minutes
        if existing is None:
            raise StoreError(f"There is no patient '{pseudonym}' whose session {into_session} the clip could join.")
        into = store.numbered_session(existing, into_session)
    side = affected_side or (existing.affected_side if existing else None)
    try:
        result = analyze_clip(video, params, affected_side=side, progress=progress, mirrored=mirrored)
    except ClipError as exc:
        raise StoreError(str(exc)) from exc
    if not started_at:
        started_at = datetime.fromtimestamp(video.stat().st_mtime).replace(microsecond=0).isoformat()
    patient, created = store.get_or_create_patient(pseudonym, affected_side)
    session = into
    clip = None
    try:
        if session is None:
            session = store.start_session(patient, kind, protocol=protocol, notes=notes, started_at=started_at)
        clip = store.begin_clip(session, task, source_name=video.name)
        clip = save_clip(store, clip, analysis=result.analysis, series=result.series, video=video,
                         finish_session="complete")
        session = store.session(session.id) or session
    except BaseException as exc:
        with contextlib.suppress(StoreError):
            if into is not None:
                if clip is not None and clip.status != "complete":
                    store.fail_clip(clip, str(exc) or type(exc).__name__)
            elif session is not None:
                store.delete_session(session)
            if created:
                store.delete_patient_row(patient)
        raise
    return ImportResult(patient, created, session, clip, store.summary(clip) or {})


__all__ = ["FISSURE_TASKS", "NARROWING_TASKS", "own_narrowing", "SavedClip", "clip_document", "import_video",
           "keep_clip", "save_clip", "session_scores", "stored_level"]
