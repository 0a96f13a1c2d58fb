"""Media: the pose-model adapter (the only mediapipe import), video decoding and
encoding, and drawing the analysis onto frames."""
