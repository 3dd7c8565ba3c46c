"""benchmarks/run.py --quick: every stage runs end to end on a tiny cut of a sample clip."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_videos"

pytestmark = pytest.mark.skipif(not (SAMPLES / "healthy.mp4").exists(), reason="sample_videos/ not present")


def test_benchmark_quick_runs_every_stage(tmp_path):
    out = tmp_path / "bench.json"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--clips", str(SAMPLES / "healthy.mp4"),
         "--json", str(out)],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "cores" in proc.stdout
    result = json.loads(out.read_text())
    assert result["machine"]["cores"] == os.cpu_count()
    stages = {f["stage"] for f in result["figures"]}
    assert {"decode", "landmarks", "offline analyze", "core", "live"} <= stages
    for figure in result["figures"]:
        assert figure["best"] == figure["best"] and figure["best"] >= 0, figure  # a number, not NaN
    assert result["memory"]["peak_rss_mb"] > 0
    assert "frames" in result["bench_core"]["output"]
