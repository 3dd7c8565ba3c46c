"""Reports and exports of a patient's measurements: CSV of every result, HTML and PDF reports.

Library choice: Qt itself (PySide6, already a dependency). QTextDocument lays out the HTML report and
QPdfWriter prints it to PDF, with no browser engine or extra package, headless ('offscreen'
platform). The figures are drawn by matplotlib (figures.py) as SVG: inlined in the HTML, and painted
by QtSvg onto the PDF's pages so they stay vectors there too; the face pictures are JPEGs. Every file
is written atomically.
"""

from __future__ import annotations

import csv
import os

from synkimeter.io.export import csv_text
from synkimeter.io.files import atomic_write_bytes, atomic_write_text, atomic_writer
from synkimeter.report.document import build_report, embed_images
from synkimeter.report.qt import ensure_gui_app, place_svg_figures
from synkimeter.store.database import Patient, Store

CSV_COLUMNS = (
    "patient", "session_id", "started_at", "kind", "protocol", "session_status", "clip_id", "task", "clip_status",
    "duration_s", "fps", "frames", "face_frames", "mm_per_px", "affected_side", "severity", "asymmetry_mm",
    "right_median_mm", "right_ci_low_mm", "right_ci_high_mm", "right_coupled_fraction", "right_n",
    "right_correlation", "right_average_peak_mm", "right_average_ci_low_mm", "right_average_ci_high_mm",
    "left_median_mm", "left_ci_low_mm", "left_ci_high_mm", "left_coupled_fraction", "left_n",
    "left_correlation", "left_average_peak_mm", "left_average_ci_low_mm", "left_average_ci_high_mm",
    "right_fissure_open_mm", "right_fissure_active_mm", "right_narrowing_pct", "right_narrowing_ci_low_pct",
    "right_narrowing_ci_high_pct",
    "left_fissure_open_mm", "left_fissure_active_mm", "left_narrowing_pct", "left_narrowing_ci_low_pct",
    "left_narrowing_ci_high_pct",
    "ocular_score", "ocular_ci_low", "ocular_ci_high", "ocular_affected_side",
    "video_path", "landmarks_path", "summary_path", "source_name", "error",
)


def _patient(store: Store, patient: Patient | str) -> Patient:
    return store.require_patient(patient) if isinstance(patient, str) else patient


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value == value else ""
    if isinstance(value, int):
        return str(value)
    return csv_text(value)


def write_csv(store: Store, patient: Patient | str, path: str | os.PathLike) -> int:
    """Every clip of the patient with its result, one row each (sides are the subject's). Returns rows."""
    patient = _patient(store, patient)
    rows = store.results(patient)
    with atomic_writer(path, "w") as fh:
        # CRLF rows (RFC 4180): the csv module then quotes a cell holding a bare CR, which would
        # otherwise end the row early in every reader.
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(csv_text(c) for c in CSV_COLUMNS)
        for row in rows:
            row = {**row, "patient": patient.pseudonym}
            writer.writerow(_cell(row.get(c)) for c in CSV_COLUMNS)
    return len(rows)


def report_html(store: Store, patient: Patient | str, *, pictures: bool = True) -> str:
    """A standalone HTML report (images inlined); `pictures=False` leaves the face pictures out."""

    text, images = build_report(store, _patient(store, patient), pictures=pictures)
    return embed_images(text, images)


def write_html(store: Store, patient: Patient | str, path: str | os.PathLike, *, pictures: bool = True) -> None:
    atomic_write_text(path, report_html(store, patient, pictures=pictures))


def render_pdf(store: Store, patient: Patient | str, *, pictures: bool = True) -> bytes:
    """The report as PDF bytes (A4, Qt's QTextDocument printed with QPdfWriter)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QSizeF, QUrl
    from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPdfWriter, QTextDocument


    ensure_gui_app()
    patient = _patient(store, patient)
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buf)
    writer.setTitle(f"synkimeter report {patient.pseudonym}")
    writer.setCreator("synkimeter")
    writer.setResolution(300)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                     QMarginsF(16, 14, 16, 14), QPageLayout.Unit.Millimeter))
    # Lay the document out on the PDF's own device (300 dpi) so point sizes print as written and
    # images are sized in the page's pixels.
    page_px = writer.pageLayout().paintRectPixels(writer.resolution())
    # QTextDocument sizes <img width> in 96-dpi pixels, scaled to the device's resolution.
    text, images = build_report(store, patient, image_width=int(page_px.width() * 96 / writer.resolution()),
                                pictures=pictures)
    doc = QTextDocument()
    doc.documentLayout().setPaintDevice(writer)
    doc.setDocumentMargin(0)
    for name, picture in images.items():
        if not name.endswith(".svg"):  # the face pictures (JPEG)
            # stub gap: the stubs type `format` as bytes, but PySide6 6.11 takes only a str here (bytes raise)
            image = QImage.fromData(picture, name.rsplit(".", 1)[-1].upper())  # type: ignore[arg-type]
            doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), image)
    doc.setHtml(text)
    figures = place_svg_figures(doc, {n: d for n, d in images.items() if n.endswith(".svg")}, writer.resolution())
    doc.setPageSize(QSizeF(page_px.width(), page_px.height()))
    doc.print_(writer)
    del writer, figures
    buf.close()
    return bytes(data.data())


def write_pdf(store: Store, patient: Patient | str, path: str | os.PathLike, *, pictures: bool = True) -> None:
    atomic_write_bytes(path, render_pdf(store, patient, pictures=pictures))


__all__ = ["write_csv", "write_html", "write_pdf", "report_html", "render_pdf", "CSV_COLUMNS"]
