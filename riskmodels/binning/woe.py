"""Weight of evidence and information value of binned counts (plain numpy).

WoE of bin i is ln(%good_i / %bad_i) by default (Siddiqi 2006, ch. 6); the
orientation ``"bad/good"`` flips the sign. IV = sum (%good_i - %bad_i) *
ln(%good_i / %bad_i) does not depend on the orientation. A bin with no goods or
no bads (for example an empty missing bin) gets WoE 0 and adds nothing to IV:
it carries no evidence either way.
"""

from __future__ import annotations

import numpy as np

from riskmodels.errors import DataValidationError, Violation

ORIENTATIONS = ("good/bad", "bad/good")
IV_STRENGTH = ((0.02, "useless"), (0.1, "weak"), (0.3, "medium"), (0.5, "strong"))


def woe_iv_per_bin(goods, bads, total_goods=None, total_bads=None, orientation="good/bad"):
    """WoE and IV contribution of each bin.

    Parameters
    ----------
    goods, bads : counts of non-events (0) and events (1) per bin.
    total_goods, total_bads : the totals the shares are taken of (default: the sums).
    orientation : "good/bad" for ln(%good/%bad), "bad/good" for its negative.

    Returns
    -------
    (woe, iv) : two float arrays, one value per bin.

    Examples
    --------
    >>> w, v = woe_iv_per_bin([10, 30], [10, 10])
    >>> np.round(w, 6).tolist(), np.round(v, 6).tolist()
    ([-0.693147, 0.405465], [0.173287, 0.101366])
    """
    if orientation not in ORIENTATIONS:
        raise DataValidationError([Violation("orientation", f"is {orientation!r}", f"one of {ORIENTATIONS}")])
    g = np.asarray(goods, dtype=float)
    b = np.asarray(bads, dtype=float)
    tg = g.sum() if total_goods is None else float(total_goods)
    tb = b.sum() if total_bads is None else float(total_bads)
    if tg <= 0 or tb <= 0:
        raise DataValidationError([Violation("target", f"has {tg:g} goods and {tb:g} bads",
                                             "both goods (0) and bads (1)")])
    pg, pb = g / tg, b / tb
    informative = (g > 0) & (b > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        woe = np.where(informative, np.log(pg / pb), 0.0)
    iv = np.where(informative, (pg - pb) * woe, 0.0)
    return (woe if orientation == "good/bad" else -woe), iv


def woe_iv(goods, bads, orientation="good/bad"):
    """WoE per bin and the total information value.

    Parameters
    ----------
    goods, bads : counts of non-events and events per bin.
    orientation : "good/bad" (default, ln(%good/%bad)) or "bad/good".

    Returns
    -------
    (woe, iv) : float array of WoE per bin and the total IV (float).

    Examples
    --------
    A five-bin table worked by hand from the definitions of WoE = ln(%good/%bad)
    and IV = Σ (%good − %bad)·WoE in Siddiqi (2006), *Credit Risk Scorecards*,
    Wiley, ch. 6:

    >>> woe, iv = woe_iv([100, 200, 300, 250, 150], [30, 25, 20, 15, 10])
    >>> np.round(woe, 6).tolist(), round(iv, 6)
    ([-1.098612, -0.223144, 0.405465, 0.510826, 0.405465], 0.342782)
    """
    woe, per_bin = woe_iv_per_bin(goods, bads, orientation=orientation)
    return woe, float(per_bin.sum())


def iv_strength(iv: float) -> str:
    """Siddiqi's reading of an IV: useless, weak, medium, strong, or suspicious (>= 0.5).

    Examples
    --------
    >>> iv_strength(0.342782)
    'strong'
    """
    for bound, word in IV_STRENGTH:
        if iv < bound:
            return word
    return "suspicious"
