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


import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _history_never_in_the_users_data(tmp_path_factory):
    """Every session a test records (analyze, batch workers, the page, the browser test's server)
    goes to a throwaway database, never to the real one in the user's data directory."""
    d = tmp_path_factory.mktemp("history")
    mp = pytest.MonkeyPatch()
    mp.setenv("FORMCHECK_DB", str(d / "history.db"))
    mp.setenv("XDG_DATA_HOME", str(d / "xdg-data"))  # platformdirs' default, in case FORMCHECK_DB is dropped
    yield d / "history.db"
    mp.undo()
