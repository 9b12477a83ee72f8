"""A self-contained HTML report of a comparison (tables inline, figures as base64 PNG)."""

from __future__ import annotations

import base64
import html
import io


def png_bytes(fig) -> bytes:
    """A matplotlib figure rendered as PNG (no software stamp: same figure, same bytes)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def img_tag(png: bytes, alt: str) -> str:
    """An inline ``<img>`` tag holding PNG bytes as base64."""
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"/>'


STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;font-size:13px}
th{background:#f2f2f2} h2{border-bottom:2px solid #446;padding-bottom:3px}
.failed{color:#b00} img{max-width:48%;margin:4px}
"""


def render_html(comparison) -> str:
    """The report of a :class:`~riskmodels.comparison.runner.Comparison`."""
    cfg = comparison.config
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(cfg.name)}</title>"
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Comparison: {html.escape(cfg.name)}</h1>",
        f"<p>{html.escape(cfg.description)}</p>",
        f"<p>Data: {html.escape(cfg.data.source)} — train {len(comparison.train)} rows "
        f"({comparison.train['target'].mean():.2%} defaults), test {len(comparison.test)} rows "
        f"({comparison.test['target'].mean():.2%}). Split: {cfg.split.method}. "
        f"Master scale: {html.escape(cfg.master_scale)}. Data fingerprint "
        f"<code>{comparison.fingerprints['data'][:16]}</code>.</p>",
        "<h2>Side by side (test sample)</h2>",
        comparison.table.to_html(float_format=lambda v: f"{v:.4f}", na_rep="–"),
    ]
    for name, result in comparison.results.items():
        parts.append(f"<h2>{html.escape(name)} ({result.type})</h2>")
        if result.status != "ok":
            last = result.error.strip().splitlines()[-1] if result.error else "failed"
            parts.append(f"<p class='failed'>Failed to fit: {html.escape(last)}</p>")
            continue
        for table_name, table in result.tables.items():
            parts.append(f"<h3>{html.escape(table_name)}</h3>")
            parts.append(table.to_html(float_format=lambda v: f"{v:.4f}", na_rep="–"))
        parts.extend(img_tag(png, f"{name}: {fig_name}") for fig_name, png in result.figures.items())
    parts.append("</body></html>")
    return "\n".join(parts)
