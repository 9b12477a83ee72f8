"""The comparison's provisions: the experiment's ``provisions:`` in the report (MLflow logs
:meth:`ProvisionsView.tables`, :func:`riskmodels.tracking.mlflow_log.log_comparison`).

The provision matrix of the receivables ledger on ``as_of`` (:func:`riskmodels.provisions.provision_matrix`)
is computed before any fitting, so a bad ledger stops the run as a bad key does; the lifetime PD
curves per grade (:func:`riskmodels.provisions.term_structure`) come from the master scale's PDs
under a constant hazard, from a one-year migration matrix file, or from the one-year cohort
matrix of the grades a fitted model gives each firm per period (a default in period t moves the
firm to the default grade at t + 1).

Examples
--------
>>> from riskmodels.calibration import MasterScale
>>> from riskmodels.comparison.config import ExperimentConfig
>>> cfg = ExperimentConfig.model_validate({"name": "doc", "data": {"source": "taiwan"},
...     "models": [{"name": "m", "type": "logistic"}], "provisions": {"years": 3}})
>>> view = prepare_provisions(cfg, MasterScale.standard("enterprise10"), None)
>>> view.matrix, view.curves.cumulative.shape, view.curves.basis
(None, (9, 3), 'one-year PDs, constant hazard')
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from riskmodels.comparison.figures import figures_png
from riskmodels.comparison.formatting import html_table, img_tag
from riskmodels.errors import ConfigError, RiskModelsError
from riskmodels.provisions import ProvisionMatrix, TermStructure, provision_matrix, term_structure


@dataclass
class ProvisionsView:
    """What the report and MLflow show: the ledger's provision matrix (or None) and the curves."""

    matrix: ProvisionMatrix | None
    curves: TermStructure | None = None
    note: str = ""
    migration: pd.DataFrame | None = None  # the one-year matrix of ``lifetime: migrations``

    def tables(self) -> dict:
        """Name -> table, for the report and the MLflow artifacts."""
        out = {}
        if self.matrix is not None:
            out["provision_matrix"] = self.matrix.table
        if self.curves is not None:
            out["lifetime_cumulative_pd"] = self.curves.cumulative
            out["lifetime_marginal_pd"] = self.curves.marginal
        if self.migration is not None:
            out["migration_matrix"] = self.migration
        return out


def prepare_provisions(cfg, scale, frame: pd.DataFrame) -> ProvisionsView:
    """Before any fitting: the ledger's provision matrix and, unless they wait for a fitted model
    (``migrations``), the curves; a bad ledger, file or column is a ConfigError naming the key."""
    p = cfg.provisions
    matrix = None
    if p.invoices is not None:
        try:
            matrix = provision_matrix(p.ledger(), p.as_of, **p.options())
        except (RiskModelsError, OSError, ValueError) as exc:
            raise ConfigError(f"the ledger gives no provision matrix: {exc}", path="provisions") from None
    grades = scale.grades[:-1]  # the default grade has no curve
    if p.lifetime == "master_scale":
        curves = term_structure(scale.midpoints[:-1], p.years, grades, kind="pd")
        note = (f"the {cfg.master_scale} scale's midpoint PD of each grade, assuming a constant yearly "
                "hazard, c(t) = 1 − (1 − PD)^t")
        return ProvisionsView(matrix, curves, note)
    if p.lifetime == "migrations":
        firm, time = migration_columns(cfg)
        missing = [c for c in (firm, time) if c is None or c not in frame.columns]
        if missing:
            raise ConfigError(f"lifetime: migrations needs a firm id column and a time column in the data "
                              f"(firm_column {firm!r}, time_column {time!r})", path="provisions.lifetime")
        names = [m.name for m in cfg.models]
        if p.lifetime_model is not None and p.lifetime_model not in names:
            raise ConfigError(f"lifetime_model {p.lifetime_model!r} is not a model of the config ({names})",
                              path="provisions.lifetime_model")
        return ProvisionsView(matrix, None, "")
    try:
        table = pd.read_csv(Path(p.lifetime), index_col=0)
        curves = term_structure(table, p.years)
    except (RiskModelsError, OSError, ValueError) as exc:
        raise ConfigError(f"{p.lifetime} is neither master_scale, migrations nor a one-year migration "
                          f"matrix CSV: {exc}", path="provisions.lifetime") from None
    return ProvisionsView(matrix, curves, f"the one-year matrix {Path(p.lifetime).name}")


