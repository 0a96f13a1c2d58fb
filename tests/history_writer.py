"""A history writer process for the concurrency tests (run as a script).

    python history_writer.py DB REPORT_JSON NAME COUNT      write COUNT sessions (and upsert the shared keys)
    python history_writer.py DB REPORT_JSON NAME stall      commit 3 sessions, then stop inside a 4th
                                                            (its session row and reps written, not committed)
Prints the id of every committed session, one a line; 'MID' when stalled.
"""

import json
import sys
import time

import sqlalchemy as sa

from formcheck.results import history as H

SHARED_KEYS = 5


def main() -> None:
    db, report_path, name, what = sys.argv[1:5]
    report = json.loads(open(report_path).read())
    hist = H.History.open(db)
    if what == "stall":
        for k in range(3):
            print(hist.record(report, kind="batch", person=name, key=f"{name}-{k}"), flush=True)

        @sa.event.listens_for(hist.engine, "after_execute")
        def stall(conn, clause, *args):  # the reps are in, the faults and the commit are not
            if getattr(clause, "table", None) is H.reps:
                print("MID", flush=True)
                time.sleep(120)

        hist.record(report, kind="batch", person=name, key=f"{name}-killed")
        return
    for k in range(int(what)):
        print(hist.record(report, kind="batch", person=name, key=f"{name}-{k}"), flush=True)
        if k < SHARED_KEYS:  # every writer records the same shared sessions: each must exist once
            hist.record(report, kind="batch", person="shared", key=f"shared-{k}")


if __name__ == "__main__":
    main()
