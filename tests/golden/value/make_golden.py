"""Golden values for segscope's customer-value features: RFM scores and segments, BG/NBD +
Gamma-Gamma CLV (lifetimes), and monthly cohorts. Writes tests/golden/value/expected.json.

Run from the repo root (no Rust build needed):
    bench/.venv/bin/python tests/golden/value/make_golden.py

Versions used to produce the checked-in expected.json (the script records the actual ones in
expected.json["meta"]["versions"] and warns if they differ):
    Python 3.11.7, pandas 3.1.1, numpy 2.4.6, scipy 1.17.1, lifetimes 0.11.3
lifetimes 0.11.3 runs unchanged on pandas 3.1.1 for the calls used here (no pinned venv needed).

Inputs:
  - tests/fixtures/value/rfm_ties.csv       (hand-made, checked in)
  - data/sample/Transactions.csv            (the repo's generated sample, checked in)
  - $SEGSCOPE_SHARED_DATA/zeotap/*.csv      (real data, default /work/shared/data; NOT checked in)
  - $SEGSCOPE_SHARED_DATA/cdnow/CDNOW_sample.txt (real data; NOT checked in)
Only derived numbers from the real data go into expected.json.

Definitions: see tests/golden/value/README.md. Deterministic: no randomness; all sums of money
are math.fsum (correctly rounded, independent of summation order).
"""
import json
import math
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import scipy
from scipy.special import gammaln, hyp2f1

import lifetimes
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import calibration_and_holdout_data, summary_data_from_transaction_data

REPO = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("SEGSCOPE_SHARED_DATA", "/work/shared/data"))
FIXTURE = "tests/fixtures/value/rfm_ties.csv"

EXPECTED_VERSIONS = {"python": "3.11.7", "pandas": "3.1.1", "numpy": "2.4.6", "scipy": "1.17.1",
                     "lifetimes": "0.11.3"}
VERSIONS = {"python": sys.version.split()[0], "pandas": pd.__version__, "numpy": np.__version__,
            "scipy": scipy.__version__, "lifetimes": lifetimes.__version__}

# Published daily fits from the raw sample, $SHARED/cdnow/SOURCE.md
PUBLISHED = {"r": 0.2426, "alpha": 30.8952, "a": 0.7929, "b": 2.4259,
             "p": 6.2496, "q": 3.7442, "v": 15.4435}
PUBLISHED_CHECK_WEEKS = 1.2259  # E[X(39 weeks) | x=2, t_x=30.43 w, T=38.86 w], SOURCE.md

# (name, r range, f range, m range), inclusive, first match wins, otherwise "Others"
SEGMENT_RULES = [
    ("Champions", (4, 5), (4, 5), (4, 5)),
    ("Loyal Customers", (2, 5), (3, 5), (3, 5)),
    ("Potential Loyalist", (3, 5), (1, 3), (1, 3)),
    ("New Customers", (4, 5), (1, 1), (1, 1)),
    ("Promising", (3, 4), (1, 1), (1, 1)),
    ("Need Attention", (2, 3), (2, 3), (2, 3)),
    ("About To Sleep", (2, 3), (1, 2), (1, 2)),
    ("At Risk", (1, 2), (2, 5), (2, 5)),
    ("Can't Lose Them", (1, 1), (4, 5), (4, 5)),
    ("Lost", (1, 2), (1, 2), (1, 2)),
]
SEGMENT_ORDER = [s[0] for s in SEGMENT_RULES] + ["Others"]


# ----------------------------------------------------------------------------------------- RFM
def breaks_for(values, n_bins):
    """[min, q(1/N), ..., q((N-1)/N), max+1]; q = numpy type-7 ("linear") quantile."""
    v = np.asarray(values, dtype=float)
    qs = np.quantile(v, [i / n_bins for i in range(1, n_bins)], method="linear")
    return [float(v.min())] + [float(x) for x in qs] + [float(v.max()) + 1.0]


