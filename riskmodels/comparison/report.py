"""The model development document of a comparison: one self-contained HTML page.

Sections, with a table of contents: 1 the data; 2 each model's specification
(what was fitted) and 3 its validation on the test sample; 4 the comparison
(all models' ROC and CAP overlaid, grade by grade side by side, pairwise DeLong
tests, card grade -> realised PD); 5 the limitations the code can see. Tables
are formatted for people (:mod:`riskmodels.comparison.formatting`), figures are
inline PNGs of one size (:mod:`riskmodels.comparison.figures`), and a print
stylesheet makes "print to PDF" a usable document.
"""

from __future__ import annotations

import html
import itertools

import numpy as np
import pandas as pd

from riskmodels.comparison.figures import (
    figures_png,
    overlaid_cap,
    overlaid_roc,
)
from riskmodels.comparison.formatting import STYLE, html_table, img_tag
from riskmodels.comparison.specification import FEW_EXPECTED_DEFAULTS


def anchor(*parts: str) -> str:
    """A stable HTML id from names ("spec", "logistic" -> "spec-logistic").

    Examples
    --------
    >>> anchor("spec", "my model")
    'spec-my_model'
    """
    return "-".join("".join(ch if ch.isalnum() else "_" for ch in p) for p in parts)


def render_html(comparison) -> str:
    """The model development document of a :class:`~riskmodels.comparison.runner.Comparison`.

    Parameters
    ----------
    comparison : riskmodels.comparison.runner.Comparison

    Returns
    -------
    str
        A self-contained HTML page (figures inline).
    """
    cfg = comparison.config
    results = comparison.results
    sections = [("glance", "At a glance", glance_section(comparison)),
                ("data", "1 Data", data_section(comparison))]
    for k, (name, result) in enumerate(results.items(), start=1):
        sections.append((anchor("spec", name), f"2.{k} {name} ({result.type}): specification",
                         specification_section(result)))
    for k, (name, result) in enumerate(results.items(), start=1):
        sections.append((anchor("validation", name), f"3.{k} {name}: validation on the test sample",
                         validation_section(result)))
    sections.append(("comparison", "4 Comparison of the models", comparison_section(comparison)))
    sections.append(("limitations", "5 Limitations", limitations_section(comparison)))
    if getattr(comparison, "provisions", None) is not None:
        from riskmodels.comparison.provisions_section import provisions_section

        sections.append(("provisions", "6 Provisions", provisions_section(comparison.provisions)))
    toc = "".join(f'<li><a href="#{key}">{html.escape(title)}</a></li>' for key, title, _ in sections)
    body = "".join(f'<section id="{key}"><h2>{html.escape(title)}</h2>{content}</section>'
                   for key, title, content in sections)
    return (f"<!doctype html><html><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width'><title>{html.escape(cfg.name)}</title>"
            f"<style>{STYLE}</style></head><body>"
            f"<h1>Model development document: {html.escape(cfg.name)}</h1>"
            f"<p class='meta'>{html.escape(cfg.description)}</p>"
            f"<nav class='toc'><strong>Contents</strong><ul>{toc}</ul></nav>{body}</body></html>")


GLANCE = ["type", "status", "auc", "auc_lower", "auc_upper", "gini", "brier", "hosmer_lemeshow_p",
          "grades_rejected", "psi", "mean_pd", "default_rate"]


def glance_section(comparison) -> str:
    """The headline figures of every model (test sample), before the detail."""
    table = comparison.table[[c for c in GLANCE if c in comparison.table.columns]]
    return html_table(table, "Test sample: discrimination (AUC with its DeLong 95 % interval), calibration, "
                             "stability; details in sections 3 and 4", transpose=False)


def data_section(comparison) -> str:
    """Rows, default rates, the split, the fingerprints and each characteristic's missing share and range."""
    cfg = comparison.config
    train, test = comparison.train, comparison.test
    split = (f"out of time: test from {cfg.split.time_column} {cfg.split.test_from}"
             if cfg.split.method == "time" else f"random, stratified: test share {cfg.split.test_size}")
    overview = pd.DataFrame({"value": [
        cfg.data.source, len(train) + len(test), len(train), len(test),
        float(train["target"].mean()), float(test["target"].mean()), split, cfg.master_scale,
        comparison.fingerprints["data"], comparison.fingerprints["train"], comparison.fingerprints["test"],
    ]}, index=["source", "rows", "train rows", "test rows", "train default rate", "test default rate",
               "split", "master scale", "data fingerprint (sha256)", "train fingerprint", "test fingerprint"])
    frame = pd.concat([train, test])
    users: dict = {}
    for result in comparison.results.values():
        for feature in result.features:
            users.setdefault(feature, []).append(result.name)
    return (html_table(overview, "The sample", header=False)
            + html_table(characteristics(frame, users), "Characteristics (train and test together)",
                         index=False))


