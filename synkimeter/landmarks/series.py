"""A clip's landmarks over time, and its .npz file (no pickles: safe to load from anywhere).

Memory: the measurement needs only the `MEASURED` points (about a seventh of the mesh's 478), so a
series extracted from a video or read from a file keeps just those in memory (`measured`) and its
full frames in a `PointSpool`, an unlinked temporary file read back in chunks to save the landmark
file. An hour at 30 frames/s is then ~80 MB in memory instead of ~600 MB.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.anatomy import MEASURED, N_LANDMARKS, unmirrored

FORMAT = "synkimeter-landmarks"
FORMAT_VERSION = 1
_FRAME_BYTES = N_LANDMARKS * 3 * 4  # one float32 frame
_CHUNK_FRAMES = 1024  # ~6 MB read or written at a time


class PointSpool:
    """Full (478, 3) float32 frames in an unlinked temporary file (owner-only, gone when closed).

    Array-like enough for the few places that want the whole thing (`np.asarray(spool)`,
    `spool[...]`, `.shape`): those read it all into memory; `chunks()` does not."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()
        self.frames = 0

    def append(self, points: np.ndarray) -> None:
        """One frame (478, 3), or several (k, 478, 3)."""
        block = np.ascontiguousarray(points, dtype=np.float32)
        self._file.write(block.tobytes())
        self.frames += block.size * 4 // _FRAME_BYTES

    def extend(self, other: "PointSpool") -> None:
        other._file.flush()
        other._file.seek(0)
        shutil.copyfileobj(other._file, self._file, 1 << 20)
        self.frames += other.frames
        other.close()

    def read(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        stop = self.frames if stop is None else min(stop, self.frames)
        self._file.flush()
        data = os.pread(self._file.fileno(), max(0, stop - start) * _FRAME_BYTES, start * _FRAME_BYTES)
        return np.frombuffer(data, np.float32).reshape(-1, N_LANDMARKS, 3).copy()

    def chunks(self):
        for start in range(0, self.frames, _CHUNK_FRAMES):
            yield self.read(start, start + _CHUNK_FRAMES)

    def close(self) -> None:
        self._file.close()

    def __len__(self) -> int:
        return self.frames

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.frames, N_LANDMARKS, 3)

    dtype = np.dtype(np.float32)

    def __array__(self, dtype=None):
        return self.read() if dtype is None else self.read().astype(dtype)

    def __getitem__(self, key):
        return self.read()[key]


class LandmarkFileError(ValueError):
    """A landmark file this synkimeter cannot read; str() is one plain sentence naming the file."""


