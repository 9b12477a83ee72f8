# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 10 · A year in a customer's credit file
#
# The documents ask for more than a score: a credit file per customer (000 五 「客户信用档案」)
# whose every reader is recorded (「查阅需填写查阅申请单标明查阅人、查阅客户名称、查阅用途」), reviews
# on schedule, collection steps on record, and write-offs only with evidence and approval (004).
# This notebook follows one customer through a year in `rm.CreditRegister`:
#
# rated → limit granted → late → chased → reviewed at year end → downgraded → blacklisted
# (limit 0 from every path) → a write-off approved → a recovery — and, at the end, the access
# log of who looked, checked link by link.

# %%
import tempfile
from pathlib import Path

import duckdb
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import riskmodels as rm
from riskmodels.errors import RegisterError
from riskmodels.export.sql import to_sql

pd.set_option("display.max_columns", 20)
pd.set_option("display.width", 140)

# %% [markdown]
# ## January: the customer is rated and granted a limit
# The enterprise card (003) scores the customer's statements; its limit follows 002 六; the
# customer class and its terms follow the rules of 002/000 (`customer_rules.yaml`).

# %%
portfolio = rm.make_portfolio(n_firms=80, n_years=3, random_state=0)
firm_years = portfolio.firm_years
latest = firm_years[firm_years["year"] == firm_years["year"].max()].reset_index(drop=True)
card = rm.CardEngine.from_spec("enterprise_five_aspect")
scored = card.score(latest).frame()
pick = int(np.flatnonzero((scored["grade"].isin(["A", "AA"])) & (scored["limit"] > 0).to_numpy())[0])
firm = latest.iloc[[pick]]
rating = scored.iloc[pick]
rules = rm.CustomerRules.from_spec()
klass = rules.classify(firm, "abc")[0]
terms = rules.terms([klass], [rating["limit"]]).iloc[0]
print(f"score {rating['score']:.1f}, grade {rating['grade']}: card limit {rating['limit']:,.0f}; class {klass}: "
      f"{terms['limit']:,.0f} granted on {terms['credit_days']} days")

# %% [markdown]
# The register keeps its file in SQLite (PostgreSQL for a team: `rm.CreditRegister.postgres(uri)`).
# Its clock is the notebook's calendar here, so the entries carry the story's dates.

# %%
folder = Path(tempfile.mkdtemp())
today = pd.Timestamp("2026-01-06 09:00", tz="UTC")
register = rm.CreditRegister.sqlite(folder / "credit_file.db", clock=lambda: today.isoformat())
customer = "F-" + str(firm["firm_id"].iloc[0])
register.record_rating(customer, "2026-01-06", reviewer="li (credit officer)", score=rating["score"],
                       grade=rating["grade"], customer_class=klass, credit_limit=terms["limit"],
                       terms=terms[["credit_days", "discount", "payment"]].to_dict(),
                       reasons=[rating["reason_1"], rating["reason_2"]], model_version="enterprise_five_aspect")

# %% [markdown]
# ## The year's invoices; one paid late, after chasing
# One invoice a month, due in 30 days. The May invoice is not paid by its safe ageing period
# (60 days here): the early warning says "collect now" once it is *over* the period (超过,
# 004 第二十九条). The officer sends a written notice and calls; both are dated events of the file,
# and the warning table shows the last one.

# %%
issue = pd.date_range("2026-01-01", periods=12, freq="MS") + pd.Timedelta(days=9)    # the 10th of each month
amount = round(float(firm["monthly_sales"].iloc[0]) / 4, 2)
invoices = pd.DataFrame({"customer_id": customer, "invoice_id": [f"{customer}-{d:%m}" for d in issue],
                         "issue_date": issue, "due_date": issue + pd.Timedelta(days=30), "amount": amount})
paid_on = invoices["due_date"] - pd.Timedelta(days=2)
paid_on[4] = pd.Timestamp("2026-07-25")                                   # May's: 46 days late
payments = pd.DataFrame({"invoice_id": invoices["invoice_id"], "payment_date": paid_on, "amount": amount})
payments = payments[~invoices["invoice_id"].str.endswith(("-10", "-11", "-12")).to_numpy()]  # autumn: unpaid
limits = pd.DataFrame({"customer_id": [customer], "limit": [terms["limit"]], "safe_age_days": [60.0]})

# %%
def ledger_on(day):
    """The ledger as known on ``day``: the payments so far and the dunning steps on file."""
    events = register.ledger_events(reader="li (credit officer)", purpose="ageing and early warning")
    return rm.Ledger(invoices, payments[payments["payment_date"] <= day], credit_limits=limits,
                     collection_events=events if len(events) else None)


