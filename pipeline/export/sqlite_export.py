"""One SQLite database with every resource: primary and foreign keys, indexes, Chinese column comments.

Opens in Datasette, DB Browser and any SQL client. Columns take the schema's
types (dates as ISO text, booleans as 0/1, lists as the delimited text); each
column's Chinese title is a comment in the CREATE TABLE statement, and the
``_dictionary`` table holds the whole data dictionary. The database is built
in a temporary file next to the target, then renamed into place. SQLite lays
out its pages as a function of the statements alone (one connection, no
journal): the same rows in the same order give the same bytes, with no VACUUM.
VACUUM took 5.2 s of 20 s at a million issues to make the file 1.2 % smaller.

The rows go in through ADBC's SQLite driver, which binds each Arrow column to
the INSERT statement in C. Python's ``sqlite3`` needed a Python object for every
cell and bound them one by one: at a million issues the issues table took 13–14.5 s
of processor time that way and 5.3–6.2 s through ADBC, the same rows of the same
types. The driver's wheel brings its own SQLite, so the database's bytes depend
on the pinned wheel, not on the SQLite of the machine that builds.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import adbc_driver_sqlite.dbapi as adbc_sqlite
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.core.dictionary import dictionary_rows
from pipeline.export.columns import empty, map_distinct
from pipeline.export.tables import ExportTable, typed_value
from pipeline.core.package import DataPackage

SQL_TYPES = {"integer": "INTEGER", "number": "REAL", "boolean": "INTEGER"}
PAGE_SIZES = (4096, 65536)  # SQLite's default, and its largest page, for a database of LARGE_ROWS rows or more
LARGE_ROWS = 100_000
DICTIONARY = "_dictionary"
DICTIONARY_COLUMNS = pa.schema([("resource", pa.string()), ("position", pa.int64()), ("field", pa.string()),
                                ("title", pa.string()), ("type", pa.string()), ("required", pa.int64()),
                                ("constraints", pa.string()), ("categories", pa.string()),
                                ("description", pa.string())])


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _comment(text: str) -> str:
    return " ".join(text.split())  # one line: a newline would end the SQL comment early


def create_table_sql(resource: dict) -> str:
    schema = resource["schema"]
    keys = schema.get("primaryKey", [])
    keys = [keys] if isinstance(keys, str) else keys
    lines: list[tuple[str, str]] = []
    for field in schema["fields"]:
        constraints = field.get("constraints", {})
        definition = f"{quote(field['name'])} {SQL_TYPES.get(field.get('type'), 'TEXT')}"
        if constraints.get("required") or field["name"] in keys:
            definition += " NOT NULL"
        if constraints.get("unique") and [field["name"]] != keys:
            definition += " UNIQUE"
        if field.get("type") == "boolean":
            definition += f" CHECK ({quote(field['name'])} IN (0, 1))"
        lines.append((definition, _comment(field.get("title", ""))))
    if keys:
        lines.append((f"PRIMARY KEY ({', '.join(map(quote, keys))})", ""))
    for fk in schema.get("foreignKeys", []):
        fields = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
        target = fk["reference"]["fields"]
        target = target if isinstance(target, list) else [target]
        other = fk["reference"].get("resource") or resource["name"]  # "" is the resource itself
        lines.append((f"FOREIGN KEY ({', '.join(map(quote, fields))}) REFERENCES {quote(other)} "
                      f"({', '.join(map(quote, target))})", ""))
    body = []
    for number, (definition, comment) in enumerate(lines):
        comma = "," if number < len(lines) - 1 else ""
        body.append(f"  {definition}{comma}" + (f"  -- {comment}" if comment else ""))
    return f"CREATE TABLE {quote(resource['name'])} (\n" + "\n".join(body) + "\n)"


def index_sql(resource: dict) -> list[str]:
    """An index on each foreign key's columns that the primary key does not already lead with."""
    schema = resource["schema"]
    keys = schema.get("primaryKey", [])
    keys = [keys] if isinstance(keys, str) else keys
    statements = []
    for fk in schema.get("foreignKeys", []):
        fields = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
        if keys[:len(fields)] == fields:
            continue
        name = f"idx_{resource['name']}_{'_'.join(fields)}"
        statements.append(f"CREATE INDEX {quote(name)} ON {quote(resource['name'])} ({', '.join(map(quote, fields))})")
    return statements


def sql_values(cells: pa.Array, field: dict) -> pa.Array:
    """A column's values as SQLite takes them: dates as ISO text, booleans as 0/1, lists as their text;
    an empty cell is NULL."""
    kind = field.get("type", "string")
    if kind in ("integer", "number", "boolean", "date"):
        convert, arrow_type = SQL_VALUES[kind]
        return map_distinct(cells, lambda cell: convert(typed_value(cell, field)), arrow_type)
    return pc.if_else(empty(cells), pa.scalar(None, pa.string()), cells)  # text, and a list's delimited text