def bin_index(value, breaks):
    """0-based i with breaks[i] <= value < breaks[i+1]; the LAST matching i wins."""
    hit = None
    for i in range(len(breaks) - 1):
        if breaks[i] <= value < breaks[i + 1]:
            hit = i
    assert hit is not None, (value, breaks)
    return hit


def segment_of(r, f, m):
    for name, (r0, r1), (f0, f1), (m0, m1) in SEGMENT_RULES:
        if r0 <= r <= r1 and f0 <= f <= f1 and m0 <= m <= m1:
            return name
    return "Others"


def rfm_scores(measures, n_bins, with_segments):
    """measures: DataFrame indexed by customer id (sorted) with recency_days, frequency, monetary."""
    br = {k: breaks_for(measures[k], n_bins) for k in ("recency_days", "frequency", "monetary")}
    customers = {}
    for cid, row in measures.iterrows():
        rec, fr, mon = int(row["recency_days"]), int(row["frequency"]), float(row["monetary"])
        r = n_bins - bin_index(rec, br["recency_days"])
        f = bin_index(fr, br["frequency"]) + 1
        m = bin_index(mon, br["monetary"]) + 1
        c = {"recency_days": rec, "frequency": fr, "monetary": mon, "r": r, "f": f, "m": m,
             "rfm": 100 * r + 10 * f + m}
        if with_segments:
            c["segment"] = segment_of(r, f, m)
        customers[str(cid)] = c
    out = {"thresholds": {
        "recency": [[br["recency_days"][i], br["recency_days"][i + 1]] for i in range(n_bins)],
        "frequency": [[br["frequency"][i], br["frequency"][i + 1]] for i in range(n_bins)],
        "monetary": [[br["monetary"][i], br["monetary"][i + 1]] for i in range(n_bins)],
    }, "customers": customers}
    if with_segments:
        out["segments"] = segment_summary(customers)
    return out


def segment_summary(customers):
    n_total = len(customers)
    rev_total = math.fsum(c["monetary"] for c in customers.values())
    rows = []
    for name in SEGMENT_ORDER:
        members = [c for c in customers.values() if c["segment"] == name]
        if not members:
            continue
        orders = sum(c["frequency"] for c in members)
        revenue = math.fsum(c["monetary"] for c in members)
        rows.append({"segment": name, "customers": len(members), "orders": orders,
                     "revenue": revenue, "aov": revenue / orders,
                     "customer_share": len(members) / n_total,
                     "revenue_share": revenue / rev_total})
    return rows


def fixture_measures():
    df = pd.read_csv(REPO / FIXTURE, dtype={"customer_id": str, "order_id": str, "date": str})
    assert list(df.columns) == ["customer_id", "order_id", "date", "quantity", "unit_price", "amount"]
    assert (df["quantity"] > 0).all()
    assert np.allclose(df["amount"], (df["quantity"] * df["unit_price"]).round(2))
    df["date"] = pd.to_datetime(df["date"], format="%Y-%m-%d")
    ref = df["date"].max()
    g = df.groupby("customer_id", sort=True)
    m = pd.DataFrame({
        "recency_days": (ref - g["date"].max()).dt.days,
        "frequency": g["order_id"].nunique(),
        "monetary": g["amount"].agg(lambda s: math.fsum(s)),
    })
    return m, ref


def zeotap_measures():
    tx = pd.read_csv(SHARED / "zeotap" / "Transactions.csv", encoding="utf-8-sig",
                     dtype={"TransactionID": str, "CustomerID": str, "ProductID": str,
                            "TransactionDate": str})
    tx["TransactionDate"] = pd.to_datetime(tx["TransactionDate"], format="%Y-%m-%d %H:%M:%S")
    ref = tx["TransactionDate"].max()
    g = tx.groupby("CustomerID", sort=True)
    m = pd.DataFrame({
        "recency_days": (ref - g["TransactionDate"].max()) // pd.Timedelta(days=1),
        "frequency": g["TransactionID"].nunique(),
        "monetary": g["TotalValue"].agg(lambda s: math.fsum(s)),
    })
    return m, ref


