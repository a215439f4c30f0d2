"""Located problems with an input: :class:`Issue` (``file:line: field: message``) and :class:`ScenarioError`.

Every reader of the package (scenario YAML, census snapshots, roster files) reports bad
input through these two, and the command line turns a :class:`ScenarioError` into exit
status 2 with one line per issue. An :class:`Issue` with ``severity="warning"`` is a
located doubt that does not stop a run (a unit no patient can reach, a stream a what-if
removes): readers return those beside their result, and the command line and the app show
them and carry on. This module imports nothing of the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Issue", "ScenarioError", "Severity"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Issue:
    """One problem, located: ``file:line: field: message``; a ``warning`` does not stop a run."""

    file: str
    line: int | None
    field: str
    message: str
    severity: Severity = "error"

    @property
    def is_warning(self) -> bool:
        return self.severity == "warning"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class ScenarioError(ValueError):
    """A scenario that cannot be used; ``issues`` lists every problem found."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))
