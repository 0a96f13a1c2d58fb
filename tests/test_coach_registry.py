"""Coaches kept per browser session (formcheck.apps.coach_registry): a reload finds its coach,
a duplicated tab gets its own, idle ones are closed."""

from formcheck.apps.coach_registry import CoachRegistry


class Coach:
    closed = 0

    def close(self) -> None:
        Coach.closed += 1


class Clock:
    t = 0.0

    def __call__(self) -> float:
        return self.t


def test_a_reload_finds_the_same_coach_a_duplicated_tab_gets_its_own():
    open_sessions = {"tab1"}
    clock = Clock()
    reg = CoachRegistry(clock=clock, alive=lambda s: s in open_sessions)
    sid = reg.claim(None, "tab1")
    coach = reg.coach(sid, "coach:seated_row", Coach)
    assert reg.coach(sid, "coach:seated_row", Coach) is coach
    # the tab reloads: its Streamlit session is gone, a new one comes with the same URL
    open_sessions = {"tab1b"}
    reg._alive = lambda s: s in open_sessions
    assert reg.claim(sid, "tab1b") == sid
    assert reg.coach(sid, "coach:seated_row", Coach) is coach
    # the tab is duplicated (same URL) while the first is still open: a session of its own
    open_sessions.add("tab2")
    other = reg.claim(sid, "tab2")
    assert other != sid
    assert reg.coach(other, "coach:seated_row", Coach) is not coach
    assert reg.claim(sid, "tab1b") == sid  # the first tab keeps its id


def test_an_id_from_a_tab_quiet_for_a_while_can_be_taken_over():
    clock = Clock()
    reg = CoachRegistry(clock=clock, alive=lambda s: True)  # e.g. a session not yet noticed as closed
    sid = reg.claim(None, "a")
    clock.t = 60.0
    assert reg.claim(sid, "b") == sid


def test_idle_coaches_are_closed_and_forgotten():
    clock = Clock()
    reg = CoachRegistry(ttl_s=100.0, clock=clock)
    Coach.closed = 0
    sid = reg.claim(None, "a")
    reg.coach(sid, "k", Coach)
    keep = reg.claim(None, "b")
    reg.coach(keep, "k", Coach)
    clock.t = 90.0
    reg.session(keep)  # looked at: kept alive
    clock.t = 150.0
    reg.claim(keep, "b")
    assert Coach.closed == 1 and len(reg) == 1
