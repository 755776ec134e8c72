"""Expected EDA figures for ../shared/data/zeotap, computed independently with pandas.

Run once (python3 tests/golden/zeotap_eda.py > tests/golden/zeotap_eda.json); the Rust tests
compare `segscope eda --format json` against the stored JSON and never need Python.
Definitions follow README.md "EDA tables": revenue is the sum of line amounts (TotalValue),
orders are distinct order ids (TransactionID here), customers are distinct non-missing ids.
"""
import json
import sys
from pathlib import Path

import pandas as pd

DATA = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[3] / "shared/data/zeotap"

tx = pd.read_csv(DATA / "Transactions.csv", encoding="utf-8-sig", dtype=str)
products = pd.read_csv(DATA / "Products.csv", encoding="utf-8-sig", dtype=str)
customers = pd.read_csv(DATA / "Customers.csv", encoding="utf-8-sig", dtype=str)

rows_read = len(tx)
duplicates = int(tx.duplicated().sum())
tx = tx.drop_duplicates()
tx["date"] = pd.to_datetime(tx["TransactionDate"], format="%Y-%m-%d %H:%M:%S")
for c in ["Quantity", "TotalValue", "Price"]:
    tx[c] = pd.to_numeric(tx[c])
returns = tx[tx["Quantity"] < 0]
lines = tx[tx["Quantity"] > 0]
lines = lines[lines["Price"] > 0]
lines = lines.merge(products[["ProductID", "ProductName", "Category"]], on="ProductID", how="left")
lines = lines.merge(customers[["CustomerID", "Region"]], on="CustomerID", how="left")
customers["signup"] = pd.to_datetime(customers["SignupDate"], format="%Y-%m-%d")

total = lines["TotalValue"].sum()
tables = []
money = {}


def table(name, columns, rows, money_columns=()):
    tables.append({"name": name, "columns": columns, "rows": rows})
    money[name] = list(money_columns)


def months(first, last):
    return [str(p) for p in pd.period_range(first, last, freq="M")]


orders_per_customer = lines.dropna(subset=["CustomerID"]).groupby("CustomerID")["TransactionID"].nunique()
one_time = int((orders_per_customer == 1).sum())
ov = [
    ["customers", len(customers)],
    ["customers who bought", int(lines["CustomerID"].nunique())],
    ["products sold", int(lines["ProductID"].nunique())],
    ["orders", int(lines["TransactionID"].nunique())],
    ["transactions", len(lines)],
    ["units", float(lines["Quantity"].sum())],
    ["first date", lines["date"].min().strftime("%Y-%m-%d %H:%M:%S")],
    ["last date", lines["date"].max().strftime("%Y-%m-%d %H:%M:%S")],
    ["revenue", float(total)],
    ["average order value", float(total / lines["TransactionID"].nunique())],
    ["one-time buyers", one_time],
    ["one-time buyer share", one_time / len(orders_per_customer)],
    ["returned lines", len(returns)],
    ["load: rows read", rows_read],
    ["load: purchase lines used", len(lines)],
    ["load: exact duplicate rows (dropped)", duplicates],
]
table("overview", ["metric", "value"], ov, ["revenue", "average order value"])

g = lines.groupby("Region").agg(
    revenue=("TotalValue", "sum"), orders=("TransactionID", "nunique"),
    customers=("CustomerID", "nunique"), transactions=("TotalValue", "size")).reset_index()
g = g.sort_values(["revenue", "Region"], ascending=[False, True])
table("by_region", ["region", "revenue", "revenue_share", "orders", "customers", "transactions"],
      [[r.Region, r.revenue, r.revenue / total, int(r.orders), int(r.customers), int(r.transactions)]
       for r in g.itertuples()], ["revenue"])

g = lines.groupby("Category").agg(quantity=("Quantity", "sum"), revenue=("TotalValue", "sum"),
                                  transactions=("TotalValue", "size")).reset_index()
g = g.sort_values(["revenue", "Category"], ascending=[False, True])
table("category_totals", ["category", "quantity", "revenue", "revenue_share", "transactions"],
      [[r.Category, float(r.quantity), r.revenue, r.revenue / total, int(r.transactions)] for r in g.itertuples()],
      ["revenue"])

cat_order = list(g["Category"])
pv = lines.pivot_table(index="Region", columns="Category", values="TotalValue", aggfunc="sum", fill_value=0.0)
region_rev = pv.sum(axis=1)
region_order = sorted(region_rev.index, key=lambda r: (-region_rev[r], r))
table("category_share_by_region", ["region"] + cat_order + ["region_revenue"],
      [[r] + [pv.loc[r, c] / region_rev[r] for c in cat_order] + [region_rev[r]] for r in region_order],
      ["region_revenue"])

g = lines.groupby("ProductName").agg(
    revenue=("TotalValue", "sum"), quantity=("Quantity", "sum"), transactions=("TotalValue", "size"),
    skus=("ProductID", "nunique"), category=("Category", "first")).reset_index()
for name, key, second in [("top_products_by_revenue", "revenue", "quantity"),
                          ("top_products_by_quantity", "quantity", "revenue")]:
    s = g.sort_values([key, second, "ProductName"], ascending=[False, False, True])
    table(name, ["rank", "product", "skus", "category", "revenue", "quantity", "transactions"],
          [[i + 1, r.ProductName, int(r.skus), r.category, r.revenue, float(r.quantity), int(r.transactions)]
           for i, r in enumerate(s.itertuples())], ["revenue"])