def min_gap_to_thresholds(measures, res):
    """Smallest |value - inner break| for monetary (robustness of bins to float noise)."""
    inner = [t[0] for t in res["thresholds"]["monetary"][1:]]
    return min(abs(v - b) for v in measures["monetary"] for b in inner)


def type7_repr(values, n_bins):
    return [float(x) for x in np.quantile(np.asarray(values, float),
                                          [i / n_bins for i in range(1, n_bins)])]


# ----------------------------------------------------------------------------------------- CLV
def bgnbd_ll_days(r, alpha, a, b, x, t_x, T):
    """Per-customer BG/NBD log-likelihood (Fader, Hardie & Lee 2005, eq. in sec. 7), time in days."""
    x = np.asarray(x, float)
    A1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    A2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    A3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        A4 = np.where(x > 0, np.log(a) - np.log(b + np.maximum(x, 1) - 1)
                      - (r + x) * np.log(alpha + t_x), -np.inf)
    mx = np.maximum(A3, A4)
    return A1 + A2 + mx + np.log(np.exp(A3 - mx) + np.where(x > 0, np.exp(A4 - mx), 0.0))


def independent_check(r, alpha, a, b, p, q, v, f, rc, T, mv, got):
    """Re-derive the per-customer outputs from the closed forms (guards against lifetimes/pandas
    drift): BG/NBD eq. (10) and P(alive), Gamma-Gamma E[Z|x,zbar], discounted 30-day steps."""
    f, rc, T, mv = (np.asarray(z, float) for z in (f, rc, T, mv))

    def e_x(t):
        hyp = hyp2f1(r + f, b + f, a + b + f - 1, t / (alpha + T + t))
        num = (a + b + f - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + f) * hyp)
        den = 1 + (f > 0) * (a / (b + np.maximum(f, 1) - 1)) * ((alpha + T) / (alpha + rc)) ** (r + f)
        return num / den

    alive = np.where(f == 0, 1.0, 1 / (1 + (f > 0) * (a / (b + np.maximum(f, 1) - 1))
                                       * ((alpha + T) / (alpha + rc)) ** (r + f)))
    spend = (p * v + f * mv * p) / (p * f + q - 1)
    clv = sum(spend * (e_x(30 * i) - e_x(30 * (i - 1))) / 1.01 ** i for i in range(1, 13))
    for name, mine in (("p_alive", alive), ("expected_purchases_90", e_x(90)),
                       ("expected_purchases_360", e_x(360)), ("expected_spend", spend), ("clv", clv)):
        theirs = np.array([c[name] for c in got])
        err = np.max(np.abs(mine - theirs) / np.maximum(np.abs(theirs), 1e-12))
        assert err < 1e-9, (name, err)