SQL_VALUES = {
    "integer": (lambda v: v, pa.int64()),
    "number": (lambda v: v, pa.float64()),
    "boolean": (lambda v: None if v is None else int(v), pa.int64()),
    "date": (lambda v: None if v is None else v.isoformat(), pa.string()),
}


def page_size(rows: int) -> int:
    """SQLite's largest page (64 KiB) for a large database: at a million issues it took 0.89× the processor
    time of 4 KiB pages (three pairs) and is 2 % smaller, with the same peak memory. A small one keeps 4 KiB
    pages: each of its 54 tables and indexes takes at least one page, and 64 KiB pages made the bundled demo's
    database 6.4 MB instead of 3.7 MB."""
    return PAGE_SIZES[1] if rows >= LARGE_ROWS else PAGE_SIZES[0]


class SqliteWriter:
    """The database, one resource after another, in one transaction; ``close`` moves it into place."""

    def __init__(self, path: Path, rows: int = 0):
        """``rows``: how many rows the database will hold (it chooses the page size: ``page_size``)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.tmp = path.with_name(path.name + ".tmp")
        self.tmp.unlink(missing_ok=True)
        # Autocommit, so that the pragmas below come before any transaction; the one transaction is begun here.
        # Used from one thread at a time, not always the one that opened it.
        self.db = adbc_sqlite.connect(str(self.tmp), autocommit=True)
        self.cursor = self.db.cursor()
        self.execute("PRAGMA journal_mode = OFF")
        self.execute("PRAGMA synchronous = OFF")
        # The page size comes first: with the cache size set before it, the same write peaked 230 MB higher.
        self.execute(f"PRAGMA page_size = {page_size(rows)}")
        self.execute("PRAGMA cache_size = -16384")  # 16 MB of pages: as fast as 64 MB for the indexes
        self.execute("BEGIN")

    def execute(self, statement: str) -> list[tuple]:
        self.cursor.execute(statement)
        return self.cursor.fetchall() if self.cursor.description else []

    def begin_table(self, resource: dict) -> None:
        self.execute(create_table_sql(resource))

    def insert(self, resource: dict, batch: pa.RecordBatch) -> None:
        fields = resource["schema"]["fields"]
        columns = [sql_values(cells, f) for cells, f in zip(batch.columns, fields)]
        self._append(resource["name"], pa.RecordBatch.from_arrays(columns, names=[f["name"] for f in fields]))

    def _append(self, name: str, batch: pa.RecordBatch) -> None:
        if batch.num_rows:
            self.cursor.adbc_ingest(name, batch, mode="append")

    def end_table(self, resource: dict) -> None:
        for statement in index_sql(resource):
            self.execute(statement)

    def close(self, package: DataPackage, tables: list[ExportTable]) -> None:
        try:
            self.execute(f"CREATE TABLE {quote(DICTIONARY)} (resource TEXT NOT NULL, position INTEGER NOT NULL, "
                         "field TEXT NOT NULL, title TEXT, type TEXT, required INTEGER, constraints TEXT, "
                         "categories TEXT, description TEXT, PRIMARY KEY (resource, field))")
            self._append(DICTIONARY, dictionary_batch(package, tables))
            self.execute("COMMIT")
        finally:
            self._disconnect()
        self.tmp.replace(self.path)

    def abort(self) -> None:
        self._disconnect()
        self.tmp.unlink(missing_ok=True)

    def _disconnect(self) -> None:
        try:
            self.cursor.close()
        finally:
            self.db.close()


def dictionary_batch(package: DataPackage, tables: list[ExportTable]) -> pa.RecordBatch:
    """The ``_dictionary`` table's rows: every field of every resource, in order."""
    rows = []
    for table in tables:
        for position, row in enumerate(dictionary_rows(package, table.name), 1):
            rows.append({"resource": table.name, "position": position, "field": row.name, "title": row.title,
                         "type": row.type, "required": int(row.required), "constraints": "；".join(row.constraints),
                         "categories": "、".join(f"{c} {label}" for c, label in row.categories),
                         "description": row.description})
    return pa.RecordBatch.from_pylist(rows, schema=DICTIONARY_COLUMNS)


@lru_cache(maxsize=1)
def sqlite_version() -> str:
    """The version of the SQLite that writes the database (the driver's own)."""
    with adbc_sqlite.connect(":memory:") as db, db.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()")
        return cursor.fetchone()[0]

