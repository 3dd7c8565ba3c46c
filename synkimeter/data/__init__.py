"""Data shipped with the package."""

from __future__ import annotations

from importlib import resources

import numpy as np


def base_face() -> np.ndarray:
    """(478, 3) float32 pixel landmarks of a neutral, open-eyed, frontal face (MediaPipe's mesh of
    scikit-image's public-domain astronaut photo in a 640x480 frame): the reference pose for the
    set-up check, and the face the development tools animate."""
    with resources.files("synkimeter.data").joinpath("base_face.npy").open("rb") as fh:
        return np.load(fh, allow_pickle=False)