def clv_section():
    path = SHARED / "cdnow" / "CDNOW_sample.txt"
    df = pd.read_csv(path, sep=r"\s+", header=None,
                     names=["customer_id", "sample_id", "date", "cds", "dollars"],
                     dtype={"customer_id": str, "sample_id": str, "date": str})
    df["date"] = pd.to_datetime(df["date"], format="%Y%m%d")
    assert df["customer_id"].str.fullmatch(r"\d{5}").all()

    s = summary_data_from_transaction_data(df, "customer_id", "date", monetary_value_col="dollars",
                                           observation_period_end="1997-09-30", freq="D")
    s = s.sort_index()
    n = len(s)
    bgf = BetaGeoFitter(penalizer_coef=0.0).fit(s["frequency"], s["recency"], s["T"])
    r, alpha, a, b = (float(bgf.params_[k]) for k in ("r", "alpha", "a", "b"))

    ll_i = bgnbd_ll_days(r, alpha, a, b, s["frequency"].values, s["recency"].values, s["T"].values)
    ll = math.fsum(ll_i)
    # lifetimes fits on time scaled by 1/max(T); its mean NLL differs from the day-unit one by
    # the constant sum(x)*ln(max T) (the params are the same).
    ll_fitter_scaled = -float(bgf._negative_log_likelihood_) * n
    correction = float(s["frequency"].sum()) * math.log(float(s["T"].max()))
    assert abs((ll_fitter_scaled - correction) - ll) < 1e-9 * abs(ll), (ll, ll_fitter_scaled, correction)

    rep = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
    ggf = GammaGammaFitter(penalizer_coef=0.0).fit(rep["frequency"], rep["monetary_value"])
    p, q, v = (float(ggf.params_[k]) for k in ("p", "q", "v"))

    fitted = {"r": r, "alpha": alpha, "a": a, "b": b, "p": p, "q": q, "v": v}
    print("parameter  fitted              published  rel.diff")
    for k, pub in PUBLISHED.items():
        rel = abs(fitted[k] - pub) / pub
        print(f"{k:9s}  {fitted[k]:<18.12g}  {pub:<9}  {rel:.2e}")
        assert rel < 1e-3, f"{k}: fitted {fitted[k]} vs published {pub}"

    f, rc, T, mv = s["frequency"], s["recency"], s["T"], s["monetary_value"]
    p_alive = bgf.conditional_probability_alive(f, rc, T)
    e90 = bgf.conditional_expected_number_of_purchases_up_to_time(90, f, rc, T)
    e360 = bgf.conditional_expected_number_of_purchases_up_to_time(360, f, rc, T)
    spend = ggf.conditional_expected_average_profit(f, mv)
    clv = ggf.customer_lifetime_value(bgf, f, rc, T, mv, time=12, discount_rate=0.01, freq="D")
    customers = {}
    for i, cid in enumerate(s.index):
        customers[str(cid)] = {
            "frequency": float(f.iloc[i]), "recency": float(rc.iloc[i]), "T": float(T.iloc[i]),
            "monetary_value": float(mv.iloc[i]), "p_alive": float(p_alive[i]),
            "expected_purchases_90": float(np.asarray(e90)[i]),
            "expected_purchases_360": float(np.asarray(e360)[i]),
            "expected_spend": float(np.asarray(spend)[i]), "clv": float(np.asarray(clv)[i]),
        }

    independent_check(r, alpha, a, b, p, q, v, f, rc, T, mv, list(customers.values()))

    check = float(bgf.conditional_expected_number_of_purchases_up_to_time(
        39 * 7, 2, 30.43 * 7, 38.86 * 7))
    published_check = {
        "note": "E[purchases in next 39*7 days] for frequency 2, recency 30.43*7 d, T 38.86*7 d, "
                "using the fitted DAILY params; SOURCE.md's 1.2259 is the weekly-fit value",
        "t_days": 39 * 7, "frequency": 2, "recency_days": 30.43 * 7, "T_days": 38.86 * 7,
        "expected_purchases": check, "published_weekly": PUBLISHED_CHECK_WEEKS,
    }
    print(f"published check: {check:.6f} (published 1.2259)")
    assert abs(check - PUBLISHED_CHECK_WEEKS) < 1e-3

    ch = calibration_and_holdout_data(df, "customer_id", "date", calibration_period_end="1997-09-30",
                                      observation_period_end="1998-06-30", freq="D",
                                      monetary_value_col="dollars").sort_index()
    # calibration summary must equal the fitting summary (same end date)
    assert (ch["frequency_cal"].values == s["frequency"].values).all()
    assert (ch["T_cal"].values == s["T"].values).all()
    pred = bgf.conditional_expected_number_of_purchases_up_to_time(
        ch["duration_holdout"], ch["frequency_cal"], ch["recency_cal"], ch["T_cal"])
    ch = ch.assign(predicted=np.asarray(pred))
    holdout = []
    for fc in sorted(ch["frequency_cal"].unique()):
        if fc > 7:
            continue
        grp = ch[ch["frequency_cal"] == fc]
        holdout.append({"frequency": int(fc), "customers": int(len(grp)),
                        "actual": math.fsum(grp["frequency_holdout"]) / len(grp),
                        "predicted": math.fsum(grp["predicted"]) / len(grp)})

    return {
        "source": "cdnow/CDNOW_sample.txt (not checked in)",
        "until": "1997-09-30", "holdout_end": "1998-06-30",
        "duration_holdout_days": float(ch["duration_holdout"].iloc[0]),
        "n_customers": n,
        "bgnbd": {"r": r, "alpha": alpha, "a": a, "b": b, "log_likelihood": ll,
                  "log_likelihood_lifetimes_scaled": ll_fitter_scaled,
                  "time_scale_days": float(s["T"].max())},
        "gamma_gamma": {"p": p, "q": q, "v": v, "n_customers": int(len(rep))},
        "published": PUBLISHED,
        "published_check": published_check,
        "customers": customers,
        "holdout": holdout,
    }


