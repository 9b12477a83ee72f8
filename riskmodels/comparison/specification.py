"""What was fitted, for the reviewer: each model's specification as tables, figures and JSON.

:func:`specify` turns a fitted model into a :class:`Specification`: the blocks of
its own ``summary()`` followed by what a reviewer asks for next (per selected
characteristic its binning table with the points and its WoE plot; the fate of
every candidate; the cross-tab grid; the expert card's indicators and which
caps bound; KMV's DD -> PD map), the JSON-able fitted state that ``riskmodels
runs compare`` diffs, and the limitations the code can see.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from riskmodels.models.crosstab import CrossTabModel
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame({"dpd": rng.integers(0, 90, 2000), "lev": rng.uniform(0, 1, 2000)})
>>> y = (rng.uniform(size=2000) < 0.02 + X["dpd"] / 500).astype(int)
>>> spec = specify(CrossTabModel(["dpd", "lev"], max_bins=3).fit(X, y), "crosstab", X, y)
>>> spec.fitted["features"], sorted(spec.figures)
(['dpd', 'lev'], ['grid'])

The figures may be left to draw later, elsewhere (the comparison draws them in a forked
process, :mod:`~riskmodels.comparison.painter`): the same bytes.

>>> later = specify(CrossTabModel(["dpd", "lev"], max_bins=3).fit(X, y), "crosstab", X, y, draw=False)
>>> later.figures, list(later.makers)
({}, ['grid'])
>>> later.draw() == spec.figures
True
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from riskmodels.comparison.figures import FIGSIZE, WIDE, png_bytes, woe_figure
from riskmodels.comparison.formatting import STYLE, html_table, img_tag
from riskmodels.results import SummaryTable

FEW_EXPECTED_DEFAULTS = 5  # a grade expecting fewer defaults than this cannot show miscalibration


@dataclass
class Block:
    """One block of a specification: a titled table, or pre-rendered HTML (a statsmodels summary)."""

    title: str
    table: pd.DataFrame | None = None
    html: str | None = None
    index: bool = True
    header: bool = True
    figures: tuple = ()  # names of the figures shown with the block


@dataclass
class Specification:
    """A fitted model as the report and the tracking store show it."""

    title: str
    blocks: list = field(default_factory=list)
    figures: dict = field(default_factory=dict)  # name -> PNG bytes
    makers: dict = field(default_factory=dict)  # name -> function making the PNG bytes, until drawn
    fitted: dict = field(default_factory=dict)  # JSON-able: features, bins, coefficients ...
    notes: list = field(default_factory=list)  # the summary's own notes (scaling, peer groups ...)
    limitations: list = field(default_factory=list)  # what limits the conclusions (forced shapes ...)

    def draw(self) -> dict:
        """Draw the figures still to draw (:attr:`makers`) into :attr:`figures`; the figures.

        Returns
        -------
        dict of str to bytes
        """
        self.figures.update({name: make() for name, make in self.makers.items()})
        self.makers = {}
        return self.figures

    def as_html(self, model: str) -> str:
        """The blocks as HTML: each titled table (formatted for people) beside its figures.

        Parameters
        ----------
        model : the model's name (in the figures' alt texts).

        Returns
        -------
        str
        """
        parts = [f"<p><strong>{html.escape(self.title)}</strong></p>"]
        for block in self.blocks:
            parts.append(f"<h4>{html.escape(block.title)}</h4>")
            row = []
            if block.html is not None:
                row.append(f"<div>{block.html}</div>")
            if block.table is not None:
                row.append(html_table(block.table, index=block.index, header=block.header))
            row.extend(img_tag(self.figures[f], f"{model}: {f}") for f in block.figures)
            parts.append(f"<div class='row'>{''.join(row)}</div>")
        if self.notes:
            parts.append("<h4>Notes</h4><ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in self.notes) + "</ul>")
        return "".join(parts)

    def page(self, model: str) -> str:
        """A self-contained HTML page of the specification (what tracking logs with each child run).

        Parameters
        ----------
        model : the model's name.

        Returns
        -------
        str
        """
        return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(model)}</title>"
                f"<style>{STYLE}</style></head><body><h1>{html.escape(model)}: specification</h1>"
                f"{self.as_html(model)}</body></html>")

    def tables(self) -> dict:
        """The blocks that are tables, by a file-safe name (for CSV/HTML artifacts).

        Returns
        -------
        dict of str to pandas.DataFrame
        """
        out = {}
        for block in self.blocks:
            if block.table is not None:
                key = "".join(ch if ch.isalnum() else "_" for ch in block.title.lower()).strip("_")
                out[key] = block.table
        return out


def specify(model, kind: str, X: pd.DataFrame, y, *, draw: bool = True) -> Specification:
    """The specification of a fitted model of a comparison.

    Parameters
    ----------
    model : a fitted riskmodels estimator (expert, logistic, kmv or crosstab).
    kind : its comparison type.
    X, y : the training sample (for the counts a card's caps bound, the KMV DD plot).
    draw : draw the figures now; False leaves them in ``makers`` for :meth:`Specification.draw`.

    Returns
    -------
    Specification
    """
    summary = model.summary()
    spec = Specification(summary.title)
    for part in summary.tables:
        if isinstance(part, SummaryTable):
            spec.blocks.append(Block(part.title or "Fit", part.frame, index=part.index, header=part.header))
        else:
            spec.blocks.append(Block("Estimation", html=part.as_html()))
    spec.notes.extend(summary.notes)
    SPECIFIERS[kind](model, spec, X, np.asarray(y))
    if draw:
        spec.draw()
    return spec


def _logistic(model, spec: Specification, X, y) -> None:
    binnings = model.binning_.binnings_
    spec.blocks = [b for b in spec.blocks if b.title != "Selection log"]
    spec.blocks.append(Block("Candidates: selected or why dropped", candidate_outcomes(model), index=False))
    for name in model.features_:
        binning = binnings[name]
        table = binning.table_.to_frame(totals=False).assign(points=model.points_[name])
        spec.makers[f"woe_{name}"] = partial(_woe_png, binning.table_, model.points_[name])
        spec.blocks.append(Block(f"Points table: {name} (trend {binning.trend_})", table, index=False,
                                 figures=(f"woe_{name}",)))
        forced = forced_shape(binning)
        if forced:
            spec.limitations.append(forced)
    coef = model.coef_table_
    spec.fitted = {
        "features": list(model.features_),
        "intercept": float(model.intercept_),
        "coefficients": {n: float(c) for n, c in zip(model.features_, model.coef_, strict=True)},
        "p_values": {n: float(coef.loc[n, "p_value"]) for n in model.features_ if "p_value" in coef.columns
                     and n in coef.index},
        "bins": {n: [str(label) for label in binnings[n].table_.labels] for n in model.features_},
        "points": {n: [float(p) for p in model.points_[n]] for n in model.features_},
    }
    edits = model.training_metadata_.get("binning_edits")
    if edits:  # the analyst's bin edits (riskmodels.binning.editor): who, when, what, why
        # imported where used: `compare` forks its MLflow worker before it
        from riskmodels.binning.editor import ledger_frame

        spec.blocks.append(Block("Binning edits (ledger)", ledger_frame(edits), index=False))
        spec.fitted["binning_edits"] = {
            n: [f"{e['action']} {e['detail']}: {e['reason']} ({e['who']}, {e['when']})" for e in edits
                if e["feature"] == n] for n in dict.fromkeys(e["feature"] for e in edits)}


def _woe_png(table, points) -> bytes:
    return png_bytes(woe_figure(table, points))


def candidate_outcomes(model) -> pd.DataFrame:
    """Every candidate characteristic of a logistic card: selected, or the step that dropped it.

    Parameters
    ----------
    model : fitted :class:`~riskmodels.models.logistic.LogisticScorecard`.

    Returns
    -------
    pandas.DataFrame
        Columns characteristic, IV, outcome, and the selection log's steps for it.

    Examples
    --------
    >>> from riskmodels.data.loaders import load_german
    >>> from riskmodels.models.logistic import LogisticScorecard
    >>> g = load_german()
    >>> card = LogisticScorecard(max_features=3).fit(g.drop(columns="target"), g["target"])
    >>> table = candidate_outcomes(card)
    >>> int((table["outcome"] == "selected").sum()), len(table) == g.shape[1] - 1
    (3, True)
    """
    log = model.selection_log_
    rows = []
    for name, iv in model.binning_.iv_.items():
        steps = log[log["feature"] == name]
        history = "; ".join(f"{a} ({v:.4g})" if pd.notna(v) else a
                            for a, v in zip(steps["action"], steps["value"], strict=True))
        drops = [a for a in steps["action"] if a.startswith(("drop", "remove"))]
        if name in model.features_:
            outcome = "selected"
        elif drops:
            outcome = drops[-1]
        else:
            outcome = f"not entered (stepwise {model.criterion}: no gain worth its coefficient)"
        rows.append({"characteristic": name, "IV": float(iv), "outcome": outcome, "steps": history or "–"})
    frame = pd.DataFrame(rows)
    return frame.sort_values(["outcome", "IV"], key=lambda s: s.ne("selected") if s.name == "outcome" else -s,
                             kind="stable").reset_index(drop=True)


def forced_shape(binning) -> str | None:
    """A sentence when a characteristic's bins follow another shape than the data's own (lowest BIC).

    Parameters
    ----------
    binning : fitted :class:`~riskmodels.binning.optimal.OptimalBinning`.

    Returns
    -------
    str or None

    Examples
    --------
    >>> from riskmodels.binning.optimal import OptimalBinning
    >>> x = np.tile(np.arange(10.0), 300)
    >>> y = (np.random.default_rng(0).random(3000) < 0.02 + 0.08 * np.abs(x - 4.5)).astype(int)
    >>> forced_shape(OptimalBinning("x", monotonic_trend="descending").fit(x, y))
    "x: bins forced descending, while the data's own shape (lowest BIC) is valley"
    """
    shapes = binning.shapes_
    if len(shapes):
        best = shapes.loc[shapes["bic"].astype(float).idxmin(), "obtained"]
    elif binning.dtype == "numerical" and binning.monotonic_trend != "auto":
        best = binning.with_trend("auto").trend_
    else:
        return None
    if best == binning.trend_:
        return None
    return (f"{binning.name}: bins forced {binning.trend_}, while the data's own shape (lowest BIC) "
            f"is {best}")


def _crosstab(model, spec: Specification, X, y) -> None:
    spec.makers["grid"] = partial(_grid_png, model)
    spec.blocks.insert(1, Block("Grid of cell PDs", figures=("grid",)))
    spec.fitted = {"features": [str(f) for f in model.features_], "bins": [dict(b) for b in model.bins_],
                   "shape": [int(s) for s in model.grid_shape_],
                   "cell_pd": [float(v) for v in model.level_rates_[-1]]}


def _grid_png(model) -> bytes:
    import matplotlib.pyplot as plt

    shape = tuple(model.grid_shape_)
    panels = 1
    if len(shape) > 2:  # one panel per populated bin of the third factor (see CrossTabModel.plot)
        counts = model.cells_["n"].to_numpy().reshape(shape[0], shape[1], shape[2], -1)
        panels = int((counts.sum(axis=(0, 1, 3)) > 0).sum())
    figure, axes = plt.subplots(1, panels, layout="constrained", squeeze=False)
    model.plot(ax=axes[0] if panels > 1 else axes[0][0])
    return png_bytes(figure, WIDE if panels > 1 else FIGSIZE)


def _expert(model, spec: Specification, X, y) -> None:
    card = model.card_
    spec.blocks.append(Block("Indicators", card.table(), index=False))
    bound = model.score_card(X).caps_bound
    if bound.shape[1]:
        counts = bound.sum()
        spec.blocks.append(Block("Caps that bound (training sample)", pd.DataFrame(
            {"firms bound": counts.astype(int), "share": counts / max(len(bound), 1)},
            index=pd.Index(bound.columns, name="cap"))))
    inputs = {column for row in card.table()["inputs"] for column in row.split(", ") if column}
    spec.fitted = {"features": sorted(inputs),
                   "calibration": [{k: (list(map(float, v)) if isinstance(v, (list, np.ndarray)) else v)
                                    for k, v in step.items()} for step in model.calibration_steps_]}


def _kmv(model, spec: Specification, X, y) -> None:
    maps = [("market", model.market_map_), ("proxy", model.proxy_map_)] if model.pd_map == "empirical" else []
    fitted = {"pd_map": model.pd_map, "horizon": float(model.horizon)}
    for label, pd_map in maps:
        if pd_map is None:
            continue
        spec.makers[f"pd_map_{label}"] = partial(_titled_png, pd_map.plot,
                                                 f"DD -> PD map, {label} DDs: pooled bins and the fitted map")
        fitted[f"{label}_map"] = pd_map.to_frame().to_dict("list")
    spec.makers["dd_by_outcome"] = partial(_titled_png, partial(model.plot, X, y),
                                           "Distance to default by outcome (training sample)")
    spec.blocks.append(Block("DD -> PD map and DD by outcome", figures=tuple(spec.makers)))
    spec.fitted = fitted


def _titled_png(plot, title: str) -> bytes:
    """PNG bytes of the axes ``plot()`` draws, with ``title``."""
    ax = plot()
    ax.set_title(title)
    return png_bytes(ax.figure)


SPECIFIERS = {"logistic": _logistic, "crosstab": _crosstab, "expert": _expert, "kmv": _kmv}
