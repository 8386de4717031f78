"""No workspace SQL outside ``store/`` (the rule is in ``watchkeeper.store._sql``'s docstring).

Outside ``store/`` DuckDB may only be a compute engine: ``duckdb.connect()`` in memory, over
Arrow tables the module registered itself. Flagged: any other ``.connect(...)``, the store's
private scans and connections, ``read_parquet(``/``read_csv(``/``ATTACH`` in SQL text, and SQL
text that names a stored table.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import watchkeeper

SRC = Path(watchkeeper.__file__).parent
STORED_TABLES = (
    "positions",
    "identities",
    "events",
    "vessels",
    "ingest_log",
    "rejects",
    "screening",
    "list_versions",
    "list_entities",
    "list_entities_history",
)
_SQL = re.compile(r"\b(SELECT|CREATE|INSERT|DELETE|UPDATE|DROP)\b")
_STORED = re.compile(r"\b(FROM|JOIN|INTO|TABLE|UPDATE)\s+(" + "|".join(STORED_TABLES) + r")\b")
_FILE_SQL = re.compile(r"read_parquet\s*\(|read_csv\w*\s*\(|\bATTACH\b")
_PRIVATE = {"scan_sql", "_scan", "_reader", "_writer_con", "_connect"}
# The service's own tables (partners, releases, feedback) live in their own SQLite file or
# PostgreSQL database, opened in these modules only; SQL there must still not name a stored
# table.
OWN_DATABASE = {
    "serve/db.py": "sqlite3",
    "serve/db_postgres.py": "psycopg",
    "serve/pg_local.py": "psycopg",
}


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def violations(source: str, name: str = "<src>") -> list[str]:
    """Workspace SQL or connections in ``source`` (a module outside store/)."""
    own = OWN_DATABASE.get(name)
    tree = ast.parse(source)
    skip = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        where = f"{name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            func = node.func
            if func.attr == "connect":
                in_memory = (
                    isinstance(func.value, ast.Name)
                    and func.value.id == "duckdb"
                    and not node.args
                    and not node.keywords
                )
                own_db = isinstance(func.value, ast.Name) and func.value.id == own
                if not in_memory and not own_db:
                    found.append(f"{where}: .connect(...) other than duckdb.connect() in memory")
        if isinstance(node, ast.Attribute) and node.attr in _PRIVATE:
            found.append(f"{where}: store internals .{node.attr}")
        if isinstance(node, ast.Name) and node.id in _PRIVATE:
            found.append(f"{where}: store internals {node.id}")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            text = node.value
            if _FILE_SQL.search(text):
                found.append(f"{where}: SQL reading files: {text.strip()[:60]!r}")
            elif _SQL.search(text) and _STORED.search(text):
                found.append(f"{where}: SQL over a stored table: {text.strip()[:60]!r}")
    return found


def test_no_workspace_sql_outside_store() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if rel.parts[0] == "store":
            continue
        found += violations(path.read_text("utf-8"), str(rel))
    assert not found, "workspace SQL outside store/:\n" + "\n".join(found)


def test_the_check_finds_workspace_sql() -> None:
    bad = """
import duckdb
def f(ws):
    with ws.connect() as con:
        return con.sql("SELECT mmsi FROM positions WHERE ts > ?").fetchall()
def g(path):
    con = duckdb.connect(path, read_only=True)
    return con.sql(f"SELECT * FROM read_parquet('{path}')")
def h(ws):
    return ws.scan_sql("positions")
"""
    found = violations(bad)
    assert len(found) == 5, found
    compute = '''
"""SELECT * FROM positions is fine in a docstring."""
import duckdb
def f(table):
    con = duckdb.connect()
    con.register("pts", table)
    return con.sql("SELECT mmsi, count(*) FROM pts GROUP BY mmsi").to_arrow_table()
'''
    assert violations(compute) == []
