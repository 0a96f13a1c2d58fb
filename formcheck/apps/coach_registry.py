"""Live coaches kept on the server per browser session, so a reloaded tab finds its count.

A Streamlit session ends when its tab reloads; the coach must not. The page
names each browser session with an id in its URL (``?sid=...``) and keeps the
coaches here, in one process-wide :class:`CoachRegistry` (``st.cache_resource``):

* a reload keeps the URL, so it finds the same id and the same coaches;
* a *duplicated* tab also has the id, but its first owner is still open: it is
  given an id of its own (two tabs never share a count);
* coaches nobody has looked at for ``ttl_s`` are closed (their session is saved
  to the history by the coach's close checkpoint) and forgotten.

Nothing here imports streamlit: the page passes who is asking (its session id)
and how to tell whether another session is still open.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TTL_S = 30 * 60.0
OWNER_QUIET_S = 10.0  # an owner not heard from for this long has let its id go


@dataclass
class BrowserSession:
    """What one browser session keeps on the server: its coaches and its settings."""

    owner: str
    seen: float
    coaches: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)


class CoachRegistry:
    def __init__(
        self,
        ttl_s: float = TTL_S,
        clock: Callable[[], float] = time.monotonic,
        alive: Callable[[str], bool] = lambda owner: False,
    ) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._alive = alive  # is this (Streamlit) session still open?
        self._lock = threading.Lock()
        self._by_id: dict[str, BrowserSession] = {}

    def claim(self, sid: str | None, owner: str) -> str:
        """The browser-session id ``owner`` should use: ``sid`` if it is free, its own, or its
        previous owner has gone (a reload); a new id if there is none or it is another open
        tab's (a duplicated tab)."""
        now = self._clock()
        with self._lock:
            self._expire(now)
            bs = self._by_id.get(sid) if sid else None
            if bs is not None and bs.owner != owner:
                taken = self._alive(bs.owner) and now - bs.seen < OWNER_QUIET_S
                if taken:
                    bs = None
                    sid = None
                else:
                    bs.owner = owner  # the same browser tab, reloaded
            if bs is None:
                if not sid:
                    sid = secrets.token_hex(6)
                bs = self._by_id[sid] = BrowserSession(owner, now)
            bs.seen = now
            assert sid is not None
            return sid

    def session(self, sid: str) -> BrowserSession:
        """The browser session ``sid`` (after :meth:`claim`); looking at it keeps it alive."""
        with self._lock:
            bs = self._by_id[sid]
            bs.seen = self._clock()
            return bs

    def coach(self, sid: str, key: str, make: Callable[[], Any]) -> Any:
        """The browser session's coach for ``key`` (exercise and model), made once."""
        with self._lock:
            bs = self._by_id[sid]
            bs.seen = self._clock()
            if key not in bs.coaches:
                bs.coaches[key] = make()
            return bs.coaches[key]

    def _expire(self, now: float) -> None:
        for sid in [s for s, bs in self._by_id.items() if now - bs.seen > self.ttl_s]:
            for c in self._by_id.pop(sid).coaches.values():
                try:
                    c.close()
                except Exception:  # a coach that cannot close cleanly is still forgotten
                    pass

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_id)
