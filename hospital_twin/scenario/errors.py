"""Located problems with an input: :class:`Issue` (``file:line: field: message``) and :class:`ScenarioError`.

Every reader of the package (scenario YAML, census snapshots, roster files) reports bad
input through these two, and the command line turns a :class:`ScenarioError` into exit
status 2 with one line per issue. This module imports nothing of the package.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Issue", "ScenarioError"]


@dataclass(frozen=True)
class Issue:
    """One problem, located: ``file:line: field: message``."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class ScenarioError(ValueError):
    """A scenario that cannot be used; ``issues`` lists every problem found."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))
