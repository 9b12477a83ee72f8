"""The model development document of the synthetic comparison: build time, size, and the draw-once saving.

Prints, for ``experiments/synthetic_enterprise.yaml`` (tracking off, the document
written to a temporary folder): the compare wall time; the time spent waiting for the
validation figures (drawn in forked processes), building the specifications (their tables and figures) and
rendering the page (with the overlaid ROC/CAP); the document's size and figure
count. Then, on the validation figures of every model, the time of
``png_bytes`` (constrained layout, one draw) against
``savefig(bbox_inches="tight")`` (the previous way: a draw to measure, a draw to
save) on the same figures in the same run, as a ratio.
"""

import io
import tempfile
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import riskmodels.comparison.report as report  # noqa: E402
import riskmodels.comparison.runner as runner  # noqa: E402
from riskmodels.comparison.config import load_config  # noqa: E402
from riskmodels.comparison.figures import FIGSIZE, png_bytes  # noqa: E402
from riskmodels.comparison.painter import Painter  # noqa: E402


def _timed(module, name: str, spent: dict, key: str):
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[key] = spent.get(key, 0.0) + time.perf_counter() - start

    setattr(module, name, wrapper)
    return original


def _tight(fig) -> bytes:
    buffer = io.BytesIO()
    fig.set_size_inches(*FIGSIZE)
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def main() -> None:
    spent: dict = {}
    originals = {"specify": _timed(runner, "specify", spent, "specifications")}
    # the validation figures are drawn in forked processes (comparison/painter.py): the time the
    # comparison waits for them
    original_flush = Painter.flush
    _timed(Painter, "flush", spent, "waiting for validation figures")
    original_render = _timed(report, "render_html", spent, "page (with overlaid ROC/CAP)")
    try:
        with tempfile.TemporaryDirectory() as folder:
            cfg = load_config("synthetic_enterprise", {"tracking.enabled": False})
            start = time.perf_counter()
            comparison = runner.compare(cfg, progress=False, output_dir=folder)
            total = time.perf_counter() - start
            page = comparison.report_path.read_text(encoding="utf-8")
    finally:
        for name, original in originals.items():
            setattr(runner, name, original)
        report.render_html = original_render
        Painter.flush = original_flush
    print(f"synthetic_enterprise compare: {total:.1f} s in all")
    for key, seconds in spent.items():
        print(f"  {key:<30} {seconds:6.2f} s")
    print(f"document: {len(page.encode('utf-8')) / 1e6:.2f} MB, {page.count('<img')} figures, "
          f"{page.count('<table')} tables")

    reports = [r.report for r in comparison.results.values() if r.report is not None]
    timings, n = {}, 0
    for label, save in (("png_bytes (one draw)", png_bytes), ('bbox_inches="tight"', _tight)) * 2:
        seconds, n = 0.0, 0
        for validation in reports:  # one model's figures open at a time
            figures = list(validation.figures().values())
            n += len(figures)
            start = time.perf_counter()  # the saving only: the figures are made the same way for both
            for fig in figures:
                save(fig)
            seconds += time.perf_counter() - start
        timings[label] = min(timings.get(label, float("inf")), seconds)
    once, tight = timings["png_bytes (one draw)"], timings['bbox_inches="tight"']
    print(f"{n} validation figures, best of 2: png_bytes {once:.2f} s, bbox_inches='tight' {tight:.2f} s "
          f"(ratio {tight / once:.2f}x)")


if __name__ == "__main__":
    main()
