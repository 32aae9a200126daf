"""What a block of code asked the database, as "VERB table" per statement.

Tests pin how many statements touch which table (a query count per table), never the SQL text itself, so an
ORM upgrade that spells a query differently keeps them green while an extra read or a lost write fails them.
BEGIN and COMMIT (which only SQLite's driver logs) are left out, so a count is the same on both databases.
"""

from __future__ import annotations

from django.test.utils import CaptureQueriesContext

# Read by the session and authentication middleware on every signed-in request (the user's roles only when
# something asks for them): the same on every page, so a view's own cost is counted without them.
_MIDDLEWARE_ONCE = ("SELECT django_session", "SELECT staff_user")
_MIDDLEWARE_ROLES = "SELECT staff_staffrole"


def _statement(sql: str) -> str:
    words = sql.replace('"', "").replace("`", "").split()
    verb = words[0].upper()
    if verb == "INSERT":
        return f"INSERT {words[2]}"
    if verb == "UPDATE":
        return f"UPDATE {words[1]}"
    if verb == "DELETE":
        return f"DELETE {words[2]}"
    if verb == "SELECT":
        upper = [w.upper() for w in words]
        return f"SELECT {words[upper.index('FROM') + 1]}" if "FROM" in upper else "SELECT ?"
    return verb


def statements(ctx: CaptureQueriesContext) -> list[str]:
    """Every statement in order: `INSERT complaints_evaluation`, `SAVEPOINT`, `SELECT cases_case`, ..."""
    return [
        _statement(query["sql"])
        for query in ctx.captured_queries
        if query["sql"].split()[0].upper() not in ("BEGIN", "COMMIT")
    ]


def own(ctx: CaptureQueriesContext) -> list[str]:
    """The statements of the code under test: without the middleware's session, user and role reads."""
    out, pending = [], list(_MIDDLEWARE_ONCE)
    for statement in statements(ctx):
        if pending and statement == pending[0]:
            pending.pop(0)
        elif statement != _MIDDLEWARE_ROLES:
            out.append(statement)
    return out
