"""Every YAML the package reads is refused at once, with file and line, when it is a bomb, too deep or too big."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hospital_twin.scenario import ScenarioError, load_scenario, load_scenario_text
from hospital_twin.scenario.safe_yaml import MAX_DEPTH, MAX_YAML_BYTES, compose

REPO = Path(__file__).resolve().parents[2]


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """``levels`` nested lists of ``width`` aliases each: ``width ** levels`` values once expanded."""
    lines = ["name: bomb", "a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for k in range(1, levels + 1):
        lines.append(f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_safe_yaml_alias_bomb_is_refused_with_its_line():
    """The bomb is reported at the first line whose value alone expands past the limit."""
    with pytest.raises(ScenarioError, match="YAML bomb") as exc:
        compose(alias_bomb(), "bomb.yaml")
    [issue] = exc.value.issues
    assert issue.file == "bomb.yaml"
    assert issue.line == 7  # a5: 1 + 9 * 66,430 = 597,871 values (a4 on line 6 has 66,430)
    assert "200,000 values" in issue.message


def test_safe_yaml_shared_anchors_of_a_real_scenario_pass():
    """Anchors used as intended (the baseline's hour-of-day profile) are not a bomb."""
    assert compose((REPO / "scenarios" / "baseline.yaml").read_text(), "baseline.yaml") is not None


def test_safe_yaml_recursive_alias_is_refused():
    with pytest.raises(ScenarioError, match="YAML bomb"):
        compose("a: &a [*a, 1]\n", "loop.yaml")


@pytest.mark.parametrize("depth", [MAX_DEPTH + 5, 5000])
def test_safe_yaml_absurd_nesting_is_refused(depth):
    """Deep nesting is refused (both past our limit and past Python's recursion limit)."""
    with pytest.raises(ScenarioError, match="nested more than"):
        compose("a: " + "[" * depth + "]" * depth + "\n", "deep.yaml")


def test_safe_yaml_too_big_or_binary_is_refused():
    with pytest.raises(ScenarioError, match="at most 1,024 KB"):
        compose("x: " + "a" * (MAX_YAML_BYTES + 10) + "\n", "big.yaml")
    with pytest.raises(ScenarioError, match="binary"):
        compose("x: 1\n\x00\n", "bin.yaml")


def test_safe_yaml_syntax_error_keeps_its_line():
    with pytest.raises(ScenarioError) as exc:
        load_scenario_text("name: x\nunits: [\n  - a\n", "bad.yaml")
    assert exc.value.issues[0].line is not None and "not valid YAML" in exc.value.issues[0].message


def test_safe_yaml_cli_validate_refuses_a_bomb_at_once_in_bounded_memory(tmp_path):
    """`hospital-twin validate` on the 30-line bomb exits 2 in seconds under a 2 GB address-space limit."""
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(alias_bomb())
    code = textwrap.dedent(f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))
        from hospital_twin.cli import main
        sys.exit(main(["validate", {str(bomb)!r}]))
    """)
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert f"{bomb}:7:" in proc.stderr and "YAML bomb" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert time.monotonic() - t0 < 60


def test_safe_yaml_staff_file_bomb_is_refused(tmp_path):
    """The roster readers use the same guard."""
    from hospital_twin.roster.io import read_staff

    f = tmp_path / "staff.yaml"
    f.write_text(alias_bomb().replace("name: bomb\n", ""))
    with pytest.raises(ScenarioError, match="YAML bomb"):
        read_staff(f)


def test_safe_yaml_extends_must_name_a_yaml_file(tmp_path):
    (tmp_path / "notes.txt").write_text("name: x\n")
    f = tmp_path / "w.yaml"
    f.write_text("extends: notes.txt\nname: w\n")
    with pytest.raises(ScenarioError, match=r"not a scenario file \(.yaml or .yml\)") as exc:
        load_scenario(f)
    assert exc.value.issues[0].line == 1 and exc.value.issues[0].field == "extends"


def test_safe_yaml_extends_chain_is_bounded(tmp_path):
    for k in range(20):
        (tmp_path / f"s{k}.yaml").write_text(f"extends: s{k + 1}.yaml\nname: s{k}\n")
    with pytest.raises(ScenarioError, match="more than 16 files extend each other"):
        load_scenario(tmp_path / "s0.yaml")


def test_safe_yaml_upload_may_extend_only_inside_its_sandbox(tmp_path):
    inside = tmp_path / "scenarios"
    inside.mkdir()
    (tmp_path / "secret.yaml").write_text("name: s\n")
    with pytest.raises(ScenarioError, match="not a shipped scenario"):
        load_scenario_text("extends: ../secret.yaml\nname: x\n", "up.yaml", base_dir=inside, within=inside)
