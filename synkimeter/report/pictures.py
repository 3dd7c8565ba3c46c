"""The report's picture strip: the face at rest and at the peak of each task (usecases.face_pictures),
with the eye outlines and mouth corners drawn from the stored landmarks and the subject's sides
labelled R and L (found from the landmarks, so right where the picture is mirrored)."""

from __future__ import annotations

import math

from synkimeter.core.anatomy import COMMISSURE, EYE_CONTOUR, LATERAL_CANTHUS, SIDES
from synkimeter.report.figures import SIDE_COLOURS, WIDTH_IN, jpeg_bytes, new_figure
from synkimeter.usecases.face_pictures import FacePicture


def picture_strip_jpeg(pictures: list[FacePicture], dpi: int = 150) -> bytes | None:
    """The strip as a JPEG (None without pictures)."""
    if not pictures:
        return None

    per_row = min(len(pictures), 6)
    rows = math.ceil(len(pictures) / per_row)
    fig, axes = new_figure(rows * 1.75 * (6 / max(per_row, 4)) + 0.1, rows=rows, cols=per_row, squeeze=False)
    fig.set_size_inches(WIDTH_IN, fig.get_size_inches()[1])
    for ax in axes.ravel():
        ax.set_axis_off()
    for ax, picture in zip(axes.ravel(), pictures):
        image, face = picture.image, picture.face
        ax.imshow(image, interpolation="bilinear")
        for side in SIDES:
            colour = SIDE_COLOURS[side]
            ring = face[list(EYE_CONTOUR[side]) + [EYE_CONTOUR[side][0]]]
            ax.plot(ring[:, 0], ring[:, 1], color=colour, lw=0.9)
            corner = face[COMMISSURE[side]]
            ax.plot([corner[0]], [corner[1]], ls="none", marker="o", ms=3.2, mfc=colour, mec="white", mew=0.5)
            # the side's letter beyond its outer eye corner, away from the face's middle
            outer = face[LATERAL_CANTHUS[side]]
            middle = face[:, 0].mean()
            away = 1.0 if outer[0] >= middle else -1.0
            ax.annotate("R" if side == "right" else "L", (outer[0], outer[1]), xytext=(7 * away, -6),
                        textcoords="offset points", ha="left" if away > 0 else "right", va="bottom", fontsize=7.5,
                        fontweight="bold", color=colour)
        ax.set_title(picture.moment.caption, fontsize=7, fontweight="normal")
    return jpeg_bytes(fig, dpi=dpi)
