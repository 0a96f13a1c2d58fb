"""MediaPipe Pose adapter: the only module that imports mediapipe.

Frames in (``(H, W, 3) uint8`` RGB), :class:`~formcheck.engine.landmarks.PoseFrame`
out (pixels, visibility, world metres, how many people were seen), plus the
person-segmentation mask when asked for. Nothing mediapipe-typed leaves this
module, so another backend can replace it behind the same interface.

The model is MediaPipe Tasks' ``PoseLandmarker`` in VIDEO mode (tracking from
frame to frame) on a ``.task`` bundle. The BlazePose *full* bundle ships with
formcheck (``models/``: built from the ``mediapipe==0.10.21`` wheel's models
by ``tools/model/``, Apache-2.0, see ``models/NOTICE``); ``model=PATH`` takes a
user's own lite or heavy bundle. Nothing is ever downloaded.

Two costs are kept off the per-frame path:

* **The mask.** MediaPipe draws the person mask at the size of the image it
  is given, and at 1080p that costs a quarter of the model's time. The model
  itself sees a 256x256 crop, so the mask carries no more detail than that:
  when a mask is wanted the frame is shrunk (to keep the torso about
  :data:`MASK_TORSO_PX` pixels long) before the model, the mask comes back at
  that size, and the landmarks, which MediaPipe gives in normalised image
  coordinates, are scaled to the full frame as always.
* **Other people.** With ``num_poses`` above 1 the Tasks graph runs its
  person detector on every frame in which fewer people are tracked, which
  costs 40 % of the speed when one person trains alone. So the tracker follows
  one person, and every :data:`CROWD_EVERY_S` seconds a second landmarker
  (image mode, up to :data:`CROWD_MAX_POSES` people, on a small copy of the
  frame, on a worker thread) looks for everyone in view. The exerciser is the person who stays the
  biggest and most central over those looks (:class:`~formcheck.engine.people.PeopleTracker`);
  if the tracker is found on someone else (a bystander, a mirror reflection),
  it is restarted on a frame where the others are blanked out, and follows
  the exerciser from there. ``PoseFrame.people`` carries the count for the
  engine's ``more_people`` warning.
"""

from __future__ import annotations

import atexit
import os
import re
import sys
import tempfile
import threading
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..engine.landmarks import N_LANDMARKS, Landmark, PoseFrame
from ..engine.people import Box, PeopleTracker, bbox_of

MODEL_DIR = Path(__file__).resolve().parent / "models"
DEFAULT_MODEL = MODEL_DIR / "pose_landmarker_full.task"
BUNDLE_MEMBERS = ("pose_detector.tflite", "pose_landmarks_detector.tflite")

#: With a mask, shrink the frame so the torso (shoulders to hips) is at least this
#: long before the model. The mask is the landmark model's 256x256 crop of the
#: whole person scaled up, where a torso spans about 60-80 px: this keeps more
#: pixels than the mask has detail (about 1 % of torso length per pixel).
MASK_TORSO_PX = 96.0
MASK_SCALES = (1.0, 0.5, 0.25)  # whole factors: OpenCV's area resize is 10x faster on them
#: The shrink for frame ``i`` is decided from frame ``i - SHRINK_LAG``'s torso: frames are
#: made ready for the model (shrunk, wrapped) on the decoding thread a few frames
#: ahead, and a fixed lag gives the same result however the threads run.
SHRINK_LAG = 3
CROWD_EVERY_S = 5.0
CROWD_MAX_POSES = 4
CROWD_SIDE_PX = 640  # the look runs on a copy about this long (halved to it): the detector sees 224x224 anyway
CROWD_LAG_FRAMES = 12


class ModelUnavailable(RuntimeError):
    """The pose model cannot be used (missing or broken file); the message is user-facing."""


_NOISE = re.compile(
    rb"^(?:[IWE]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ [\w/.-]+\.cc:\d+\]|INFO: |WARNING: |"
    rb"WARNING: All log messages before absl::InitializeLog|I0000|W0000)"
)


