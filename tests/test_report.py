"""The model development document: its sections per model, formatting, MLflow copy, and a real browser.

One small synthetic comparison of all four kinds of model (tracked to a temporary
MLflow store) is built once for the module and read by every test.
"""

import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from riskmodels.comparison import compare
from riskmodels.comparison.figures import png_size

SMALL = {
    "name": "document",
    "data": {"source": "synthetic", "params": {"n_firms": 400, "n_years": 4}, "target": "default",
             "id_columns": ["firm_id", "year", "asset_value", "asset_vol"], "truth_column": "true_pd"},
    "split": {"method": "time", "time_column": "year", "test_from": 2021},
    "models": [
        {"name": "expert", "type": "expert", "params": {"spec": "enterprise_five_aspect"}},
        {"name": "logistic", "type": "logistic",
         "features": ["debt_ratio", "interest_cover", "roa", "dpd_max_12m", "on_time_share", "current_ratio",
                      "management_quality"],
         "params": {"categorical": ["management_quality"]}},
        {"name": "kmv", "type": "kmv",
         "features": ["equity_value", "equity_vol", "short_term_debt", "long_term_debt", "rate",
                      "total_assets", "industry"], "params": {"pd_map": "empirical"}},
        {"name": "crosstab", "type": "crosstab", "features": ["dpd_max_12m", "debt_ratio"],
         "params": {"factors": ["dpd_max_12m", "debt_ratio"], "max_bins": 3}},
    ],
}


class Outline(HTMLParser):
    """Sections (by id), headings, images (alt -> src) and table cells of a page."""

    def __init__(self):
        super().__init__()
        self.sections, self.images, self.links, self.cells = {}, {}, [], []
        self._section, self._capture = None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self._section = attrs["id"]
            self.sections[self._section] = []
        elif tag == "img":
            self.images[attrs["alt"]] = attrs["src"]
        elif tag == "a" and attrs.get("href", "").startswith("#"):
            self.links.append(attrs["href"][1:])
        elif tag in ("h3", "h4", "caption", "td", "th"):
            self._capture = tag

    def handle_data(self, data):
        if self._capture in ("h3", "h4", "caption") and self._section:
            self.sections[self._section].append(data.strip())
        elif self._capture in ("td", "th"):
            self.cells.append(data)

    def handle_endtag(self, tag):
        if tag == self._capture:
            self._capture = None


@pytest.fixture(scope="module")
def document(tmp_path_factory):
    folder = tmp_path_factory.mktemp("document")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    cmp = compare({**SMALL, "tracking": {"uri": uri, "experiment": "document", "register_models": False}}, progress=False,
                  output_dir=folder)
    page = cmp.report_path.read_text(encoding="utf-8")
    outline = Outline()
    outline.feed(page)
    yield cmp, page, outline, uri
    mlflow.set_tracking_uri(None)


def test_every_model_has_its_specification_and_validation_section(document):
    cmp, _, outline, _ = document
    assert not cmp.failed
    assert set(outline.links) == set(outline.sections)  # the table of contents reaches every section
    assert list(outline.sections)[:2] == ["glance", "data"]  # the headline figures come first
    for name in cmp.results:
        assert f"spec-{name}" in outline.sections and f"validation-{name}" in outline.sections
        assert any(t.startswith("Grades") for t in outline.sections[f"validation-{name}"])
    logistic = cmp.models["logistic"]
    spec = outline.sections["spec-logistic"]
    assert "Coefficients, VIF and IV" in spec and "Candidates: selected or why dropped" in spec
    for feature in logistic.features_:  # a binning table (with points) and a WoE plot per selected characteristic
        assert f"Points table: {feature} (trend {logistic.binning_.binnings_[feature].trend_})" in spec
        assert png_size(_png(outline.images[f"logistic: woe_{feature}"])) == (540, 360)
    assert {"Grades", "Aspects", "Grade caps", "Indicators", "Caps that bound (training sample)"} <= set(
        outline.sections["spec-expert"])
    assert "Grid of cell PDs" in outline.sections["spec-crosstab"] and "crosstab: grid" in outline.images
    assert {"kmv: pd_map_market", "kmv: dd_by_outcome"} <= set(outline.images)
    comparison = outline.sections["comparison"]
    assert {"ROC and CAP of all models", "Grade by grade", "Pairwise DeLong tests",
            "expert: card grade -> realised PD"} <= set(comparison)
    assert {"all models: roc", "all models: cap"} <= set(outline.images)


def test_the_candidates_table_accounts_for_every_candidate(document):
    cmp = document[0]
    model = cmp.models["logistic"]
    spec = cmp.results["logistic"].specification
    (table,) = [b.table for b in spec.blocks if b.title == "Candidates: selected or why dropped"]
    assert sorted(table["characteristic"]) == sorted(dict(model.binning_.iv_))
    assert sorted(table.loc[table["outcome"] == "selected", "characteristic"]) == sorted(model.features_)
    assert not table["outcome"].eq("").any()


