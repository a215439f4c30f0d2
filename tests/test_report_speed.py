"""The report's shortcuts keep its content (issue 16): the cached Vega bundle is the built one, and the chart
specs, no longer validated page by page, are valid Vega-Lite."""

from __future__ import annotations

import re

import pytest

from hospital_twin.cli import main
from hospital_twin.reporting import html

ICU = "scenarios/examples/icu_to_ward.yaml"


def _cache_file(folder):
    files = list(folder.glob("vega-bundle-*.js"))
    assert len(files) == 1, files
    return files[0]


def test_the_cached_bundle_is_the_built_bundle(tmp_path, monkeypatch):
    """The first page writes the bundle to the cache folder; the next reads the same text back."""
    monkeypatch.setenv(html.CACHE_DIR_ENV, "off")
    built = html.javascript_bundle()
    monkeypatch.setenv(html.CACHE_DIR_ENV, str(tmp_path))
    assert html.javascript_bundle() == built
    cached = _cache_file(tmp_path)
    assert html.javascript_bundle() == built
    assert "vegaEmbed" in built and "</script" not in built
    assert cached.read_bytes().decode("utf-8").startswith(built)


def test_a_cut_short_cache_file_is_built_again(tmp_path, monkeypatch):
    """A cache file without its end mark (a crash while writing, a full disk) is ignored and rewritten."""
    monkeypatch.setenv(html.CACHE_DIR_ENV, "off")
    built = html.javascript_bundle()
    monkeypatch.setenv(html.CACHE_DIR_ENV, str(tmp_path))
    html.javascript_bundle()
    cached = _cache_file(tmp_path)
    cached.write_text(built[:1000], encoding="utf-8")
    assert html.javascript_bundle() == built
    assert cached.read_text(encoding="utf-8").startswith(built)


def test_an_unwritable_cache_folder_still_gives_the_page(tmp_path, monkeypatch):
    """A cache folder that cannot be made (a file in the way) costs the build, not the page."""
    (tmp_path / "blocked").write_text("a file, not a folder", encoding="utf-8")
    monkeypatch.setenv(html.CACHE_DIR_ENV, "off")
    built = html.javascript_bundle()
    monkeypatch.setenv(html.CACHE_DIR_ENV, str(tmp_path / "blocked" / "cache"))
    assert html.javascript_bundle() == built


@pytest.fixture(scope="module")
def report_text(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("speed") / "icu"
    assert main(["run", ICU, "--replications", "2", "--out", str(out), "-q"]) == 0
    return (out / "report.html").read_text(encoding="utf-8")


def test_every_chart_of_the_report_is_valid_vega_lite(report_text):
    """Each spec in report.html passes the Vega-Lite JSON schema (the page itself skips Altair's validation)."""
    import json

    from altair.utils.schemapi import validate_jsonschema
    from altair.vegalite.v6.schema import load_schema

    specs = re.findall(
        r'<script type="application/json" class="vega-spec" data-target="[\w-]+">(.*?)</script>',
        report_text,
        flags=re.S,
    )
    assert len(specs) >= 3
    schema = load_schema()
    for spec in specs:
        validate_jsonschema(json.loads(spec), schema)  # raises on an invalid spec
