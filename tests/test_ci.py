""".ci/run fails when pip backtracks during the README's install (pyproject.toml's upper bounds on
mediapipe's dependencies keep it from downloading release after release of jaxlib and OpenCV)."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _ci_with_command(tmp_path: Path, command: str) -> subprocess.CompletedProcess:
    """Run a copy of .ci/run in a checkout whose README's test command is `command`."""
    if not (shutil.which("initdb") or list(Path("/usr/lib/postgresql").glob("*/bin/initdb"))):
        pytest.skip(".ci/run would install PostgreSQL first")
    (tmp_path / ".ci").mkdir()
    shutil.copy(ROOT / ".ci" / "run", tmp_path / ".ci" / "run")
    (tmp_path / "README.md").write_text(f"<!-- test-command -->\n```\n{command}\n```\n<!-- /test-command -->\n")
    return subprocess.run(["bash", str(tmp_path / ".ci" / "run")], capture_output=True, text=True, timeout=60)


def test_ci_fails_when_pip_backtracks(tmp_path):
    done = _ci_with_command(tmp_path, "echo 'INFO: pip is looking at multiple versions of jaxlib to determine "
                                      "which version is compatible with other requirements. This could take a while.'"
                                      " && echo '  Downloading jaxlib-0.8.1-cp311-cp311-manylinux_2_27_x86_64.whl "
                                      "(80.1 MB)' && echo '  Downloading jaxlib-0.7.1-cp311-cp311-"
                                      "manylinux_2_27_x86_64.whl (81.4 MB)'")
    assert done.returncode == 1
    assert "pip backtracked" in done.stderr and "jaxlib (0.7.1, 0.8.1)" in done.stderr


def test_ci_passes_an_extra_added_to_a_package_already_chosen(tmp_path):
    """pip says it looks at several versions when it adds an extra (dask[distributed]), then keeps one."""
    done = _ci_with_command(tmp_path, "echo 'INFO: pip is looking at multiple versions of dask[distributed] to "
                                      "determine which version is compatible with other requirements.' && echo "
                                      "'Processing /opt/pypi/files/dask-2026.8.0-py3-none-any.whl' && echo "
                                      "'  Downloading distributed-2026.8.0-py3-none-any.whl (1.0 MB)'")
    assert done.returncode == 0, done.stderr


def test_ci_passes_a_plain_install(tmp_path):
    done = _ci_with_command(tmp_path, "echo 'Successfully installed synkimeter-0.1.0'")
    assert done.returncode == 0, done.stderr
    assert "Successfully installed" in done.stdout


def test_ci_keeps_the_command_s_own_failure(tmp_path):
    done = _ci_with_command(tmp_path, "echo tests failed; false")
    assert done.returncode != 0