# ------------------------------------------------------------------------------------- cohorts
def cohorts_section():
    tx = pd.read_csv(REPO / "data" / "sample" / "Transactions.csv", encoding="utf-8-sig",
                     dtype={"TransactionID": str, "CustomerID": str, "ProductID": str,
                            "TransactionDate": str})
    tx["TransactionDate"] = pd.to_datetime(tx["TransactionDate"], format="%Y-%m-%d %H:%M:%S")
    tx["month"] = tx["TransactionDate"].dt.to_period("M")
    last = tx["TransactionDate"].max()
    last_month = last.to_period("M")
    partial = last.day < last.days_in_month
    first = tx.groupby("CustomerID")["month"].min().rename("cohort")
    tx = tx.join(first, on="CustomerID")
    shares, revenue = [], []
    for cohort, grp in tx.groupby("cohort", sort=True):
        size = grp["CustomerID"].nunique()
        n_off = (last_month.ordinal - cohort.ordinal) + 1
        sh, rv = [], []
        for m in range(n_off):
            month = cohort + m
            in_month = grp[grp["month"] == month]
            sh.append(in_month["CustomerID"].nunique() / size)
            rv.append(math.fsum(in_month["TotalValue"]))
        assert sh[0] == 1.0
        shares.append({"cohort": str(cohort), "customers": int(size), "shares": sh})
        revenue.append({"cohort": str(cohort), "customers": int(size), "revenue": rv})
    return {"source": "data/sample/Transactions.csv",
            "last_date": last.strftime("%Y-%m-%d %H:%M:%S"),
            "last_month": str(last_month), "last_month_partial": bool(partial),
            "customers": shares, "revenue": revenue}


# ---------------------------------------------------------------------------------------- main
def main():
    warnings.filterwarnings("ignore", category=FutureWarning)
    for k, want in EXPECTED_VERSIONS.items():
        if VERSIONS[k] != want:
            print(f"warning: {k} {VERSIONS[k]} (expected.json was made with {want})")

    fm, fref = fixture_measures()
    print(f"fixture: {len(fm)} customers, reference {fref.date()}")
    for nb in (5, 3):
        print(f"  frequency type-7 quantiles N={nb}: {type7_repr(fm['frequency'], nb)}")
    rfm = {"fixture": FIXTURE, "reference_date": str(fref.date()),
           "bins": {"5": rfm_scores(fm, 5, True), "3": rfm_scores(fm, 3, False)}}

    zm, zref = zeotap_measures()
    z = rfm_scores(zm, 5, True)
    print(f"zeotap: {len(zm)} customers, reference {zref}, min |monetary - break| "
          f"{min_gap_to_thresholds(zm, z):.4f}")
    rfm_zeotap = {"source": "zeotap/Transactions.csv (not checked in)",
                  "reference": zref.strftime("%Y-%m-%d %H:%M:%S"), "bins": 5,
                  "thresholds": z["thresholds"], "customers": z["customers"],
                  "segments": z["segments"]}

    out = {"meta": {"generator": "tests/golden/value/make_golden.py", "versions": VERSIONS},
           "rfm": rfm, "rfm_zeotap": rfm_zeotap, "clv": clv_section(), "cohorts": cohorts_section()}
    dest = HERE / "expected.json"
    with open(dest, "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=1, ensure_ascii=False, allow_nan=False)
        fh.write("\n")
    print(f"wrote {dest.relative_to(REPO)} ({dest.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
