"""MediaPipe Face Mesh landmark indices (refine_landmarks=True, 478 points), by the subject's side.

"right"/"left" are always the subject's: in an unmirrored image the subject's right eye is on the
image's left.
"""

from __future__ import annotations

import numpy as np

N_LANDMARKS = 478
SIDES = ("right", "left")

LATERAL_CANTHUS = {"right": 33, "left": 263}
MEDIAL_CANTHUS = {"right": 133, "left": 362}
UPPER_LID = {
    "right": (246, 161, 160, 159, 158, 157, 173),
    "left": (466, 388, 387, 386, 385, 384, 398),
}
LOWER_LID = {
    "right": (7, 163, 144, 145, 153, 154, 155),
    "left": (249, 390, 373, 374, 380, 381, 382),
}
# The three central upper/lower lid pairs (lateral to medial) whose gaps make the fissure height.
CENTRAL_LID_PAIRS = {side: tuple(zip(UPPER_LID[side][2:5], LOWER_LID[side][2:5])) for side in SIDES}

IRIS_CENTRE = {"right": 468, "left": 473}
IRIS_RING = {"right": (469, 470, 471, 472), "left": (474, 475, 476, 477)}
# Ring order is (lateral-or-medial, top, the other horizontal end, bottom): 0-2 is the horizontal
# diameter, 1-3 the vertical one (checked on real clips).
IRIS_HORIZONTAL = {side: (ring[0], ring[2]) for side, ring in IRIS_RING.items()}

COMMISSURE = {"right": 61, "left": 291}
# Upper brow contour, its middle three points (lateral to medial): brow raise and the brow's descent
# in a forceful eye closure are read from their height.
BROW = {"right": (63, 105, 66), "left": (293, 334, 296)}
UPPER_LIP_INNER = 13
# The upper lip's outer border either side of the philtrum (medial to lateral): a snarl lifts it
# towards the nose (levator labii superioris), showing the upper teeth.
UPPER_LIP_OUTER = {"right": (37, 39), "left": (267, 269)}
LOWER_LIP_INNER = 14

NASAL_BRIDGE = (6, 168)
NOSE_TIP = (4, 1)
FOREHEAD = 10
CHIN = 152
MIDLINE = (10, 151, 9, 8, 168, 6, 197, 195, 5, 4, 1, 0, 17, 152)

# Points that move with neither the lids nor the mouth: nasal bridge and dorsum, forehead, upper
# face contour. Eye corners, cheeks and jaw are left out on purpose.
HEAD_ANCHORS = np.array([6, 168, 197, 195, 5, 4, 10, 151, 9, 8, 127, 356, 234, 454], dtype=np.intp)

# Outlines for drawing (closed loops), lateral to medial along the upper lid then back along the lower.
EYE_CONTOUR = {side: UPPER_LID[side] + tuple(reversed(LOWER_LID[side])) for side in SIDES}


class LandmarkSubset:
    """The few mesh points the measurement uses, packed densely so an hour of frames stays small.

    `subset.take(points)` turns (T, 478, 3) into (T, M, 3); `subset[i]` is where mesh point i sits
    in the packed array, and `subset[(i, j, ...)]` gives an index array.
    """

    def __init__(self, indices):
        self.indices = np.array(sorted(set(int(i) for i in indices)), dtype=np.intp)
        self._position = np.full(N_LANDMARKS, -1, dtype=np.intp)
        self._position[self.indices] = np.arange(self.indices.size)

    def __getitem__(self, mesh_index):
        pos = self._position[np.asarray(mesh_index, dtype=np.intp)]
        if np.any(pos < 0):
            raise KeyError(f"mesh point(s) {mesh_index} are not in this subset")
        return pos

    def __len__(self) -> int:
        return int(self.indices.size)

    def take(self, points: np.ndarray) -> np.ndarray:
        if points.shape[1] == len(self) and points.shape[1] != N_LANDMARKS:
            return points
        # Fancy indexing on axis 1 returns a frame-minor memory layout; every later per-frame
        # operation is several times faster on a C-ordered copy. np.take gives that copy directly,
        # three times faster than the fancy index and its reordering copy.
        return np.take(np.asarray(points), self.indices, axis=1)


MEASURED = LandmarkSubset(
    [*HEAD_ANCHORS, *MIDLINE, UPPER_LIP_INNER, LOWER_LIP_INNER]
    + [i for side in SIDES for i in (
        LATERAL_CANTHUS[side], MEDIAL_CANTHUS[side], COMMISSURE[side], IRIS_CENTRE[side],
        *IRIS_RING[side], *UPPER_LID[side], *LOWER_LID[side], *BROW[side], *UPPER_LIP_OUTER[side])]
)


# Each measured point's counterpart on the face's other side (MediaPipe's mesh is symmetric point
# for point; the midline and the lip centre are their own). A mirrored video (a phone's front camera
# saves one) shows the subject's right side where the left belongs: the mesh then calls the right
# eye the left one. Flipping x and swapping each point with its counterpart undoes that.
MIRROR_PAIRS = tuple(
    pair for side_pairs in (
        zip(UPPER_LID["right"], UPPER_LID["left"]), zip(LOWER_LID["right"], LOWER_LID["left"]),
        zip(BROW["right"], BROW["left"]),
        # the iris ring's image-right and image-left points trade places, its top and bottom stay
        zip(IRIS_RING["right"], (476, 475, 474, 477)),
        ((LATERAL_CANTHUS["right"], LATERAL_CANTHUS["left"]), (MEDIAL_CANTHUS["right"], MEDIAL_CANTHUS["left"]),
         (COMMISSURE["right"], COMMISSURE["left"]), (IRIS_CENTRE["right"], IRIS_CENTRE["left"]),
         (127, 356), (234, 454)),
    ) for pair in side_pairs
)


def _mirror_order(subset: LandmarkSubset) -> np.ndarray:
    partner = np.arange(N_LANDMARKS)
    for a, b in MIRROR_PAIRS:
        partner[a], partner[b] = b, a
    return subset[partner[subset.indices]]


MEASURED_MIRROR_ORDER = _mirror_order(MEASURED)


def unmirrored(measured: np.ndarray, width: float) -> np.ndarray:
    """The packed `MEASURED` points (T, M, 3) of a mirrored video as an unmirrored one would give them:
    x reflected within the picture's width and every point swapped with its counterpart."""
    out = np.asarray(measured)[:, MEASURED_MIRROR_ORDER].copy()
    out[..., 0] = width - out[..., 0]
    return out

