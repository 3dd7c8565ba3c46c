"""A clip's landmarks over time, and its .npz file (no pickles: safe to load from anywhere)."""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.anatomy import N_LANDMARKS

FORMAT = "synkimeter-landmarks"
FORMAT_VERSION = 1


@dataclass
class LandmarkSeries:
    timestamps_s: np.ndarray  # (T,) float64 seconds
    points: np.ndarray  # (T, 478, 3) float32 pixels; NaN rows where no face
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

    def __post_init__(self) -> None:
        self.timestamps_s = np.asarray(self.timestamps_s, dtype=np.float64)
        self.points = np.asarray(self.points, dtype=np.float32)
        self.n_faces = np.asarray(self.n_faces, dtype=np.int8)
        t = self.timestamps_s.shape[0]
        if self.points.shape != (t, N_LANDMARKS, 3):
            raise ValueError(f"points must be ({t}, {N_LANDMARKS}, 3), got {self.points.shape}")
        if self.n_faces.shape != (t,):
            raise ValueError(f"n_faces must be ({t},), got {self.n_faces.shape}")
        self.width, self.height = int(self.width), int(self.height)
        self.fps = float(self.fps) if self.fps is not None else math.nan
        self.truncated = bool(self.truncated)
        self.warnings = [str(w) for w in self.warnings]
        self.optical_flow_points = [int(i) for i in self.optical_flow_points]

    def __len__(self) -> int:
        return int(self.timestamps_s.shape[0])

    @property
    def face_frames(self) -> np.ndarray:
        """(T,) bool: frames in which a face was found."""
        return np.isfinite(self.points[:, 0, 0])

    @property
    def face_fraction(self) -> float:
        return float(self.face_frames.mean()) if len(self) else 0.0

    @property
    def duration_s(self) -> float:
        return float(self.timestamps_s[-1] - self.timestamps_s[0]) if len(self) > 1 else 0.0

    # -- file ---------------------------------------------------------------------------------
    def save_npz(self, path: str | os.PathLike[str]) -> Path:
        """Write compressed, atomically (temp file in the same folder, then os.replace)."""
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
        }
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez_compressed(
                    fh,
                    timestamps_s=self.timestamps_s,
                    points=self.points,
                    n_faces=self.n_faces,
                    meta=np.array(json.dumps(meta, ensure_ascii=False)),  # a plain unicode scalar
                )
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        return path

    @classmethod
    def load_npz(cls, path: str | os.PathLike[str]) -> "LandmarkSeries":
        with np.load(Path(path), allow_pickle=False) as data:
            meta = json.loads(str(data["meta"][()]))
            if meta.get("format") != FORMAT:
                raise ValueError(f"'{path}' is not a synkimeter landmark file.")
            if int(meta.get("version", 0)) > FORMAT_VERSION:
                raise ValueError(f"'{path}' was written by a newer synkimeter; please update.")
            fps = meta.get("fps")
            return cls(
                timestamps_s=data["timestamps_s"],
                points=data["points"],
                n_faces=data["n_faces"],
                width=meta["width"],
                height=meta["height"],
                fps=math.nan if fps is None else fps,
                source=meta.get("source", ""),
                truncated=meta.get("truncated", False),
                warnings=list(meta.get("warnings", [])),
                optical_flow_points=list(meta.get("optical_flow_points", [])),
            )


__all__ = ["LandmarkSeries"]
