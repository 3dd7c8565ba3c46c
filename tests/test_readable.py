"""Readable at any size (issue 28): a remembered text-size setting that reaches every page and plot
label, WCAG AA contrast for text, and every control reachable with Tab and named for a screen reader."""

from __future__ import annotations

import pytest

from synkimeter.gui import theme


def _contrast(a: str, b: str) -> float:
    def lum(h: str) -> float:
        c = [int(h.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        c = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("color", sorted({theme.TEXT_COLOR, theme.MUTED_COLOR, *theme.SIDE_COLOR.values(),
                                          *theme.NOTICE_COLOR.values()}))
def test_text_colours_meet_wcag_aa(color):
    for background in (theme.BACKGROUND, theme.PANEL):
        assert _contrast(color, background) >= 4.5, (color, background)


def _window(qtbot, monkeypatch, tmp_path):
    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(tmp_path / "data"))
    from synkimeter.gui.main_window import MainWindow

    window = MainWindow(cameras=[])
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.store_settled)  # its look at the store (a thread) is over before the next test
    return window


def test_text_size_reaches_pages_and_plot_labels_and_is_remembered(qtbot, monkeypatch, tmp_path):
    window = _window(qtbot, monkeypatch, tmp_path)
    try:
        axis = window.bars.widget.getPlotItem().getAxis("left")
        normal_ticks = axis.style["tickFont"].pointSizeF()
        cue = window.record_mode.page.screen_view.cue
        assert "font-size: 26pt" in cue.styleSheet()
        window.set_text_size("large")
        assert axis.style["tickFont"].pointSizeF() == pytest.approx(1.25 * normal_ticks)
        assert axis.labelStyle["font-size"] == f"{1.25 * normal_ticks:g}pt"
        assert "font-size: 32.5pt" in cue.styleSheet()  # a page's own big words
        assert f"font-size: {round(1.25 * theme.NORMAL_PT, 1):g}pt" in window.styleSheet()  # the body text
        assert "13.8pt" in window.bars.widget.getPlotItem().titleLabel.text  # the plot's title
        # set again later by its page (the next prompt): sized as it is set
        window.record_mode.page.screen_view.show_plan(window.record_mode.page.current_protocol())
        assert "font-size: 32.5pt" in cue.styleSheet()
        window.close()

        again = _window(qtbot, monkeypatch, tmp_path)  # remembered at the next start
        assert again.text_size == "large" and again.text_size_box.currentData() == "large"  # its words may be short
        assert again.bars.widget.getPlotItem().getAxis("left").style["tickFont"].pointSizeF() == \
            pytest.approx(1.25 * normal_ticks)
        again.set_text_size("normal")
        assert "font-size: 26pt" in again.record_mode.page.screen_view.cue.styleSheet()
    finally:
        theme.set_text_scale(1.0)


def test_every_control_is_reachable_and_named(qtbot, monkeypatch, tmp_path):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QWidget

    from synkimeter.gui.access import CONTROLS, _inside_combo

    window = _window(qtbot, monkeypatch, tmp_path)
    assert window.unnamed_controls == []
    controls = [w for w in window.findChildren(QWidget) if isinstance(w, CONTROLS) and not _inside_combo(w)]
    assert len(controls) > 30
    for control in controls:
        assert control.accessibleName(), control
        assert control.focusPolicy() & Qt.FocusPolicy.TabFocus, control
    assert window.text_size_box.accessibleName() == "Text size"
