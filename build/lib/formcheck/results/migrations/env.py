"""Alembic environment for the history database (``formcheck.results.history``).

formcheck runs the migrations itself when it opens an older file, on a
connection that already holds the write lock (``config.attributes["connection"]``).
For development, ``alembic -c formcheck/results/migrations/alembic.ini -x db=PATH upgrade head``
works too.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from formcheck.results.history_schema import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # the alembic command line: -x db=PATH
    db = context.get_x_argument(as_dictionary=True).get("db")
    if not db:
        raise SystemExit("give the database: alembic -x db=PATH ...")
    with sa.create_engine(f"sqlite:///{db}").connect() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
