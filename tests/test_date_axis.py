"""Trends on a date axis in the window (issue 28): sessions stand at their dates and times (two sessions
four minutes apart are close, two months apart far), with their intervals, and botulinum toxin cycles
shaded at their dates on that same axis."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from test_store import make_history, sim_clip

from synkimeter.store import Store
from synkimeter.usecases.saving import save_clip


def test_my_progress_plots_sessions_and_cycles_by_date(qtbot, tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(folder))
    with Store(folder) as store:
        # sessions on 2025-01-10, 2025-03-14 and 2025-06-02 at 10:30, and one four minutes after the last
        patient = make_history(store, tasks=("natural_blinking",))
        session = store.start_session(patient, "follow-up", protocol="home", started_at="2025-06-02T10:34:00")
        analysis, series = sim_clip(seed=99, coupling_right=1.0)
        save_clip(store, store.begin_clip(session, "natural_blinking"), analysis=analysis, series=series)
        store.finish_session(session)
        store.add_event(patient, "botox", "2025-02-01", side="right", units=15)
    from synkimeter.gui.timeline import date_stamp
    from synkimeter.gui.trends import TrendsView

    view = TrendsView()
    qtbot.addWidget(view)
    view.show_patient("PX-0042")
    plot = view.plots["ocular_oral_average_peak"]
    assert isinstance(plot.getPlotItem().getAxis("bottom"), pg.DateAxisItem)
    curves = [i for i in plot.getPlotItem().items if isinstance(i, pg.PlotDataItem)]
    right = next(c for c in curves if c.opts["pen"].color().name() == "#2f6db5")
    x = np.asarray(right.xData)
    days = np.diff(x) / 86400
    assert 60 < days[0] < 65 and 75 < days[1] < 82  # months apart
    assert abs(days[2] * 24 * 60 - 4) < 0.01  # four minutes apart: close together
    # every session's point has its interval
    bars = [i for i in plot.getPlotItem().items if isinstance(i, pg.ErrorBarItem)]
    assert bars and all(len(b.opts["x"]) == 4 for b in bars)
    (cycle,) = [i for i in plot.getPlotItem().items if isinstance(i, pg.LinearRegionItem)]
    start, _end = cycle.getRegion()
    assert start == date_stamp("2025-02-01")  # the injection's date on the same axis
    assert x[0] < start < x[1]