pd.concat([rm.early_warning(ledger_on(day), day) for day in ("2026-07-09", "2026-07-10")])[
    ["as_of", "oldest_age_days", "near_safe_age", "past_safe_age", "action"]]

# %%
for day, step in [("2026-07-10", "written_notice"), ("2026-07-15", "call")]:
    today = pd.Timestamp(day + " 10:00", tz="UTC")
    register.record_collection_event(customer, day, step, by="li (credit officer)", invoice_id=f"{customer}-05")
register.record_review(customer, "2026-07-10", "new_customer", reviewer="li (credit officer)",
                       reason="合作满六个月", outcome="class kept; May invoice chased")
rm.early_warning(ledger_on("2026-07-16"), "2026-07-16")[["customer_id", "action", "last_step", "last_step_date"]]

# %% [markdown]
# (The same July day was six months of business: the new-customer review of 002 「合作满六个月后,
# 进行评估」 is on file too.)
#
# ## December 26: the year-end review is due
# 002 「每年末月的25—30日」, 000 「年审评价报告…调整客户信用等级与授信额度」. On the 26th the review is
# due; the ledger shows the May delay and three autumn invoices open. The late-payer rule of
# 000 五 5 (「对延迟付清款物的客户…降级」) costs notches by severity.

# %%
today = pd.Timestamp("2026-12-26 09:00", tz="UTC")
status = pd.DataFrame({"customer_id": [customer], "first_invoice": [invoices["issue_date"].min()],
                       "limit_kind": ["standing"]})
held = register.read_file(customer, reader="wang (risk manager)", purpose="year-end review")["reviews"]
rm.reviews_due(status, held, "2026-12-26")[["customer_id", "due", "why", "limit_valid"]]

# %%
features = rm.payment_features(ledger_on("2026-12-26"), "2026-12-26")
features[["customer_id", "dpd_current", "dpd_max_12m", "on_time_share", "tenure_months", "outstanding"]]

# %%
down = rules.downgrade([klass], features, ruleset="abc", priced_in=False)
new_terms = rules.terms(down["class"].tolist(), [rating["limit"]]).iloc[0]
register.record_review(customer, "2026-12-26", "year_end", reviewer="wang (risk manager)",
                       reason="annual review", outcome=f"{klass} → {down['class'].iloc[0]}")
register.record_rating(customer, "2026-12-26", reviewer="wang (risk manager)", score=rating["score"],
                       grade=rating["grade"], customer_class=down["class"].iloc[0], credit_limit=new_terms["limit"],
                       terms=new_terms[["credit_days", "discount", "payment"]].to_dict(),
                       reasons=[f"{int(features['dpd_max_12m'].iloc[0])} days late in 12 months"],
                       model_version="enterprise_five_aspect")
down

# %% [markdown]
# ## January: malicious default — blacklisted, limit 0 from every path
# The autumn invoices stay unpaid and the customer moves its assets: 000 五 5 「对恶意拖欠款物的
# 客户授信额度为0…列入黑名单」. The blacklist is an input of the limit rule (`blacklisted`; a record
# without it is not blacklisted), so the card, the fitted model, the exported scorer (batch and one
# record), SQL and the class terms all give 0.

# %%
today = pd.Timestamp("2027-01-12 09:00", tz="UTC")
register.record_rating(customer, "2027-01-12", reviewer="wang (risk manager)", grade=rating["grade"],
                       customer_class="D", override="D", override_reason="malicious default: assets moved",
                       blacklisted=True, model_version="enterprise_five_aspect")
black = firm.assign(blacklisted=1)
model = rm.ExpertScorecardModel("enterprise_five_aspect").fit(firm_years, firm_years["default"])
scorer = rm.load_scorer(model.export(folder / "card.json"))
bundle = model.to_bundle()
con = duckdb.connect()
con.register("t", black)
con.register("t0", firm)


def sql_limit(table):
    present = black.columns if table == "t" else firm.columns
    absent = [r["name"] for r in bundle["inputs"] if not r.get("required", True) and r["name"] not in present]
    return con.execute(to_sql(bundle, "duckdb", table, absent=absent)).df()["credit_limit"][0]



pd.DataFrame({
    "path": ["card", "model", "scorer (batch)", "scorer (one record)", "SQL (duckdb)", "class terms"],
    "limit without blacklist": [card.score(firm).limit[0], model.limit(firm)[0], scorer.score(firm)["limit"][0],
                                scorer.score(firm.iloc[0].to_dict())["limit"], sql_limit("t0"),
                                rules.terms([klass], [rating["limit"]])["limit"][0]],
    "limit blacklisted": [card.score(black).limit[0], model.limit(black)[0], scorer.score(black)["limit"][0],
                          scorer.score(black.iloc[0].to_dict())["limit"],
                          sql_limit("t"), rules.terms([klass], [rating["limit"]], blacklist=[True])["limit"][0]]})

