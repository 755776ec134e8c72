"""Makes the extra-column fixture and its expected per-customer features, once.

The fixture (tests/fixtures/extra/payments.csv) is a `;`-delimited European export of a
marketplace log: decimal commas, a payment type per order, installments and a discount per
line, a free-text review per order (too many distinct values to use) and a row number (an id).
40 of its 240 customers pay in many installments; otherwise they buy like the rest.

The expected values (expected.json) are pandas' on segscope's definitions (README, "Extra
columns"):
  NAME_total      sum of the column over the customer's purchase lines (missing left out)
  NAME_per_order  mean over the customer's orders of the order's sum
  NAME=VALUE      the customer's spend on lines with that value / the customer's spend
with spend = quantity x unit price. Run from the repository root:
    bench/.venv/bin/python tests/golden/extra/make_golden.py
"""

import json
import pathlib

import numpy as np
import pandas as pd

ROOT = pathlib.Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "tests/fixtures/extra/payments.csv"
EXPECTED = ROOT / "tests/golden/extra/expected.json"


def comma(x: float) -> str:
    return f"{x:.2f}".replace(".", ",")


def make_fixture() -> None:
    rng = np.random.default_rng(19)
    start = pd.Timestamp("2023-01-01")
    rows = []
    order = 0
    for c in range(1, 241):
        sensitive = c <= 40
        orders = 1 + rng.geometric(0.35)
        days = np.sort(rng.integers(0, 540, size=orders))
        for day in days:
            order += 1
            kind = (
                rng.choice(["credit_card", "boleto"], p=[0.9, 0.1])
                if sensitive
                else rng.choice(
                    ["credit_card", "boleto", "voucher", "debit_card"],
                    p=[0.4, 0.3, 0.2, 0.1],
                )
            )
            for line in range(int(rng.integers(1, 4))):
                inst = int(rng.integers(8, 13)) if sensitive else int(rng.choice([1, 1, 1, 2, 3]))
                rows.append(
                    {
                        "row": len(rows) + 1,
                        "order_id": f"O{order:05d}",
                        "customer_id": f"U{c:03d}",
                        "order_date": (start + pd.Timedelta(days=int(day))).strftime("%Y-%m-%d"),
                        "product_id": f"P{int(rng.integers(1, 60)):03d}-{line}",
                        "quantity": int(rng.integers(1, 5)),
                        "price": comma(float(rng.uniform(5, 200))),
                        "payment_type": kind,
                        # A few lines lack their installments: left out of the sums.
                        "installments": "" if rng.random() < 0.02 else str(inst),
                        "discount": comma(float(rng.choice([0, 0, 0.05, 0.1, 0.25]))),
                        "review": f"order {order} was fine",
                    }
                )
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).rename(columns={"row": "Row ID"}).to_csv(FIXTURE, sep=";", index=False)


def expected() -> dict:
    df = pd.read_csv(FIXTURE, sep=";", decimal=",", dtype={"customer_id": str})
    df["amount"] = df["quantity"] * df["price"]
    by = df.groupby("customer_id")
    out = {}
    features = {}
    for col in ["installments", "discount"]:
        features[f"{col}_total"] = by[col].sum()
        features[f"{col}_per_order"] = (
            df.groupby(["customer_id", "order_id"])[col].sum().groupby("customer_id").mean()
        )
    spend = by["amount"].sum()
    for value in sorted(df["payment_type"].unique()):
        on = df["amount"].where(df["payment_type"] == value, 0.0)
        features[f"payment_type={value}"] = on.groupby(df["customer_id"]).sum() / spend
    for name, series in features.items():
        out[name] = {k: float(v) for k, v in series.items()}
    return {"customers": sorted(spend.index), "features": out}


if __name__ == "__main__":
    make_fixture()
    EXPECTED.write_text(json.dumps(expected(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {FIXTURE.relative_to(ROOT)} and {EXPECTED.relative_to(ROOT)}")
