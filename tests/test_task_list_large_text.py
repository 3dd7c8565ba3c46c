"""The Record page's task list at large text on a 1366x768 screen (issue 28): every task's line can be
read, scrolled to where the room is short, none cut off."""

from __future__ import annotations


def test_every_task_line_is_there_at_large_text_on_a_small_screen(qtbot, monkeypatch, tmp_path):
    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(tmp_path / "data"))
    from synkimeter.gui.main_window import MainWindow

    window = MainWindow(cameras=[])
    qtbot.addWidget(window)
    window.resize(1366, 730)
    window.show()
    qtbot.waitUntil(lambda: window.store_settled)
    window.set_text_size("larger")
    window.modes.setCurrentWidget(window.record_mode)
    screen = window.record_mode.page.screen_view
    lines = [f"✔ Task {i}: recorded; mouth corners moved right 2.7 mm (2.7–2.8 mm, severe)" for i in range(7)]
    screen.tasks.setText("<br>".join([*lines, "✘ Pucker: not seen - try again"]))
    screen.message.setText("7 of 8 tasks recorded. Not recorded: Pucker. The others are saved; press "
                           "“Redo these now” to record only this one into the same session.")
    qtbot.wait(100)
    label, area = screen.tasks, screen.tasks_area
    assert label.height() >= label.heightForWidth(label.width())  # the label has its whole text's height
    bar = area.verticalScrollBar()
    if label.height() > area.viewport().height():  # too little room: it scrolls to the last task
        assert bar.maximum() > 0
        bar.setValue(bar.maximum())
        assert bar.value() + area.viewport().height() >= label.height()
    assert window.height() <= 768
    window.close()