_QUIET_LOCK = threading.RLock()  # one redirection of fd 2 at a time, whichever thread asks


@contextmanager
def quiet_native() -> Any:
    """Keep MediaPipe's and LiteRT's start-up and shut-down chatter (written by C++
    straight to file descriptor 2) off the user's terminal; anything else that
    was written meanwhile is passed on."""
    with _QUIET_LOCK:
        yield from _quiet_native()


def _quiet_native() -> Any:
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, ValueError, OSError):  # no real stderr (e.g. captured): nothing to hide
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), fd)
        try:
            yield
        finally:
            os.dup2(saved, fd)
            os.close(saved)
            tmp.seek(0)
            kept = [ln for ln in tmp.read().splitlines(keepends=True) if ln.strip() and not _NOISE.match(ln)]
            if kept:
                os.write(fd, b"".join(kept))


def check_model(path: str | Path | None = None) -> Path:
    """The ``.task`` bundle to use (default: the shipped full model), checked to be
    a pose-landmarker bundle; :class:`ModelUnavailable` with one line if not."""
    p = Path(path) if path is not None else DEFAULT_MODEL
    if not p.exists():
        if path is None:
            raise ModelUnavailable(
                f"the shipped pose model {p} is missing: reinstall formcheck (nothing is downloaded at run time)"
            )
        raise ModelUnavailable(f"{p}: no such model file")
    if p.is_dir():
        raise ModelUnavailable(f"{p}: is a folder, not a .task model file")
    try:
        with zipfile.ZipFile(p) as z:
            names = set(z.namelist())
            missing = [m for m in BUNDLE_MEMBERS if m not in names]
            if missing:
                raise ModelUnavailable(
                    f"{p}: not a pose-landmarker bundle (has {', '.join(sorted(names)) or 'nothing'}; "
                    f"needs {' and '.join(BUNDLE_MEMBERS)})"
                )
            for m in BUNDLE_MEMBERS:
                if z.read(m)[4:8] != b"TFL3":
                    raise ModelUnavailable(f"{p}: {m} inside it is not a TFLite model")
    except (zipfile.BadZipFile, OSError) as e:
        raise ModelUnavailable(f"{p}: not a MediaPipe .task model ({e})") from None
    return p


def _landmarker(model: Path, video: bool, num_poses: int, segmentation: bool, conf: tuple[float, float, float]) -> Any:
    from mediapipe.tasks.python import BaseOptions, vision

    opts = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model)),
        running_mode=vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE,
        num_poses=num_poses,
        min_pose_detection_confidence=conf[0],
        min_pose_presence_confidence=conf[1],
        min_tracking_confidence=conf[2],
        output_segmentation_masks=segmentation,
    )
    try:
        with quiet_native():
            return vision.PoseLandmarker.create_from_options(opts)
    except (RuntimeError, OSError, ValueError) as e:  # a bundle that passed check_model but will not load
        raise ModelUnavailable(f"{model}: the pose model does not load ({str(e).splitlines()[0][:200]})") from None


def _image(rgb: np.ndarray) -> Any:
    """``mp.Image`` of a frame. mediapipe 1.x hands the array's first byte and size to
    C, which reads the rows back to back: a strided array (FFmpeg pads rows, a crop,
    a flip) would come out sheared, so it is packed first (a no-op when it is)."""
    import mediapipe as mp

    return mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))


