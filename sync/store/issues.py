"""The issues a run found, written in one bulk statement and read back in order."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from sync.model import Issue, Severity
from sync.store.database import Database, issue_t, run_t


class RunIssues(Database):
    """Each run's issues."""

    def add_issues(self, run_id: int, issues: Sequence[Issue]) -> None:
        if not issues:
            return
        rows = [
            {
                "run_id": run_id,
                "severity": i.severity.value,
                "source": i.source,
                "file": i.file,
                "line": i.line,
                "field": i.field,
                "value": i.value[:500],
                "message": i.message,
            }
            for i in issues
        ]
        with self._tx() as c:
            c.execute(sa.insert(issue_t), rows)
            c.execute(
                sa.update(run_t)
                .where(run_t.c.id == run_id)
                .values(issues=run_t.c.issues + len(rows))
            )

    def run_issues(self, run_id: int) -> list[Issue]:
        query = sa.select(issue_t).where(issue_t.c.run_id == run_id).order_by(issue_t.c.id)
        with self._tx() as c:
            return [
                Issue(
                    severity=Severity(r.severity),
                    message=r.message,
                    source=r.source,
                    file=r.file,
                    line=r.line,
                    field=r.field,
                    value=r.value,
                )
                for r in c.execute(query)
            ]

    def rejected_rows(self, run_id: int) -> int:
        """How many of a run's issues are errors: records rejected (or changes refused)."""
        query = sa.select(sa.func.count()).where(
            issue_t.c.run_id == run_id, issue_t.c.severity == Severity.ERROR.value
        )
        with self._tx() as c:
            return int(c.execute(query).scalar() or 0)
