"""The monitoring report of one period: measures with zones, a verdict, tables, plots, JSON, HTML."""

from __future__ import annotations

import base64
import html
import io
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from riskmodels.fileio import write_atomic
from riskmodels.monitoring.thresholds import Thresholds, worst
from riskmodels.results import Summary

_MARK = {"green": "green", "amber": "amber", "red": "RED", None: "-"}
_COLOURS = {"green": "#2e7d32", "amber": "#ef8f00", "red": "#c62828", None: "#777"}


@dataclass
class MonitoringReport:
    """What :func:`riskmodels.monitor` found for one period.

    Attributes
    ----------
    model : dict with name, version (registered version or None), kind, bundle_sha256.
    period : label of the period (e.g. "2026-03").
    n : records in the period.
    measures : DataFrame, one row per measure: value, zone, detail.
    stability : population stability (see :func:`~riskmodels.monitoring.population.population_stability`).
    backtest : per-grade back-test of the mature outcomes, or None.
    maturity : dict with the as-of date, horizon, mature and pending outcomes, or None.
    vintages : cumulative default curves per monthly cohort, or None.
    migration : dict with the grade migration matrix against the previous period and its ECB test, or None.
    overrides : dict with the override rate, direction and table, or None.
    thresholds : the :class:`~riskmodels.monitoring.thresholds.Thresholds` applied.
    run_id : the MLflow run of this period, when logged.
    allowance : the receivables allowance per period and its movement
        (:class:`~riskmodels.provisions.movement.AllowanceMovement`), when a ledger was given.
    """

    model: dict
    period: str
    n: int
    measures: pd.DataFrame
    stability: dict
    backtest: dict | None = None
    maturity: dict | None = None
    vintages: pd.DataFrame | None = None
    migration: dict | None = None
    overrides: dict | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    run_id: str | None = None
    allowance: object | None = None

    # ---- verdict
    @property
    def status(self) -> str:
        """The worst zone over every measure: "green", "amber" or "red"."""
        return worst(self.measures["zone"].tolist())

    def status_of(self, group: str) -> str:
        """The worst zone of one group of measures: "population" (stability, no outcome needed),
        "back-test", "migration" or "overrides"."""
        return worst(self.measures.loc[self.measures["group"] == group, "zone"].tolist())

    @property
    def verdict(self) -> str:
        """One line: the status, the model and period, and the measures that set it."""
        status = self.status
        who = f"{self.model.get('name')}" + (f" v{self.model['version']}" if self.model.get("version") else "")
        head = f"{status.upper()}: {who}, period {self.period}, {self.n:,} records"
        if status == "green":
            return f"{head}: every measure green"
        hits = self.measures[self.measures["zone"] == status]
        shown = "; ".join(f"{m} {self._fmt(r['value'])}" + (f" ({r['detail']})" if r["detail"] else "")
                          for m, r in hits.head(3).iterrows())
        more = f" (+{len(hits) - 3} more)" if len(hits) > 3 else ""
        return f"{head}: {shown}{more}"

    @staticmethod
    def _fmt(value) -> str:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return "n/a"
        return f"{value:.4g}" if isinstance(value, (float, np.floating)) else str(value)

    # ---- text
    def summary(self) -> Summary:
        """The report as a :class:`~riskmodels.results.Summary`: verdict, measures with zones,
        per-grade back-test, worst characteristics, migration and overrides.

        Returns
        -------
        riskmodels.results.Summary
            Titled with :attr:`verdict`; ``print`` it, or show it in a notebook as HTML.
        """
        out = Summary(self.verdict).add_rows(
            [("model", f"{self.model.get('name')} ({self.model.get('kind')})"),
             ("version", self.model.get("version")),
             ("bundle sha256", f"{str(self.model.get('bundle_sha256'))[:12]}...")], title="Model")
        measures = self.measures[["value", "detail"]].copy()
        measures.insert(1, "zone", [_MARK[_z(z)] for z in self.measures["zone"]])
        out.add_table(measures.rename_axis("measure"), "Measures", digits=4)
        if self.maturity:
            m = self.maturity
            out.add_note(f"outcomes as of {m['as_of']}: {m['mature']:,} mature (horizon {m['horizon_months']} "
                         f"months), {m['pending']:,} not yet mature")
        if self.backtest:
            grades = self.backtest["grades"]
            out.add_table(grades[["n", "defaults", "default_rate", "mean_pd", "binomial_p", "jeffreys_p", "zone"]],
                          "Back-test by grade (mature outcomes)", digits=4)
        chars = self.stability["characteristics"]
        if len(chars):
            out.add_table(chars[["csi", "csi_zone", "missing_change", "unknown_rate", "top_bin"]].head(10),
                          "Characteristics (largest CSI first)", digits=4)
        if self.migration:
            out.add_table(self.migration["matrix"], f"Migration against {self.migration['previous_period']} "
                                                    f"({self.migration['n']:,} obligors in both)")
        if self.overrides:
            o = self.overrides
            out.add_note(f"overrides: {o['rate']:.2%} of {o['n']:,} ({o['upgrades']} up, {o['downgrades']} down)")
        if self.allowance is not None:
            for table in self.allowance.summary().tables[1:]:
                out.add_table(table.frame, f"Receivables: {table.title.lower()} per period", index=False)
        return out

    def __repr__(self) -> str:
        return f"MonitoringReport({self.verdict!r})"

    # ---- JSON
    def to_dict(self) -> dict:
        """The JSON summary: model, period, verdict, status, measures and the main tables."""
        def table(frame):
            return None if frame is None else json.loads(frame.to_json(orient="split", double_precision=15))

        out = {"model": self.model, "period": self.period, "n": self.n, "status": self.status,
               "population_status": self.status_of("population"), "backtest_status": self.status_of("back-test"),
               "verdict": self.verdict, "run_id": self.run_id,
               "measures": {name: {"group": r["group"], "value": _plain(r["value"]), "zone": _z(r["zone"]),
                                   "detail": r["detail"]}
                            for name, r in self.measures.iterrows()},
               "score_psi_table": table(self.stability["score_table"]),
               "grade_psi_table": table(self.stability["grade_table"]),
               "characteristics": table(self.stability["characteristics"]),
               "maturity": self.maturity,
               "backtest_grades": table(self.backtest["grades"]) if self.backtest else None,
               "vintages": table(self.vintages),
               "migration_matrix": table(self.migration["matrix"]) if self.migration else None,
               "overrides": {k: v for k, v in self.overrides.items() if k != "table"} if self.overrides else None,
               "allowance_movement": table(self.allowance.table) if self.allowance is not None else None,
               "balance_movement": table(self.allowance.balances) if self.allowance is not None else None}
        return out

    def to_json(self, path=None) -> str:
        """The JSON summary as text (written to ``path`` when given, atomically: a reader sees
        the previous file or this one, never half of one)."""
        text = json.dumps(self.to_dict(), indent=1, default=_plain, allow_nan=False)
        if path is not None:
            write_atomic(path, text + "\n")
        return text

    # ---- plots
    def plot(self, axes=None):
        """PSI by characteristic, observed vs predicted default rate by grade with Jeffreys
        intervals, and the vintage curves; returns the figure."""
        import matplotlib.pyplot as plt

        if axes is None:
            fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
        else:
            fig = axes[0].figure
        chars = self.stability["characteristics"].head(15)
        ax = axes[0]
        ax.barh(chars.index[::-1], chars["csi"][::-1], color=[_COLOURS[_z(z)] for z in chars["csi_zone"][::-1]])
        for bound in self.thresholds.csi:
            ax.axvline(bound, color="#999", lw=0.8, ls="--")
        ax.set_title(f"CSI by characteristic (score PSI {self.stability['score_psi']:.3f})")
        ax.set_xlabel("CSI")
        ax = axes[1]
        if self.backtest:
            g = self.backtest["grades"]
            x = np.arange(len(g))
            ax.errorbar(x, g["default_rate"], yerr=[g["default_rate"] - g["lower"], g["upper"] - g["default_rate"]],
                        fmt="o", color="#333", capsize=3, label="observed (Jeffreys 95 %)")
            ax.plot(x, g["mean_pd"], "s--", color="#1565c0", label="predicted (mean PD)")
            for i, z in enumerate(g["zone"]):
                ax.scatter([i], [g["default_rate"].iloc[i]], color=_COLOURS[_z(z)], zorder=3)
            ax.set_xticks(x, g.index)
            ax.set_yscale("symlog", linthresh=1e-3)
            ax.legend(fontsize=8)
            ax.set_title("observed vs predicted by grade")
        else:
            ax.text(0.5, 0.5, "no mature outcomes yet", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
        ax = axes[2]
        if self.vintages is not None and len(self.vintages):
            for cohort, row in self.vintages.iterrows():
                ax.plot(row.index, row.to_numpy(), marker=".", label=str(cohort))
            ax.set_xlabel("months since observation")
            ax.set_ylabel("cumulative default rate")
            ax.legend(fontsize=7, ncol=2)
            ax.set_title("vintage curves")
        else:
            ax.text(0.5, 0.5, "no outcomes with dates", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
        fig.suptitle(self.verdict[:140], fontsize=10, color=_COLOURS[self.status])
        fig.tight_layout()
        return fig

    # ---- HTML
    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def _verdict_html(self) -> str:
        """The verdict in its zone's colour and the measures table, for the head of :meth:`to_html`."""
        rows = "".join(f"<tr><td>{html.escape(str(n))}</td><td>{html.escape(self._fmt(r['value']))}</td>"
                       f"<td style='color:{_COLOURS[_z(r['zone'])]};font-weight:bold'>{_MARK[_z(r['zone'])]}</td>"
                       f"<td>{html.escape(str(r['detail']))}</td></tr>" for n, r in self.measures.iterrows())
        return (f"<p style='color:{_COLOURS[self.status]};font-weight:bold'>{html.escape(self.verdict)}</p>"
                f"<table><tr><th>measure</th><th>value</th><th>zone</th><th>detail</th></tr>{rows}</table>")

    def to_html(self, path=None) -> str:
        """A self-contained HTML report (figures embedded as PNG); written to ``path`` when given
        (atomically, as :meth:`to_json`)."""
        png = _png_base64(self.plot())
        parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>Monitoring {html.escape(self.period)}"
                 "</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
                 "td,th{border:1px solid #ccc;padding:2px 6px;font-size:90%}</style></head><body>",
                 f"<h1>Monitoring: {html.escape(str(self.model.get('name')))}, period {html.escape(self.period)}</h1>",
                 f"<p>bundle sha256 {html.escape(str(self.model.get('bundle_sha256')))}, version "
                 f"{html.escape(str(self.model.get('version')))}</p>",
                 self._verdict_html(), f"<img alt='monitoring plots' src='data:image/png;base64,{png}'>"]
        tables = {"score PSI by bin": self.stability["score_table"],
                  "grade PSI by grade": self.stability["grade_table"],
                  "characteristics": self.stability["characteristics"]}
        if self.backtest:
            tables["back-test by grade"] = self.backtest["grades"]
        if self.vintages is not None:
            tables["vintage curves"] = self.vintages
        if self.migration:
            tables[f"migration from {self.migration['previous_period']}"] = self.migration["matrix"]
        if self.overrides:
            tables["overrides (model grade x final grade)"] = self.overrides["table"]
        if self.allowance is not None:
            movement = _png_base64(self.allowance.plot().figure)
            parts.append(f"<h2>receivables allowance per period</h2><img alt='allowance movement' "
                         f"src='data:image/png;base64,{movement}'>")
            tables["receivables allowance movement per period"] = self.allowance.table
            tables["receivables gross balance movement per period"] = self.allowance.balances
        for title, frame in tables.items():
            parts.append(f"<h2>{html.escape(title)}</h2>" + frame.to_html(float_format=lambda v: f"{v:.4f}"))
        parts.append("</body></html>")
        text = "\n".join(parts)
        if path is not None:
            write_atomic(path, text)
        return text


def _png_base64(fig) -> str:
    """A figure as base64 PNG text (closed afterwards)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _z(zone):
    """A zone name, or None for a missing one (pandas may hold it as NaN)."""
    return zone if isinstance(zone, str) else None


def _plain(value):
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    return value
