"""`synkimeter practice`: the practice mode in a window of its own.

`add_commands(subparsers)` registers it on the `synkimeter` parser (like `synkimeter.cli.store`).
"""

from __future__ import annotations

import argparse
import os
import sys

from synkimeter.cli.common import fail, whole_number
from synkimeter.store.choices import PRACTICE_KINDS
from synkimeter.usecases.settings import DEFAULT_SETTINGS


def create_practice_window(source="0", patient: str = "", side: str | None = None, count: int | None = None,
                           kind: str = "blink", data_dir: str | None = None, params=DEFAULT_SETTINGS,
                           mesh_factory=None, start: bool = True):
    """The practice window (needs a QApplication); the set starts at once when `start`."""
    from synkimeter.gui.practice import PracticePanel, PracticeWindow
    from synkimeter.store import Store

    panel = PracticePanel(params, store_factory=lambda: Store(data_dir) if data_dir else Store(), patient=patient,
                          side=side, source=source, mesh_factory=mesh_factory, count=count)
    index = panel.kind_box.findData(kind)
    if index >= 0:
        panel.kind_box.setCurrentIndex(index)
        panel.refresh_plan()
    window = PracticeWindow(panel)
    if start:
        panel.start()
    return window


def cmd_practice(args: argparse.Namespace) -> int:
    from synkimeter.cli.display import window_problem

    problem = window_problem()
    if problem:
        return fail(problem)
    from PySide6.QtWidgets import QApplication

    os.environ.setdefault("GLOG_minloglevel", "2")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("synkimeter")
    window = create_practice_window(args.source, args.patient or "", args.side, args.blinks, args.kind,
                                    getattr(args, "data_dir", None))
    window.show()
    return int(app.exec())


def add_commands(subparsers) -> None:
    p = subparsers.add_parser(
        "practice", help="retraining practice with live feedback",
        description="Practise blinking with a still mouth (or puckering/smiling with an open eye), paced by a "
                    "visual metronome, with an answer at every blink; the set's score is kept in your history.")
    p.add_argument("--source", default="0", help="camera number (0, 1, ...) or a video file to replay (default 0)")
    p.add_argument("--patient", default="", metavar="ID",
                   help="the patient's pseudonymous id (a code such as PX-0042, never a name): the goal comes from "
                        "their baseline and the set is kept in their history")
    p.add_argument("--side", choices=("right", "left"),
                   help="the affected side (the subject's); default: the patient's")
    p.add_argument("--blinks", type=whole_number(1, 10_000), metavar="N",
                   help=f"blinks (or movements) in the set (default {DEFAULT_SETTINGS.practice_blinks_per_set} blinks, "
                        f"{DEFAULT_SETTINGS.practice_moves_per_set} puckers or smiles)")
    p.add_argument("--kind", choices=PRACTICE_KINDS, default="blink",
                   help="blink with a still mouth (default), or pucker/smile with an open eye")
    p.add_argument("--data-dir", help="the store's folder (default: the per-user data folder)")
    p.set_defaults(func=cmd_practice)
