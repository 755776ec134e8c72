"""Hand-made fixtures shaped like real-world exports, and their expected figures.

Writes every file under tests/fixtures/real_files/ (deterministically: fixed seeds, fixed
zip timestamps in the .xlsx) and then reads each one back with pandas using the explicit
parameters a person would give (sep, decimal, thousands, date format strings, header=None +
names, ...). Nothing is auto-detected here: this script is the independent oracle the Rust
tests compare against through expected.json; the tests themselves need no Python.

Definitions (segscope's):
- line = data row. RETURN: quantity < 0, or order id starts with C/c followed by a digit.
- unit price = unit-price column, else amount / quantity; amount = amount column, else
  quantity * unit price; no quantity column -> quantity 1.
- PURCHASE: not a return, date parses, quantity/price/amount finite, quantity != 0, price > 0.
- byte-identical repeated lines are dropped only when the file has an order id column.
- rows = data rows in the file; returns = return lines with a parsed date; orders = distinct
  order ids over purchases (every purchase line without an order column); revenue = sum of
  purchase amounts rounded to 2 decimals; first/last_date = min/max purchase date (UTC for
  offset-bearing and epoch timestamps). The date column of the Superstore files is Order Date.

Rerun: /tmp/gv/bin/python tests/golden/real_files/make_golden.py (see README.md).
"""
import io
import json
import random
import re
import zipfile
import zlib
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
FIX = REPO / "tests" / "fixtures" / "real_files"
SEED = 20240917


def rng_for(name):
    return random.Random(SEED + zlib.crc32(name.encode()))


# ---------------------------------------------------------------- writing helpers


def q(field, sep):
    s = str(field)
    if sep in s or '"' in s or "\n" in s or "\r" in s:
        return '"' + s.replace('"', '""') + '"'
    return s


def line(fields, sep=","):
    return sep.join(q(f, sep) for f in fields)


