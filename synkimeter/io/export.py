"""A clip's measurement written as files: the JSON result document (its form and NaN rule are
`core.results`'), the per-frame CSV, and the one rule for text cells in every CSV (`csv_text`)."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from synkimeter.core.analysis import ClipAnalysis
from synkimeter.core.anatomy import SIDES
from synkimeter.core.results import ClipResult, jsonable
from synkimeter.io.files import atomic_writer

FRAME_COLUMNS = (
    "time_s", "face_found", "closure_right", "closure_left",
    "commissure_right_up_mm", "commissure_right_out_mm", "commissure_right_mm",
    "commissure_left_up_mm", "commissure_left_out_mm", "commissure_left_mm",
    "fissure_right_mm", "fissure_left_mm", "yaw_deg", "pitch_deg", "roll_deg",
)

# A spreadsheet runs a cell starting with one of these as a formula (=HYPERLINK(...) in a patient
# code or a file name); OWASP's rule is to prefix such text cells with a quote, which shows as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value) -> str:
    """A text cell that a spreadsheet shows as text, never runs (numbers are written as numbers)."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def frame_table(analysis: ClipAnalysis) -> dict[str, np.ndarray]:
    """Per-frame series, commissure positions relative to their clip median (head motion removed)."""
    tr = analysis.traces
    columns = {
        "time_s": analysis.timestamps_s,
        "face_found": analysis.face_found.astype(int),
        "closure_right": analysis.closure["right"],
        "closure_left": analysis.closure["left"],
    }
    for side in SIDES:
        columns[f"commissure_{side}_up_mm"] = tr.up_mm[side]
        columns[f"commissure_{side}_out_mm"] = tr.out_mm[side]
        columns[f"commissure_{side}_mm"] = tr.displacement_mm(side)
    for side in SIDES:
        columns[f"fissure_{side}_mm"] = analysis.fissure_mm[side]
    columns["yaw_deg"] = analysis.alignment.yaw_deg
    columns["pitch_deg"] = analysis.alignment.pitch_deg
    columns["roll_deg"] = analysis.alignment.roll_deg
    return {name: columns[name] for name in FRAME_COLUMNS}


def write_frames_csv(analysis: ClipAnalysis, path: str | os.PathLike) -> None:
    table = frame_table(analysis)
    matrix = np.column_stack([np.asarray(table[c], dtype=np.float64) for c in FRAME_COLUMNS])
    with atomic_writer(path, "w") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(csv_text(c) for c in FRAME_COLUMNS)
        for row in matrix:
            writer.writerow("" if not np.isfinite(v) else (f"{v:.4f}" if abs(v) % 1 else f"{v:.0f}") for v in row)


def write_json(result: ClipResult | Mapping[str, Any], path: str | os.PathLike) -> None:
    """The result document, strict JSON (NaN as null: `core.results`' rule), written atomically."""
    document = result.to_json() if isinstance(result, ClipResult) else jsonable(result)
    with atomic_writer(path, "w") as fh:
        json.dump(document, fh, indent=2, allow_nan=False)
        fh.write("\n")
