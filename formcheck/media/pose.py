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

from ..engine.landmarks import N_LANDMARKS, PoseFrame

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


def _graph_config(threads: int):  # -> CalculatorGraphConfig
    """The pose graph with its two TFLite models set to ``threads`` XNNPACK threads.

    mediapipe's default is one inference thread. More helps a process alone on
    the machine (2 threads on 2 cores: bare model +18% frames/s, ``analyze``
    +9%) but is ruinous when busy processes share the cores: XNNPACK's threads
    spin while they wait, and two 2-thread estimators on 2 cores ran at a sixth
    of their speed (with an x264 encoder beside it, ``--annotate`` got 25%
    slower). So 1 is the default everywhere and more is an explicit choice.
    """
    from mediapipe.calculators.tensor import inference_calculator_pb2
    from mediapipe.framework import calculator_pb2
    from mediapipe.python import solution_base
    from mediapipe.python._framework_bindings import resource_util, validated_graph_config
    from mediapipe.python.solutions import pose as mp_pose

    root = Path(solution_base.__file__).resolve().parents[2]
    resource_util.set_resource_dir(str(root))
    validated = validated_graph_config.ValidatedGraphConfig()
    validated.initialize(binary_graph_path=str(root / mp_pose._BINARYPB_FILE_PATH))
    config = calculator_pb2.CalculatorGraphConfig.FromString(validated.binary_config)
    ext = inference_calculator_pb2.InferenceCalculatorOptions.ext
    for node in config.node:
        if node.calculator.startswith("InferenceCalculator"):
            node.options.Extensions[ext].delegate.xnnpack.num_threads = threads
    return config


def default_threads() -> int:
    """One inference thread per core: for a process alone on the machine."""
    return os.cpu_count() or 1


class PoseEstimator:
    """BlazePose in video (tracking) mode. Use as a context manager.

    ``process(rgb)`` must be fed frames of one stream in time order.
    ``threads`` is the model's inference threads (see :func:`_graph_config`).
    """

    def __init__(
        self,
        model_complexity: int = 1,
        segmentation: bool = False,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        threads: int = 1,
    ) -> None:
        check_model(model_complexity)
        if threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        self.threads = threads
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

        if self.threads == 1:  # mediapipe's own default: use its graph as shipped
            self._pose = mp_pose.Pose(**self._kw)
        else:
            self._pose = _pose_on_graph(_graph_config(self.threads), **self._kw)
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


def _pose_on_graph(config, **kw):  # -> mp_pose.Pose
    """A ``mp_pose.Pose`` running ``config`` instead of the shipped graph file:
    the same side inputs and options as ``mp_pose.Pose.__init__`` passes."""
    from mediapipe.python.solution_base import SolutionBase
    from mediapipe.python.solutions import pose as mp_pose

    video = not kw["static_image_mode"]
    pose = mp_pose.Pose.__new__(mp_pose.Pose)
    SolutionBase.__init__(
        pose,
        graph_config=config,
        side_inputs={
            "model_complexity": kw["model_complexity"],
            "smooth_landmarks": kw["smooth_landmarks"] and video,
            "enable_segmentation": kw["enable_segmentation"],
            "smooth_segmentation": kw["smooth_segmentation"] and video,
            "use_prev_landmarks": video,
        },
        calculator_params={
            "posedetectioncpu__TensorsToDetectionsCalculator.min_score_thresh": kw["min_detection_confidence"],
            "poselandmarkbyroicpu__tensorstoposelandmarksandsegmentation__ThresholdingCalculator.threshold": kw[
                "min_tracking_confidence"
            ],
        },
        outputs=["pose_landmarks", "pose_world_landmarks", "segmentation_mask"],
    )
    return pose
