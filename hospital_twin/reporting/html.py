"""The offline page kit: what every HTML page of :mod:`hospital_twin.reporting` is made of.

- :data:`PAGE_CSS`: the one style sheet (header band, cards, KPI tables, callouts, charts);
- :func:`javascript_bundle`: Vega, Vega-Lite and Vega-Embed as one script, from the
  ``vl-convert-python`` package (``vl_convert.javascript_bundle``, the bundle Altair's own
  ``to_html(inline=True)`` uses), written once into the page head;
- :class:`Page`: the parts of a page in order, each chart an Altair spec with its data inlined
  as JSON in a ``<script type="application/json" class="vega-spec">`` block that
  :data:`EMBED_JS` hands to ``vegaEmbed``; :meth:`Page.document` assembles the file;
- :func:`escape`, :func:`markdown`, :func:`table`, :func:`spec_json`: text made safe for a page.

Nothing is fetched when a page is viewed. This module knows no scenario, result or fit: it
turns strings and Altair charts into a page. Its only files are the cache of the Vega bundle
(:data:`CACHE_DIR_ENV`); the page modules write their pages through :mod:`hospital_twin.atomic`.
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path
from typing import Any

import altair as alt

from hospital_twin.atomic import write_text_atomic

__all__ = ["PAGE_CSS", "EMBED_JS", "PageError", "Page", "javascript_bundle", "escape", "markdown", "table", "spec_json"]

PAGE_CSS = """
:root { --ink:#212529; --muted:#6c757d; --line:#dee2e6; --accent:#1f5fa8; --bg:#f8f9fa; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--ink); margin: 0; background: #fff; line-height: 1.45; font-size: 15px; }
main { max-width: 1240px; margin: 0 auto; padding: 0 28px 60px; }
header.top { background: #14365f; color: #fff; padding: 26px 0 20px; margin-bottom: 8px; }
header.top .inner { max-width: 1240px; margin: 0 auto; padding: 0 28px; }
header.top h1 { margin: 0 0 6px; font-size: 27px; font-weight: 650; }
header.top p { margin: 2px 0; color: #d0ddec; font-size: 14px; }
nav.toc { font-size: 14px; margin: 14px 0 6px; color: var(--muted); }
nav.toc a { color: var(--accent); text-decoration: none; margin-right: 16px; }
h2 { font-size: 22px; margin: 38px 0 8px; padding-bottom: 6px; border-bottom: 2px solid var(--line); }
h3 { font-size: 17px; margin: 26px 0 6px; }
h4 { font-size: 15px; margin: 18px 0 4px; }
p.note, .note { color: var(--muted); font-size: 13.5px; margin: 4px 0 10px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(225px, 1fr)); gap: 12px; margin: 14px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; background: var(--bg); }
.card .k { font-size: 13px; color: var(--muted); }
.card .v { font-size: 26px; font-weight: 650; margin: 2px 0; }
.card .ci { font-size: 12.5px; color: var(--muted); }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13.5px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 9px; vertical-align: top; text-align: left; }
th { background: var(--bg); font-weight: 600; }
table.kpi td.num, table.kpi th.num { text-align: right; white-space: nowrap; }
table.kpi th.num { white-space: normal; max-width: 260px; }
table.kpi td .m { display: block; font-variant-numeric: tabular-nums; }
table.kpi td .ci { display: block; color: var(--muted); font-size: 11.5px; font-variant-numeric: tabular-nums; }
table.kpi tr.group td { background: #eef2f7; font-weight: 600; color: #14365f; padding-top: 7px; }
table.kpi th .beds { display: block; font-weight: 400; color: var(--muted); font-size: 11.5px; }
table.kpi td.lab { min-width: 210px; }
table.kpi td, table.kpi th { padding: 5px 7px; }
table.kpi td.lab .u { color: var(--muted); font-size: 12px; }
td.sig { font-weight: 650; color: #c2255c; }
td.rag-green, .card.rag-green { background: #d3f9d8; }
td.rag-amber, .card.rag-amber { background: #ffe8cc; }
td.rag-red, .card.rag-red { background: #ffe3e3; }
.md table { font-size: 13px; }
.md td, .md th { padding: 4px 8px; }
.md td[style*="right"], .md th[style*="right"] { white-space: nowrap; }
.chart { margin: 10px 0 6px; overflow-x: auto; }
.callout { border-left: 4px solid #f08c00; background: #fff9db; padding: 8px 12px; margin: 10px 0; font-size: 14px; }
.callout ul { margin: 4px 0 0; padding-left: 20px; }
details { margin: 10px 0; }
details > summary { cursor: pointer; font-weight: 600; font-size: 16px; padding: 6px 0; color: #14365f; }
.scen-desc { color: #343a40; }
code { font-size: 12.5px; background: #f1f3f5; padding: 1px 4px; border-radius: 3px; }
footer { color: var(--muted); font-size: 12.5px; margin-top: 40px; border-top: 1px solid var(--line); padding-top: 10px; }
@media print { header.top { background: none; color: var(--ink); } header.top p { color: var(--muted); }
  details { display: block; } .chart { break-inside: avoid; } }
"""
"""The style sheet of every page."""

EMBED_JS = """
(function () {
  var opts = {renderer: 'svg', actions: {export: true, source: false, compiled: false, editor: false}};
  document.querySelectorAll('script.vega-spec').forEach(function (el) {
    var target = document.getElementById(el.dataset.target);
    try {
      vegaEmbed(target, JSON.parse(el.textContent), opts).catch(function (err) {
        target.textContent = 'This chart could not be drawn: ' + err;
      });
    } catch (err) { target.textContent = 'This chart could not be drawn: ' + err; }
  });
})();
"""
"""The script at the end of every page: draws each ``vega-spec`` block into its ``<div>``."""

_CHART_FONT = "system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif"


class PageError(ValueError):
    """A page cannot be drawn here: a package it needs (vl-convert-python) is missing."""


CACHE_DIR_ENV = "HOSPITAL_TWIN_CACHE_DIR"
"""Folder of the Vega bundle's cache (default ``$XDG_CACHE_HOME/hospital_twin`` or ``~/.cache/hospital_twin``);
set to ``off`` to build the bundle every time."""


def _bundle_cache(vlc_version: str, vl_version: str | None) -> Path | None:
    """Where the bundle of these versions is kept between runs, or None when caching is off."""
    root = os.environ.get(CACHE_DIR_ENV)
    if root is not None and root.strip().lower() in ("", "off", "0", "no"):
        return None
    if not root:
        root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        root = str(Path(root) / "hospital_twin")
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{vlc_version}-{vl_version or 'default'}")
    return Path(root) / f"vega-bundle-{safe}.js"


def javascript_bundle() -> str:
    """Vega + Vega-Lite + Vega-Embed as one script, from the vl-convert package (no network).

    vl-convert builds the bundle in a second or more, so it is kept in a cache file named by the
    vl-convert and Vega-Lite versions (see :data:`CACHE_DIR_ENV`) and read back on the next
    page: the same text, without the build. A cache that cannot be read or written is skipped.
    """
    try:
        import vl_convert as vlc
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise PageError("the report needs the vl-convert-python package (pip install vl-convert-python)") from exc
    try:
        from altair.utils._importers import vl_version_for_vl_convert

        version = vl_version_for_vl_convert()
    except Exception:  # noqa: BLE001 - private helper; fall back to vl-convert's default
        version = None
    cache = _bundle_cache(str(getattr(vlc, "__version__", "unknown")), version)
    if cache is not None:
        try:
            js = cache.read_bytes().decode("utf-8")  # as written: no newline translation
            if js.endswith(_BUNDLE_END):
                return js.removesuffix(_BUNDLE_END)
        except (OSError, UnicodeDecodeError):
            pass
    js = vlc.javascript_bundle(vl_version=version) if version else vlc.javascript_bundle()
    js = js.replace("</script", "<\\/script")
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(cache, js + _BUNDLE_END)
        except OSError:
            pass
    return js


_BUNDLE_END = "\n// hospital_twin: end of the cached bundle\n"
"""Written after the bundle in the cache file: a file without it (cut short) is built again."""


def escape(text: Any) -> str:
    """``str(text)`` safe inside HTML text and attribute values."""
    return html.escape(str(text), quote=True)


def markdown(text: str) -> str:
    """CommonMark (with tables) as HTML; raw HTML in ``text`` is not passed through."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table").render(text)


def table(headers: list[str], rows: list[list[str]], cls: str = "kpi") -> str:
    """An HTML table of cells that are already HTML (escape text with :func:`escape` first)."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def spec_json(spec: dict) -> str:
    """A Vega-Lite spec as JSON that cannot close the ``<script>`` block it sits in."""
    text = json.dumps(spec, separators=(",", ":"), default=str, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class Page:
    """An HTML page being built: its parts in order and the chart specs they refer to."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.specs: list[tuple[str, dict]] = []

    def add(self, s: str) -> None:
        """Append HTML (already escaped where it holds text)."""
        self.parts.append(s)

    def chart(self, key: str, chart: alt.TopLevelMixin | None, caption: str = "") -> None:
        """Place ``chart`` here (nothing when it is None), with its caption (HTML) below it."""
        if chart is None:
            return
        target = f"chart-{key}"
        with alt.data_transformers.enable("default", max_rows=None):
            spec = (
                chart.configure(font=_CHART_FONT)
                .configure_view(stroke="#dee2e6")
                .configure_axis(labelFontSize=11, titleFontSize=11, titleColor="#495057")
                .to_dict(validate=False)  # built by the package and checked by its tests, not per page
            )
        self.specs.append((target, spec))
        self.add(f'<div class="chart" id="{target}" role="img" aria-label="{escape(caption or key)}"></div>')
        if caption:
            self.add(f'<p class="note">{caption}</p>')

    def document(self, title: str) -> str:
        """The whole page as one self-contained HTML file: ``title`` (text) in the head, the Vega bundle inlined."""
        specs = "\n".join(
            f'<script type="application/json" class="vega-spec" data-target="{target}">{spec_json(spec)}</script>'
            for target, spec in self.specs
        )
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{PAGE_CSS}</style>"
            f'<script type="text/javascript">{javascript_bundle()}</script></head><body>'
            + "\n".join(self.parts)
            + f'\n{specs}\n<script type="text/javascript">{EMBED_JS}</script></body></html>\n'
        )
