"""The picture of the report's first page in the README (docs/report_first_page.png): a patient made
from the sample clips over several dates, with a botulinum toxin injection between them, reported
and page one rendered at 60 dpi with poppler's pdftoppm:

    python docs/make_report_first_page.py [docs/report_first_page.png] [--keep STORE_FOLDER]

Baseline: sample_videos/right_3mm.mp4 (blinks pulling the right mouth corner 3 mm) with, imported into
the same session (`import --session`), healthy.mp4 as its rest clip, a big smile narrowing the right eye
and held eye closures pulling the right mouth corner 2 mm; after an injection, right_1mm.mp4; then
healthy.mp4 with a smaller smile narrowing and a 0.8 mm pull. The smile and the held closures are the
sample face drawn by synkimeter_dev.synth (`write_held_clip`): only the repository's public-domain
face is used. Two questionnaires (SAQ) are kept, at baseline and at the last visit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = [  # clip (a sample clip, or a drawn one from DRAWN), task, date, kind; None: into the date's session
    ("right_3mm.mp4", "natural_blinking", "2026-01-12", "baseline"),
    ("healthy.mp4", "rest", None, None),
    ("smile_strong", "smile", None, None),
    ("closure_2mm", "gentle_closure", None, None),
    ("right_1mm.mp4", "natural_blinking", "2026-03-09", "follow-up"),
    ("healthy.mp4", "natural_blinking", "2026-05-11", "follow-up"),
    ("healthy.mp4", "rest", None, None),
    ("smile_mild", "smile", None, None),
    ("closure_1mm", "gentle_closure", None, None),
]
# The drawn clips: (duration s, held windows, mouth-corner movement mm, eye closure 0-1), per side.
SMILE_WINDOW = [(3.0, 6.0)]
HELD_WINDOWS = [(2.0, 4.5), (6.5, 9.0), (11.0, 13.0)]
DRAWN = {
    "smile_strong": (9.0, SMILE_WINDOW, {"right": 5.0, "left": 5.0}, {"right": 0.35, "left": 0.1}),
    "smile_mild": (9.0, SMILE_WINDOW, {"right": 5.0, "left": 5.0}, {"right": 0.2, "left": 0.1}),
    "closure_2mm": (14.0, HELD_WINDOWS, {"right": 2.0, "left": 0.0}, {"right": 1.0, "left": 1.0}),
    "closure_1mm": (14.0, HELD_WINDOWS, {"right": 0.8, "left": 0.0}, {"right": 1.0, "left": 1.0}),
}
SAQ = [("2026-01-12", "4,4,3,4,5,3,4,4,3"), ("2026-05-11", "3,2,3,2,3,2,3,2,2")]


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv and not argv[0].startswith("--") else ROOT / "docs" / "report_first_page.png"
    keep = Path(argv[argv.index("--keep") + 1]) if "--keep" in argv else None
    work = Path(tempfile.mkdtemp(prefix="synkimeter-report-page-"))
    store = keep or work / "store"
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")

    def synkimeter(*args: str) -> None:
        subprocess.run([sys.executable, "-m", "synkimeter", *args, "--data-dir", str(store)], check=True, env=env)

    try:
        if not (store / "synkimeter.sqlite3").exists():
            sys.path.insert(0, str(ROOT))
            from synkimeter_dev.synth.generate import write_held_clip

            session = 0
            for clip, task, date, kind in SESSIONS:
                if clip in DRAWN:
                    duration, windows, corner, closure = DRAWN[clip]
                    path = write_held_clip(work / f"{clip}.mp4", duration, windows, corner, closure)
                else:
                    path = ROOT / "sample_videos" / clip
                where = (["--date", date, "--kind", kind, "--affected-side", "right"] if date
                         else ["--session", str(session)])
                synkimeter("import", str(path), "--patient", "DEMO-01", "--task", task, *where, "-q")
                session += 1 if date else 0
            synkimeter("event", "add", "DEMO-01", "--kind", "botox", "--date", "2026-02-02", "--side", "right",
                       "--units", "10", "--muscles", "orbicularis oculi")
            for day, answers in SAQ:
                synkimeter("questionnaire", "add", "DEMO-01", "--saq", answers, "--date", day)
        pdf = work / "report.pdf"
        synkimeter("report", "DEMO-01", "--pdf", str(pdf))
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                        str(work / "page")], check=True)
        shutil.copyfile(work / "page.png", out)
        print(f"Wrote {out} ({out.stat().st_size // 1024} KB)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