def characteristics(frame: pd.DataFrame, users: dict) -> pd.DataFrame:
    """Per characteristic: its type, missing share, range (numeric) or categories, and the models using it.

    Parameters
    ----------
    frame : the comparison data.
    users : characteristic -> names of the models given it.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> frame = pd.DataFrame({"x": [1.0, None, 3.0], "c": ["a", "b", "a"]})
    >>> characteristics(frame, {"x": ["m"], "c": ["m", "k"]}).values.tolist()
    [['x', 'numeric', 0.3333333333333333, 1.0, 3.0, '–', 'm'], ['c', 'category', 0.0, nan, nan, '2 categories', 'm, k']]
    """
    rows = []
    for name, models in users.items():
        column = frame[name]
        numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
        rows.append({"characteristic": name, "type": "numeric" if numeric else "category",
                     "missing share": float(column.isna().mean()),
                     "min": float(column.min()) if numeric else np.nan,
                     "max": float(column.max()) if numeric else np.nan,
                     "categories": "–" if numeric else f"{column.nunique()} categories",
                     "models": ", ".join(models)})
    return pd.DataFrame(rows)


def specification_section(result) -> str:
    """A model's specification: its summary blocks, binning tables and plots, card, grid or DD map."""
    if result.status != "ok":
        last = result.error.strip().splitlines()[-1] if result.error else "failed"
        return f"<p class='failed'>Failed to fit: {html.escape(last)}</p>"
    return result.specification.as_html(result.name)


VALUE_TABLES = ("discrimination", "calibration", "stability")
GRADE_COLUMNS = ["n", "defaults", "default_rate", "dr_lower", "dr_upper", "mean_pd", "expected_defaults",
                 "binomial_p", "jeffreys_p", "traffic_light", "class"]


def grade_view(grades: pd.DataFrame) -> pd.DataFrame:
    """The per-grade table as the report shows it, with the defaults each grade expects (n × mean PD).

    Examples
    --------
    >>> g = pd.DataFrame({"n": [10, 0], "defaults": [1, 0], "mean_pd": [0.2, np.nan]}, index=["A", "B"])
    >>> grade_view(g)["expected_defaults"].tolist()
    [2.0, nan]
    """
    view = grades.assign(expected_defaults=grades["n"] * grades["mean_pd"])
    return view[[c for c in GRADE_COLUMNS if c in view.columns]]


def validation_section(result) -> str:
    """The validation that exists for each model: the key figures, per-grade tests, PSI and the plots."""
    if result.status != "ok":
        return "<p class='failed'>No validation: the model failed to fit.</p>"
    tables = result.tables
    values = "".join(html_table(tables[k].set_axis(["value"], axis=1), k.capitalize(), header=False)
                     for k in VALUE_TABLES if k in tables)
    parts = [f"<div class='row'>{values}</div>",
             html_table(grade_view(tables["grades"]), "Grades: realised default rate (95 % Jeffreys "
                                                        "interval) against the mean PD", transpose=False)]
    if "psi" in tables and result.report is not None and result.report.reference_pd is not None:
        parts.append(html_table(psi_view(result), "Population stability by grade (train -> test)"))
    parts.append("<div class='row'>" + "".join(img_tag(png, f"{result.name}: {name}")
                                               for name, png in result.figures.items()) + "</div>")
    return "".join(parts)


def psi_view(result) -> pd.DataFrame:
    """PSI by grade with the true counts and shares (0 % where a grade is empty, not the PSI's floor)."""
    scale = result.report.scale
    train_n = np.bincount(scale.grade_index(result.report.reference_pd), minlength=scale.n_grades)
    test_n = result.tables["grades"]["n"].to_numpy()[:scale.n_grades]
    return pd.DataFrame({"train n": train_n, "test n": test_n, "train share": train_n / train_n.sum(),
                         "test share": test_n / max(test_n.sum(), 1), "psi": result.tables["psi"]["psi"].to_numpy()},
                        index=pd.Index(scale.grades, name="grade"))


