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
    figures = re.findall(r"src='data:image/svg\+xml;base64,([^']+)'", text)
    assert len(figures) >= 4  # the trends, as vector drawings
    assert all(b"<svg" in base64.b64decode(f)[:400] for f in figures)


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
        first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(out), "-"], capture_output=True, text=True,
                               check=True).stdout
        assert "PX-0042" in first and "Summary" in first and "Trends" not in first
        second = subprocess.run(["pdftotext", "-f", "2", "-l", "2", str(out), "-"], capture_output=True, text=True,
                                check=True).stdout
        # the trends follow page one, their words drawn as vector outlines (no text to extract) with no
        # raster image in place of a figure
        assert "Trends" in second and "Right side" not in second
    if shutil.which("pdfimages"):
        listing = subprocess.run(["pdfimages", "-list", str(out)], capture_output=True, text=True, check=True).stdout
        assert len(listing.strip().splitlines()) == 2  # the header only: no figure printed as a picture


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


def _grades():
    from synkimeter.core.grades import MovementGrade, SynkinesisGrades

    nan = float("nan")
    return SynkinesisGrades(
        movements=(MovementGrade("brow_lift", "eye narrowing during brow lift", nan, (nan, nan), "%", None),
                   MovementGrade("gentle_closure", "mouth-corner movement during eye closure", 2.1, (1.5, 2.7), "mm",
                                 2),
                   MovementGrade("smile", "eye narrowing during smile", 31.0, (25.0, 37.0), "%", 1),
                   MovementGrade("snarl", "eye narrowing during snarl", nan, (nan, nan), "%", None),
                   MovementGrade("pucker", "eye narrowing during pucker", 30.0, (26.0, 34.0), "%", 2)),
        sunnybrook_sum=5, graded=3, eface={"ocular": 62.0, "midfacial": None, "mentalis": None})


def test_first_page_is_the_clinic_summary(history_store):
    from synkimeter.report.document import build_report

    with Store(history_store) as store:
        text, images = build_report(store, store.require_patient("PX-0042"), grades_for=lambda st, sid: _grades())
    first = text[:text.index("<h2 style='page-break-before: always'>Trends</h2>")]
    assert "PX-0042" in first and "Affected side (subject's):</b> right" in first
    assert "first 2025-01-10, last 2025-06-02" in first
    assert "Since the baseline on 2025-01-10, 3 complete sessions to 2025-06-02." in first
    assert "Mouth-corner movement during blinks on the right side:" in first
    assert "beyond the between-session floor (&plusmn;" in first and "<b>improved</b>" in first
    # the grades, each beside what was measured, and no grade for a movement not seen
    assert "from measurement, to support a clinician&#x27;s grading" in first
    assert "Gentle eye closure" in first and "2.10 mm (1.50 to 2.70)" in first
    assert first.count("<i>not seen</i>") == 2 and "<b>5</b>" in first and "3 of 5 movements graded" in first
    assert "eFACE-style synkinesis (0-100)" in first and "ocular <b>62</b>; midfacial <i>not measured</i>" in first
    assert "2 moderate" in first and "1 mild" in first  # each grade with its word, beside its quantity
    # the tables come after the trends; no pictures where no clip has a video
    assert text.index("Trends</h2>") < text.index("Baseline compared with the latest session")
    assert "faces.jpg" not in images


def test_a_movement_seen_but_not_measurable_is_not_called_not_seen():
    """The walk-through's gentle closure clip whose closures could not be measured (the mouth already
    moving) read 'not seen' on page one while `synkimeter grades` said 'not measured'."""
    import dataclasses

    from synkimeter.report.first_page import grade_table

    g = _grades()
    closure = dataclasses.replace(g.movements[1], value=float("nan"), ci95=(float("nan"),) * 2, grade=None, seen=True)
    g = dataclasses.replace(g, movements=(g.movements[0], closure, *g.movements[2:]))
    row = "".join(grade_table(g, "2026-01-01")).split("Gentle eye closure")[1].split("</tr>")[0]
    assert "<i>not measured</i>" in row and "not seen" not in row