def _resize(rgb: np.ndarray, scale: float) -> np.ndarray:
    """Shrink by ``scale``; for ``1/k`` (``k`` a power of two) the frame is first cut to a multiple of ``k``
    (at most ``k - 1`` pixels off the right and bottom edges, so pixel coordinates
    keep their origin), which keeps OpenCV on its fast whole-factor path."""
    import cv2

    h, w = rgb.shape[:2]
    k = round(1.0 / scale)
    if abs(k * scale - 1.0) < 1e-9 and k & (k - 1) == 0 and h >= k and w >= k:
        rgb = rgb[: h - h % k, : w - w % k]
        while k > 1:  # halving twice averages the same 4x4 blocks as one area resize, 3x faster
            rgb = cv2.resize(rgb, (rgb.shape[1] // 2, rgb.shape[0] // 2), interpolation=cv2.INTER_AREA)
            k //= 2
        return rgb
    return cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def _to_arrays(landmarks: list, world: list | None, w: float, h: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``xy (33, 2)`` px, ``vis (33,)``, ``world (33, 3)`` m from one pose's Tasks landmarks."""
    arr = np.array([(p.x, p.y, p.visibility or 0.0) for p in landmarks], dtype=np.float32)
    xy = arr[:, :2] * np.array([w, h], dtype=np.float32)
    if world:
        wo = np.array([(p.x, p.y, p.z) for p in world], dtype=np.float32)
    else:
        wo = np.full((N_LANDMARKS, 3), np.nan, np.float32)
    return xy, arr[:, 2], wo


#: The image-mode landmarker that looks for everyone in view, one per process and
#: (model, confidences): making one costs about half a second of CPU, a start-up
#: cost like the tracker's own, so it is paid once and shared by every estimator
#: (a batch worker's clips, the page's sessions); its lock serialises their looks.
_CROWD: dict[tuple[str, tuple[float, float, float]], tuple[Any, threading.Lock]] = {}
_CROWD_LOCK = threading.Lock()


def _crowd_landmarker(model: Path, conf: tuple[float, float, float]) -> tuple[Any, threading.Lock]:
    key = (str(model), conf)
    with _CROWD_LOCK:
        got = _CROWD.get(key)
        if got is None:
            lm = _landmarker(model, False, CROWD_MAX_POSES, False, conf)
            with quiet_native():  # its first inference logs LiteRT notes
                lm.detect(_image(np.zeros((64, 64, 3), np.uint8)))
            if not _CROWD:
                # closed before the interpreter stops its thread pools (MediaPipe's calls go
                # through one): threading's own exit hooks run before atexit's
                getattr(threading, "_register_atexit", atexit.register)(_close_crowd)
            got = _CROWD[key] = (lm, threading.Lock())
        return got


def _close_crowd() -> None:
    with _CROWD_LOCK, quiet_native():
        for lm, _ in _CROWD.values():
            lm.close()
        _CROWD.clear()


@dataclass(frozen=True)
class Prepared:
    """A frame made ready for the model (:meth:`PoseEstimator.prepare`): shrunk by
    ``scale`` (1.0: not at all) into ``size`` ``(h, w)``, and wrapped as the
    model's input ``image``."""

    scale: float
    size: tuple[int, int]
    image: Any

    @classmethod
    def of(cls, rgb: np.ndarray, scale: float) -> Prepared:
        src = _resize(rgb, scale) if scale != 1.0 else rgb
        return cls(scale, src.shape[:2], _image(src))


class _Stopped(Exception):
    """A pipeline stopped while a frame waited to be prepared."""


class PoseEstimator:
    """BlazePose in video (tracking) mode. Use as a context manager.

    ``process(t_s, rgb)`` must be fed the frames of one stream in time order
    (a repeated or earlier time is nudged forward: the tracker needs rising
    timestamps). ``model`` is a ``.task`` path (default: the shipped full model).
    ``crowd`` looks for other people every :data:`CROWD_EVERY_S` s (see the
    module docstring); off, the tracker simply follows whom it found first.
    """

    def __init__(
        self,
        model: str | Path | None = None,
        segmentation: bool = False,
        min_detection_confidence: float = 0.5,
        min_presence_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        crowd: bool = True,
    ) -> None:
        self.model = check_model(model)
        self.segmentation = segmentation
        self.crowd = crowd
        self._conf = (min_detection_confidence, min_presence_confidence, min_tracking_confidence)
        self._lm: Any = None
        self._crowd: tuple[Any, threading.Lock] | None = None  # the shared look for everyone in view
        self._last_ms = -1
        self._scale = 1.0
        self._frames = 0  # since the tracker (re)started
        self._prepared = 0  # frames made ready (prepare)
        self._done = 0  # frames through the model
        self._scales: dict[int, float] = {}  # the shrink decided after frame i, for frame i + SHRINK_LAG
        self._cond = threading.Condition()
        self._people = PeopleTracker()
        self._next_crowd_s: float | None = None
        self._pool: Any = None
        self._pending: tuple[Any, int] | None = None  # (future of a look, frame count to take it at)
        self._blank: list[Box] = []  # boxes to blank on a restart frame

    def __enter__(self) -> PoseEstimator:
        self._lm = _landmarker(self.model, True, 1, self.segmentation, self._conf)
        if self.crowd:
            self._crowd = _crowd_landmarker(self.model, self._conf)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = self._pending = None
        if self._lm is not None:
            with quiet_native():
                self._lm.close()
        self._lm = None
        self._crowd = None  # shared: closed when the process ends

    # ------------------------------------------------------------------ frames
    def _ms(self, t_s: float) -> int:
        ms = max(int(round(t_s * 1000.0)), self._last_ms + 1)
        self._last_ms = ms
        return ms

    def _mask_scale(self, xy: np.ndarray, w: int, h: int) -> None:
        """Pick the shrink factor from this frame's torso length (px)."""
        sh = (xy[Landmark.LEFT_SHOULDER] + xy[Landmark.RIGHT_SHOULDER]) / 2
        hp = (xy[Landmark.LEFT_HIP] + xy[Landmark.RIGHT_HIP]) / 2
        torso = float(np.hypot(*(sh - hp)))
        if not np.isfinite(torso) or torso <= 1:
            return
        want = MASK_TORSO_PX / torso
        fits = [s for s in MASK_SCALES if s >= want] or [MASK_SCALES[0]]
        target = min(fits)
        # hysteresis: change only when the current scale is off by more than one step
        if target < self._scale * 0.7 or target > self._scale:
            self._scale = target

    def prepare(self, rgb: np.ndarray, stop: threading.Event | None = None) -> Prepared:
        """Make the next frame ready for the model: shrunk (when a mask is made) and
        wrapped. Frames must be prepared in the order they are processed; this may
        run on another thread (the decoder's) up to :data:`SHRINK_LAG` frames
        ahead of :meth:`process`, and waits when it is further ahead (``stop``
        set ends the wait with :class:`_Stopped`)."""
        return self._prepare(rgb, stop, wait=True)

    def _prepare(self, rgb: np.ndarray, stop: threading.Event | None, wait: bool) -> Prepared:
        i = self._prepared
        self._prepared += 1
        scale = 1.0
        if self.segmentation and i >= SHRINK_LAG:
            with self._cond:
                while wait and not self._cond.wait_for(lambda: self._done > i - SHRINK_LAG, timeout=0.05):
                    if stop is not None and stop.is_set():
                        raise _Stopped
                scale = self._scales.pop(i - SHRINK_LAG, self._scale)
        return Prepared.of(rgb, scale)

    def process(
        self, t_s: float, rgb: np.ndarray, prepared: Prepared | None = None
    ) -> tuple[PoseFrame, np.ndarray | None]:
        """Landmarks of the exerciser in ``rgb`` (and the mask, at its own size, if enabled).

        ``prepared`` is ``rgb`` made ready by :meth:`prepare` (on another thread);
        without it, it is made here. The mask is ``(h, w) float32`` in [0, 1],
        possibly smaller than the frame by a whole factor; scale pixel
        coordinates by ``mask.shape[1] / W`` to use it.
        """
        if self._lm is None:
            raise RuntimeError("PoseEstimator used outside its with-block")
        if prepared is None:  # one frame at a time: every earlier frame is done, nothing to wait for
            prepared = self._prepare(rgb, None, wait=False)
        try:  # whatever happens to this frame, it is done: a prepare waiting on it goes on
            return self._process(t_s, rgb, prepared)
        finally:
            with self._cond:
                if self.segmentation:
                    self._scales[self._done] = self._scale
                self._done += 1
                self._cond.notify_all()

    def _process(self, t_s: float, rgb: np.ndarray, prepared: Prepared) -> tuple[PoseFrame, np.ndarray | None]:
        assert self._lm is not None
        h, w = rgb.shape[:2]
        ms = self._ms(t_s)
        people = self._look_for_people(t_s, rgb)
        if self._blank:  # a restart: the others are blanked out of this frame
            src = rgb.copy()
            for x0, y0, x1, y1 in self._blank:
                src[int(y0 * h) : int(np.ceil(y1 * h)), int(x0 * w) : int(np.ceil(x1 * w))] = 0
            self._blank = []
            prepared = Prepared.of(src, prepared.scale)
        if self._frames < 2:
            with quiet_native():  # the first inferences log LiteRT notes
                res = self._lm.detect_for_video(prepared.image, ms)
        else:
            res = self._lm.detect_for_video(prepared.image, ms)
        self._frames += 1
        if not res.pose_landmarks:
            return PoseFrame.empty(t_s, people=people), None
        # normalised coordinates are fractions of the image the model saw: back to frame pixels
        sh, sw = prepared.size
        xy, vis, world = _to_arrays(
            res.pose_landmarks[0],
            res.pose_world_landmarks[0] if res.pose_world_landmarks else None,
            sw / prepared.scale,
            sh / prepared.scale,
        )
        self._people.tracked(bbox_of(xy, vis, w, h))
        mask = None
        if self.segmentation and res.segmentation_masks:
            # a copy: the view is MediaPipe's buffer, which the next frame may reuse (the
            # pipeline traces the back on another thread while the model goes on)
            mask = np.array(res.segmentation_masks[0].numpy_view(), dtype=np.float32).reshape(prepared.size)
            self._mask_scale(xy, w, h)
        return PoseFrame(t_s=t_s, xy=xy, vis=vis, world=world, people=people), mask

    # ------------------------------------------------------------------ people
    def _look_for_people(self, t_s: float, rgb: np.ndarray) -> int:
        """Every ``CROWD_EVERY_S``: who is in view, and is the tracker on the exerciser?

        The look runs on a worker thread (MediaPipe releases the GIL), beside the
        tracker; its answer is taken :data:`CROWD_LAG_FRAMES` frames later, always
        the same frame, so a run gives the same result however the threads are
        scheduled."""
        if not self.crowd:
            return 0
        if self._pending is not None and self._frames >= self._pending[1]:
            boxes = self._pending[0].result()
            self._pending = None
            others = self._people.look(t_s, boxes)
            if others is not None:  # the tracker is on someone else: restart it on the exerciser
                with quiet_native():
                    self._lm.close()
                self._lm = _landmarker(self.model, True, 1, self.segmentation, self._conf)
                self._blank = others
                self._frames = 0
        if self._pending is None and (self._next_crowd_s is None or t_s >= self._next_crowd_s):
            self._next_crowd_s = t_s + CROWD_EVERY_S
            h, w = rgb.shape[:2]
            k = 1
            while max(h, w) / k > CROWD_SIDE_PX * 1.5:
                k *= 2
            small = _resize(rgb, 1.0 / k) if k > 1 else rgb.copy()
            if self._pool is None:
                from concurrent.futures import ThreadPoolExecutor

                self._pool = ThreadPoolExecutor(1, thread_name_prefix="people")
            self._pending = (self._pool.submit(self._people_in, small), self._frames + CROWD_LAG_FRAMES)
        return self._people.count

    def _people_in(self, small: np.ndarray) -> list[Box]:
        """Boxes of everyone the image-mode landmarker finds (on the worker thread)."""
        assert self._crowd is not None
        lm, lock = self._crowd
        with lock:
            res = lm.detect(_image(small))
        sh, sw = small.shape[:2]
        boxes = []
        for lms in res.pose_landmarks:
            xy, vis, _ = _to_arrays(lms, None, sw, sh)
            b = bbox_of(xy, vis, sw, sh)
            if b is not None:
                boxes.append(b)
        return boxes
