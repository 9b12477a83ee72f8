"""The credit file: per customer its ratings, reviews, collection events and write-offs, and who read them.

The documents' file rules:

* 000 五 (客户信用档案): the file keeps the application, survey, approval, limits, the year-end
  review report, payment habits and 商账追讨记录 (collection records); 「客户信用档案的查阅需填写
  查阅申请单标明查阅人、查阅客户名称、查阅用途」 — every read here names a reader and a purpose and
  is recorded (reader, customer, purpose, time) in an append-only access log whose entries are
  chained by hash (:mod:`riskmodels.register.chain`); :meth:`CreditRegister.verify_access_log`
  names the first broken link.
* 003 小贷 「内部评级…不得对外公布」/ 第五条 「评级资料,未经客户同意不得对外提供」, 003 「未经所长批准
  不得复制与复印」, 002 personal ratings 「不得对外公开或向无关人员提供」: internal ratings leave the
  register only through :meth:`CreditRegister.export_ratings`, which needs a recorded approval.
* 004 第十五、十六、十八、十九条 and 第八、十一条: write-off candidates need evidence (the kinds of
  第十五条) and an approval (第十六条) before they are written off; written-off claims stay on file
  and recoveries are recorded; settlement in kind (以物抵债) needs an appraisal and the general
  manager's approval, at a value not below the claim (「不低于所抵债权额」) unless a price cut is
  approved.

SQLite (standard library) by default; PostgreSQL for a team (:meth:`CreditRegister.postgres`).

Examples
--------
>>> reg = CreditRegister.sqlite(":memory:", clock=lambda: "2026-01-05T09:00:00+00:00")
>>> reg.record_rating("c1", "2025-12-28", reviewer="li", score=82.0, grade="A", customer_class="A",
...                   credit_limit=500000.0, model_version="card-1.0")
>>> reg.rating_history("c1", reader="wang", purpose="year-end review")[["grade", "credit_limit"]].values.tolist()
[['A', 500000.0]]
>>> reg.access_log(reader="audit", purpose="quarterly check")[["reader", "customer_id", "purpose"]].values.tolist()
[['wang', 'c1', 'year-end review']]
>>> reg.verify_access_log() is None
True
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from riskmodels.data.ledger import DUNNING_STEPS
from riskmodels.errors import ParameterError, RegisterError
from riskmodels.register.chain import GENESIS, first_broken, link
from riskmodels.register.store import Store

EVIDENCE_KINDS = {
    "procuratorate_certificate": "检察机关证明",
    "registered_letter": "邮局存证信函",
    "claim_document": "债权凭证",
    "court_settlement": "法院和解笔录",
    "mediation_ruling": "申请调解的裁决凭证",
    "bankruptcy_ruling": "破产宣告裁定",
    "write_off_application": "坏账核销申请报告",
}
"""The evidence 004 第十五条 lists for a write-off, and the application report that goes with it."""

APPROVAL_BODIES = {"shareholders": "股东大会", "board": "董事会", "general_managers": "总经理会议"}
"""Who approves a write-off (004 第十六条 「经股东大会、董事会或总经理会议批准」)."""

_LOG_FIELDS = ("seq", "time", "reader", "customer_id", "purpose", "action")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _date(value) -> str:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{value!r} is not a date") from exc
    if pd.isna(stamp):
        raise ParameterError("a date is required, got a missing value")
    return str(stamp.date())


def _text(name: str, value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RegisterError(f"{name} is {value!r}: every entry of the credit file names its {name}")
    return value.strip()


class CreditRegister:
    """The credit-file register on a :class:`~riskmodels.register.store.Store`.

    Parameters
    ----------
    store : Store
    clock : callable returning an ISO timestamp, optional
        The time stamped on entries (UTC now by default; fixed in tests and notebooks).

    Examples
    --------
    >>> CreditRegister.sqlite(":memory:").store.kind
    'sqlite'
    """

    def __init__(self, store: Store, clock=None):
        self.store = store
        self.clock = clock or _now

    @classmethod
    def sqlite(cls, path, clock=None) -> CreditRegister:
        """A register in a SQLite file (created when missing) or ``":memory:"``.

        Examples
        --------
        >>> CreditRegister.sqlite(":memory:").store.tables()[0]
        'ratings'
        """
        return cls(Store.sqlite(path), clock)

    @classmethod
    def postgres(cls, conninfo, clock=None) -> CreditRegister:
        """A register in a PostgreSQL database (a psycopg connection or a connection string).

        Examples
        --------
        >>> callable(CreditRegister.postgres)
        True
        """
        return cls(Store.postgres(conninfo), clock)

    # ------------------------------------------------------------------ writing the file
    def record_rating(self, customer_id: str, as_of, reviewer: str, score=None, pd_=None, grade=None,
                      customer_class=None, credit_limit=None, terms: dict | None = None, reasons=None,
                      model_version=None, override=None, override_reason=None, blacklisted: bool = False,
                      source: str = "review") -> None:
        """Add one rating to a customer's history (score, grade, class, limit, terms, reasons, ...).

        An ``override`` (the grade or class the reviewer set instead of the model's) needs
        ``override_reason``. A blacklisted customer's limit is 0 whatever is passed (000 五 5).

        Examples
        --------
        >>> reg = CreditRegister.sqlite(":memory:")
        >>> reg.record_rating("c1", "2025-06-30", reviewer="li", grade="B", override="C")
        Traceback (most recent call last):
        ...
        riskmodels.errors.RegisterError: an override needs override_reason (why the reviewer departed from the model)
        """
        if override is not None and not (isinstance(override_reason, str) and override_reason.strip()):
            raise RegisterError("an override needs override_reason (why the reviewer departed from the model)")
        limit = 0.0 if blacklisted else (None if credit_limit is None else float(credit_limit))
        row = (_text("customer_id", customer_id), _date(as_of), _num(score), _num(pd_), grade, customer_class,
               limit, json.dumps(terms or {}, sort_keys=True, ensure_ascii=False),
               json.dumps(list(reasons or []), ensure_ascii=False), model_version, _text("reviewer", reviewer),
               override, override_reason, int(bool(blacklisted)), source, self.clock())
        self.store.execute(f"INSERT INTO ratings VALUES ({', '.join('?' * len(row))})", row)

    def record_review(self, customer_id: str, review_date, kind: str, reviewer: str, reason: str = "",
                      outcome: str = "") -> None:
        """Record a review held (year-end, quarterly VIP, over-limit, new customer, new statements, ...).

        Examples
        --------
        >>> reg = CreditRegister.sqlite(":memory:")
        >>> reg.record_review("c1", "2025-12-28", "year_end", reviewer="li", outcome="A kept")
        >>> reg.store.query("SELECT kind, outcome FROM reviews")
        [('year_end', 'A kept')]
        """
        row = (_text("customer_id", customer_id), _date(review_date), _text("kind", kind), reason,
               _text("reviewer", reviewer), outcome, self.clock())
        self.store.execute("INSERT INTO reviews VALUES (?, ?, ?, ?, ?, ?, ?)", row)

    def record_collection_event(self, customer_id: str, event_date, step: str, by: str, invoice_id=None,
                                note: str = "") -> None:
        """Record a dunning step (one of :data:`riskmodels.data.ledger.DUNNING_STEPS`).

        Examples
        --------
        >>> reg = CreditRegister.sqlite(":memory:")
        >>> reg.record_collection_event("c1", "2025-03-02", "visit", by="li")
        Traceback (most recent call last):
        ...
        riskmodels.errors.RegisterError: step 'visit' is not a dunning step; expected one of ['written_notice', 'call', 'agreement', 'follow_up', 'confirmation']
        """
        if step not in DUNNING_STEPS:
            raise RegisterError(f"step {step!r} is not a dunning step; expected one of {list(DUNNING_STEPS)}")
        row = (_text("customer_id", customer_id), _date(event_date), step, invoice_id, _text("by", by), note,
               self.clock())
        self.store.execute("INSERT INTO collection_events VALUES (?, ?, ?, ?, ?, ?, ?)", row)

    def import_decision_log(self, source, reviewer: str, bundle_sha256: str | None = None) -> int:
        """Add the scorer's decisions (``Scorer.score(..., log=...)``) to the rating histories.

        Each decided record becomes a rating of customer ``id`` on its decision date, with the
        logged PD, grade and score, ``model_version`` the bundle's sha256 (first 12 digits)
        and ``source`` "decision_log". Returns the number of ratings added.

        Examples
        --------
        >>> import io, json
        >>> line = json.dumps({"time": "2026-02-01T08:00:00Z", "bundle_sha256": "ab" * 32, "id": "c7",
        ...                    "input_sha256": "x", "pd": 0.02, "grade": "BBB", "score": 61.0, "input": {}})
        >>> reg = CreditRegister.sqlite(":memory:")
        >>> reg.import_decision_log(io.StringIO(line), reviewer="scorer")
        1
        """
        from riskmodels.monitoring.decision_log import read_decision_log

        log = read_decision_log(source, bundle_sha256)
        score = log.result["score"]
        for i, customer in enumerate(log.ids):
            self.record_rating(str(customer), log.times[i], reviewer=reviewer,
                               score=None if score is None else float(score[i]), pd_=float(log.result["pd"][i]),
                               grade=str(log.result["grade"][i]), model_version=log.bundle_sha256[:12],
                               source="decision_log")
        return len(log.ids)

    # ------------------------------------------------------------------ write-off (004)
    def open_claim(self, claim_id: str, customer_id: str, amount: float, opened, reason: str, by: str) -> None:
        """Open a write-off candidate (a claim meeting a condition of 004 第十四条).

        Examples
        --------
        >>> reg = CreditRegister.sqlite(":memory:")
        >>> reg.open_claim("i9", "c1", 80.0, "2025-01-31", "unpaid 3 years or more", by="li")
        >>> reg.claims(reader="li", purpose="write-off")["status"].tolist()
        ['candidate']
        """
        if not float(amount) > 0:
            raise RegisterError(f"claim amount is {amount!r}; expected an amount > 0")
        if self.store.query("SELECT 1 FROM claims WHERE claim_id = ?", (claim_id,)):
            raise RegisterError(f"claim {claim_id!r} is already on file")
        self.store.execute("INSERT INTO claims VALUES (?, ?, ?, ?, ?, ?)",
                           (_text("claim_id", claim_id), _text("customer_id", customer_id), float(amount),
                            _date(opened), _text("reason", reason), self.clock()))
        self._step(claim_id, opened, "opened", {"by": by}, None, by)

    def add_evidence(self, claim_id: str, kind: str, reference: str, by: str, date) -> None:
        """Record one piece of evidence of 004 第十五条 (kinds: :data:`EVIDENCE_KINDS`).

        Examples
        --------
        >>> reg = CreditRegister.sqlite(":memory:")
        >>> reg.open_claim("i9", "c1", 80.0, "2025-01-31", "bankruptcy", by="li")
        >>> reg.add_evidence("i9", "rumour", "heard it", by="li", date="2025-02-01")
        Traceback (most recent call last):
        ...
        riskmodels.errors.RegisterError: evidence kind 'rumour' is not one of 004 第十五条: ['procuratorate_certificate', 'registered_letter', 'claim_document', 'court_settlement', 'mediation_ruling', 'bankruptcy_ruling', 'write_off_application']
        """
        self._claim(claim_id)
        if kind not in EVIDENCE_KINDS:
            raise RegisterError(f"evidence kind {kind!r} is not one of 004 第十五条: {list(EVIDENCE_KINDS)}")
        self._step(claim_id, date, "evidence", {"kind": kind, "reference": _text("reference", reference)}, None, by)

    def approve_write_off(self, claim_id: str, approver: str, body: str, date) -> None:
        """Record the approval of 004 第十六条; needs the application and at least one document of 第十五条.

        Examples
        --------
        >>> reg = CreditRegister.sqlite(":memory:")
        >>> reg.open_claim("i9", "c1", 80.0, "2025-01-31", "bankruptcy", by="li")
        >>> reg.approve_write_off("i9", "zhang", "board", "2025-03-01")
        Traceback (most recent call last):
        ...
        riskmodels.errors.RegisterError: claim 'i9' cannot be approved: no write_off_application and no document of 004 第十五条 on file
        """
        self._claim(claim_id)
        if body not in APPROVAL_BODIES:
            raise RegisterError(f"approving body {body!r}; 004 第十六条 names {list(APPROVAL_BODIES)}")
        kinds = {json.loads(d)["kind"] for (d,) in self.store.query(
            "SELECT detail FROM claim_steps WHERE claim_id = ? AND kind = 'evidence'", (claim_id,))}
        missing = [m for m, ok in (("write_off_application", "write_off_application" in kinds),
                                   ("document of 004 第十五条", bool(kinds - {"write_off_application"}))) if not ok]
        if missing:
            raise RegisterError(f"claim {claim_id!r} cannot be approved: no {' and no '.join(missing)} on file")
        self._step(claim_id, date, "approval", {"approver": _text("approver", approver), "body": body}, None, approver)

    def write_off(self, claim_id: str, date, by: str) -> None:
        """Write the claim off (after an approval); it stays on file for recoveries (第十八条).

        Examples
        --------
        >>> reg = CreditRegister.sqlite(":memory:")
        >>> reg.open_claim("i9", "c1", 80.0, "2025-01-31", "bankruptcy", by="li")
        >>> reg.write_off("i9", "2025-03-02", by="li")
        Traceback (most recent call last):
        ...
        riskmodels.errors.RegisterError: claim 'i9' has no approval on file (004 第十六条): it cannot be written off
        """
        status = self._status(claim_id)
        if status != "approved":
            raise RegisterError(f"claim {claim_id!r} has no approval on file (004 第十六条): it cannot be written off"
                                if status in ("candidate", "evidence") else f"claim {claim_id!r} is {status}")
        self._step(claim_id, date, "written_off", {}, None, by)

    def record_recovery(self, claim_id: str, date, amount: float, by: str) -> None:
        """Record money recovered on a written-off claim (004 第十九条).

        Examples
        --------
        >>> reg = CreditRegister.sqlite(":memory:")
        >>> reg.open_claim("i9", "c1", 80.0, "2025-01-31", "bankruptcy", by="li")
        >>> reg.record_recovery("i9", "2025-06-01", 10.0, by="li")
        Traceback (most recent call last):
        ...
        riskmodels.errors.RegisterError: claim 'i9' is candidate: recoveries are recorded on written-off claims (004 第十九条)
        """
        status = self._status(claim_id)
        if status != "written_off":
            raise RegisterError(f"claim {claim_id!r} is {status}: recoveries are recorded on written-off claims "
                                "(004 第十九条)")
        if not float(amount) > 0:
            raise RegisterError(f"recovery amount is {amount!r}; expected an amount > 0")
        self._step(claim_id, date, "recovery", {}, float(amount), by)

    def settle_in_kind(self, claim_id: str, date, value: float, appraisal: str, approved_by: str, by: str,
                       price_cut_approved_by: str | None = None) -> None:
        """Settle a claim with goods (以物抵债, 004 第八、十一条).

        Needs the technical appraisal (第八条 技术工程部做出鉴定意见) and the general manager's approval
        (报请总经理批准); the goods are taken at no less than the claim (第十一条 「不低于所抵债权额」)
        unless a price cut was approved (降价处理 … 报总经理审核批准: ``price_cut_approved_by``).

        Examples
        --------
        >>> reg = CreditRegister.sqlite(":memory:")
        >>> reg.open_claim("i9", "c1", 80.0, "2025-01-31", "unpaid 3 years or more", by="li")
        >>> reg.settle_in_kind("i9", "2025-04-01", 70.0, appraisal="TE-17", approved_by="gm", by="li")
        Traceback (most recent call last):
        ...
        riskmodels.errors.RegisterError: goods worth 70 for claim 'i9' of 80: 004 第十一条 takes them at no less than the claim (不低于所抵债权额); a price cut needs price_cut_approved_by
        """
        amount = self._claim(claim_id)[2]
        status = self._status(claim_id)
        if status in ("written_off", "settled"):
            raise RegisterError(f"claim {claim_id!r} is {status}")
        if float(value) < amount and not price_cut_approved_by:
            raise RegisterError(f"goods worth {float(value):g} for claim {claim_id!r} of {amount:g}: 004 第十一条 "
                                "takes them at no less than the claim (不低于所抵债权额); a price cut needs "
                                "price_cut_approved_by")
        detail = {"appraisal": _text("appraisal", appraisal), "approved_by": _text("approved_by", approved_by),
                  "price_cut_approved_by": price_cut_approved_by}
        self._step(claim_id, date, "settled_in_kind", detail, float(value), by)

    # ------------------------------------------------------------------ reading the file (always logged)
    def rating_history(self, customer_id: str, reader: str, purpose: str) -> pd.DataFrame:
        """A customer's ratings, oldest first; the read is logged.

        Examples
        --------
        >>> reg = CreditRegister.sqlite(":memory:")
        >>> reg.rating_history("c1", reader="", purpose="x")
        Traceback (most recent call last):
        ...
        riskmodels.errors.RegisterError: reader is '': every entry of the credit file names its reader
        """
        self._log(reader, [customer_id], purpose, "rating_history")
        return self._ratings("WHERE customer_id = ?", (customer_id,))

    def read_file(self, customer_id: str, reader: str, purpose: str) -> dict[str, pd.DataFrame]:
        """The whole file of a customer (ratings, reviews, collection events, claims and their steps).

        Examples
        --------
        >>> reg = CreditRegister.sqlite(":memory:")
        >>> sorted(reg.read_file("c1", reader="li", purpose="review"))
        ['claim_steps', 'claims', 'collection_events', 'ratings', 'reviews']
        """
        self._log(reader, [customer_id], purpose, "read_file")
        where = ("WHERE claim_id IN (SELECT claim_id FROM claims WHERE customer_id = ?) "
                 "ORDER BY step_date, recorded_at")
        return {"ratings": self._ratings("WHERE customer_id = ?", (customer_id,)),
                "reviews": self._frame("reviews", "WHERE customer_id = ? ORDER BY review_date", (customer_id,)),
                "collection_events": self._frame("collection_events", "WHERE customer_id = ? ORDER BY event_date",
                                                 (customer_id,)),
                "claims": self._frame("claims", "WHERE customer_id = ?", (customer_id,)),
                "claim_steps": self._frame("claim_steps", where, (customer_id,))}

    def ledger_events(self, reader: str, purpose: str) -> pd.DataFrame:
        """The dunning steps on file as a ``Ledger(collection_events=...)`` table; the read is logged.

        Examples
        --------
        >>> reg = CreditRegister.sqlite(":memory:")
        >>> reg.record_collection_event("c1", "2025-03-02", "call", by="li")
        >>> reg.ledger_events(reader="li", purpose="ageing")[["customer_id", "step"]].values.tolist()
        [['c1', 'call']]
        """
        events = self._frame("collection_events", "ORDER BY event_date", ())
        self._log(reader, sorted(set(events["customer_id"])) or ["*"], purpose, "ledger_events")
        return pd.DataFrame({"customer_id": events["customer_id"].astype(object),
                             "event_date": pd.to_datetime(events["event_date"]),
                             "step": events["step"].astype(object), "invoice_id": events["invoice_id"].astype(object),
                             "note": events["note"].astype(object)})

    def claims(self, reader: str, purpose: str) -> pd.DataFrame:
        """Every claim with its status, evidence, approval, write-off, recoveries and settlement.

        ``status`` is candidate → evidence → approved → written_off (or settled in kind);
        ``recovered`` sums the recoveries after the write-off (004 第十九条).

        Examples
        --------
        >>> reg = CreditRegister.sqlite(":memory:")
        >>> reg.claims(reader="li", purpose="audit").columns.tolist()[:4]
        ['claim_id', 'customer_id', 'amount', 'status']
        """
        claims = self._frame("claims", "ORDER BY opened, claim_id", ())
        self._log(reader, sorted(set(claims["customer_id"])) or ["*"], purpose, "claims")
        steps = self._frame("claim_steps", "ORDER BY step_date, recorded_at", ())
        rows = []
        for claim in claims.itertuples(index=False):
            own = steps[steps["claim_id"] == claim.claim_id]
            evidence = [json.loads(d)["kind"] for d in own.loc[own["kind"] == "evidence", "detail"]]
            dated = {k: own.loc[own["kind"] == k, "step_date"] for k in ("approval", "written_off", "settled_in_kind")}
            rows.append({"claim_id": claim.claim_id, "customer_id": claim.customer_id, "amount": claim.amount,
                         "status": self._status(claim.claim_id), "reason": claim.reason, "opened": claim.opened,
                         "evidence": ", ".join(evidence),
                         "approved": dated["approval"].iloc[0] if len(dated["approval"]) else None,
                         "written_off": dated["written_off"].iloc[0] if len(dated["written_off"]) else None,
                         "settled_in_kind": (own.loc[own["kind"] == "settled_in_kind", "amount"].sum()
                                             if len(dated["settled_in_kind"]) else 0.0),
                         "recovered": float(own.loc[own["kind"] == "recovery", "amount"].sum())})
        columns = ["claim_id", "customer_id", "amount", "status", "reason", "opened", "evidence", "approved",
                   "written_off", "settled_in_kind", "recovered"]
        return pd.DataFrame(rows, columns=columns)

    def written_off(self, reader: str, purpose: str) -> pd.DataFrame:
        """Written-off claims as a ``Ledger(write_offs=...)`` table (invoice id = claim id).

        Examples
        --------
        >>> CreditRegister.sqlite(":memory:").written_off(reader="li", purpose="ageing").columns.tolist()
        ['customer_id', 'write_off_date', 'amount', 'reason', 'invoice_id']
        """
        table = self.claims(reader, purpose)
        done = table[table["status"] == "written_off"]
        return pd.DataFrame({"customer_id": done["customer_id"].astype(object),
                             "write_off_date": pd.to_datetime(done["written_off"]),
                             "amount": done["amount"].astype(float), "reason": done["reason"].astype(object),
                             "invoice_id": done["claim_id"].astype(object)}).reset_index(drop=True)

    # ------------------------------------------------------------------ export and the access log
    def approve_export(self, approval_id: str, approver: str, recipient: str, purpose: str, customers) -> None:
        """Record the approval to give internal ratings to someone outside (003: 未经…批准不得复制; 不得对外公布).

        Examples
        --------
        >>> reg = CreditRegister.sqlite(":memory:")
        >>> reg.approve_export("EX-1", "director", "bank X", "loan syndication", ["c1"])
        >>> reg.store.query("SELECT recipient FROM export_approvals")
        [('bank X',)]
        """
        customers = [str(c) for c in customers]
        if not customers:
            raise RegisterError("an export approval names the customers it covers")
        if self.store.query("SELECT 1 FROM export_approvals WHERE approval_id = ?", (approval_id,)):
            raise RegisterError(f"approval {approval_id!r} is already on file")
        self.store.execute("INSERT INTO export_approvals VALUES (?, ?, ?, ?, ?, ?)",
                           (_text("approval_id", approval_id), _text("approver", approver),
                            _text("recipient", recipient), _text("purpose", purpose), json.dumps(customers),
                            self.clock()))

    def export_ratings(self, approval_id: str, reader: str) -> pd.DataFrame:
        """The latest rating of each customer an approval covers, for its recipient; logged per customer.

        Examples
        --------
        >>> CreditRegister.sqlite(":memory:").export_ratings("EX-9", reader="li")
        Traceback (most recent call last):
        ...
        riskmodels.errors.RegisterError: no export approval 'EX-9' on file: internal ratings do not leave the register without one (003 不得对外公布)
        """
        found = self.store.query("SELECT recipient, purpose, customers FROM export_approvals WHERE approval_id = ?",
                                 (approval_id,))
        if not found:
            raise RegisterError(f"no export approval {approval_id!r} on file: internal ratings do not leave the "
                                "register without one (003 不得对外公布)")
        recipient, purpose, customers = found[0]
        customers = json.loads(customers)
        self._log(reader, customers, f"export {approval_id} to {recipient}: {purpose}", "export")
        marks = ", ".join("?" * len(customers))
        ratings = self._ratings(f"WHERE customer_id IN ({marks})", customers)
        return ratings.groupby("customer_id", sort=True).tail(1).reset_index(drop=True)

    def access_log(self, reader: str, purpose: str) -> pd.DataFrame:
        """The access log (who read which file, why, when); reading it is logged too, after the copy.

        Examples
        --------
        >>> CreditRegister.sqlite(":memory:").access_log(reader="audit", purpose="check").columns.tolist()
        ['seq', 'time', 'reader', 'customer_id', 'purpose', 'action', 'prev_hash', 'hash']
        """
        log = self._frame("access_log", "ORDER BY seq", ())
        self._log(reader, ["*"], purpose, "access_log")
        return log

    def verify_access_log(self) -> int | None:
        """The ``seq`` of the first entry whose hash chain is broken (edited, removed, reordered), or None.

        Examples
        --------
        >>> CreditRegister.sqlite(":memory:").verify_access_log() is None
        True
        """
        rows = self.store.query(f"SELECT {', '.join(_LOG_FIELDS)}, hash FROM access_log ORDER BY seq")
        entries, expected = [], 1
        for row in rows:
            fields = dict(zip(_LOG_FIELDS, row[:-1], strict=True))
            if int(fields["seq"]) != expected:   # a removed entry: the chain has a gap
                return expected
            entries.append((fields, row[-1]))
            expected += 1
        return first_broken(entries)

    # ------------------------------------------------------------------ internals
    def _log(self, reader: str, customers, purpose: str, action: str) -> None:
        reader, purpose = _text("reader", reader), _text("purpose", purpose)
        with self.store.locked():
            last = self.store.query("SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1")
            seq, previous = (last[0][0], last[0][1]) if last else (0, GENESIS)
            for customer in customers:
                seq += 1
                fields = {"seq": seq, "time": self.clock(), "reader": reader, "customer_id": str(customer),
                          "purpose": purpose, "action": action}
                digest = link(previous, fields)
                self.store.execute("INSERT INTO access_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                   (*[fields[f] for f in _LOG_FIELDS], previous, digest))
                previous = digest

    def _frame(self, table: str, where: str, params) -> pd.DataFrame:
        columns = self.store.columns(table)
        rows = self.store.query(f"SELECT {', '.join(columns)} FROM {table} {where}", params)
        return pd.DataFrame(rows, columns=columns)

    def _ratings(self, where: str, params) -> pd.DataFrame:
        frame = self._frame("ratings", f"{where} ORDER BY as_of, recorded_at", params)
        frame["terms"] = [json.loads(t) for t in frame["terms"]]
        frame["reasons"] = [json.loads(r) for r in frame["reasons"]]
        frame["blacklisted"] = frame["blacklisted"].astype(bool)
        return frame

    def _claim(self, claim_id: str) -> tuple:
        found = self.store.query("SELECT claim_id, customer_id, amount FROM claims WHERE claim_id = ?", (claim_id,))
        if not found:
            raise RegisterError(f"no claim {claim_id!r} on file; open it first (open_claim)")
        return found[0]

    def _status(self, claim_id: str) -> str:
        self._claim(claim_id)
        kinds = {k for (k,) in self.store.query("SELECT kind FROM claim_steps WHERE claim_id = ?", (claim_id,))}
        for kind, status in (("settled_in_kind", "settled"), ("written_off", "written_off"),
                             ("approval", "approved"), ("evidence", "evidence")):
            if kind in kinds:
                return status
        return "candidate"

    def _step(self, claim_id, date, kind, detail, amount, by) -> None:
        self.store.execute("INSERT INTO claim_steps VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (claim_id, _date(date), kind, json.dumps(detail, sort_keys=True, ensure_ascii=False),
                            amount, _text("by", by), self.clock()))


def _num(value):
    if value is None:
        return None
    value = float(value)
    return None if np.isnan(value) else value


__all__ = ["CreditRegister", "EVIDENCE_KINDS", "APPROVAL_BODIES"]
