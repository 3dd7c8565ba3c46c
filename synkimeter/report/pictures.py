"""The report's picture strip: the face at rest and at the peak of each task (usecases.face_pictures),
with the eye outlines and mouth corners drawn from the stored landmarks and the subject's sides
labelled R and L (found from the landmarks, so right where the picture is mirrored)."""

from __future__ import annotations

import math

from synkimeter.core.anatomy import COMMISSURE, EYE_CONTOUR, LATERAL_CANTHUS, SIDES
from synkimeter.report.figures import SIDE_COLOURS, WIDTH_IN, jpeg_bytes, new_figure
from synkimeter.usecases.face_pictures import FacePicture

THUMB_IN = 1.2  # each picture's width on the page, inches (five in a row fit on page one)
PER_ROW = 5


def picture_strip_jpeg(pictures: list[FacePicture], dpi: int = 150) -> tuple[bytes, float] | None:
    """The strip as a JPEG, small thumbnails in rows of up to PER_ROW, and its width as a share of the
    page's text width (None without pictures)."""
    if not pictures:
        return None
    from matplotlib import patheffects

    per_row = min(len(pictures), PER_ROW)
    rows = math.ceil(len(pictures) / per_row)
    fig, axes = new_figure(rows * THUMB_IN * 1.2, rows=rows, cols=per_row, squeeze=False)
    fig.set_size_inches(per_row * THUMB_IN, rows * THUMB_IN * 1.2)
    outline = [patheffects.withStroke(linewidth=2.0, foreground="white")]
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
            ax.plot([corner[0]], [corner[1]], ls="none", marker="o", ms=3.6, mfc=colour, mec="white", mew=0.7)
            # the side's letter beyond its outer eye corner, away from the face's middle
            outer = face[LATERAL_CANTHUS[side]]
            middle = face[:, 0].mean()
            away = 1.0 if outer[0] >= middle else -1.0
            ax.annotate("R" if side == "right" else "L", (outer[0], outer[1]), xytext=(7 * away, -6),
                        textcoords="offset points", ha="left" if away > 0 else "right", va="bottom", fontsize=7.5,
                        fontweight="bold", color=colour, path_effects=outline)
        ax.set_title(picture.moment.caption, fontsize=6.3, fontweight="normal")
    return jpeg_bytes(fig, dpi=dpi), fig.get_size_inches()[0] / WIDTH_IN
