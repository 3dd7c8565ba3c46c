"""Which source runs, and its worker's life: start, stop, switch, reset. No widgets here."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from synkimeter.capture import CameraSource, FrameSource, SourceError, SourceSpec
from synkimeter.gui.worker import LiveWorker
from synkimeter.usecases.settings import DEFAULT_SETTINGS, Settings

SAMPLE_CLIPS = ("right_3mm.mp4", "healthy.mp4")


def sample_clip_path() -> Path | None:
    """The bundled sample clip (sample_videos/ beside the package, in a checkout; beside the
    executable, in the standalone app), or None."""
    here = Path(__file__).resolve()
    folders = [here.parents[2] / "sample_videos", Path.cwd() / "sample_videos"]
    if getattr(sys, "frozen", False):  # the standalone app (packaging/synkimeter.spec puts them there)
        folders.insert(0, Path(sys.executable).resolve().parent / "sample_videos")
    for folder in folders:
        for name in SAMPLE_CLIPS:
            path = folder / name
            try:
                if path.is_file() and path.stat().st_size > 0:
                    return path
            except OSError:
                continue
    return None


def describe(spec) -> str:
    if isinstance(spec, FrameSource):
        return spec.description
    try:
        return SourceSpec.parse(spec).describe()
    except SourceError:
        return ""


def is_camera(spec) -> bool:
    """Whether `spec` (a typed choice, a SourceSpec or a ready FrameSource) is a live camera."""
    if spec is None or isinstance(spec, FrameSource):
        return isinstance(spec, CameraSource)
    try:
        return SourceSpec.parse(spec).is_camera
    except SourceError:
        return False


def source_key(spec) -> tuple[str, int | str]:
    """The same key for the same source however it was typed (camera 0 and "0" are one)."""
    return SourceSpec.parse(spec).key


def make_source(spec, resolution: tuple[int, int] | None = None) -> FrameSource:
    """A camera number (int or digits), a video path (replayed in real time, like a camera) or a
    ready FrameSource. Raises SourceError for an empty choice."""
    if isinstance(spec, FrameSource):
        return spec
    return SourceSpec.parse(spec).open(realtime=True, resolution=resolution)


class LiveSession(QObject):
    """Owns at most one running `LiveWorker`. States: "stopped", "starting", "running", "ended",
    "failed"; `message` says what happened in plain words."""

    state_changed = Signal(str, str)  # state, message
    snapshot_ready = Signal(object)

    def __init__(self, params: Settings = DEFAULT_SETTINGS, mesh_factory=None, parent=None) -> None:
        super().__init__(parent)
        self.params = params
        self.mesh_factory = mesh_factory
        self.worker: LiveWorker | None = None
        self.spec = None
        self.state = "stopped"
        self.message = ""
        self.source_description = ""
        self._old: list[LiveWorker] = []

    @property
    def running(self) -> bool:
        return self.state in ("starting", "running")

    def _set(self, state: str, message: str = "") -> None:
        self.state, self.message = state, message
        self.state_changed.emit(state, message)

    def start(self, spec=None, resolution: tuple[int, int] | None = None) -> None:
        """Start `spec` (or the last one again); a running source is stopped first."""
        self.stop(quiet=True)
        spec = self.spec if spec is None else spec
        self.spec = spec
        if spec is None:
            self._set("failed", "Choose a camera or a video file.")
            return
        try:
            source = make_source(spec, resolution)
        except SourceError as exc:
            self._set("failed", str(exc))
            return
        if isinstance(spec, FrameSource):
            self.spec = None  # a ready source runs once
        kwargs = {"mesh_factory": self.mesh_factory} if self.mesh_factory else {}
        worker = LiveWorker(source, self.params, **kwargs)
        worker.opened.connect(self._on_opened)
        worker.snapshot_ready.connect(self._on_snapshot)
        worker.failed.connect(self._on_failed)
        worker.ended.connect(self._on_ended)
        self.worker = worker
        self.source_description = describe(spec)
        self._set("starting", f"Opening {self.source_description}…")
        worker.start()

    def stop(self, quiet: bool = False, wait_ms: int = 5000) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            for signal in (worker.opened, worker.snapshot_ready, worker.failed, worker.ended):
                signal.disconnect()
            worker.stop()
            if not worker.wait(wait_ms):  # pragma: no cover - a driver stuck in a read
                self._old.append(worker)
        self._old = [w for w in self._old if w.isRunning()]
        if not quiet and self.state != "stopped":
            self._set("stopped", "Stopped. Press Start (or Space) to go on.")

    def reset(self) -> None:
        if self.worker is not None:
            self.worker.request_reset()

    def take_view(self):
        return self.worker.take_view() if self.worker is not None else None

    def stats(self):
        return self.worker.stats() if self.worker is not None else None

    # -- from the worker (queued into the GUI thread) ---------------------------------------------
    def _on_opened(self, description: str, width: int, height: int) -> None:
        self._set("running", f"{self.source_description} ({width} × {height})")

    def _on_snapshot(self, snapshot) -> None:
        self.snapshot_ready.emit(snapshot)

    def _on_failed(self, message: str) -> None:
        self._finish("failed", message)

    def _on_ended(self) -> None:
        self._finish("ended", "The video has ended. Press Start (or Space) to play it again.")

    def _finish(self, state: str, message: str) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.wait(5000)
        self._set(state, message)
