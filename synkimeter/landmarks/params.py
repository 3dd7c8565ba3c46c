"""Settings of the face mesh and of the optical flow that follows the mouth corners between its
frames. They shape the landmarks, so they are saved with each result beside the measurement's own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from synkimeter.core.params import Overridable, params_dict


@dataclass(frozen=True)
class ExtractionParams(Overridable):
    # --- landmark extraction -----------------------------------------------------------------
    max_faces: int = 2
    # While it follows fewer than max_faces, the face mesh looks for another face once in this long
    # (the first frame of each such interval of the clip's time); a face lost is looked for on every
    # frame. Looking on every frame, as MediaPipe does, is a third of its time and changes no
    # landmark of a followed face (see landmarks/mesh_graph.py); 0 looks on every frame.
    face_search_interval_s: float = 0.3
    # Offline, a video file is cut in this many parts, each meshed by its own face mesh and stitched
    # by frame: at once, a thread each (MediaPipe releases the GIL), where there is a core for each,
    # else in turn (the same landmarks). A fixed number, so results do not depend on the machine.
    # Two reach 300 frames/s at 640x480 on two cores and change results by <= 0.04 mm (sample clips).
    landmark_workers: int = 2
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    # The face mesh is a whole-face model: it under-reads a one-sided mouth-corner pull (1 mm read
    # 0.5 mm, 3 mm read 2.5 mm), spreads a quarter of it to the other corner and moves the corners
    # ~0.2 mm on every blink of a still face; its head anchors jitter. So the two commissures and the
    # head anchors are followed from frame to frame by optical flow of the image itself (pyramidal
    # Lucas-Kanade, checked forwards and backwards) and held to the mesh only at slow time scales (a
    # first-order pull with this time constant, far longer than a blink's 0.1-0.5 s).
    # See synkimeter/landmarks/flow.py.
    optical_flow: bool = True
    optical_flow_tau_s: float = 2.0
    # The tracking window's side as a fraction of the mouth's width (corner to corner), odd, clipped
    # to 9-41 px: at the mouth, the corner and its lip edges, not the cheek around it. Measured on a
    # real face with a pull imposed on the corner and lip edge only (synth/realface.py, "narrow"):
    # 0.15 read 4 mm as 3.45 mm, 0.12 as 3.79 mm, 0.10 as 3.93 mm but with 0.29 mm instead of 0.21 mm
    # of jitter-driven movement on the other corner; a broad (cheek) pull and the synthetic clips read
    # the same at all three.
    optical_flow_window_mouth: float = 0.12
    # The window's least side, px (odd). 7 (so that the 12 % holds down to a 58 px mouth) read a
    # corner-only pull 3-9 points higher on two faces with 58-59 px mouths, but its jitter on the
    # smaller face gated two of six blinks in bursts as "the mouth moved on its own" (docs/validation.md,
    # "How small a face"); such a face's corners are refined with a small window instead (below), and
    # it is warned about (`min_mouth_detail_px`).
    optical_flow_window_min_px: int = 9
    # Where that least side is wider than 12 % of the mouth (a mouth under ~75 px), the corners are
    # also refined with a window of this side (0: not), from the wide window's step, and that
    # refinement is let go with this time constant: a blink's quick pull on the corner comes from
    # the small window, which sees the corner rather than the lips and cheek around it, while the
    # wide window keeps the corner's place between blinks (the small window's own wander fades).
    # On lossless frames of a 58 px mouth a corner-only pull read 71-82 % before, 76-94 % after; the
    # man made as small (59 and 73 px mouths) 79-94 % before, 86-98 % after; a slower fade (0.4 s)
    # wandered enough to lose blinks in bursts (docs/validation.md, "A small window for a small face").
    optical_flow_fine_window_px: int = 5
    optical_flow_fine_tau_s: float = 0.2
    # The refinement's least eigenvalue (OpenCV's minEigThreshold, per pixel of its window), under
    # which a corner holds too little detail for 5 px and keeps the wide window's step: 10x OpenCV's
    # default. Measured at 5 px on the mouth corners: 0.004-0.07 on two faces as recorded, 0.0003 at
    # the second face's pulled corner darkened, where the refinement's wander had cost two blinks
    # and graded its healthy control "mild".
    optical_flow_fine_min_eigen: float = 1e-3
    # Larger faces are followed in the frame shrunk by a whole factor, so that the mouth is about
    # this wide (a 1.5x wider mouth is halved): the cost stays that of a 640x480 webcam face at any
    # resolution, and the flow is still accurate to a fraction of a (full-size) pixel.
    optical_flow_mouth_px: float = 100.0
    # A flow step whose backward check misses by more than this (pixels of the image followed) is not
    # trusted; that frame the point moves with the mesh instead.
    optical_flow_max_fb_px: float = 0.5
    # A leash: a followed point stays within this fraction of the mouth's width (~2.5 mm on an
    # adult's ~50 mm mouth) of the mesh's. The mesh under-reads a 3-4 mm pull by well under that, so
    # measurement is untouched; flow that slides along the lips while someone talks is held to it.
    optical_flow_leash_mouth: float = 0.05
    # Across a longer gap in time (dropped frames, a lost face) the flow restarts at the mesh.
    optical_flow_max_gap_s: float = 0.25


def extraction_dict(params: ExtractionParams) -> dict[str, Any]:
    return params_dict(params, ExtractionParams)


DEFAULT_EXTRACTION = ExtractionParams()
