"""The pandas + scikit-learn notebook equivalent of `segscope segment DATA --k 4`.

Load the eCommerce Transactions folder, build the per-customer rfm+ features, set net returners
(net spend <= 0) apart, log1p the skewed ones, RobustScaler (a zero IQR falls back to the MAD,
then the standard deviation), each column limited to its 1st..99th percentile, KMeans(K=4,
n_init=10), silhouette on a 10,000-row sample, Davies-Bouldin.
Prints one JSON line with the metrics so the runs can be checked against each other.
"""
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import davies_bouldin_score, silhouette_score
from sklearn.preprocessing import RobustScaler

data = Path(sys.argv[1])
tx = pd.read_csv(data / "Transactions.csv", encoding="utf-8-sig", parse_dates=["TransactionDate"])
products = pd.read_csv(data / "Products.csv", encoding="utf-8-sig")
customers = pd.read_csv(data / "Customers.csv", encoding="utf-8-sig", parse_dates=["SignupDate"])
tx = tx.drop_duplicates()
tx = tx.merge(products[["ProductID", "Category"]], on="ProductID", how="left")
ref = tx["TransactionDate"].max()

g = tx.groupby("CustomerID")
f = pd.DataFrame({
    "last": g["TransactionDate"].max(),
    "first": g["TransactionDate"].min(),
    "frequency": g["TransactionID"].nunique(),
    "monetary": g["TotalValue"].sum(),
    "distinct_categories": g["Category"].nunique(),
})
f = f.join(customers.set_index("CustomerID")["SignupDate"])
f["recency_days"] = (ref - f["last"]).dt.days
f["avg_order_value"] = f["monetary"] / f["frequency"]
f["tenure_days"] = (ref - f["SignupDate"].fillna(f["first"])).dt.days
cols = ["recency_days", "frequency", "monetary", "avg_order_value", "tenure_days", "distinct_categories"]
f = f[f["monetary"] > 0]
x = f[cols].astype(float).copy()
for c in ["frequency", "monetary", "avg_order_value"]:
    x[c] = np.log1p(x[c])
raw = x.to_numpy()
scaler = RobustScaler().fit(raw)
for j in np.flatnonzero(np.subtract(*np.percentile(raw, [75, 25], axis=0)) == 0):
    col = raw[:, j]
    mad = np.median(np.abs(col - np.median(col)))
    scaler.scale_[j] = mad if mad > 0 else (col.std() if col.std() > 0 else 1.0)
x = scaler.transform(raw)
x = np.clip(x, np.quantile(x, 0.01, axis=0), np.quantile(x, 0.99, axis=0))

km = KMeans(n_clusters=4, n_init=10, random_state=42).fit(x)
labels = km.labels_
sample = min(10_000, len(x))
sil = silhouette_score(x, labels, sample_size=sample, random_state=42)
db = davies_bouldin_score(x, labels)
print(json.dumps({"n_customers": len(x), "silhouette": sil, "davies_bouldin": db, "inertia": km.inertia_}))