def test_numbers_are_formatted_for_people(document):
    cmp, page, outline, _ = document
    # counts as integers, rates as percentages: the side-by-side table's grades_rejected row
    side_by_side = page[page.index('<section id="comparison">'):]
    row = re.search(r"<th>grades_rejected</th>(.*?)</tr>", side_by_side).group(1)
    assert re.findall(r"<td>([^<]*)</td>", row) == [str(int(v)) for v in cmp.table["grades_rejected"]]
    default_rate = cmp.table.loc["logistic", "default_rate"]
    assert re.search(rf"<th>default_rate</th><td>{default_rate * 100:.2f}%</td>", side_by_side)
    # an empty grade shows no data, not a floor value: no "0.0001" anywhere, and "–" in the PSI shares
    assert "0.0001<" not in page and "–" in outline.cells


def test_the_specification_is_logged_with_each_child_run(document):
    cmp, _, _, uri = document
    mlflow.set_tracking_uri(uri)
    client = MlflowClient()
    parent = client.get_run(cmp.run_id)
    experiment = client.get_experiment(parent.info.experiment_id)
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"
    assert parent.data.metrics["logistic.auc"] == pytest.approx(cmp.table.loc["logistic", "auc"])
    inputs = {d.dataset.name: d for d in parent.inputs.dataset_inputs}
    train = inputs["synthetic (train)"]
    assert {t.key: t.value for t in train.tags}["fingerprint"] == cmp.fingerprints["train"]
    assert json.loads(train.dataset.profile)["num_rows"] == len(cmp.train)
    kids = {r.info.run_name: r for r in client.search_runs(
        [parent.info.experiment_id], f"tags.mlflow.parentRunId = '{cmp.run_id}'")}
    logistic = kids["logistic"]
    assert json.loads(logistic.data.params["selected_features"]) == cmp.models["logistic"].features_
    fitted = json.loads(mlflow.artifacts.load_text(f"runs:/{logistic.info.run_id}/specification/fitted.json"))
    assert fitted["coefficients"] == pytest.approx(dict(zip(cmp.models["logistic"].features_,
                                                            cmp.models["logistic"].coef_, strict=True)))
    files = {a.path for a in client.list_artifacts(logistic.info.run_id, "specification")}
    assert {"specification/coefficients__vif_and_iv.csv", "specification/coefficients__vif_and_iv.html",
            "specification/specification.html", "specification/fitted.json"} <= files
    assert kids["crosstab"].data.params["n_selected"] == "2"


def digests(cmp) -> dict:
    """SHA-256 of every figure of a comparison's models and of each specification's page."""
    import hashlib

    out = {}
    for name, r in cmp.results.items():
        out.update({f"{name}/{k}": hashlib.sha256(v).hexdigest() for k, v in r.figures.items()})
        out.update({f"{name}/spec/{k}": hashlib.sha256(v).hexdigest() for k, v in r.specification.figures.items()})
        out[f"{name}/page"] = hashlib.sha256(r.specification.page(name).encode()).hexdigest()
    return out


def test_the_figures_drawn_in_forked_processes_are_the_bytes_drawn_in_process(monkeypatch, tmp_path):
    import inspect

    import riskmodels.comparison.painter as painter

    config = {**SMALL, "tracking": {"enabled": False}}
    # a fresh Python (one thread, Linux): each model's figures are drawn in a forked process
    script = (f"import json, sys\nimport riskmodels.comparison.painter as painter\n"
              f"from riskmodels.comparison import compare\n{inspect.getsource(digests)}\n"
              "forks = painter.can_fork()\n"
              "cmp = compare(json.loads(sys.argv[1]), progress=False, output_dir=sys.argv[2])\n"
              "print(json.dumps([forks, digests(cmp)]))")
    done = subprocess.run([sys.executable, "-c", script, json.dumps(config), str(tmp_path / "forked")],
                          capture_output=True, text=True, check=True)
    forked, there = json.loads(done.stdout.strip().splitlines()[-1])
    monkeypatch.setattr(painter, "can_fork", lambda: False)  # here: drawn in this process
    here = compare(config, progress=False, output_dir=tmp_path / "here")
    assert forked and there == digests(here)
    # 6 validation figures a model, a WoE plot per selected characteristic, 3 KMV plots, the grid, 4 pages
    assert len(there) == 4 * 6 + len(here.models["logistic"].features_) + 3 + 1 + 4


