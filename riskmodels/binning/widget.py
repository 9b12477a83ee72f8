"""A Jupyter view over :class:`~riskmodels.binning.editor.BinningEditor` (ipywidgets).

The view shows the bin table and the event-rate/WoE plot; the analyst types a
cut (or picks two bins to merge), sees the proposal (its table, the IV change
and any flag), writes a reason and presses *Accept*. *Undo* and *Re-optimise*
work the same way; the ledger below the table grows with each accepted edit.
Everything the buttons do goes through the editor, so the widget holds no
state of its own beyond the pending proposal.

Examples
--------
>>> from riskmodels.binning import OptimalBinning
>>> rng = np.random.default_rng(0)
>>> x = rng.integers(18, 70, 2000).astype(float)
>>> y = (rng.random(2000) < 0.5 - x / 150).astype(int)
>>> view = BinningWidget(BinningEditor(OptimalBinning("age", max_bins=3).fit(x, y), x, y, who="a"))
>>> view.cut.value = 30.0; view.on_split()
>>> view.reason.value = "policy band"; view.on_accept()
>>> view.editor.ledger[-1].action, view.message.value
('split', 'accepted: split at 30')
"""

from __future__ import annotations

import io

import numpy as np

from riskmodels.binning.editor import BinningEditor, ledger_frame
from riskmodels.errors import RiskModelsError


class BinningWidget:
    """ipywidgets view of a :class:`BinningEditor`: table, plot, split/merge controls, reason box.

    Parameters
    ----------
    editor : the editing model the view drives.

    Attributes
    ----------
    view : the ipywidgets container to display (``display(widget)`` shows it too).
    cut, merge_from, merge_to, reason : the inputs; message : the last outcome.
    pending : the proposal waiting for a reason and *Accept* (None when none).
    """

    def __init__(self, editor: BinningEditor):
        import ipywidgets as w

        self.editor = editor
        self.pending = None
        self.cut = w.FloatText(description="cut at") if editor.numeric else \
            w.SelectMultiple(options=editor.original.categories_, description="categories")
        self.merge_from = w.BoundedIntText(min=0, max=99, description="merge bin")
        self.merge_to = w.BoundedIntText(min=0, max=99, value=1, description="with bin")
        self.reason = w.Text(placeholder="why (required to accept)", description="reason")
        self.message = w.HTML()
        self.table_html = w.HTML()
        self.ledger_html = w.HTML()
        self.figure = w.Image(format="png")
        buttons = {"split" if editor.numeric else "own bin": self.on_split, "merge": self.on_merge,
                   "re-optimise": self.on_reoptimise, "accept": self.on_accept, "discard": self.on_discard,
                   "undo": self.on_undo}
        self.buttons = {}
        for label, handler in buttons.items():
            button = w.Button(description=label)
            button.on_click(lambda _b, h=handler: h())
            self.buttons[label] = button
        controls = w.VBox([w.HBox([self.cut, self.buttons["split" if editor.numeric else "own bin"]]),
                           w.HBox([self.merge_from, self.merge_to, self.buttons["merge"]]),
                           w.HBox([self.buttons["re-optimise"], self.buttons["undo"]]),
                           w.HBox([self.reason, self.buttons["accept"], self.buttons["discard"]]), self.message])
        self.view = w.VBox([w.HBox([self.table_html, self.figure]), controls, self.ledger_html])
        self.refresh()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.view)

    # ------------------------------------------------------------------ actions
    def _propose(self, make) -> None:
        try:
            self.pending = make()
        except RiskModelsError as err:
            self.pending = None
            self.message.value = f"<b>refused:</b> {err}"
            return
        flags = "".join(f"<br><b>FLAG:</b> {f}" for f in self.pending.flags)
        self.message.value = (f"proposal: {self.pending.action} {self.pending.detail}; IV "
                              f"{self.pending.iv_before:.4f} → {self.pending.iv_after:.4f} "
                              f"({self.pending.iv_change:+.4f}){flags}")
        self.refresh(self.pending.binning)

    def on_split(self) -> None:
        """Propose a cut at ``cut`` (numeric) or the chosen categories as a bin of their own."""
        at = self.cut.value if self.editor.numeric else list(self.cut.value)
        self._propose(lambda: self.editor.propose_split(at))

    def on_merge(self) -> None:
        """Propose merging bins ``merge_from`` and ``merge_to``."""
        self._propose(lambda: self.editor.propose_merge(self.merge_from.value, self.merge_to.value))

    def on_reoptimise(self) -> None:
        """Propose the exact optimum around the fixed cuts."""
        self._propose(lambda: self.editor.propose_reoptimise(keep_fixed=True))

    def on_accept(self) -> None:
        """Accept the pending proposal with the reason typed (refused without one)."""
        if self.pending is None:
            self.message.value = "nothing to accept: propose a split, merge or re-optimisation first"
            return
        try:
            self.editor.accept(self.pending, self.reason.value)
        except RiskModelsError as err:
            self.message.value = f"<b>refused:</b> {err}"
            return
        self.message.value = f"accepted: {self.pending.action} {self.pending.detail}"
        self.pending = None
        self.reason.value = ""
        self.refresh()

    def on_discard(self) -> None:
        """Drop the pending proposal."""
        self.pending = None
        self.message.value = "proposal discarded"
        self.refresh()

    def on_undo(self) -> None:
        """Take back the last accepted edit."""
        try:
            self.editor.undo()
        except RiskModelsError as err:
            self.message.value = f"<b>refused:</b> {err}"
            return
        self.pending = None
        self.message.value = "undone"
        self.refresh()

    # ------------------------------------------------------------------ drawing
    def refresh(self, binning=None) -> None:
        """Redraw the table, the plot and the ledger (of ``binning``, default the current one)."""
        binning = self.editor.binning if binning is None else binning
        self.table_html.value = self.editor.table(binning).to_html(index=True, float_format=lambda v: f"{v:.4g}",
                                                                   na_rep="")
        self.ledger_html.value = ledger_frame(self.editor.ledger).to_html(index=False) if self.editor.ledger else ""
        self.merge_from.max = self.merge_to.max = max(binning.n_bins_ - 1, 0)
        self.figure.value = _plot_png(binning)


def _plot_png(binning) -> bytes:
    """Event rate and WoE per regular bin as PNG bytes (matplotlib, off-screen)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    table, k = binning.table_, binning.n_bins_
    fig, ax = plt.subplots(figsize=(5.0, 3.0))
    pos = np.arange(k)
    ax.bar(pos, table.woe[:k], color="#8fb3d9", label="WoE")
    ax.set_xticks(pos, [f"{b}: {lab}" for b, lab in enumerate(table.labels[:k])], rotation=45, ha="right",
                  fontsize=7)
    ax.set_ylabel("WoE")
    rate = ax.twinx()
    rate.plot(pos, table.event_rate[:k], "o-", color="#b22222")
    rate.set_ylabel("event rate")
    ax.set_title(f"{binning.name}: IV {binning.iv_:.3f}")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    plt.close(fig)
    return buffer.getvalue()
