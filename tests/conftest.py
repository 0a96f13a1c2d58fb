import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import os  # noqa: E402

from hypothesis import settings  # noqa: E402

# CI explores the same examples every run (a failure there is reproducible);
# locally hypothesis keeps searching new ones.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
