"""One SQLite database with every resource: primary and foreign keys, indexes, Chinese column comments.

Opens in Datasette, DB Browser and any SQL client. Columns take the schema's
types (dates as ISO text, booleans as 0/1, lists as the delimited text); each
column's Chinese title is a comment in the CREATE TABLE statement, and the
``_dictionary`` table holds the whole data dictionary. The database is built
in a temporary file next to the target and VACUUMed, which rewrites the pages
in a fixed order: the same rows give the same bytes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pipeline.dictionary import dictionary_rows
from pipeline.export.tables import Table
from pipeline.package import DataPackage

SQL_TYPES = {"integer": "INTEGER", "number": "REAL", "boolean": "INTEGER"}
DICTIONARY = "_dictionary"


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


def _sql_values(table: Table) -> list[list]:
    columns = []
    for field in table.fields:
        values = table.values(field)
        kind = field.get("type")
        if kind == "date":
            values = [None if v is None else v.isoformat() for v in values]
        elif kind == "boolean":
            values = [None if v is None else int(v) for v in values]
        elif kind == "list":
            delimiter = field.get("delimiter", ",")
            values = [None if v is None else delimiter.join(v) for v in values]
        columns.append(values)
    return columns


def write_sqlite(package: DataPackage, tables: list[Table], path: Path) -> int:
    """Write the database; return the total row count of the resources."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("PRAGMA page_size = 4096")
        db.execute("BEGIN")
        for table in tables:
            resource = package.resource(table.name)
            db.execute(create_table_sql(resource))
            marks = ", ".join("?" for _ in table.fields)
            db.executemany(f"INSERT INTO {quote(table.name)} VALUES ({marks})", zip(*_sql_values(table)))
            for statement in index_sql(resource):
                db.execute(statement)
        _write_dictionary(db, package, tables)
        db.execute("COMMIT")
        db.execute("VACUUM")
    finally:
        db.close()
    tmp.replace(path)
    return sum(table.rows for table in tables)


def _write_dictionary(db: sqlite3.Connection, package: DataPackage, tables: list[Table]) -> None:
    db.execute(f"CREATE TABLE {quote(DICTIONARY)} (resource TEXT NOT NULL, position INTEGER NOT NULL, "
               "field TEXT NOT NULL, title TEXT, type TEXT, required INTEGER, constraints TEXT, categories TEXT, "
               "description TEXT, PRIMARY KEY (resource, field))")
    rows = []
    for table in tables:
        for position, row in enumerate(dictionary_rows(package, table.name), 1):
            rows.append((table.name, position, row.name, row.title, row.type, int(row.required),
                         "；".join(row.constraints), "、".join(f"{c} {label}" for c, label in row.categories),
                         row.description))
    db.executemany(f"INSERT INTO {quote(DICTIONARY)} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
