"""Runs docs/customer_table.sql (the README's DuckDB aggregation) on data/sample and stores the
customer-level table it writes, so tests can check segscope's features and segments against an
independent engine without needing Python. Regenerate (pip install duckdb):
    python tests/golden/customer_table/make_golden.py
"""
import os
import shutil
import tempfile
from pathlib import Path

import duckdb

repo = Path(__file__).resolve().parents[3]
sql = (repo / "docs" / "customer_table.sql").read_text()
with tempfile.TemporaryDirectory() as tmp:
    for name in ["Transactions.csv", "Products.csv", "Customers.csv"]:
        shutil.copy(repo / "data" / "sample" / name, Path(tmp) / name)
    con = duckdb.connect()
    con.execute(f"SET file_search_path = '{tmp}'")
    os.chdir(tmp)
    con.execute(sql)
    shutil.copy(Path(tmp) / "customers.parquet", Path(__file__).parent / "sample_customers.parquet")
    print(con.execute("SELECT count(*) FROM 'customers.parquet'").fetchone())
