"""The report of an import: file-level notices and errors, and per row its outcome (created,
updated, unchanged or error), the record, and messages prefixed by the column as the file names it.

Kept as JSON on an ImportRun, written as CSV or JSON by the command, shown in the admin.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry import spreadsheets

CREATED, UPDATED, UNCHANGED, ERROR = "created", "updated", "unchanged", "error"
OUTCOMES = (CREATED, UPDATED, UNCHANGED, ERROR)
OUTCOME_LABELS = {CREATED: gettext_lazy("created"), UPDATED: gettext_lazy("updated"),
                  UNCHANGED: gettext_lazy("unchanged"), ERROR: gettext_lazy("error")}
LINE_LABELS = {"line": gettext_lazy("line"), "row": gettext_lazy("row"), "feature": gettext_lazy("feature")}


@dataclass
class Message:
    column: str  # as the file names it; empty for the row as a whole
    text: str

    def __str__(self) -> str:
        return f"{self.column}: {self.text}" if self.column else self.text


@dataclass
class RowResult:
    line: int
    outcome: str = ERROR
    name: str = ""
    record_id: int | None = None
    slug: str = ""
    errors: list[Message] = field(default_factory=list)
    warnings: list[Message] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # what an update changes, by column

    def error(self, column: str, text: str) -> None:
        self.errors.append(Message(column, str(text)))
        self.outcome = ERROR

    @property
    def outcome_label(self) -> str:
        return str(OUTCOME_LABELS[self.outcome])


@dataclass
class Report:
    file_name: str
    source: str
    format: str = ""
    line_label: str = "line"
    notices: list[str] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    rows: list[RowResult] = field(default_factory=list)
    committed: bool = False
    checked_by: str = ""
    checked_at: str = field(default_factory=lambda: timezone.now().isoformat(timespec="seconds"))

    @property
    def has_errors(self) -> bool:
        return bool(self.file_errors) or any(row.outcome == ERROR for row in self.rows)

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for row in self.rows:
            counts[row.outcome] += 1
        return counts

    @property
    def line_name(self) -> str:
        return str(LINE_LABELS.get(self.line_label, self.line_label))

    def summary(self) -> str:
        """One line: what happened, or would happen, to how many rows."""
        if self.file_errors:
            if not self.rows:
                return _("The file cannot be imported: %(errors)s") % {"errors": " ".join(self.file_errors)}
            return " ".join(self.file_errors)
        counts = {**self.counts, "rows": len(self.rows)}
        if self.committed:
            return _("Imported %(rows)d rows: %(created)d created, %(updated)d updated, "
                     "%(unchanged)d unchanged.") % counts
        if self.has_errors:
            return _("Nothing was written: %(error)d of %(rows)d rows have errors (without them: %(created)d to "
                     "create, %(updated)d to update, %(unchanged)d unchanged).") % counts
        return _("Checked %(rows)d rows, nothing written yet: %(created)d to create, %(updated)d to update, "
                 "%(unchanged)d unchanged.") % counts

    def errors_first(self) -> list[RowResult]:
        return sorted(self.rows, key=lambda row: (row.outcome != ERROR, row.line))

    # -- storing and writing ---------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["counts"] = self.counts
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        data = {key: value for key, value in data.items() if key != "counts"}
        rows = [RowResult(**{**row, "errors": [Message(**m) for m in row.get("errors", [])],
                             "warnings": [Message(**m) for m in row.get("warnings", [])]})
                for row in data.pop("rows", [])]
        return cls(**data, rows=rows)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1)

    def to_csv(self) -> str:
        """One line per row, in the template's form (registry.spreadsheets: Dutch Excel opens it)."""
        stream = io.StringIO()
        writer = spreadsheets.writer(stream)
        writer.writerow([self.line_name, _("outcome"), _("name"), _("record"), _("slug"), _("changed"),
                         _("errors"), _("warnings")])
        for message in self.file_errors:
            writer.writerow(["", str(OUTCOME_LABELS[ERROR]), "", "", "", "", message, ""])
        for row in self.rows:
            writer.writerow([row.line, row.outcome_label, row.name, row.record_id or "", row.slug,
                             ", ".join(row.changed), " | ".join(map(str, row.errors)),
                             " | ".join(map(str, row.warnings))])
        return stream.getvalue()
