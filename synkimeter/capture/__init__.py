"""Frames from video files and cameras (a thin layer over cv2.VideoCapture).

    with open_source("clip.mp4") as src:          # or open_source(0) for camera 0
        for frame in FrameQueueReader(src):        # decode in a thread, every frame, in order
            ...frame.index, frame.timestamp_s, frame.image (BGR uint8)

Failures a person can cause raise `SourceError`, whose str() is one plain sentence.
"""

from .readers import FrameQueueReader, LatestFrameReader, RecordingReader
from .sources import (
    CameraInfo,
    CameraSource,
    Frame,
    FrameSource,
    SourceError,
    SourceSpec,
    VideoFileSource,
    VideoInfo,
    frames_at,
    list_cameras,
    open_source,
    probe_video,
)

__all__ = [
    "CameraInfo",
    "CameraSource",
    "Frame",
    "FrameQueueReader",
    "FrameSource",
    "LatestFrameReader",
    "RecordingReader",
    "SourceError",
    "SourceSpec",
    "VideoFileSource",
    "VideoInfo",
    "frames_at",
    "list_cameras",
    "open_source",
    "probe_video",
]