def test_a_figure_that_cannot_be_drawn_fails_its_model_while_the_others_complete(monkeypatch, tmp_path):
    import riskmodels.comparison.specification as specification

    def broken(table, points=None):
        raise ValueError(f"no WoE plot of {table.name}")

    monkeypatch.setattr(specification, "woe_figure", broken)  # in the forked painter, then in process
    cmp = compare({**SMALL, "models": SMALL["models"][1:], "tracking": {"enabled": False}}, progress=False,
                  output_dir=tmp_path)
    assert set(cmp.failed) == {"logistic"} and set(cmp.models) == {"kmv", "crosstab"}
    assert "ValueError: no WoE plot of" in cmp.failed["logistic"]
    assert "Failed to fit: ValueError: no WoE plot of" in cmp.report_path.read_text(encoding="utf-8")


def _png(src: str) -> bytes:
    import base64

    return base64.b64decode(src.split(",", 1)[1])


CHECK = """<script>
window.addEventListener('load', () => {
  const imgs = [...document.images];
  const broken = imgs.filter(i => !i.complete || i.naturalWidth === 0 || i.naturalHeight === 0
                                  || i.getBoundingClientRect().width === 0).map(i => i.alt);
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('table, img, pre, nav, h1, h2, p')]
    .filter(e => e.getBoundingClientRect().right > width + 0.5)
    .map(e => e.tagName + ':' + (e.alt || (e.querySelector('caption') || e).textContent.slice(0, 40)));
  const out = document.createElement('pre');
  out.id = 'browser-check';
  out.textContent = JSON.stringify({images: imgs.length, broken, wide, width,
                                    scroll: document.documentElement.scrollWidth});
  document.body.appendChild(out);
});
</script></body>"""


def test_the_report_renders_in_a_real_browser(document, tmp_path):
    chromium = shutil.which("chromium")
    assert chromium, "the browser test needs Debian's chromium (apt-get install -y chromium; .ci/run does it)"
    _, page, outline, _ = document
    checked = tmp_path / "checked.html"
    checked.write_text(page.replace("</body>", CHECK), encoding="utf-8")
    run = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--window-size=1400,1000", "--virtual-time-budget=10000", "--dump-dom", checked.as_uri()],
        capture_output=True, text=True, timeout=180)
    found = re.search(r'<pre id="browser-check">(.*?)</pre>', run.stdout)
    assert found, run.stderr[-2000:]
    result = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert result["images"] == len(outline.images) >= 20
    assert result["broken"] == []  # every figure decodes and shows with a non-zero size
    assert result["wide"] == [] and result["scroll"] <= result["width"]  # nothing wider than a 1400 px page


def test_a_shape_forced_on_the_bins_against_the_data_is_a_limitation():
    import numpy as np

    from riskmodels.binning.optimal import OptimalBinning
    from riskmodels.comparison.specification import forced_shape

    # event rate 2 % + 8 % x |x - 4.5|: a valley (the example of OptimalBinning.shape_margin)
    x = np.tile(np.arange(10.0), 300)
    y = (np.random.default_rng(0).random(3000) < 0.02 + 0.08 * np.abs(x - 4.5)).astype(int)
    assert forced_shape(OptimalBinning("x").fit(x, y)) is None  # the automatic trend follows the data
    forced = forced_shape(OptimalBinning("x", monotonic_trend="ascending").fit(x, y))
    assert forced == "x: bins forced ascending, while the data's own shape (lowest BIC) is valley"


PAINTER_SCRIPT = """
import json, sys, time
from pathlib import Path
from types import SimpleNamespace
import matplotlib.pyplot as plt
from riskmodels.comparison.painter import Painter, can_fork

go = Path(sys.argv[1])


class Waiting:  # a validation report whose figures wait until the comparison has gone on
    def figures(self):
        for _ in range(200):
            if go.exists():
                break
            time.sleep(0.1)
        return {"went_on" if go.exists() else "blocked": plt.figure()}


painter = Painter()
first = SimpleNamespace(name="first", report=Waiting(), specification=None, figures={})
second = SimpleNamespace(name="second", report=None, specification=None, figures={})  # failed: nothing to draw
returned = [painter.submit(first), painter.submit(second)]
go.touch()  # the comparison goes on only once submit has returned
returned.append(painter.flush())
painter.close()
print(json.dumps([can_fork(), [[r.name for r in batch] for batch in returned], list(first.figures)]))
"""


def test_the_painter_draws_while_the_comparison_goes_on(tmp_path):
    # submit returns while a model's figures are still drawn (before 2026-12-07 it waited for the
    # previous model's drawing); the models come back in the order they were submitted
    done = subprocess.run([sys.executable, "-c", PAINTER_SCRIPT, str(tmp_path / "go")], capture_output=True,
                          text=True, check=True, timeout=120)
    forks, returned, figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert forks and returned == [[], [], ["first", "second"]] and figures == ["went_on"]
