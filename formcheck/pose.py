"""MediaPipe Pose adapter: the only module that imports mediapipe.

Frames in (``(H, W, 3) uint8`` RGB), :class:`~formcheck.landmarks.PoseFrame` out
(pixels, visibility, world metres), plus the person-segmentation mask
``(H, W) float32`` in [0, 1] when asked for. Nothing mediapipe-typed leaves
this module, so another backend can replace it behind the same interface.

Only the BlazePose *full* model (``model_complexity=1``) ships inside the
``mediapipe==0.10.21`` wheel. The lite (0) and heavy (2) models are downloaded
by mediapipe on first use; with no network that fails deep inside the graph,
so we check for the file first and say what to do instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .landmarks import N_LANDMARKS, PoseFrame

_MODEL_FILES = {0: "pose_landmark_lite.tflite", 1: "pose_landmark_full.tflite", 2: "pose_landmark_heavy.tflite"}


class ModelUnavailable(RuntimeError):
    """The requested pose model is not on this machine (message is user-facing)."""


def _quiet() -> None:
    # mediapipe's C++ side logs feedback-tensor and projection notes on every start
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _model_dir() -> Path:
    _quiet()
    import mediapipe

    return Path(mediapipe.__file__).parent / "modules" / "pose_landmark"


def check_model(model_complexity: int) -> Path:
    """Path of the landmark model for ``model_complexity``; raise if it is missing."""
    if model_complexity not in _MODEL_FILES:
        raise ModelUnavailable(f"model_complexity must be 0, 1 or 2, got {model_complexity}")
    path = _model_dir() / _MODEL_FILES[model_complexity]
    if not path.exists():
        raise ModelUnavailable(
            f"model_complexity={model_complexity} needs {path.name}, which mediapipe downloads at run "
            f"time and this machine cannot fetch. Use model_complexity=1 (bundled), or copy "
            f"{path.name} to {path.parent}/ yourself."
        )
    return path


class PoseEstimator:
    """BlazePose in video (tracking) mode. Use as a context manager.

    ``process(rgb)`` must be fed frames of one stream in time order.
    """

    def __init__(
        self,
        model_complexity: int = 1,
        segmentation: bool = False,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
    ) -> None:
        check_model(model_complexity)
        self.model_complexity = model_complexity
        self.segmentation = segmentation
        self._kw = dict(
            static_image_mode=False,
            model_complexity=model_complexity,
            smooth_landmarks=True,
            enable_segmentation=segmentation,
            smooth_segmentation=segmentation,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )
        self._pose = None

    def __enter__(self) -> PoseEstimator:
        _quiet()
        from mediapipe.python.solutions import pose as mp_pose

        self._pose = mp_pose.Pose(**self._kw)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pose is not None:
            self._pose.close()
            self._pose = None

    def process(self, t_s: float, rgb: np.ndarray) -> tuple[PoseFrame, np.ndarray | None]:
        """Landmarks (and the mask, if enabled) of the most prominent person in ``rgb``."""
        if self._pose is None:
            raise RuntimeError("PoseEstimator used outside its with-block")
        h, w = rgb.shape[:2]
        res = self._pose.process(rgb)
        if res.pose_landmarks is None:
            return PoseFrame.empty(t_s), None
        lm = res.pose_landmarks.landmark
        arr = np.array([(p.x, p.y, p.visibility) for p in lm], dtype=np.float32)
        xy = arr[:, :2] * np.array([w, h], dtype=np.float32)
        vis = arr[:, 2]
        if res.pose_world_landmarks is not None:
            world = np.array([(p.x, p.y, p.z) for p in res.pose_world_landmarks.landmark], dtype=np.float32)
        else:
            world = np.full((N_LANDMARKS, 3), np.nan, np.float32)
        mask = None
        if self.segmentation and res.segmentation_mask is not None:
            mask = np.asarray(res.segmentation_mask, dtype=np.float32)
        return PoseFrame(t_s=t_s, xy=xy, vis=vis, world=world), mask