@dataclass
class LandmarkSeries:
    timestamps_s: np.ndarray  # (T,) float64 seconds
    points: np.ndarray | PointSpool  # (T, 478, 3) float32 pixels; NaN rows where no face
    n_faces: np.ndarray  # (T,) int8 faces seen per frame
    width: int
    height: int
    fps: float  # nominal rate (from the source, else from the timestamps); NaN if unknown
    source: str
    truncated: bool = False
    warnings: list[str] = field(default_factory=list)
    # Landmarks whose x, y were followed by optical flow (see flow.py); the rest are the face mesh's
    # own. Empty in files written before the flow existed.
    optical_flow_points: list[int] = field(default_factory=list)
    # (T, len(MEASURED), 3): the points the measurement uses; taken from `points` when not given.
    measured: np.ndarray | None = None
    # The video was mirrored (a phone's front camera): `points` are as the mesh saw them, `measured`
    # as an unmirrored video would have given them (see `unmirrored`).
    mirrored: bool = False
    # (K, 3) a sample of frames' light: face grey level, picture grey level, face contrast (0-255);
    # empty when unknown (a file written before it was kept).
    light: np.ndarray | None = None

    def unmirrored(self) -> "LandmarkSeries":
        """This series of a mirrored video, its measured points as the subject's true sides; itself
        when already so."""
        if self.mirrored:
            return self
        return dataclasses.replace(self, measured=unmirrored(np.asarray(self.measured), self.width), mirrored=True)

    def __post_init__(self) -> None:
        self.timestamps_s = np.asarray(self.timestamps_s, dtype=np.float64)
        if not isinstance(self.points, PointSpool):
            self.points = np.asarray(self.points, dtype=np.float32)
        self.n_faces = np.asarray(self.n_faces, dtype=np.int8)
        t = self.timestamps_s.shape[0]
        if self.points.shape != (t, N_LANDMARKS, 3):
            raise ValueError(f"points must be ({t}, {N_LANDMARKS}, 3), got {self.points.shape}")
        if self.n_faces.shape != (t,):
            raise ValueError(f"n_faces must be ({t},), got {self.n_faces.shape}")
        if self.measured is None:
            self.measured = MEASURED.take(np.asarray(self.points))
        self.measured = np.asarray(self.measured, dtype=np.float32)
        if self.measured.shape != (t, len(MEASURED), 3):
            raise ValueError(f"measured must be ({t}, {len(MEASURED)}, 3), got {self.measured.shape}")
        self.width, self.height = int(self.width), int(self.height)
        self.fps = float(self.fps) if self.fps is not None else math.nan
        self.truncated = bool(self.truncated)
        self.warnings = [str(w) for w in self.warnings]
        self.optical_flow_points = [int(i) for i in self.optical_flow_points]
        self.mirrored = bool(self.mirrored)
        self.light = np.asarray(self.light if self.light is not None else np.zeros((0, 3)), np.float32).reshape(-1, 3)

    def __len__(self) -> int:
        return int(self.timestamps_s.shape[0])

    @property
    def face_frames(self) -> np.ndarray:
        """(T,) bool: frames in which a face was found."""
        assert self.measured is not None  # set in __post_init__
        return np.isfinite(self.measured[:, 0, 0])

    @property
    def face_fraction(self) -> float:
        return float(self.face_frames.mean()) if len(self) else 0.0

    @property
    def duration_s(self) -> float:
        return float(self.timestamps_s[-1] - self.timestamps_s[0]) if len(self) > 1 else 0.0

    def _point_chunks(self):
        if isinstance(self.points, PointSpool):
            yield from self.points.chunks()
        else:
            for start in range(0, len(self), _CHUNK_FRAMES):
                yield self.points[start:start + _CHUNK_FRAMES]

    # -- file ---------------------------------------------------------------------------------
    def save_npz(self, path: str | os.PathLike[str]) -> Path:
        """Write compressed, atomically (temp file in the same folder, then os.replace).

        The layout is numpy's own .npz (np.load reads it), written here member by member so the
        points go out in chunks and a full disk leaves one OSError and no half-closed zip behind."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "width": self.width,
            "height": self.height,
            "fps": None if math.isnan(self.fps) else self.fps,
            "source": self.source,
            "truncated": self.truncated,
            "warnings": self.warnings,
            "optical_flow_points": self.optical_flow_points,
            "mirrored": self.mirrored,
            "light": np.round(np.asarray(self.light, np.float64), 2).tolist(),
        }
        small = {"timestamps_s": self.timestamps_s, "n_faces": self.n_faces,
                 "meta": np.array(json.dumps(meta, ensure_ascii=False))}  # a plain unicode scalar
        header = {"descr": np.lib.format.dtype_to_descr(np.dtype("<f4")), "fortran_order": False,
                  "shape": (len(self), N_LANDMARKS, 3)}
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
                    for name, array in small.items():
                        with zf.open(f"{name}.npy", "w", force_zip64=True) as out:
                            np.lib.format.write_array(out, array, allow_pickle=False)
                    with zf.open("points.npy", "w", force_zip64=True) as out:
                        np.lib.format.write_array_header_1_0(out, header)
                        for chunk in self._point_chunks():
                            out.write(np.ascontiguousarray(chunk, dtype="<f4").tobytes())
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException as exc:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            if isinstance(exc, OSError) and exc.filename == tmp:
                exc.filename = str(path)  # the file the user asked for, not the temporary one beside it
            raise
        return path

    @classmethod
    def load_npz(cls, path: str | os.PathLike[str]) -> "LandmarkSeries":
        """Read a landmark file; its full points go to a PointSpool chunk by chunk, never all in memory."""
        with np.load(Path(path), allow_pickle=False) as data:
            meta = json.loads(str(data["meta"][()]))
            if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                raise LandmarkFileError(f"'{path}' is not a landmark file saved by synkimeter.")
            version = meta.get("version", 0)
            if isinstance(version, (int, float)) and version > FORMAT_VERSION:
                raise LandmarkFileError(f"'{path}' was made by a newer synkimeter (landmark file version {version:g}, "
                                        f"this one reads up to {FORMAT_VERSION}): please update synkimeter.")
            timestamps, n_faces = data["timestamps_s"], data["n_faces"]
        spool, measured = _read_points(Path(path))
        fps = meta.get("fps")
        series = cls(
            timestamps_s=timestamps,
            points=spool,
            n_faces=n_faces,
            width=meta["width"],
            height=meta["height"],
            fps=math.nan if fps is None else fps,
            source=meta.get("source", ""),
            truncated=meta.get("truncated", False),
            warnings=list(meta.get("warnings", [])),
            optical_flow_points=list(meta.get("optical_flow_points", [])),
            measured=measured,
            light=_light(meta.get("light")),
        )
        # The file keeps the points as the mesh saw them; a mirrored video's are unmirrored on reading.
        return series.unmirrored() if meta.get("mirrored") is True else series


def _light(value) -> np.ndarray | None:
    """The light samples of a file's meta, or None when missing or not numbers."""
    try:
        return np.asarray(value, np.float32).reshape(-1, 3) if value else None
    except (TypeError, ValueError):
        return None


def _read_points(path: Path) -> tuple[PointSpool, np.ndarray]:
    """The file's points.npy, chunk by chunk: into a spool, and its MEASURED subset into memory."""
    with zipfile.ZipFile(path) as zf, zf.open("points.npy") as fh:
        version = np.lib.format.read_magic(fh)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran_order, dtype = read_header(fh)
        if fortran_order or dtype.kind != "f" or len(shape) != 3 or tuple(shape[1:]) != (N_LANDMARKS, 3):
            raise ValueError(f"points must be (T, {N_LANDMARKS}, 3) floats in C order, got {shape} {dtype}")
        frame_bytes = N_LANDMARKS * 3 * dtype.itemsize
        spool, measured = PointSpool(), []
        for start in range(0, shape[0], _CHUNK_FRAMES):
            count = min(_CHUNK_FRAMES, shape[0] - start)
            data = fh.read(count * frame_bytes)
            if len(data) != count * frame_bytes:
                raise ValueError("the points end early")
            chunk = np.frombuffer(data, dtype).reshape(count, N_LANDMARKS, 3).astype(np.float32)
            spool.append(chunk)
            measured.append(MEASURED.take(chunk))
    empty = np.zeros((0, len(MEASURED), 3), np.float32)
    return spool, np.concatenate(measured) if measured else empty


__all__ = ["LandmarkFileError", "LandmarkSeries", "PointSpool"]
