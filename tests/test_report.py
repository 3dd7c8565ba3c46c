"""CSV export and the HTML/PDF report of a patient, rendered headless."""

import base64
import csv
import re
import shutil
import subprocess

import pytest

pytest.importorskip("PySide6")

from test_store import HISTORY, make_history  # noqa: E402  (tests/ is on sys.path under pytest)

from synkimeter.report import CSV_COLUMNS, render_pdf, report_html, write_csv, write_html, write_pdf
from synkimeter.store import Store
from synkimeter.usecases.saving import save_clip


@pytest.fixture(scope="module")
def history_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report") / "data"
    with Store(folder) as store:
        make_history(store)
    return folder


@pytest.fixture(autouse=True)
def offscreen(monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")


def test_csv_has_every_result(history_store, tmp_path):
    out = tmp_path / "results.csv"
    with Store(history_store) as store:
        assert write_csv(store, "PX-0042", out) == 12
    rows = list(csv.DictReader(out.open()))
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    assert {r["patient"] for r in rows} == {"PX-0042"}
    blinks = [r for r in rows if r["task"] == "natural_blinking"]
    assert [r["started_at"][:10] for r in blinks] == [d for d, *_ in HISTORY]
    assert float(blinks[0]["right_median_mm"]) == pytest.approx(2.6, abs=0.3)
    pucker = [r for r in rows if r["task"] == "pucker"]
    assert float(pucker[0]["right_narrowing_pct"]) == pytest.approx(30, abs=3)
    assert all(r["ocular_score"] for r in rows)


def test_html_report_is_self_contained(history_store, tmp_path):
    out = tmp_path / "report.html"
    with Store(history_store) as store:
        write_html(store, "PX-0042", out)
    text = out.read_text(encoding="utf-8")
    assert "PX-0042" in text and "Facial synkinesis measurement report" in text
    assert "Affected side (subject's):</b> right" in text
    for date, *_ in HISTORY:
        assert date in text
    assert "improved" in text and " mm (" in text and "% (" in text
    images = re.findall(r"src='data:image/png;base64,([^']+)'", text)
    assert len(images) >= 4
    assert all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in images)


def test_pdf_report_opens(history_store, tmp_path):
    out = tmp_path / "report.pdf"
    with Store(history_store) as store:
        write_pdf(store, "PX-0042", out)
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page[^s]", data)) >= 1
    if shutil.which("pdftoppm") and shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
        pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
        assert 1 <= pages <= 6
        assert "A4" in info
        subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(out), str(tmp_path / "page")], check=True)
        assert list(tmp_path.glob("page*.png"))
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
        assert "PX-0042" in text and "Baseline compared with the latest session" in text


def test_report_of_a_patient_with_one_incomplete_session(tmp_path):
    with Store(tmp_path / "data") as store:
        patient = store.add_patient("NEW-1")
        store.finish_session(store.start_session(patient, "baseline"), "incomplete")
        text = report_html(store, patient)
        assert "Not enough complete sessions" in text
        assert render_pdf(store, patient).startswith(b"%PDF-")


def test_report_notes_only_this_patients_damaged_files(tmp_path):
    from test_store import sim_clip

    with Store(tmp_path / "data") as store:
        for name in ("A-1", "B-2"):
            patient = store.add_patient(name)
            session = store.start_session(patient, "baseline", started_at="2025-01-01T09:00:00")
            analysis, series = sim_clip(seed=1)
            clip = save_clip(store, store.begin_clip(session, "natural_blinking"), analysis=analysis, series=series)
            store.finish_session(session)
        (store.folder / clip.landmarks_path).write_bytes(b"garbage")  # B-2's clip
        assert "Data notes" not in report_html(store, "A-1")
        assert "damaged" in report_html(store, "B-2")
