"""Roster tests: the INRC-II pricing programme is compiled once per test process before any timed solve.

numba compiles it on its first call (about 9 s in a fresh checkout, then cached on disk); a solve
with a limit of a few seconds must not spend them compiling.
"""

from __future__ import annotations

import pytest

from hospital_twin.roster.inrc2.colgen import compile_pricing


@pytest.fixture(scope="session", autouse=True)
def _pricing_compiled() -> None:
    compile_pricing()
