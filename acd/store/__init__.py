"""PostgreSQL storage: schema, the write-behind outbox, the roster, admin tasks and reports.

The engine never waits on PostgreSQL: records go through :class:`acd.store.outbox.Outbox`, which
writes them behind the engine's back and keeps them on local disk while the database is away.
"""
