"""The model development document of the synthetic comparison: build time, size, each figure's CPU.

Prints, for ``experiments/synthetic_enterprise.yaml`` (tracking off, the document
written to a temporary folder): the compare wall time and the comparison's own CPU time;
the time it spends handing each model's figures to the drawing processes and waiting for
them (validation and specification figures, drawn in forked processes:
``comparison/painter.py``), building the specifications (their tables; the figures are
drawn later) and rendering the page (with the overlaid ROC/CAP); the document's size and
figure count. Then the CPU time of each kind of figure (made and saved as PNG bytes, best
of 3, in this process) against its floor: an empty plot of the same size saved the same
way. Then, on the validation figures of every model, the time of ``png_bytes`` (one draw)
against ``savefig(bbox_inches="tight")`` (the previous way: a draw to measure, a draw to
save) on the same figures in the same run, as a ratio.
"""

import io
import os
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
from riskmodels.comparison.specification import specify  # noqa: E402


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
    # the figures are drawn in forked processes (comparison/painter.py): the time the comparison
    # spends starting them and waiting for them
    original_submit = _timed(Painter, "submit", spent, "figures: start and wait")
    original_flush = _timed(Painter, "flush", spent, "figures: start and wait")
    original_render = _timed(report, "render_html", spent, "page (with overlaid ROC/CAP)")
    try:
        with tempfile.TemporaryDirectory() as folder:
            cfg = load_config("synthetic_enterprise", {"tracking.enabled": False})
            start, cpu = time.perf_counter(), time.process_time()
            comparison = runner.compare(cfg, progress=False, output_dir=folder)
            total, cpu = time.perf_counter() - start, time.process_time() - cpu
            page = comparison.report_path.read_text(encoding="utf-8")
    finally:
        for name, original in originals.items():
            setattr(runner, name, original)
        report.render_html = original_render
        Painter.submit, Painter.flush = original_submit, original_flush
    print(f"synthetic_enterprise compare: {total:.1f} s in all, {cpu:.2f} CPU s in its own process "
          f"(load {os.getloadavg()[0]:.1f})")
    for key, seconds in spent.items():
        print(f"  {key:<30} {seconds:6.2f} s")
    print(f"document: {len(page.encode('utf-8')) / 1e6:.2f} MB, {page.count('<img')} figures, "
          f"{page.count('<table')} tables")

    figure_cpu(comparison)
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


def _cpu(make) -> float:
    """Best of 3 CPU seconds of ``make()``."""
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        make()
        best = min(best, time.process_time() - start)
    return best


def figure_cpu(comparison) -> None:
    """Each kind of figure's CPU (made and saved as PNG bytes) against an empty plot saved the same way."""
    floor = _cpu(lambda: png_bytes(plt.subplots()[0]))
    kinds: dict = {}
    for result in comparison.results.values():
        if result.status != "ok":
            continue
        names = list(result.report.figures())
        plt.close("all")
        for name in names:
            kinds.setdefault(f"validation {name}", []).append(
                _cpu(lambda name=name, report=result.report: png_bytes(report.plot(name))))
        train = comparison.train
        spec = specify(result.model, result.type, train[result.features], train["target"], draw=False)
        for name, make in spec.makers.items():
            kind = "woe" if name.startswith("woe_") else name
            kinds.setdefault(f"{result.type} {kind}", []).append(_cpu(make))
    print(f"CPU per figure, best of 3 (load {os.getloadavg()[0]:.1f}); floor: an empty plot, {floor * 1e3:.1f} ms")
    for kind, seconds in kinds.items():
        mean = sum(seconds) / len(seconds)
        print(f"  {kind:<30} {len(seconds):2d} x {mean * 1e3:6.1f} ms  ({mean / floor:4.1f}x the floor)")
    everything = sum(sum(s) for s in kinds.values())
    print(f"  all {sum(map(len, kinds.values()))} figures: {everything:.2f} CPU s")


if __name__ == "__main__":
    main()