# %% [markdown]
# ## March: bankruptcy — evidence, approval, write-off; then a recovery
# 004 第十四条 makes the open invoices write-off candidates; 第十五条 asks for the evidence (here the
# bankruptcy ruling and the write-off application), 第十六条 for the approval (board), and the
# written-off claims stay on file (第十八条) so that recoveries are booked (第十九条).

# %%
today = pd.Timestamp("2027-03-02 09:00", tz="UTC")
bankrupt = pd.DataFrame({"customer_id": [customer], "event": ["bankruptcy"]})
candidates = rm.bad_debt_candidates(ledger_on("2027-03-01"), "2027-03-01", events=bankrupt)
for claim in candidates.itertuples():
    register.open_claim(claim.invoice_id, customer, claim.open_amount, "2027-03-01", claim.reason,
                        by="zhou (collection office)")
    register.add_evidence(claim.invoice_id, "bankruptcy_ruling", "court ruling (2027) 17", by="zhou", date="2027-03-01")
    register.add_evidence(claim.invoice_id, "write_off_application", "WO-2027-03", by="zhou", date="2027-03-02")
    register.approve_write_off(claim.invoice_id, "board of directors", "board", "2027-03-20")
    register.write_off(claim.invoice_id, "2027-03-31", by="zhou")
today = pd.Timestamp("2027-06-30 09:00", tz="UTC")
register.record_recovery(candidates["invoice_id"].iloc[0], "2027-06-30", round(amount * 0.15, 2), by="zhou")
register.claims(reader="zhou (collection office)", purpose="write-off file")[
    ["claim_id", "amount", "status", "evidence", "approved", "written_off", "recovered"]]

# %% [markdown]
# The written-off invoices are no longer open debt in the ageing report (before and after):

# %%
written = register.written_off(reader="zhou (collection office)", purpose="ageing")
after_write_off = rm.Ledger(invoices, payments, write_offs=written)
pd.DataFrame({day: rm.ageing_report(after_write_off, day).loc["all"] for day in ("2027-03-30", "2027-03-31")})

# %% [markdown]
# ## Ratings leave the register only with an approval
# 003 「内部评级…不得对外公布」, 「未经所长批准不得复制与复印」: an export without a recorded
# approval is refused; with one, it is logged for every customer it covers.

# %%
try:
    register.export_ratings("EX-2027-1", reader="li (credit officer)")
except RegisterError as refused:
    print(refused)
register.approve_export("EX-2027-1", approver="director", recipient="credit insurer",
                        purpose="claim on the policy", customers=[customer])
register.export_ratings("EX-2027-1", reader="li (credit officer)")[["customer_id", "as_of", "grade",
                                                                     "customer_class", "credit_limit", "blacklisted"]]

# %% [markdown]
# ## The file, and who looked at it
# The rating history, then the access log: every read names its reader, the customer, the purpose
# and the time; the entries are chained by hash, and the check names the first broken link
# (None: the log is intact).

# %%
today = pd.Timestamp("2027-07-01 09:00", tz="UTC")
register.rating_history(customer, reader="zhao (auditor)", purpose="annual audit")[
    ["as_of", "grade", "customer_class", "credit_limit", "override", "override_reason", "blacklisted", "reviewer"]]

# %%
history = register.rating_history(customer, reader="zhao (auditor)", purpose="annual audit: the limit over time")
month_ends = pd.date_range("2026-01-31", "2027-03-31", freq="ME")
open_debt = pd.Series([rm.ageing_report(after_write_off, d).loc["all", "total"] for d in month_ends], index=month_ends)
fig, ax = plt.subplots(figsize=(7, 3))
ax.step(pd.to_datetime(history["as_of"]), history["credit_limit"] / 1e6, where="post", label="limit on file")
ax.plot(open_debt.index, open_debt / 1e6, marker="o", label="open debt (written-off claims excluded)")
ax.set_ylabel("million")
ax.legend(loc="upper left")
plt.show()

# %%
log = register.access_log(reader="zhao (auditor)", purpose="annual audit")
log[["seq", "time", "reader", "customer_id", "purpose", "action"]]

# %%
print("first broken link:", register.verify_access_log())

# %% [markdown]
# ## Next
# `rm.reviews_due` over the whole portfolio gives the year-end list; `rm.limitation_watch` lists
# the claims whose limitation period nears its end (004 第二十六条); `import_decision_log` fills the
# rating histories from the production scorer's decisions (notebook 08); for a team, point
# `rm.CreditRegister.postgres(...)` at a shared database.
