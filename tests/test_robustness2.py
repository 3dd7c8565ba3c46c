"""Robustness round 2 (issue 14): formula cells in CSV, a private store, a full disk, pictures and
short clips, low frame rates, bad frame times, two processes creating one patient, a damaged
database, memory over long clips, and the smaller cases. Each test fails without its fix."""

from __future__ import annotations

import csv
import json
import os
import stat
import sys
from pathlib import Path

import numpy as np
import pytest

from synkimeter.cli import main
from synkimeter.store import DB_NAME, Store

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_videos" / "right_3mm.mp4"


def run_cli(args, capsys):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_sentence(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err and "Error:" not in err, err
    assert lines[0].startswith("synkimeter: ") and lines[0].rstrip().endswith("."), err
    return lines[0]


def sim_series(duration_s=8.0, fps=30.0, coupling_mm=2.0, seed=0):
    from synkimeter.core.simulate import regular_blinks, simulate
    from synkimeter.landmarks import LandmarkSeries

    track = simulate(duration_s, fps=fps, blinks=regular_blinks(duration_s, 2.0, start_s=1.0),
                     coupling_mm={"right": coupling_mm}, jitter_px=0.2, seed=seed)
    n = track.timestamps_s.size
    return LandmarkSeries(track.timestamps_s, track.points, np.ones(n, np.int8), 640, 480, fps, "sim")


@pytest.fixture
def store_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(folder))
    return folder


# --------------------------------------------------------------------------------------------------
# 1. formula injection


FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def test_every_text_cell_of_an_export_is_neutralised_and_numbers_stay_numbers(store_dir, tmp_path):
    from synkimeter.report import write_csv

    with Store() as store:
        patient = store.add_patient(FORMULAS[0], "right")
        for i, text in enumerate(FORMULAS):
            session = store.start_session(patient, "follow-up", protocol=text, notes=text,
                                          started_at=f"2025-01-{i + 1:02d}T10:00:00")
            clip = store.begin_clip(session, "natural_blinking", source_name=text + ".mp4")
            summary = {"ocular_oral": {"right": {"median_mm": -0.25, "n": 3}, "left": {}}, "fps": 30.0}
            store.save_clip(clip, summary=summary)
            store.finish_session(session)
        write_csv(store, patient, tmp_path / "out.csv")
    with open(tmp_path / "out.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(FORMULAS)
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), row
            assert not value.startswith("-") or float(value) < 0, row  # a negative number, not text
        assert row["patient"] == "'" + FORMULAS[0]
        assert row["right_median_mm"] == "-0.25" and row["right_n"] == "3"
    assert sorted(r["source_name"] for r in rows) == sorted("'" + t + ".mp4" for t in FORMULAS)


def test_csv_text_rule():
    from synkimeter.export import csv_text

    assert [csv_text(t) for t in FORMULAS] == ["'" + t for t in FORMULAS]
    assert csv_text("PX-0042") == "PX-0042" and csv_text("") == ""
