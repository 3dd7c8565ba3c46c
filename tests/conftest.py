"""Shared test set-up: Qt offscreen, and the real healthy-face clips beside the checkout."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# ../shared/realclips exists beside the checkout in CI, not on a user's machine.
REALCLIPS = Path(__file__).resolve().parents[2] / "shared" / "realclips"


@pytest.fixture(autouse=True)
def _private_window_state(tmp_path_factory, monkeypatch):
    """The window remembers its current patient in a config folder: a fresh one per test, never the user's."""
    monkeypatch.setenv("SYNKIMETER_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))
    yield
    # A test that chose large text leaves the next one at the normal size (the factor is module state).
    from synkimeter.gui import theme

    theme.set_text_scale(1.0)


@pytest.fixture
def laptop_window(qtbot, monkeypatch, tmp_path):
    """The main window as on a 1366x768 laptop (less the desktop's bar), with an empty store of its own."""
    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(tmp_path / "data"))
    from synkimeter.gui.main_window import MainWindow

    window = MainWindow(cameras=[])
    qtbot.addWidget(window)
    window.resize(1366, 730)
    window.show()
    qtbot.waitUntil(lambda: window.store_settled)
    yield window
    window.close()


@pytest.fixture(scope="session")
def realclips_dir() -> Path:
    if not (REALCLIPS / "talking_glasses_man.mp4").exists():
        pytest.skip("../shared/realclips is not beside this checkout")
    return REALCLIPS


# --- PostgreSQL: a real server that the test session starts itself (tests/postgres.py) ---------------

_NO_POSTGRES = "no PostgreSQL server binaries (initdb, pg_ctl, postgres) on PATH or in /usr/lib/postgresql/*/bin"


def pytest_collection_modifyitems(items):
    # Every test that uses the server carries the `postgres` marker, so `-m "not postgres"` leaves them out.
    for item in items:
        if "postgres_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


def _missing(reason: str):
    # CI must run the clinic store's tests: there a missing server is a failure, not a skip.
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI installs Debian's postgresql package (.ci/run), so this must not happen.",
                    pytrace=False)
    pytest.skip(f"{reason} (apt-get install postgresql)")


@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL server for the whole session (started in about a second), stopped at its end."""
    try:
        from postgres import PostgresServer, find_bin_dir
    except ImportError as error:  # psycopg comes with the test extra
        _missing(f"psycopg is not installed ({error})")
    if find_bin_dir() is None:
        _missing(_NO_POSTGRES)
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_db(postgres_server, request):
    """A fresh empty database per test, dropped afterwards: a PostgresDatabase with .name and .url, the
    superuser's SQLAlchemy URL over the unix socket (postgresql+psycopg://postgres@/NAME?host=DIR&port=N)."""
    import uuid

    name = f"test_{uuid.uuid4().hex[:12]}"
    database = postgres_server.create_database(name)
    request.addfinalizer(lambda: postgres_server.drop_database(name))
    return database


# --- Landmarks of a clip, extracted once and kept in pytest's cache ----------------------------------

_LANDMARK_CODE = Path(__file__).resolve().parents[1] / "synkimeter" / "landmarks"


@pytest.fixture(scope="session")
def landmarks_of(request, tmp_path_factory):
    """`landmarks_of(clip)`: the path of the clip's face-mesh landmarks (.npz), extracted the first time
    and then kept in pytest's cache (.pytest_cache), keyed by the clip's bytes and the source of
    synkimeter/landmarks, so a change to the extraction extracts again. Tests of what is made of the
    landmarks (the summary, the report) then run in a second instead of MediaPipe's ten."""
    import hashlib

    def landmarks(clip: Path) -> Path:
        key = hashlib.sha256(Path(clip).read_bytes())
        for source in sorted(_LANDMARK_CODE.rglob("*.py")):
            key.update(source.read_bytes())
        cache = getattr(request.config, "cache", None)  # None under -p no:cacheprovider: this session only
        folder = cache.mkdir("landmarks") if cache is not None else tmp_path_factory.getbasetemp() / "landmarks"
        folder.mkdir(exist_ok=True)
        npz = folder / f"{Path(clip).stem}-{key.hexdigest()[:16]}.npz"
        if not npz.exists():
            from synkimeter.usecases.analyze import load_series

            partial = npz.with_name(npz.stem + ".partial.npz")
            load_series(Path(clip)).save_npz(partial)  # as `analyze` extracts them
            partial.replace(npz)
        return npz

    return landmarks
