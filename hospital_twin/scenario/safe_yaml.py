"""Composing YAML text safely: every YAML file the package reads goes through :func:`compose`.

PyYAML's safe loader builds no objects, but it still follows aliases: a 30-line "billion
laughs" file (nine nested levels of nine aliases) expands to about 387 million values, and
walking it for line numbers grew past 15 GB. So before anything walks or constructs a
document, :func:`compose` refuses, with :class:`~hospital_twin.scenario.errors.ScenarioError`
(file, line and reason; exit status 2 on the command line):

- text larger than :data:`MAX_YAML_BYTES` or containing NUL characters (a binary file);
- nesting deeper than :data:`MAX_DEPTH` levels;
- a document that expands through aliases to more than :data:`MAX_EXPANDED_NODES` values
  (counted with memoisation on the composed node graph, so the count itself is linear).

Composition builds the node graph once (an alias is a second reference to the same node),
so memory stays proportional to the text. This module parses YAML and nothing else.
"""

from __future__ import annotations

import yaml

from hospital_twin.scenario.errors import Issue, ScenarioError

__all__ = ["MAX_DEPTH", "MAX_EXPANDED_NODES", "MAX_YAML_BYTES", "compose"]

MAX_YAML_BYTES = 1024 * 1024
"""A scenario, staff or rules file is a few kilobytes; anything above a megabyte is refused."""
MAX_EXPANDED_NODES = 200_000
"""Values of a document after following every alias (the 432-row staff file has about 4,000)."""
MAX_DEPTH = 100
"""Nesting levels of mappings and lists (a scenario uses fewer than 10)."""


def _expanded(node: yaml.Node, memo: dict[int, int], depth: int, stop: int) -> int:
    """Values under ``node`` with aliases expanded, capped just above ``stop``; each node counted once (memo)."""
    key = id(node)
    if key in memo:
        return memo[key]
    if depth > MAX_DEPTH:
        raise _TooDeep(node)
    memo[key] = stop + 1  # a node that reaches itself (a recursive alias) counts as too big
    n = 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            n += _expanded(k, memo, depth + 1, stop) + _expanded(v, memo, depth + 1, stop)
            if n > stop:
                break
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            n += _expanded(v, memo, depth + 1, stop)
            if n > stop:
                break
    memo[key] = min(n, stop + 1)
    return memo[key]


class _TooDeep(Exception):
    def __init__(self, node: yaml.Node):
        self.node = node


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [x for pair in node.value for x in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _culprit(node: yaml.Node, memo: dict[int, int], stop: int) -> yaml.Node:
    """The smallest subtree that alone expands beyond ``stop``: its line is where to look."""
    seen: set[int] = set()
    while id(node) not in seen:
        seen.add(id(node))
        big = next((c for c in _children(node) if memo.get(id(c), 0) > stop), None)
        if big is None:
            return node
        node = big
    return node


def _section(text: str, line: int | None) -> str:
    """The top-level key whose block holds ``line`` (1-based), or "" (a syntax error has no parsed field)."""
    if not line:
        return ""
    for row in reversed(text.splitlines()[:line]):
        if row[:1].isalpha() and ":" in row:
            return row.split(":", 1)[0].strip()
    return ""


def _syntax_hint(what: str, opened: int | None) -> str:
    """How to mend the commonest YAML slips, from PyYAML's description of the problem."""
    if "\\t" in what or "\t" in what:  # PyYAML shows a tab as backslash-t
        return "indent with spaces, not tabs"
    if "flow mapping" in what or "flow sequence" in what:
        where = f" on line {opened}" if opened else ""
        return f"close the {{ or [ opened{where} (and separate its items with commas)"
    if "mapping values are not allowed" in what:
        return "line this key up with the keys above it, or quote a value that contains ': '"
    if "block" in what and "expected" in what:
        return "line this line up with the lines above it (keys of one mapping start in the same column)"
    return "check this line and the one above it (indentation with spaces, quotes, brackets)"


def compose(text: str, file: str) -> yaml.Node | None:
    """The YAML node graph of ``text`` (``None`` for an empty document), or :class:`ScenarioError`.

    Syntax errors are reported with their line (``not valid YAML: ...``); too large, binary,
    too deeply nested or alias-bomb documents are refused before they are walked.
    """
    size = len(text.encode("utf-8", errors="replace"))
    if size > MAX_YAML_BYTES:
        raise ScenarioError(
            [
                Issue(
                    file,
                    None,
                    "",
                    f"the file is {size / 1024:,.0f} KB; a YAML input may be at most {MAX_YAML_BYTES // 1024:,} KB",
                )
            ]
        )
    if "\x00" in text:
        raise ScenarioError([Issue(file, None, "", "a binary file (it contains NUL characters), not YAML text")])
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(x for x in (exc.context, exc.problem) if x)
        opened = exc.context_mark.line + 1 if exc.context_mark is not None else None
        raise ScenarioError(
            [Issue(file, line, _section(text, line), f"not valid YAML: {what}; {_syntax_hint(what, opened)}")]
        ) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Issue(file, None, "", f"not valid YAML: {exc}")]) from None
    except RecursionError:
        raise ScenarioError([Issue(file, None, "", f"nested more than {MAX_DEPTH} levels deep; refused")]) from None
    finally:
        loader.dispose()
    if node is None:
        return None
    memo: dict[int, int] = {}
    try:
        total = _expanded(node, memo, 0, MAX_EXPANDED_NODES)
    except _TooDeep as exc:
        raise ScenarioError(
            [Issue(file, exc.node.start_mark.line + 1, "", f"nested more than {MAX_DEPTH} levels deep; refused")]
        ) from None
    if total > MAX_EXPANDED_NODES:
        where = _culprit(node, memo, MAX_EXPANDED_NODES)
        raise ScenarioError(
            [
                Issue(
                    file,
                    where.start_mark.line + 1,
                    "",
                    f"the YAML expands to more than {MAX_EXPANDED_NODES:,} values through aliases "
                    "(a 'YAML bomb'); refused",
                )
            ]
        )
    return node