def write_lines(path, lines, eol="\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("".join(l + eol for l in lines))


def money(cents):
    return f"{cents / 100:.2f}"


def dec_str(d):
    """Decimal -> shortest plain text, like the Superstore file (261.96, 22.368, 957.5775)."""
    s = format(d.normalize(), "f")
    return s


def cents_eu(cents, thousands="."):
    s = f"{abs(cents) / 100:,.2f}".replace(",", "#").replace(".", ",").replace("#", thousands)
    return ("-" if cents < 0 else "") + s


# ---------------------------------------------------------------- oracle helpers


def dup_mask(paths, header=True, eol=b"\n"):
    """True for a data line that repeats an earlier line byte for byte (over all given files)."""
    seen, mask = set(), []
    for p in paths:
        lines = p.read_bytes().split(eol)
        if lines and lines[-1] == b"":
            lines.pop()
        if header:
            lines = lines[1:]
        for l in lines:
            mask.append(l in seen)
            seen.add(l)
    return np.array(mask, dtype=bool)


def figures(rows, order, customer, when, quantity=None, unit_price=None, amount=None, dups=None,
            fixture_size_check=True, expected_dups=0):
    """All inputs are aligned pandas Series (order may be None); `when` is tz-naive UTC or NaT."""
    n = len(customer)
    assert rows == n
    idx = customer.index
    qty = pd.Series(1.0, index=idx) if quantity is None else quantity.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        price = unit_price.astype(float) if unit_price is not None else amount.astype(float) / qty
        amt = amount.astype(float) if amount is not None else qty * price
    keep = pd.Series(True, index=idx)
    if dups is not None:  # guard against accidental repeats in the generated files
        assert int(dups.sum()) == expected_dups, (int(dups.sum()), expected_dups)
    if order is not None and dups is not None:
        keep = pd.Series(~dups, index=idx)
    if order is not None:
        oid = order.astype("string").fillna("")
        is_return = (qty < 0) | oid.str.match(r"[Cc][0-9]").astype(bool)
    else:
        is_return = qty < 0
    dated = when.notna()
    finite = np.isfinite(qty) & np.isfinite(price) & np.isfinite(amt)
    purchase = keep & ~is_return & dated & finite & (qty != 0) & (price > 0)
    returns = keep & is_return & dated
    cust = customer[purchase].astype("string").fillna("").str.strip()
    cust = cust[cust != ""]
    total = float(amt[purchase].sum())
    frac = (abs(total) * 100) % 1
    assert abs(frac - 0.5) > 1e-6, f"revenue {total} sits on a rounding boundary"
    d = when[purchase]
    out = {
        "rows": int(rows),
        "purchase_lines": int(purchase.sum()),
        "returns": int(returns.sum()),
        "customers_who_bought": int(cust.nunique()),
        "orders": int(order[purchase].nunique()) if order is not None else int(purchase.sum()),
        "revenue": round(total, 2),
        "first_date": d.min().strftime("%Y-%m-%d"),
        "last_date": d.max().strftime("%Y-%m-%d"),
    }
    if fixture_size_check:
        assert 5 <= out["customers_who_bought"] <= 12 and 20 <= rows <= 80, out
    return out


def to_utc_naive(s):
    return s.dt.tz_convert("UTC").dt.tz_localize(None)


EXPECTED = {}

# ---------------------------------------------------------------- 1, 2: Superstore

SS_HEADER = ["Row ID", "Order ID", "Order Date", "Ship Date", "Ship Mode", "Customer ID",
             "Customer Name", "Segment", "Country", "City", "State", "Postal Code", "Region",
             "Product ID", "Category", "Sub-Category", "Product Name", "Sales", "Quantity",
             "Discount", "Profit"]
SS_CUSTOMERS = [
    ("CG-12520", "Claire Gute", "Consumer", "Henderson", "Kentucky", "42420", "South"),
    ("DV-13045", "Darrin Van Huff", "Corporate", "Los Angeles", "California", "90036", "West"),
    ("SO-20335", "Sean O'Donnell", "Consumer", "Fort Lauderdale", "Florida", "33311", "South"),
    ("BH-11710", "Brosina Hoffman", "Consumer", "Los Angeles", "California", "90032", "West"),
    ("AA-10480", "Andrew Allen", "Consumer", "Concord", "North Carolina", "28027", "South"),
    ("IM-15070", "Irene Maddox", "Consumer", "Seattle", "Washington", "98103", "West"),
    ("HP-14815", "Harold Pawlan", "Home Office", "Fort Worth", "Texas", "76106", "Central"),
    ("PK-19075", "Pete Kriz", "Consumer", "Madison", "Wisconsin", "53711", "Central"),
    ("AG-10270", "Alejandro Grove", "Consumer", "West Jordan", "Utah", "84084", "West"),
    ("ZD-21925", "Zuschuss Donatelli", "Consumer", "San Francisco", "California", "94109", "West"),
]
SS_PRODUCTS = [
    ("FUR-BO-10001798", "Furniture", "Bookcases", "Bush Somerset Collection Bookcase", 13098),
    ("FUR-CH-10000454", "Furniture", "Chairs",
     "Hon Deluxe Fabric Upholstered Stacking Chairs, Rounded Back", 24398),
    ("OFF-LA-10000240", "Office Supplies", "Labels",
     "Self-Adhesive Address Labels for Typewriters by Universal", 731),
    ("FUR-TA-10000577", "Furniture", "Tables", "Bretford CR4500 Series Slim Rectangular Table", 34720),
    ("OFF-ST-10000760", "Office Supplies", "Storage", "Eldon Fold 'N Roll Cart System", 1114),
    ("FUR-FU-10001487", "Furniture", "Furnishings",
     "Eldon Expressions Wood and Plastic Desk Accessories, Cherry Wood", 698),
    ("OFF-AR-10002833", "Office Supplies", "Art", "Newell 322", 328),
    ("TEC-PH-10002275", "Technology", "Phones", "Mitel 5320 IP Phone VoIP phone", 11394),
    ("OFF-BI-10003910", "Office Supplies", "Binders",
     "DXL Angle-View Binders with Locking Rings by Samsill", 1430),
    ("OFF-BI-10001634", "Office Supplies", "Binders", 'Wilson Jones 1" Hanging Recycled Pressboard Data Binders', 652),
    ("TEC-PH-10002033", "Technology", "Phones", "Konftel 250 Conference phone - Charcoal black", 28498),
    ("OFF-PA-10002365", "Office Supplies", "Paper", "Xerox 1967", 1296),
]


def superstore(name, pick_dates, n_orders):
    """pick_dates(rng, rows_so_far) -> (order_date, ship_date) for the next order."""
    rng = rng_for(name)
    lines = [line(SS_HEADER)]
    used, row_id = set(), 1
    for _ in range(n_orders):
        nlines = rng.choice([1, 2, 2, 3])
        od, sd = pick_dates(rng, row_id - 1)
        while True:
            oid = f"{rng.choice(['CA', 'CA', 'US'])}-{od.year}-{rng.randint(100000, 169999)}"
            if oid not in used:
                used.add(oid)
                break
        cid, cname, seg, city, state, postal, region = rng.choice(SS_CUSTOMERS)
        mode = rng.choice(["Second Class", "Standard Class", "Standard Class", "First Class", "Same Day"])
        for pid, cat, sub, pname, cents in rng.sample(SS_PRODUCTS, nlines):
            qty = rng.randint(1, 7)
            disc = rng.choice(["0", "0", "0", "0.2", "0.2", "0.1", "0.45"])
            sales = Decimal(cents) / 100 * qty * (1 - Decimal(disc))
            profit = (sales * Decimal(rng.randint(-30, 40)) / 100).quantize(Decimal("0.0001"))
            lines.append(line([row_id, oid, od.strftime("%d/%m/%y"), sd.strftime("%d/%m/%y"), mode,
                               cid, cname, seg, "United States", city, state, postal, region, pid,
                               cat, sub, pname, dec_str(sales), qty, disc, dec_str(profit)]))
            row_id += 1
    write_lines(FIX / name, lines)


def ss_ddmmyy_dates(rng, rows_so_far):
    if rows_so_far < 5:  # first rows: day <= 12 on both dates, so either reading looks valid
        od = date(2019, rng.randint(1, 12), rng.randint(1, 8))
        return od, od + timedelta(days=rng.randint(2, 4))
    od = date(2019, 1, 1) + timedelta(days=rng.randint(0, 729))
    return od, od + timedelta(days=rng.randint(2, 6))


def ss_ambiguous_dates(rng, rows_so_far):
    od = date(rng.choice([2019, 2020]), rng.randint(1, 12), rng.randint(1, 8))
    return od, od + timedelta(days=rng.randint(1, 4))


def read_superstore(name):
    p = FIX / name
    df = pd.read_csv(p, sep=",", dtype={"Order ID": str, "Customer ID": str, "Postal Code": str,
                                        "Order Date": str, "Ship Date": str})
    return p, df


superstore("superstore_ddmmyy.csv", ss_ddmmyy_dates, 14)
p, df = read_superstore("superstore_ddmmyy.csv")
when = pd.to_datetime(df["Order Date"], format="%d/%m/%y")
day = when.dt.day
ship_day = pd.to_datetime(df["Ship Date"], format="%d/%m/%y").dt.day
assert (day.iloc[:5] <= 12).all() and (ship_day.iloc[:5] <= 12).all()
assert (day > 12).sum() >= 5
assert pd.to_datetime(df["Order Date"], format="%m/%d/%y", errors="coerce").isna().sum() >= 5
assert not df["Order ID"].str.match(r"[Cc][0-9]").any()
assert df["Order ID"].duplicated().any()
EXPECTED["superstore_ddmmyy.csv"] = figures(
    len(df), df["Order ID"], df["Customer ID"], when, quantity=df["Quantity"], amount=df["Sales"],
    dups=dup_mask([p]))

superstore("superstore_ambiguous.csv", ss_ambiguous_dates, 10)
p, df = read_superstore("superstore_ambiguous.csv")
for col in ["Order Date", "Ship Date"]:
    assert pd.to_datetime(df[col], format="%d/%m/%y").notna().all()
    assert pd.to_datetime(df[col], format="%m/%d/%y").notna().all()
EXPECTED["superstore_ambiguous.csv"] = {"refused": True}

# ---------------------------------------------------------------- 3: European semicolon CSV

EU_PRODUCTS = [
    ("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 255),
    ("71053", "WHITE METAL LANTERN", 339),
    ("84406B", "CREAM CUPID HEARTS COAT HANGER", 275),
    ("84029G", "KNITTED UNION FLAG HOT WATER BOTTLE", 339),
    ("22752", "SET 7 BABUSHKA NESTING BOXES", 765),
    ("21730", "GLASS STAR FROSTED T-LIGHT HOLDER", 425),
    ("22633", "HAND WARMER UNION JACK", 185),
    ("22423", "REGENCY CAKESTAND 3 TIER", 1275),
    ("84879", "ASSORTED COLOUR BIRD ORNAMENT", 169),
    ("22960", "JAM MAKING SET WITH JARS", 425),
    ("23084", "SCHÖNE WEIHNACHTSKUGEL, ROT", 165),
    ("POST", "POSTAGE", 1800),
    ("M", "Manual", 129900),
]
EU_CUSTOMERS = [("17850", "United Kingdom"), ("13047", "United Kingdom"), ("12583", "France"),
                ("13748", "United Kingdom"), ("15100", "United Kingdom"), ("12662", "Germany"),
                ("14688", "United Kingdom"), ("12721", "France")]


def gen_european():
    name = "european_semicolon.csv"
    rng = rng_for(name)
    out = [line(["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
                 "CustomerID", "Country"], ";")]
    inv = 536365
    t = datetime(2010, 12, 1, 8, 26)
    for k in range(14):
        cust, country = rng.choice(EU_CUSTOMERS) if k != 6 else ("", "United Kingdom")
        stamp = t.strftime("%d.%m.%Y %H:%M")
        for sc, desc, cents in rng.sample(EU_PRODUCTS[:-2], rng.randint(1, 4)):
            out.append(line([inv, sc, desc, rng.choice([1, 2, 3, 4, 6, 12, 24]), stamp,
                             cents_eu(cents), cust, country], ";"))
        if k == 3:  # an exact duplicate line, as the UCI file has
            out.append(out[-1])
        if k == 6:  # a price-0 line with no description / customer: neither purchase nor return
            out.append(line([inv, "22139", "", 56, stamp, "0,00", "", "United Kingdom"], ";"))
        if k == 8:  # the big-ticket manual line, "1.299,00"
            out.append(line([inv, "M", "Manual", 1, stamp, cents_eu(129900), cust, country], ";"))
        if k == 10:
            out.append(line([inv, "POST", "POSTAGE", 2, stamp, cents_eu(1800), cust, country], ";"))
            out.append(out[-2])  # a second exact duplicate, not adjacent
        if k in (4, 11):  # cancellations
            ccust, ccountry = rng.choice(EU_CUSTOMERS)
            out.append(line([f"C{inv + 1}", "D" if k == 4 else "22633",
                             "Discount" if k == 4 else "HAND WARMER UNION JACK",
                             -1 if k == 4 else -6, (t + timedelta(minutes=15)).strftime("%d.%m.%Y %H:%M"),
                             "27,50" if k == 4 else "1,85", ccust, ccountry], ";"))
            inv += 1
        inv += rng.randint(1, 40)
        t += timedelta(days=rng.randint(2, 9), minutes=rng.randint(-120, 240))
    write_lines(FIX / name, out)


gen_european()
p = FIX / "european_semicolon.csv"
df = pd.read_csv(p, sep=";", decimal=",", thousands=".", encoding="utf-8",
                 dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": str, "InvoiceDate": str})
when = pd.to_datetime(df["InvoiceDate"], format="%d.%m.%Y %H:%M")
assert (when.dt.day > 12).sum() >= 5 and (df["UnitPrice"] > 1000).any()
assert dup_mask([p]).sum() == 2
EXPECTED["european_semicolon.csv"] = figures(
    len(df), df["InvoiceNo"], df["CustomerID"], when, quantity=df["Quantity"],
    unit_price=df["UnitPrice"], dups=dup_mask([p]), expected_dups=2)

# ---------------------------------------------------------------- 4: thousands + currency


def gen_thousands_currency():
    name = "thousands_currency.csv"
    rng = rng_for(name)
    out = [line(["order_id", "customer_id", "order_date", "quantity", "amount"])]
    custs = [f"cus_{c}" for c in ["A7F3", "B21K", "C9Q0", "D4LM", "E8ZP", "F0RT", "G5HX"]]
    styles = ["${}", "£{}", "€{}", "USD {}", "{}", "{}"]
    d = date(2024, 3, 1)
    oid = 100231
    k = 0
    for i in range(15):
        cust = rng.choice(custs)
        for _ in range(rng.choice([1, 1, 2])):
            cents = rng.randint(350, 4000) if rng.random() < 0.7 else rng.randint(100000, 250000)
            if k == 0:
                cents = 123450
            num = f"{cents / 100:,.2f}"
            style = styles[k % len(styles)]
            txt = style.format(num)
            field = txt if re.fullmatch(r"[0-9.]+", txt) else '"' + txt + '"'
            out.append(",".join([str(oid), cust, d.isoformat(), str(rng.randint(1, 4)), field]))
            k += 1
        if i in (5, 11):
            rcust = rng.choice(custs)
            out.append(",".join([str(oid + 1), rcust, (d + timedelta(days=1)).isoformat(), "-1",
                                 '"(12.00)"' if i == 5 else '"(45.90)"']))
            oid += 1
        oid += rng.randint(1, 5)
        d += timedelta(days=rng.randint(0, 4))
    write_lines(FIX / name, out)


def parse_money(s):
    s = s.strip()
    neg = s.startswith("(") and s.endswith(")")
    if neg:
        s = s[1:-1].strip()
    for sym in ("USD", "$", "£", "€"):
        if s.startswith(sym):
            s = s[len(sym):].strip()
    v = float(s.replace(",", ""))
    return -v if neg else v


gen_thousands_currency()
p = FIX / "thousands_currency.csv"
df = pd.read_csv(p, sep=",", dtype={"order_id": str, "customer_id": str, "order_date": str},
                 converters={"amount": parse_money})
EXPECTED["thousands_currency.csv"] = figures(
    len(df), df["order_id"], df["customer_id"], pd.to_datetime(df["order_date"], format="%Y-%m-%d"),
    quantity=df["quantity"], amount=df["amount"], dups=dup_mask([p]))

# ---------------------------------------------------------------- 5: space thousands


def gen_space_thousands():
    name = "space_thousands.csv"
    rng = rng_for(name)
    out = [line(["order_id", "customer_id", "date", "amount"], ";")]
    custs = ["FR0012", "FR0047", "FR0103", "FR0158", "FR0231", "FR0307"]
    d = date(2023, 9, 4)
    for i in range(24):
        cents = rng.randint(990, 9990) if rng.random() < 0.6 else rng.randint(100000, 480000)
        if i == 9:
            cents = 123456789  # 1 234 567,89: two thousands groups
        if i == 17:
            cents = -1500  # negative amount, quantity 1: unit price < 0, neither purchase nor return
        out.append(line([f"CMD-{2023000 + 17 * i}", rng.choice(custs), d.isoformat(),
                         cents_eu(cents, " ")], ";"))
        d += timedelta(days=rng.randint(0, 5))
    write_lines(FIX / name, out)


gen_space_thousands()
p = FIX / "space_thousands.csv"
df = pd.read_csv(p, sep=";", decimal=",", thousands=" ",
                 dtype={"order_id": str, "customer_id": str, "date": str})
assert df["amount"].max() > 1_000_000
EXPECTED["space_thousands.csv"] = figures(
    len(df), df["order_id"], df["customer_id"], pd.to_datetime(df["date"], format="%Y-%m-%d"),
    amount=df["amount"], dups=dup_mask([p]))

# ---------------------------------------------------------------- 6, 7: CDNOW-like


def cdnow_records(name, n_customers, per_customer, n_repeats, n_zero):
    rng = rng_for(name)
    recs = []
    for c in range(1, n_customers + 1):
        d = date(1997, 1, 1) + timedelta(days=rng.randint(0, 80))
        for _ in range(rng.randint(*per_customer)):
            n = rng.randint(1, 5)
            recs.append([f"{c:05d}", d.strftime("%Y%m%d"), n, n * rng.randint(1000, 1600) + rng.randint(0, 99)])
            d += timedelta(days=rng.randint(1, 120))
            if d > date(1998, 6, 30):
                break
    for i in rng.sample(range(len(recs)), n_zero):
        recs[i][3] = 0
    for i in sorted(rng.sample([i for i, r in enumerate(recs) if r[3] > 0], n_repeats), reverse=True):
        recs.insert(i + 1, list(recs[i]))  # exact repeat, right after the original (kept)
    return recs


recs = cdnow_records("cdnow_like.csv", 8, (3, 6), 3, 2)
write_lines(FIX / "cdnow_like.csv", [line(["customer_id", "date", "number_of_cds", "dollar_value"])] +
            [line([c, d, n, money(v)]) for c, d, n, v in recs])
p = FIX / "cdnow_like.csv"
df = pd.read_csv(p, sep=",", dtype={"customer_id": str, "date": str})
assert dup_mask([p]).sum() >= 3 and (df["dollar_value"] == 0).sum() == 2
EXPECTED["cdnow_like.csv"] = figures(
    len(df), None, df["customer_id"], pd.to_datetime(df["date"], format="%Y%m%d"),
    quantity=df["number_of_cds"], amount=df["dollar_value"])

recs = cdnow_records("whitespace.txt", 6, (3, 6), 2, 0)
write_lines(FIX / "whitespace.txt", [" customer_id  date number_of_cds  dollar_value"] +
            [f" {c} {d} {n:>2} {v / 100:>7.2f}" for c, d, n, v in recs], eol="\r\n")
p = FIX / "whitespace.txt"
df = pd.read_csv(p, sep=r"\s+", dtype={"customer_id": str, "date": str})
assert list(df.columns) == ["customer_id", "date", "number_of_cds", "dollar_value"]
assert dup_mask([p], eol=b"\r\n").sum() == 2
EXPECTED["whitespace.txt"] = figures(
    len(df), None, df["customer_id"], pd.to_datetime(df["date"], format="%Y%m%d"),
    quantity=df["number_of_cds"], amount=df["dollar_value"])

# ---------------------------------------------------------------- 8: headerless


def gen_headerless():
    name = "headerless.csv"
    rng = rng_for(name)
    out = []
    d = date(2024, 1, 5)
    for _ in range(22):
        qn = rng.randint(1, 4)
        out.append(line([f"C00{rng.randint(1, 7)}", d.isoformat(), qn, money(qn * rng.choice([999, 1450, 2599, 499]))]))
        d += timedelta(days=rng.randint(0, 6))
    write_lines(FIX / name, out)


gen_headerless()
p = FIX / "headerless.csv"
names = ["customer_id", "date", "quantity", "amount"]
df = pd.read_csv(p, sep=",", header=None, names=names, dtype={"customer_id": str, "date": str})
EXPECTED["headerless.csv"] = {"refused_without_columns": True, "columns": names, **figures(
    len(df), None, df["customer_id"], pd.to_datetime(df["date"], format="%Y-%m-%d"),
    quantity=df["quantity"], amount=df["amount"])}

# ---------------------------------------------------------------- 9, 10, 11: month names


def simple_orders(name, n_lines, custs, start, step_days, order_fmt):
    """Lines of [customer, order, datetime, qty, price_cents]; orders of 1-3 lines."""
    rng = rng_for(name)
    recs, t, o = [], start, 0
    while len(recs) < n_lines:
        cust = rng.choice(custs)
        for price in rng.sample([165, 255, 295, 425, 495, 1250, 2500], rng.choice([1, 2, 3])):
            recs.append([cust, order_fmt(o), t, rng.randint(1, 12), price])
        o += 1
        t += timedelta(days=rng.randint(*step_days), hours=rng.randint(0, 5))
    return recs


def simple_read_figures(p, order_col, cust_col, date_col, qty_col, price_col, date_parse):
    df = pd.read_csv(p, sep=",", dtype={order_col: str, cust_col: str, date_col: str})
    when = date_parse(df[date_col])
    return df, figures(len(df), df[order_col], df[cust_col], when, quantity=df[qty_col],
                       unit_price=df[price_col], dups=dup_mask([p]))


recs = simple_orders("month_short.csv", 26, ["17850", "13047", "12583", "13748", "15100", "14688", "17809"],
                     datetime(2010, 12, 1, 8, 26), (3, 30), lambda o: str(536365 + 7 * o))
out = [line(["CustomerID", "InvoiceNo", "InvoiceDate", "Quantity", "UnitPrice"])]
for i, (c, o, t, qn, pc) in enumerate(recs):
    if i == 12:  # a cancellation: C-prefixed invoice, negative quantity
        out.append(line([c, "C" + o, t.strftime("%d-%b-%Y"), -qn, money(pc)]))
    out.append(line([c, o, t.strftime("%d-%b-%Y"), qn, money(pc)]))
write_lines(FIX / "month_short.csv", out)
df, EXPECTED["month_short.csv"] = simple_read_figures(
    FIX / "month_short.csv", "InvoiceNo", "CustomerID", "InvoiceDate", "Quantity", "UnitPrice",
    lambda s: pd.to_datetime(s, format="%d-%b-%Y"))
assert (pd.to_datetime(df["InvoiceDate"], format="%d-%b-%Y").dt.day > 12).sum() >= 3

recs = simple_orders("month_us.csv", 22, ["u-101", "u-102", "u-103", "u-104", "u-105", "u-106"],
                     datetime(2010, 12, 1), (2, 25), lambda o: f"SO-{5001 + o}")
out = [line(["customer_id", "order_id", "date", "quantity", "unit_price"])]
for c, o, t, qn, pc in recs:
    out.append(line([c, o, f"{t.strftime('%b')} {t.day}, {t.year}", qn, money(pc)]))
write_lines(FIX / "month_us.csv", out)
df, EXPECTED["month_us.csv"] = simple_read_figures(
    FIX / "month_us.csv", "order_id", "customer_id", "date", "quantity", "unit_price",
    lambda s: pd.to_datetime(s, format="%b %d, %Y"))
assert df["date"].str.contains(",").all()

recs = simple_orders("month_long.csv", 22, ["m01", "m02", "m03", "m04", "m05", "m06", "m07"],
                     datetime(2010, 12, 1), (15, 45), lambda o: f"{880100 + 3 * o}")
out = [line(["customer_id", "order_id", "date", "quantity", "unit_price"])]
for c, o, t, qn, pc in recs:
    out.append(line([c, o, f"{t.day} {t.strftime('%B')} {t.year}", qn, money(pc)]))
write_lines(FIX / "month_long.csv", out)
df, EXPECTED["month_long.csv"] = simple_read_figures(
    FIX / "month_long.csv", "order_id", "customer_id", "date", "quantity", "unit_price",
    lambda s: pd.to_datetime(s, format="%d %B %Y"))
assert df["date"].str.contains("September").any() and (~df["date"].str.match(r"\d\d ")).any()

# ---------------------------------------------------------------- 12: ISO 8601 with offsets


def gen_iso():
    name = "iso_offsets.csv"
    rng = rng_for(name)
    custs = ["a1", "b2", "c3", "d4", "e5", "f6"]
    # Local times chosen so the UTC calendar date differs from the local one at both ends.
    stamps = ["2024-03-01T01:00:00+03:00",  # = 2024-02-29 22:00Z (first)
              "2024-03-05T10:15:00Z", "2024-03-09T08:00:00.5+01:00", "2024-03-14T17:45:00-07:00",
              "2024-03-20T12:00:00.000+00:00", "2024-03-31T14:05:00.123+02:00",
              "2024-04-01T01:30:00+02:00",  # = 2024-03-31 23:30Z
              "2024-04-01T09:00:00Z", "2024-04-02T23:30:00-05:00",  # = 2024-04-03 04:30Z
              "2024-04-07T06:20:00+05:30", "2024-04-12T19:00:00-04:00", "2024-04-18T00:10:00+09:00",
              "2024-04-22T13:13:13.999Z", "2024-04-25T16:40:00+01:00",
              "2024-04-30T22:00:00-04:00"]  # = 2024-05-01 02:00Z (last)
    out = [line(["customer_id", "order_id", "date", "quantity", "unit_price"])]
    for i, s in enumerate(stamps):
        cust = custs[i % len(custs)] if i < 6 else rng.choice(custs)
        for price in rng.sample([1999, 4950, 899, 12000], rng.choice([1, 2])):
            out.append(line([cust, f"W{9000 + i}", s, rng.randint(1, 3), money(price)]))
        if i == 7:
            out.append(line([cust, f"W{9000 + i}R", s, -1, "19.99"]))
    write_lines(FIX / name, out)


gen_iso()
p = FIX / "iso_offsets.csv"
df = pd.read_csv(p, sep=",", dtype={"customer_id": str, "order_id": str, "date": str})
EXPECTED["iso_offsets.csv"] = figures(
    len(df), df["order_id"], df["customer_id"],
    to_utc_naive(pd.to_datetime(df["date"], format="ISO8601", utc=True)),
    quantity=df["quantity"], unit_price=df["unit_price"], dups=dup_mask([p]))
assert EXPECTED["iso_offsets.csv"]["first_date"] == "2024-02-29"
assert EXPECTED["iso_offsets.csv"]["last_date"] == "2024-05-01"

# ---------------------------------------------------------------- 13: epoch seconds / ms


def gen_epoch():
    rng = rng_for("epoch")
    custs = ["ep-1", "ep-2", "ep-3", "ep-4", "ep-5", "ep-6", "ep-7"]
    t = 1700000000  # 2023-11-14T22:13:20Z
    recs = []
    for i in range(22):
        if i % 2 == 0:
            cust = rng.choice(custs)
        recs.append([cust, f"E-{700 + i // 2}", t, rng.randint(1, 5),
                     money([250, 1099, 3999, 750][i % 4]), rng.randint(0, 999)])
        if i % 2 == 1:
            t += rng.randint(3600, 9 * 86400)
    recs[-1][2] = 1706745599  # 2024-01-31T23:59:59Z: last second of a UTC day
    header = ["customer_id", "order_id", "timestamp", "quantity", "unit_price"]
    write_lines(FIX / "epoch_seconds.csv", [line(header)] + [line([c, o, t, qn, pr]) for c, o, t, qn, pr, ms in recs])
    write_lines(FIX / "epoch_ms.csv", [line(header)] + [line([c, o, t * 1000 + ms, qn, pr]) for c, o, t, qn, pr, ms in recs])


gen_epoch()
for name, unit in [("epoch_seconds.csv", "s"), ("epoch_ms.csv", "ms")]:
    p = FIX / name
    df = pd.read_csv(p, sep=",", dtype={"customer_id": str, "order_id": str})
    EXPECTED[name] = figures(
        len(df), df["order_id"], df["customer_id"],
        to_utc_naive(pd.to_datetime(df["timestamp"], unit=unit, utc=True)),
        quantity=df["quantity"], unit_price=df["unit_price"], dups=dup_mask([p]))
assert EXPECTED["epoch_seconds.csv"] == EXPECTED["epoch_ms.csv"]

# ---------------------------------------------------------------- 14: M/D/YY


def gen_two_digit():
    name = "two_digit_years.csv"
    rng = rng_for(name)
    custs = ["tw1", "tw2", "tw3", "tw4", "tw5", "tw6"]
    days = [date(1969, 7, 20), date(1975, 4, 4), date(1985, 11, 19), date(1997, 3, 25), date(1999, 3, 25),
            date(1999, 12, 31), date(2000, 1, 1), date(2001, 9, 14), date(2005, 1, 5), date(2012, 2, 29),
            date(2023, 6, 15), date(2024, 12, 31)]
    out = [line(["customer_id", "order_id", "date", "quantity", "unit_price"])]
    for i, d in enumerate(days):
        cust = rng.choice(custs)
        for j in range(rng.choice([1, 2, 2])):
            out.append(line([cust, f"T{300 + i}", f"{d.month}/{d.day}/{d:%y}",
                             rng.randint(1, 3), money([500, 1275, 3300][(i + j) % 3])]))
    write_lines(FIX / name, out)


gen_two_digit()
p = FIX / "two_digit_years.csv"
df = pd.read_csv(p, sep=",", dtype={"customer_id": str, "order_id": str, "date": str})
when = pd.to_datetime(df["date"], format="%m/%d/%y")
assert (when.dt.day > 12).sum() >= 5
EXPECTED["two_digit_years.csv"] = figures(
    len(df), df["order_id"], df["customer_id"], when,
    quantity=df["quantity"], unit_price=df["unit_price"], dups=dup_mask([p]))
assert EXPECTED["two_digit_years.csv"]["first_date"] == "1969-07-20"
assert EXPECTED["two_digit_years.csv"]["last_date"] == "2024-12-31"

# ---------------------------------------------------------------- 15, 16: bad dates

GARBAGE = ["not a date", "??", "N/A", "TBD", "unknown", "2024-02-30", "0000-00-00", "2024-13-01", "#VALUE!"]


def gen_bad_dates(name, n, n_bad, return_line):
    rng = rng_for(name)
    custs = ["bd01", "bd02", "bd03", "bd04", "bd05", "bd06", "bd07", "bd08"]
    bad = set(rng.sample(range(n), n_bad))
    out = [line(["customer_id", "order_id", "date", "quantity", "unit_price"])]
    d = date(2024, 5, 2)
    for i in range(n):
        ds = rng.choice(GARBAGE) if i in bad else d.isoformat()
        qn = rng.randint(1, 4)
        oid = f"B{4000 + i}"
        if i == return_line:
            assert i not in bad
            qn, oid = -1, f"B{4000 + i}-R"
        out.append(line([custs[i % len(custs)], oid, ds, qn, money(rng.choice([1000, 2500, 799]))]))
        d += timedelta(days=rng.randint(0, 3))
    write_lines(FIX / name, out)


def read_bad_dates(name):
    p = FIX / name
    df = pd.read_csv(p, sep=",", dtype={"customer_id": str, "order_id": str, "date": str},
                     keep_default_na=False)
    when = pd.to_datetime(df["date"], format="%Y-%m-%d", errors="coerce")
    f = figures(len(df), df["order_id"], df["customer_id"], when,
                quantity=df["quantity"], unit_price=df["unit_price"], dups=dup_mask([p]))
    f["dropped_bad_date"] = int(when.isna().sum())
    return f


gen_bad_dates("bad_dates_most.csv", 40, 32, None)
f = read_bad_dates("bad_dates_most.csv")
assert f["dropped_bad_date"] == 32
EXPECTED["bad_dates_most.csv"] = {"refused": True, "with_allow_partial": f}

gen_bad_dates("bad_dates_some.csv", 50, 5, 20)
EXPECTED["bad_dates_some.csv"] = read_bad_dates("bad_dates_some.csv")
assert EXPECTED["bad_dates_some.csv"]["dropped_bad_date"] == 5

# ---------------------------------------------------------------- 17: Excel workbook

FIXED_ZIP_TIME = (2024, 1, 1, 0, 0, 0)


def save_workbook_deterministic(wb, path):
    wb.properties.creator = "segscope fixtures"
    wb.properties.created = datetime(2024, 1, 1)
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps 'modified' with now()
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>2024-01-01T00:00:00Z\g<2>", data)
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = info.external_attr
            dst.writestr(zi, data)
    path.write_bytes(out.getvalue())


def gen_xlsx():
    name = "online_retail.xlsx"
    rng = rng_for(name)
    wb = Workbook()
    ws = wb.active
    ws.title = "Online Retail"
    ws.append(["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
               "CustomerID", "Country"])
    inv, t = 536365, datetime(2010, 12, 1, 8, 26)
    custs = [17850.0, 13047.0, 12583.0, 13748.0, 15100.0, 15291.0, 14688.0]
    for k in range(11):
        cust = rng.choice(custs) if k not in (4,) else None  # UCI has lines with no CustomerID
        for sc, desc, cents in rng.sample(EU_PRODUCTS[:-3], rng.randint(1, 4)):
            stock = int(sc) if sc.isdigit() else sc  # numeric stock codes are numbers in the UCI file
            ws.append([inv, stock, desc, rng.choice([1, 2, 6, 12]), t, cents / 100, cust,
                       "United Kingdom" if cust != 12583.0 else "France"])
        if k == 5:  # cancellation: text InvoiceNo "C536379", negative quantity
            ws.append([f"C{inv + 1}", "D", "Discount", -1, t + timedelta(minutes=15), 27.5, 14527.0,
                       "United Kingdom"])
            inv += 1
        inv += rng.randint(1, 30)
        t += timedelta(days=rng.randint(1, 6), minutes=rng.randint(-90, 200))
    for row in ws.iter_rows(min_row=2, min_col=5, max_col=5):
        row[0].number_format = "m/d/yyyy h:mm"
    other = wb.create_sheet("Other")
    other.append(["customer_id", "date", "amount"])
    d = date(2022, 6, 1)
    for i in range(14):
        other.append([f"x{rng.randint(1, 6)}", d.isoformat(), rng.choice([5.5, 12.0, 19.99, 42.25, 100.0])])
        d += timedelta(days=rng.randint(1, 9))
    # Dates stored as bare serial numbers (no date format on the cells), as some exports do.
    serials = wb.create_sheet("Serials")
    serials.append(["customer_id", "order_id", "date", "amount"])
    serial = 44927.375  # 2023-01-01 09:00
    for i in range(12):
        serials.append([f"s{rng.randint(1, 5)}", f"S{i}", serial, rng.choice([7.5, 15.0, 22.25, 60.0])])
        serial += rng.randint(1, 20) + rng.choice([0.0, 0.25, 0.5])
    FIX.mkdir(parents=True, exist_ok=True)
    save_workbook_deterministic(wb, FIX / name)


gen_xlsx()
p = FIX / "online_retail.xlsx"
df = pd.read_excel(p, sheet_name="Online Retail", engine="openpyxl",
                   dtype={"InvoiceNo": str, "StockCode": str})
assert str(df["InvoiceDate"].dtype).startswith("datetime64") and df["CustomerID"].dtype == float
assert not df.duplicated().any()
EXPECTED["online_retail.xlsx"] = figures(
    len(df), df["InvoiceNo"], df["CustomerID"].map(lambda v: "" if pd.isna(v) else f"{v:.0f}"),
    df["InvoiceDate"], quantity=df["Quantity"], unit_price=df["UnitPrice"])
df = pd.read_excel(p, sheet_name="Other", engine="openpyxl", dtype={"customer_id": str, "date": str})
EXPECTED["online_retail.xlsx#Other"] = figures(
    len(df), None, df["customer_id"], pd.to_datetime(df["date"], format="%Y-%m-%d"), amount=df["amount"],
    fixture_size_check=False)  # a deliberately small second sheet

df = pd.read_excel(p, sheet_name="Serials", engine="openpyxl", dtype={"customer_id": str, "order_id": str})
assert df["date"].dtype == float  # plain numbers, not datetime cells
EXPECTED["online_retail.xlsx#Serials"] = figures(
    len(df), df["order_id"], df["customer_id"], pd.to_datetime(df["date"], unit="D", origin="1899-12-30"),
    amount=df["amount"], fixture_size_check=False)  # a deliberately small third sheet

# ---------------------------------------------------------------- 18, 19: Spark-style part folders


def spark_records():
    rng = rng_for("parts")
    recs = {"UK": [], "FR": []}
    custs = {"UK": ["uk-01", "uk-02", "uk-03", "uk-04", "uk-05"], "FR": ["fr-01", "fr-02", "fr-03"]}
    t = datetime(2024, 1, 5, 10, 15, tzinfo=timezone.utc)
    o = 10001
    for country, n_orders in [("UK", 9), ("FR", 6)]:
        for k in range(n_orders):
            cust = rng.choice(custs[country])
            for _ in range(rng.choice([1, 2])):
                recs[country].append([f"S-{o}", cust, f"P-{rng.randint(1, 40):03d}", t,
                                      rng.randint(1, 6), rng.choice([2.5, 9.99, 14.0, 35.5])])
            if country == "UK" and k == 4:
                r = recs[country][-1]
                recs[country].append([f"S-{o}", r[1], r[2], t + timedelta(days=2), -1, r[5]])
            o += 1
            t += timedelta(days=rng.randint(1, 8), hours=rng.randint(0, 12))
    return recs


SPARK_COLS = ["order_id", "customer_id", "product_id", "date", "quantity", "unit_price"]
recs = spark_records()
(FIX / "parts").mkdir(parents=True, exist_ok=True)
(FIX / "parts" / "_SUCCESS").write_bytes(b"")
for country, fname in [("UK", "part-00000-abc.snappy.parquet"), ("FR", "part-00000-def.snappy.parquet")]:
    cols = list(zip(*recs[country]))
    table = pa.table({
        "order_id": pa.array(cols[0], pa.string()),
        "customer_id": pa.array(cols[1], pa.string()),
        "product_id": pa.array(cols[2], pa.string()),
        "date": pa.array(cols[3], pa.timestamp("us", tz="UTC")),
        "quantity": pa.array(cols[4], pa.int64()),
        "unit_price": pa.array(cols[5], pa.float64()),
    })
    d = FIX / "parts" / f"country={country}"
    d.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, d / fname, compression="snappy")

(FIX / "csv_parts").mkdir(parents=True, exist_ok=True)
(FIX / "csv_parts" / "_SUCCESS").write_bytes(b"")
for country, fname in [("UK", "part-00000.csv"), ("FR", "part-00001.csv")]:
    write_lines(FIX / "csv_parts" / fname, [line(SPARK_COLS)] + [
        line([o, c, pr, t.strftime("%Y-%m-%dT%H:%M:%S.000Z"), qn, f"{up:.2f}"]) for o, c, pr, t, qn, up in recs[country]])

frames = []
for country, fname in [("UK", "part-00000-abc.snappy.parquet"), ("FR", "part-00000-def.snappy.parquet")]:
    part = pq.read_table(FIX / "parts" / f"country={country}" / fname).to_pandas()
    part["country"] = country  # the hive partition value, taken from the folder name
    frames.append(part)
df = pd.concat(frames, ignore_index=True)
assert not df.duplicated().any()
when = to_utc_naive(df["date"])
f = figures(len(df), df["order_id"], df["customer_id"], when, quantity=df["quantity"],
            unit_price=df["unit_price"])
f["by_country"] = {}
for country in ["FR", "UK"]:
    m = df["country"] == country
    f["by_country"][country] = figures(
        int(m.sum()), df["order_id"][m], df["customer_id"][m], when[m], quantity=df["quantity"][m],
        unit_price=df["unit_price"][m], fixture_size_check=False)["revenue"]
EXPECTED["parts"] = f

paths = [FIX / "csv_parts" / "part-00000.csv", FIX / "csv_parts" / "part-00001.csv"]
df = pd.concat([pd.read_csv(p, sep=",", dtype={"order_id": str, "customer_id": str, "product_id": str,
                                              "date": str}) for p in paths], ignore_index=True)
EXPECTED["csv_parts"] = figures(
    len(df), df["order_id"], df["customer_id"],
    pd.to_datetime(df["date"], format="%Y-%m-%dT%H:%M:%S.%fZ"),
    quantity=df["quantity"], unit_price=df["unit_price"], dups=dup_mask(paths))
assert {k: v for k, v in EXPECTED["parts"].items() if k != "by_country"} == EXPECTED["csv_parts"]

(HERE / "expected.json").write_text(json.dumps(EXPECTED, indent=2) + "\n", encoding="utf-8")
print(f"wrote {len(EXPECTED)} entries to {HERE / 'expected.json'}")
