"""Where the register keeps its tables: SQLite (standard library) or PostgreSQL (psycopg).

One schema, written for both: text dates (ISO 8601), JSON as text, amounts as double
precision. The access log is append-only in the database itself: a trigger refuses any
``UPDATE`` or ``DELETE`` on it (SQLite ``RAISE(ABORT)``, PostgreSQL ``RAISE EXCEPTION``).

Examples
--------
>>> store = Store.sqlite(":memory:")
>>> store.kind, sorted(store.tables())[:3]
('sqlite', ['access_log', 'claim_steps', 'claims'])
"""

from __future__ import annotations

import sqlite3

from riskmodels.errors import ParameterError

TABLES = {
    "ratings": ("customer_id TEXT NOT NULL, as_of TEXT NOT NULL, score {real}, pd {real}, grade TEXT, "
                "customer_class TEXT, credit_limit {real}, terms TEXT, reasons TEXT, model_version TEXT, "
                "reviewer TEXT NOT NULL, override TEXT, override_reason TEXT, blacklisted INTEGER NOT NULL, "
                "source TEXT NOT NULL, recorded_at TEXT NOT NULL"),
    "reviews": ("customer_id TEXT NOT NULL, review_date TEXT NOT NULL, kind TEXT NOT NULL, reason TEXT, "
                "reviewer TEXT NOT NULL, outcome TEXT, recorded_at TEXT NOT NULL"),
    "collection_events": ("customer_id TEXT NOT NULL, event_date TEXT NOT NULL, step TEXT NOT NULL, "
                          "invoice_id TEXT, by_whom TEXT NOT NULL, note TEXT, recorded_at TEXT NOT NULL"),
    "claims": ("claim_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, amount {real} NOT NULL, "
               "opened TEXT NOT NULL, reason TEXT NOT NULL, recorded_at TEXT NOT NULL"),
    "claim_steps": ("claim_id TEXT NOT NULL, step_date TEXT NOT NULL, kind TEXT NOT NULL, detail TEXT, "
                    "amount {real}, by_whom TEXT NOT NULL, recorded_at TEXT NOT NULL"),
    "export_approvals": ("approval_id TEXT PRIMARY KEY, approver TEXT NOT NULL, recipient TEXT NOT NULL, "
                         "purpose TEXT NOT NULL, customers TEXT NOT NULL, granted_at TEXT NOT NULL"),
    "access_log": ("seq {int} PRIMARY KEY, time TEXT NOT NULL, reader TEXT NOT NULL, customer_id TEXT NOT NULL, "
                   "purpose TEXT NOT NULL, action TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL"),
}

_SQLITE_GUARD = """CREATE TRIGGER IF NOT EXISTS access_log_no_{op} BEFORE {OP} ON access_log
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END"""

_POSTGRES_GUARD = [
    """CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'the access log is append-only'; END $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS access_log_append_only ON access_log",
    """CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
FOR EACH ROW EXECUTE FUNCTION access_log_append_only()""",
]


class Store:
    """A database connection with the register's schema and the placeholders of its driver.

    Parameters
    ----------
    connection : sqlite3.Connection or psycopg.Connection
    kind : {"sqlite", "postgres"}

    Examples
    --------
    >>> Store.sqlite(":memory:").query("SELECT COUNT(*) FROM ratings")
    [(0,)]
    """

    def __init__(self, connection, kind: str):
        if kind not in ("sqlite", "postgres"):
            raise ParameterError(f"kind is {kind!r}; expected 'sqlite' or 'postgres'")
        self.connection = connection
        self.kind = kind
        self._create()

    @classmethod
    def sqlite(cls, path) -> Store:
        """A SQLite file (or ``":memory:"``), created when missing.

        Examples
        --------
        >>> Store.sqlite(":memory:").kind
        'sqlite'
        """
        return cls(sqlite3.connect(str(path), isolation_level=None), "sqlite")

    @classmethod
    def postgres(cls, conninfo) -> Store:
        """A PostgreSQL database: a psycopg connection, or a connection string for one.

        Examples
        --------
        >>> Store.postgres  # doctest: +ELLIPSIS
        <bound method Store.postgres of <class '...Store'>>
        """
        if isinstance(conninfo, str):
            import psycopg

            conninfo = psycopg.connect(conninfo, autocommit=True)
        if not getattr(conninfo, "autocommit", False):  # the register opens its own transactions
            raise ParameterError("the PostgreSQL connection must be in autocommit mode "
                                 "(psycopg.connect(..., autocommit=True)): the register opens its own transactions")
        return cls(conninfo, "postgres")

    def _create(self) -> None:
        real, integer = ("REAL", "INTEGER") if self.kind == "sqlite" else ("DOUBLE PRECISION", "BIGINT")
        for name, columns in TABLES.items():
            self.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns.format(real=real, int=integer)})")
        if self.kind == "sqlite":
            for op in ("update", "delete"):
                self.execute(_SQLITE_GUARD.format(op=op, OP=op.upper()))
        else:
            for statement in _POSTGRES_GUARD:
                self.execute(statement)

    def execute(self, sql: str, params=()) -> None:
        """Run one statement (``?`` placeholders, whatever the driver).

        Examples
        --------
        >>> s = Store.sqlite(":memory:")
        >>> s.execute("INSERT INTO reviews VALUES (?, ?, ?, ?, ?, ?, ?)", ("c", "d", "k", "", "r", "", "t"))
        >>> s.query("SELECT customer_id FROM reviews")
        [('c',)]
        """
        cursor = self.connection.cursor()
        cursor.execute(self._sql(sql), tuple(params))
        cursor.close()

    def query(self, sql: str, params=()) -> list[tuple]:
        """Rows of one query (``?`` placeholders).

        Examples
        --------
        >>> Store.sqlite(":memory:").query("SELECT COUNT(*) FROM claims")
        [(0,)]
        """
        cursor = self.connection.cursor()
        cursor.execute(self._sql(sql), tuple(params))
        rows = [tuple(r) for r in cursor.fetchall()]
        cursor.close()
        return rows

    def columns(self, table: str) -> list[str]:
        """Column names of a register table, in order.

        Examples
        --------
        >>> Store.sqlite(":memory:").columns("reviews")[:3]
        ['customer_id', 'review_date', 'kind']
        """
        return [part.strip().split()[0] for part in TABLES[table].split(",")]

    def tables(self) -> list[str]:
        """The register's table names.

        Examples
        --------
        >>> "access_log" in Store.sqlite(":memory:").tables()
        True
        """
        return list(TABLES)

    def locked(self):
        """A transaction that serialises writers of the access log (its chain needs the last hash).

        Examples
        --------
        >>> with Store.sqlite(":memory:").locked():
        ...     pass
        """
        return _Transaction(self)

    def _sql(self, sql: str) -> str:
        return sql if self.kind == "sqlite" else sql.replace("?", "%s")


class _Transaction:
    def __init__(self, store: Store):
        self.store = store

    def __enter__(self):
        if self.store.kind == "sqlite":
            self.store.execute("BEGIN IMMEDIATE")
        else:
            self.store.execute("BEGIN")
            self.store.execute("LOCK TABLE access_log IN EXCLUSIVE MODE")
        return self

    def __exit__(self, kind, value, traceback):
        self.store.execute("COMMIT" if kind is None else "ROLLBACK")
        return False


__all__ = ["Store", "TABLES"]
