"""Database guards that make write-once tables refuse UPDATE and DELETE.

The application never changes these rows; the guards make the database refuse too,
so a bug or a hand-typed statement cannot quietly rewrite the record. On PostgreSQL
the privileges are revoked as well (the application should connect as a role that
does not own the tables: see docs/deployment.md), and a statement trigger refuses
even the owner. An owner who removes both is caught by the audit log's proofs.
"""

from __future__ import annotations

from alembic import op

_FUNCTION = """
CREATE OR REPLACE FUNCTION jigsaw_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


def guard_append_only(*tables: str) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if not sqlite:
        op.execute(_FUNCTION)
    for table in tables:
        if sqlite:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
        else:
            op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM PUBLIC")
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION jigsaw_refuse_change()"
            )
