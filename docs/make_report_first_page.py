"""The picture of the report's first page in the README (docs/report_first_page.png): a patient made
from the sample clips over several dates, with a botulinum toxin injection between them, reported
and page one rendered at 60 dpi with poppler's pdftoppm:

    python docs/make_report_first_page.py [docs/report_first_page.png] [--keep STORE_FOLDER]

Baseline: sample_videos/right_3mm.mp4 (blinks pulling the right mouth corner 3 mm) and healthy.mp4 as
its rest clip; after an injection, right_1mm.mp4, then healthy.mp4. Only the repository's sample clips
(a public-domain face) are used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = [  # clip, task, date, kind
    ("right_3mm.mp4", "natural_blinking", "2026-01-12", "baseline"),
    ("healthy.mp4", "rest", "2026-01-12", "baseline"),
    ("right_1mm.mp4", "natural_blinking", "2026-03-09", "follow-up"),
    ("healthy.mp4", "natural_blinking", "2026-05-11", "follow-up"),
    ("healthy.mp4", "rest", "2026-05-11", "follow-up"),
]


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
            for clip, task, date, kind in SESSIONS:
                synkimeter("import", str(ROOT / "sample_videos" / clip), "--patient", "DEMO-01", "--task", task,
                           "--date", date, "--kind", kind, "--affected-side", "right", "-q")
            synkimeter("event", "add", "DEMO-01", "--kind", "botox", "--date", "2026-02-02", "--side", "right",
                       "--units", "10", "--muscles", "orbicularis oculi")
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
