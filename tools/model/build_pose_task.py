"""Build ``pose_landmarker_full.task`` (MediaPipe Tasks) from the models in the
``mediapipe==0.10.21`` wheel. Run in its own environment (``make model``).

Current mediapipe (1.x) has only the Tasks API, whose ``PoseLandmarker`` loads a
``.task`` bundle and ships none; 0.10.21's wheel still carries BlazePose's
detector and *full* landmark model (Apache-2.0) for its legacy ``solutions``
API. A bundle is a zip (stored, 4-byte aligned) of ``pose_detector.tflite``
and ``pose_landmarks_detector.tflite``, each with TFLite metadata saying how
the Tasks graph must normalise the input image. The legacy graphs normalised
the detector's 224x224 input to [-1, 1] and the landmark model's 256x256
input to [0, 1] (``ImageToTensorCalculator.output_tensor_float_range`` in
``pose_detection_cpu.pbtxt`` and ``pose_landmark_by_roi_cpu.pbtxt``); as
metadata that is ``(x - 127.5) / 127.5`` and ``(x - 0) / 255``.

mediapipe 1.x's own metadata writer does not import (a compiled module is
missing), hence 0.10.21 here. The zip entries get a fixed timestamp, so the
same wheel gives the same bytes: ``--check`` compares with the committed
sha256.

    python build_pose_task.py OUT.task [--check SHA256_FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import zipfile
from pathlib import Path

import mediapipe
from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer
from mediapipe.tasks.python.metadata.metadata_writers.model_asset_bundle_utils import AlignZipFile

WANT_VERSION = "0.10.21"
ROOT = Path(mediapipe.__file__).parent
DETECTOR = ROOT / "modules/pose_detection/pose_detection.tflite"
LANDMARKS = ROOT / "modules/pose_landmark/pose_landmark_full.tflite"
FIXED_TIME = (2025, 1, 1, 0, 0, 0)


def with_metadata(path: Path, name: str, description: str, mean: float, std: float, outputs: int) -> bytes:
    writer = metadata_writer.MetadataWriter.create(bytearray(path.read_bytes()))
    writer.add_general_info(name, description)
    writer.add_image_input(norm_mean=[mean], norm_std=[std])
    for _ in range(outputs):
        writer.add_feature_output()
    model, _json = writer.populate()
    return bytes(model)


def build(out: Path) -> str:
    if mediapipe.__version__ != WANT_VERSION:
        sys.exit(f"needs mediapipe=={WANT_VERSION} (the models it ships), found {mediapipe.__version__}")
    files = {
        "pose_detector.tflite": with_metadata(
            DETECTOR, "pose_detector", "BlazePose person detector (mediapipe 0.10.21)", 127.5, 127.5, 2
        ),
        "pose_landmarks_detector.tflite": with_metadata(
            LANDMARKS, "pose_landmarks_detector", "BlazePose GHUM 3D full (mediapipe 0.10.21)", 0.0, 255.0, 5
        ),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    with AlignZipFile(tmp, mode="w", alignment=4) as zf:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    tmp.replace(out)
    return hashlib.sha256(out.read_bytes()).hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--check", type=Path, help="sha256 file to compare with (fails on a difference)")
    a = ap.parse_args()
    digest = build(a.out)
    print(f"{digest}  {a.out.name}")
    if a.check is not None:
        want = a.check.read_text().split()[0]
        if want != digest:
            sys.exit(f"sha256 differs from {a.check}: built {digest}, committed {want}")
        print("matches", a.check)


if __name__ == "__main__":
    main()
