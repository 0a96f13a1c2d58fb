"""The engine: pure functions and state machines from landmarks to reps, faults and holds.

Imports numpy, scipy, pydantic and the standard library only, and nothing
from the other wings (media, results, apps), so it is fast to test and the
same code serves live, file and batch use. Arrays and units are documented
in :mod:`formcheck.engine.landmarks`.
"""