def comparison_section(comparison) -> str:
    """All models together: the side-by-side table, ROC and CAP overlaid, grades, DeLong tests, card grades."""
    ok = {n: r for n, r in comparison.results.items() if r.status == "ok"}
    parts = [html_table(comparison.table, "Side by side (test sample; models as columns)", transpose=True)]
    curves = curves_of(ok)
    truth = comparison.config.data.truth_column
    if truth and curves:
        curves["truth"] = (comparison.test["target"].to_numpy(), comparison.test[truth].to_numpy())
    if curves:
        pngs = figures_png({"roc": overlaid_roc(curves), "cap": overlaid_cap(curves)})
        parts.append("<h3>ROC and CAP of all models</h3><div class='row'>"
                     + "".join(img_tag(png, f"all models: {k}") for k, png in pngs.items()) + "</div>")
    if ok:
        parts.append("<h3>Grade by grade</h3>" + html_table(side_by_side_grades(ok),
                     "Test sample: obligors, realised default rate and mean PD per master-scale grade",
                     transpose=False))
    if len(ok) > 1:
        parts.append("<h3>Pairwise DeLong tests</h3>" + html_table(
            pairwise_delong(curves_of(ok)), "AUC of model 1 − AUC of model 2 on the same test sample "
                                            "(DeLong, DeLong & Clarke-Pearson 1988; two-sided)", index=False))
    for name, result in ok.items():
        if "card_grades" in result.tables:
            parts.append(f"<h3>{html.escape(name)}: card grade -> realised PD</h3>" + html_table(
                result.tables["card_grades"], "Test sample: per card grade, the realised default rate and "
                                              "the master-scale grade it corresponds to"))
    return "".join(parts)


def curves_of(results: dict) -> dict:
    """Model name -> (y, pd) on the test sample, of models that fitted."""
    return {n: (r.predictions["target"].to_numpy(), r.predictions["pd"].to_numpy()) for n, r in results.items()}


def side_by_side_grades(results: dict) -> pd.DataFrame:
    """Per grade and model: obligors, realised default rate and mean PD (columns "MODEL n" ...)."""
    columns = {}
    for name, result in results.items():
        grades = result.tables["grades"]
        columns[f"{name} n"] = grades["n"]
        columns[f"{name} default rate"] = grades["default_rate"]
        columns[f"{name} mean PD"] = grades["mean_pd"]
    return pd.DataFrame(columns)


def pairwise_delong(curves: dict) -> pd.DataFrame:
    """DeLong's test of every pair of models scored on the same sample.

    Parameters
    ----------
    curves : model name -> (y, pd).

    Returns
    -------
    pandas.DataFrame
        model 1, model 2, both AUCs, difference (1 − 2), its standard error, z and p-value.

    Examples
    --------
    >>> y = np.array([0, 0, 1, 0, 1, 1, 0, 1])
    >>> t = pairwise_delong({"a": (y, np.arange(8.0)), "b": (y, y + 0.0)})
    >>> t[["model 1", "model 2", "difference"]].values.tolist()
    [['a', 'b', -0.25]]
    """
    from riskmodels.validation import delong_test

    rows = []
    for (a, (y, pa)), (b, (_, pb)) in itertools.combinations(curves.items(), 2):
        test = delong_test(y, pa, pb)
        rows.append({"model 1": a, "model 2": b, "AUC 1": test.auc1, "AUC 2": test.auc2,
                     "difference": test.difference, "se": test.se, "z": test.z, "p_value": test.p_value})
    return pd.DataFrame(rows)


def limitations(comparison) -> list[str]:
    """What the code knows limits the conclusions: failed fits, the validation notes, shapes forced
    on bins, and grades that expect fewer than ``FEW_EXPECTED_DEFAULTS`` defaults.

    Returns
    -------
    list of str
    """
    out = []
    for name, result in comparison.results.items():
        if result.status != "ok":
            out.append(f"{name}: failed to fit; it is missing from every comparison.")
            continue
        out.extend(f"{name}: {note}" for note in result.specification.limitations)
        if result.report is not None:
            out.extend(f"{name}: {note}" for note in result.report.notes)
        grades = grade_view(result.tables["grades"]).iloc[:-1]
        few = grades[(grades["n"] > 0) & (grades["expected_defaults"] < FEW_EXPECTED_DEFAULTS)]
        if len(few):
            out.append(f"{name}: grade(s) {', '.join(map(str, few.index))} expect fewer than "
                       f"{FEW_EXPECTED_DEFAULTS} defaults on the test sample (n × mean PD): their binomial "
                       "and Jeffreys tests have little power to show miscalibration.")
    return out


def limitations_section(comparison) -> str:
    """The limitations as a list."""
    items = limitations(comparison)
    if not items:
        return "<p>None found by the checks the code runs.</p>"
    return "<ul class='limits'>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>"