def migration_columns(cfg) -> tuple:
    """The firm id and period columns of ``lifetime: migrations``."""
    p = cfg.provisions
    return (p.firm_column or (cfg.data.id_columns[0] if cfg.data.id_columns else None),
            p.time_column or cfg.split.time_column)


def finish_provisions(view: ProvisionsView, comparison) -> ProvisionsView:
    """After the fitting: the ``migrations`` curves, from the grades a fitted model gives each firm
    and period (a default in period t moves the firm to the default grade at t + 1)."""
    if view.curves is not None:
        return view
    from riskmodels.migration import cohort_matrix

    cfg, scale = comparison.config, comparison.scale
    ok = [n for n, r in comparison.results.items() if r.status == "ok"]
    name = cfg.provisions.lifetime_model or (ok[0] if ok else None)
    if name not in ok:
        view.note = f"no lifetime PD curves: the model {name!r} did not fit"
        return view
    firm, time = migration_columns(cfg)
    result = comparison.results[name]
    frame = pd.concat([comparison.train, comparison.test])
    pd_ = result.model.predict_proba(frame[result.features])[:, 1]
    panel = pd.DataFrame({"entity": frame[firm].to_numpy(), "date": frame[time].to_numpy(dtype=float),
                          "grade": scale.grade(pd_)})
    defaulted = panel[frame["target"].to_numpy() == 1].assign(grade=scale.default_grade)
    panel = pd.concat([panel, defaulted.assign(date=defaulted["date"] + 1.0)], ignore_index=True)
    panel = panel.drop_duplicates(["entity", "date"], keep="last")
    migration = cohort_matrix(panel, scale.grades, sort=True)
    view.curves = term_structure(migration.frame(), cfg.provisions.years)
    view.migration = migration.frame()
    unseen = [g for g, n in zip(migration.grades[:-1], migration.counts.sum(axis=1)[:-1], strict=True) if n == 0]
    view.note = (f"the one-year cohort migration matrix of the grades {name} gives each {firm} per {time} "
                 f"({migration.info.get('transitions', 0):,} transitions; a default moves the firm to the "
                 "default grade the next period)"
                 + (f"; no firm started a period in {', '.join(unseen)}: those rows stay put, no curve"
                    if unseen else ""))
    return view


def provisions_section(view: ProvisionsView) -> str:
    """The report's section: the matrix and its allowance, the curves' table and figure."""
    parts = []
    m = view.matrix
    if m is not None:
        parts.append(f"<p>Allowance on {m.as_of.date()}: <strong>{m.allowance:,.2f}</strong> "
                     f"({html.escape(m.method)} loss rates from the invoices issued {m.history[0].date()} – "
                     f"{m.history[1].date()}, forward-looking multiplier {m.forward_looking:g}; IFRS 9 "
                     "simplified approach, CAS 22).</p>")
        parts.append(html_table(m.table, "Provision matrix: balance, loss rate and allowance per "
                                         "days-past-due bucket", transpose=False))
    if view.curves is None:
        parts.append(f"<p>{html.escape(view.note)}</p>")
    else:
        c = view.curves
        parts.append(f"<p>Lifetime PD per grade ({html.escape(c.basis)}): {html.escape(view.note)}.</p>")
        png = figures_png({"lifetime": c.plot().figure})["lifetime"]
        parts.append("<div class='row'>" + img_tag(png, "lifetime cumulative PD per grade") + "</div>")
        parts.append(html_table(c.cumulative, "Cumulative PD per grade (rows) and year (columns)",
                                transpose=False))
        if view.migration is not None:
            parts.append(html_table(view.migration, "The one-year migration matrix (rows: from, columns: to)",
                                    transpose=False))
    return "".join(parts)
