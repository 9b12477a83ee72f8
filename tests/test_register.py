"""The credit-file register on SQLite and on a real PostgreSQL server (pgserver, as tests/test_sql.py).

Rules: 000 五 3 「客户信用档案的查阅需填写查阅申请单标明查阅人、查阅客户名称、查阅用途」 (every read names a
reader, a customer and a purpose); 003 「未经所长批准不得复制与复印」 and 小贷 「内部评级…不得对外公布」
(export only with a recorded approval); 004 第十五、十六、十八、十九条 (evidence, approval, write-off,
recoveries) and 第八、十一条 (以物抵债: appraisal, approval, 「不低于所抵债权额」).
"""

import io
import itertools
import json

import pandas as pd
import pytest

from riskmodels.data.features import ageing_report, early_warning
from riskmodels.data.ledger import Ledger
from riskmodels.errors import RegisterError
from riskmodels.register import CreditRegister


def _clock():
    ticks = itertools.count()      # one second per entry from 2026-01-05 09:00 UTC: deterministic stamps
    return lambda: (pd.Timestamp("2026-01-05T09:00:00+00:00") + pd.Timedelta(seconds=next(ticks))).isoformat()


@pytest.fixture(scope="module")
def postgres_uri(tmp_path_factory):
    import pgserver

    try:
        server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
    except Exception as error:  # the PostgreSQL claim needs a real server: say why not
        pytest.fail(f"pgserver could not start a PostgreSQL server for the register tests: {error!r}")
    yield server.get_uri()
    server.cleanup()


@pytest.fixture(params=["sqlite", "postgres"])
def register(request, tmp_path):
    if request.param == "sqlite":
        yield CreditRegister.sqlite(tmp_path / "file.db", clock=_clock())
        return
    import psycopg

    uri = request.getfixturevalue("postgres_uri")
    con = psycopg.connect(uri, autocommit=True)
    for table in ("ratings", "reviews", "collection_events", "claims", "claim_steps", "export_approvals",
                  "access_log"):
        con.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    yield CreditRegister.postgres(con, clock=_clock())
    con.close()


def _drop_guard(register):
    if register.store.kind == "sqlite":
        register.store.execute("DROP TRIGGER access_log_no_update")
        register.store.execute("DROP TRIGGER access_log_no_delete")
    else:
        register.store.execute("DROP TRIGGER access_log_append_only ON access_log")


def test_every_read_names_reader_customer_purpose_and_time(register):
    register.record_rating("c1", "2025-12-28", reviewer="li", score=82.0, grade="A", customer_class="A",
                           credit_limit=5e5, terms={"credit_days": 60}, reasons=["on time"],
                           model_version="card-1.0")
    register.rating_history("c1", reader="wang", purpose="year-end review")
    register.read_file("c1", reader="zhao", purpose="collection")
    log = register.access_log(reader="auditor", purpose="quarterly audit")
    assert log[["seq", "reader", "customer_id", "purpose", "action"]].values.tolist() == [
        [1, "wang", "c1", "year-end review", "rating_history"], [2, "zhao", "c1", "collection", "read_file"]]
    assert log["time"].str.startswith("2026-01-05T09:").all()
    assert register.access_log(reader="auditor", purpose="again")["reader"].tolist()[-1] == "auditor"
    with pytest.raises(RegisterError, match="purpose"):
        register.rating_history("c1", reader="wang", purpose=" ")
    assert register.verify_access_log() is None


def test_access_log_is_append_only_and_tampering_names_the_first_broken_link(register):
    for reader in ("a", "b", "c", "d"):
        register.rating_history("c1", reader=reader, purpose="review")
    with pytest.raises(Exception, match="append-only"):
        register.store.execute("UPDATE access_log SET reader = 'x' WHERE seq = 2")
    with pytest.raises(Exception, match="append-only"):
        register.store.execute("DELETE FROM access_log WHERE seq = 4")
    _drop_guard(register)                                     # someone with database rights edits the log
    register.store.execute("UPDATE access_log SET reader = 'x' WHERE seq = 2")
    assert register.verify_access_log() == 2
    register.store.execute("UPDATE access_log SET reader = 'b' WHERE seq = 2")
    assert register.verify_access_log() is None             # restored: the chain holds again
    register.store.execute("DELETE FROM access_log WHERE seq = 3")
    assert register.verify_access_log() == 3


def test_export_needs_a_recorded_approval(register):
    register.record_rating("c1", "2025-06-30", reviewer="li", grade="A", credit_limit=1e5)
    register.record_rating("c1", "2025-12-28", reviewer="li", grade="B", credit_limit=6e4)
    register.record_rating("c2", "2025-12-28", reviewer="li", grade="C", credit_limit=0.0)
    with pytest.raises(RegisterError, match="no export approval 'EX-1'"):
        register.export_ratings("EX-1", reader="li")
    register.approve_export("EX-1", approver="director", recipient="bank X", purpose="syndication", customers=["c1"])
    out = register.export_ratings("EX-1", reader="li")
    assert out[["customer_id", "grade", "credit_limit"]].values.tolist() == [["c1", "B", 6e4]]   # latest only
    last = register.access_log(reader="audit", purpose="check").iloc[-1]
    assert (last["customer_id"], last["action"]) == ("c1", "export")
    assert last["purpose"] == "export EX-1 to bank X: syndication"