def test_first_page_without_grades_has_no_grade_table(history_store):
    from synkimeter.report.document import build_report

    with Store(history_store) as store:
        text, _ = build_report(store, store.require_patient("PX-0042"), grades_for=lambda st, sid: None)
    assert "Synkinesis grades" not in text and "Summary" in text


def test_questionnaires_are_listed_on_page_one_with_their_totals():
    from types import SimpleNamespace as NS

    from synkimeter.core.questionnaire import saq_total
    from synkimeter.report.first_page import saq_parts
    from synkimeter.store.records import SaqRecord

    items = (3, 2, 4, 1, 5, 2, 3, 1, 2)
    record = SaqRecord(id=1, patient_id=1, date="2026-01-02", items=items, total=saq_total(items), created="")
    text = "".join(saq_parts(NS(questionnaires=[record], saq_change=None)))
    assert "Synkinesis Assessment Questionnaire" in text and "2026-01-02" in text
    assert "3 2 4 1 5 2 3 1 2" in text and ">51<" in text  # 23 of 45, scaled to 20-100
    assert "No questionnaire recorded" in "".join(saq_parts(NS(questionnaires=[], saq_change=None)))


@pytest.fixture(scope="module")
def store_with_video(tmp_path_factory):
    """A patient whose blink clip has its video (plain frames, the simulated face's landmarks)."""
    import numpy as np
    from test_store import sim_clip

    from synkimeter.capture._cv import cv2

    folder = tmp_path_factory.mktemp("pictures")
    analysis, series = sim_clip(coupling_right=2.0, seed=2)
    video = folder / "clip.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (series.width, series.height))
    frame = np.full((series.height, series.width, 3), 150, np.uint8)
    for _ in range(len(series)):
        writer.write(frame)
    writer.release()
    with Store(folder / "data") as store:
        patient, _ = store.get_or_create_patient("PIC-1", "right")
        session = store.start_session(patient, "baseline", started_at="2026-03-01T10:00:00")
        save_clip(store, store.begin_clip(session, "natural_blinking"), analysis=analysis, series=series, video=video)
        store.finish_session(session)
    return folder / "data"


def test_picture_strip_shows_rest_and_the_peak(store_with_video):
    from synkimeter.report.document import build_report

    with Store(store_with_video) as store:
        text, images = build_report(store, store.require_patient("PIC-1"))
    assert images["faces.jpg"][:3] == b"\xff\xd8\xff"
    assert "<img src='faces.jpg'" in text and "The face at rest and at the peak of each task" in text


def test_report_without_pictures(store_with_video, tmp_path):
    from synkimeter.cli import main

    out = tmp_path / "r.html"
    assert main(["report", "PIC-1", "--html", str(out), "--no-pictures", "--data-dir", str(store_with_video)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "image/jpeg" not in text and "Face pictures left out of this report." in text


def _x_days(fig):
    line = next(ln for ln in fig.axes[0].lines if len(ln.get_xdata()) == 2)
    return [float(x) for x in line.get_xdata()]  # matplotlib's date numbers: days


def test_trends_are_placed_by_date():
    from types import SimpleNamespace as NS

    from synkimeter.report.figures import svg_bytes, trend_figure

    def points(*times):
        return [NS(started_at=t, session_id=i, value=1.0 + i, ci_low=0.5 + i, ci_high=1.5 + i, baseline=i == 0)
                for i, t in enumerate(times)]

    close = trend_figure([NS(points=points("2026-02-10T09:00:00", "2026-02-10T09:04:00"), side="right")], "t", "mm")
    apart = trend_figure([NS(points=points("2026-02-10T09:00:00", "2026-04-10T09:00:00"), side="right")], "t", "mm",
                         markers=[("2026-03-01", "BoNT R 10 U", "botox")], shading=[("2026-03-01", "2026-04-10")])
    a, b = _x_days(close)
    assert b - a == pytest.approx(4 / 1440, abs=1e-6)  # four minutes apart
    a, b = _x_days(apart)
    assert b - a == pytest.approx(59, abs=1e-6)  # two months apart
    assert b"<svg" in svg_bytes(apart)