p = lines.groupby("ProductID")["TotalValue"].sum().reset_index()
p = p.sort_values(["TotalValue", "ProductID"], ascending=[False, True])
cum = p["TotalValue"].cumsum().to_list()
n = len(p)
n80 = next(i + 1 for i, c in enumerate(cum) if c >= 0.8 * total - 1e-9 * abs(total))
top20 = -(-n * 2 // 10)
table("pareto", ["products", "products_for_80pct_revenue", "share_of_products", "revenue_share_top_20pct_products"],
      [[n, n80, n80 / n, cum[top20 - 1] / total]])
table("pareto_curve", ["product_share", "products", "revenue_share"],
      [[step / 20, min(max(-(-n * step // 20), 1), n), cum[min(max(-(-n * step // 20), 1), n) - 1] / total]
       for step in range(1, 21)])

lines["month"] = lines["date"].dt.strftime("%Y-%m")
m = lines.groupby("month").agg(revenue=("TotalValue", "sum"), orders=("TransactionID", "nunique"),
                               active=("CustomerID", "nunique"), transactions=("TotalValue", "size"))
rows = []
for mo in months(m.index.min(), m.index.max()):
    if mo in m.index:
        r = m.loc[mo]
        rows.append([mo, r.revenue, int(r.orders), int(r.active), int(r.transactions)])
    else:
        rows.append([mo, 0.0, 0, 0, 0])
table("monthly", ["month", "revenue", "orders", "active_customers", "transactions"], rows, ["revenue"])

names = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
w = lines.groupby(lines["date"].dt.day_of_week).agg(revenue=("TotalValue", "sum"), transactions=("TotalValue", "size"),
                                                   orders=("TransactionID", "nunique"))
table("weekday", ["weekday", "revenue", "revenue_share", "transactions", "orders"],
      [[names[d], w.revenue.get(d, 0.0), w.revenue.get(d, 0.0) / total, int(w.transactions.get(d, 0)),
        int(w.orders.get(d, 0))] for d in range(7)], ["revenue"])

h = lines.groupby(lines["date"].dt.hour).agg(revenue=("TotalValue", "sum"), transactions=("TotalValue", "size"),
                                              orders=("TransactionID", "nunique"))
table("hour_of_day", ["hour", "revenue", "revenue_share", "transactions", "orders"],
      [[d, h.revenue.get(d, 0.0), h.revenue.get(d, 0.0) / total, int(h.transactions.get(d, 0)),
        int(h.orders.get(d, 0))] for d in range(24)], ["revenue"])

# Tiers cut at the unit prices' terciles (linear interpolation, numpy's default): below the
# first, up to the second inclusive, above it.
low, high = lines["Price"].quantile(1 / 3), lines["Price"].quantile(2 / 3)
labels = [f"<{low:.2f}", f"{low:.2f}-{high:.2f}", f">{high:.2f}"]
tier = pd.Series([labels[0] if p < low else (labels[1] if p <= high else labels[2]) for p in lines["Price"]])
rows = []
for label in labels:
    sel = (tier == label).to_numpy()
    rev = lines.loc[sel, "TotalValue"].sum()
    rows.append([label, int(sel.sum()), sel.sum() / len(lines), rev, rev / total])
table("price_tiers", ["tier", "transactions", "transaction_share", "revenue", "revenue_share"], rows, ["revenue"])

s = customers.dropna(subset=["signup"])
y = s.groupby(s["signup"].dt.year).size()
table("signups_by_year", ["year", "signups"], [[int(k), int(v)] for k, v in y.items()])
sm = s.groupby(s["signup"].dt.strftime("%Y-%m")).size()
table("signups_by_month", ["month", "signups"],
      [[mo, int(sm.get(mo, 0))] for mo in months(sm.index.min(), sm.index.max())])

buckets = [("1", 1, 1), ("2", 2, 2), ("3", 3, 3), ("4", 4, 4), ("5", 5, 5), ("6-10", 6, 10), ("11-20", 11, 20),
           ("21-50", 21, 50), ("51+", 51, 10**18)]
mx = orders_per_customer.max()
rows = []
for label, lo, hi in buckets:
    if lo > mx:
        break
    k = int(((orders_per_customer >= lo) & (orders_per_customer <= hi)).sum())
    rows.append([label, k, k / len(orders_per_customer)])
table("purchase_frequency", ["orders", "customers", "share"], rows)

c = lines[["Price", "Quantity", "TotalValue"]].corr()
vars_ = [("unit_price", "Price"), ("quantity", "Quantity"), ("amount", "TotalValue")]
table("correlation", ["variable", "unit_price", "quantity", "amount"],
      [[a] + [float(c.loc[ac, bc]) for _, bc in vars_] for a, ac in vars_])

cc = lines[["CustomerID", "Category"]].dropna().drop_duplicates()
pairs = cc.merge(cc, on="CustomerID")
pairs = pairs[pairs["Category_x"] < pairs["Category_y"]]
pc = pairs.groupby(["Category_x", "Category_y"]).size().reset_index(name="n")
pc = pc.sort_values(["n", "Category_x", "Category_y"], ascending=[False, True, True])
buyers = lines["CustomerID"].nunique()
table("category_pairs", ["category_a", "category_b", "customers", "share_of_customers"],
      [[r.Category_x, r.Category_y, int(r.n), r.n / buyers] for r in pc.itertuples()])

json.dump({"source": "pandas " + pd.__version__, "tables": tables, "money": money}, sys.stdout, indent=1,
          default=float)
print()