def test_override_needs_a_reason_and_blacklist_gives_limit_zero(register):
    """000 五 5 「对恶意拖欠款物的客户授信额度为0…列入黑名单」."""
    with pytest.raises(RegisterError, match="override_reason"):
        register.record_rating("c1", "2025-12-28", reviewer="li", grade="B", override="C")
    register.record_rating("c1", "2025-12-28", reviewer="li", grade="B", override="C",
                           override_reason="lawsuit pending", credit_limit=1e5, blacklisted=True)
    row = register.rating_history("c1", reader="li", purpose="check").iloc[0]
    assert row["credit_limit"] == 0.0 and row["blacklisted"] and row["override_reason"] == "lawsuit pending"


def test_write_off_needs_evidence_then_approval_and_recoveries_follow(register):
    """004 第十五条 (evidence + 坏账核销申请报告) → 第十六条 (approval) → written off; 第十九条 recoveries."""
    register.open_claim("b1", "b", 80.0, "2023-01-31", "unpaid 3 years or more", by="li")
    with pytest.raises(RegisterError, match="no approval on file"):
        register.write_off("b1", "2024-01-10", by="li")
    register.add_evidence("b1", "registered_letter", "EMS 1180", by="li", date="2023-12-01")
    with pytest.raises(RegisterError, match="no write_off_application"):
        register.approve_write_off("b1", "zhang", "board", "2024-01-05")
    register.add_evidence("b1", "write_off_application", "WO-2024-1", by="li", date="2023-12-20")
    with pytest.raises(RegisterError, match="第十六条 names"):
        register.approve_write_off("b1", "zhang", "sales team", "2024-01-05")
    register.approve_write_off("b1", "zhang", "board", "2024-01-05")
    with pytest.raises(RegisterError, match="recoveries are recorded on written-off claims"):
        register.record_recovery("b1", "2024-01-08", 5.0, by="li")
    register.write_off("b1", "2024-01-15", by="li")
    register.record_recovery("b1", "2024-06-01", 30.0, by="li")
    claims = register.claims(reader="li", purpose="write-off file").set_index("claim_id")
    assert claims.loc["b1", "status"] == "written_off" and claims.loc["b1", "recovered"] == 30.0
    assert claims.loc["b1", "evidence"] == "registered_letter, write_off_application"
    assert (claims.loc["b1", "approved"], claims.loc["b1", "written_off"]) == ("2024-01-05", "2024-01-15")
    # the register's write-offs leave the ledger's open debt
    inv = pd.DataFrame({"customer_id": ["b", "b"], "invoice_id": ["b1", "b2"],
                        "issue_date": pd.to_datetime(["2019-12-01", "2024-05-01"]),
                        "due_date": pd.to_datetime(["2020-01-31", "2024-05-31"]), "amount": [80.0, 20.0]})
    ledger = Ledger(inv, Ledger.empty_payments(), write_offs=register.written_off(reader="li", purpose="ageing"))
    assert ageing_report(ledger, "2024-06-10").loc["b", "total"] == 20.0


def test_settlement_in_kind_not_below_the_claim_unless_a_cut_is_approved(register):
    """004 第八条 (appraisal, 总经理批准) and 第十一条 「原则上应不低于所抵债权额」; 降价 needs approval."""
    register.open_claim("k1", "k", 100.0, "2024-01-31", "unpaid", by="li")
    with pytest.raises(RegisterError, match="不低于所抵债权额"):
        register.settle_in_kind("k1", "2024-05-01", 99.99, appraisal="TE-1", approved_by="gm", by="li")
    register.settle_in_kind("k1", "2024-05-01", 100.0, appraisal="TE-1", approved_by="gm", by="li")
    register.open_claim("k2", "k", 100.0, "2024-01-31", "unpaid", by="li")
    register.settle_in_kind("k2", "2024-05-01", 60.0, appraisal="TE-2", approved_by="gm", by="li",
                            price_cut_approved_by="gm")
    claims = register.claims(reader="li", purpose="audit").set_index("claim_id")
    assert claims["status"].tolist() == ["settled", "settled"] and claims.loc["k2", "settled_in_kind"] == 60.0


def test_dunning_steps_on_file_feed_the_ledger_and_the_decision_log_feeds_ratings(register):
    register.record_collection_event("a", "2024-05-05", "written_notice", by="li", invoice_id="i0")
    register.record_collection_event("a", "2024-05-20", "call", by="li")
    inv = pd.DataFrame({"customer_id": ["a"], "invoice_id": ["i0"], "issue_date": pd.to_datetime(["2024-03-01"]),
                        "due_date": pd.to_datetime(["2024-03-31"]), "amount": [100.0]})
    ledger = Ledger(inv, Ledger.empty_payments(),
                    collection_events=register.ledger_events(reader="li", purpose="early warning"))
    assert early_warning(ledger, "2024-06-01").iloc[0]["last_step"] == "call"
    lines = [json.dumps({"time": f"2026-02-0{d}T08:00:00Z", "bundle_sha256": "ab" * 32, "id": "a",
                         "input_sha256": "x", "pd": 0.01 * d, "grade": "BBB", "score": 60.0 + d, "input": {}})
             for d in (1, 2)]
    assert register.import_decision_log(io.StringIO("\n".join(lines)), reviewer="scorer") == 2
    history = register.rating_history("a", reader="li", purpose="review")
    assert history[["as_of", "grade", "score", "model_version", "source"]].values.tolist() == [
        ["2026-02-01", "BBB", 61.0, "abababababab", "decision_log"],
        ["2026-02-02", "BBB", 62.0, "abababababab", "decision_log"]]


def test_postgres_connection_must_autocommit(postgres_uri):
    """The register opens its own transactions (the access log's chain is written under a lock)."""
    import psycopg

    from riskmodels.errors import ParameterError

    con = psycopg.connect(postgres_uri)
    with pytest.raises(ParameterError, match="autocommit"):
        CreditRegister.postgres(con)
    con.close()
