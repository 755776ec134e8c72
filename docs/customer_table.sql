-- One row per customer with segscope's rfm+ features, from an eCommerce Transactions folder
-- (Transactions.csv, Products.csv, Customers.csv), written to customers.parquet.
-- DuckDB: run in the data folder with `duckdb < customer_table.sql`. For Spark SQL, read the three
-- files into views of the same names and replace epoch(a - b) with
-- unix_timestamp(a) - unix_timestamp(b); the rest is the same.
COPY (
  WITH lines AS (
    SELECT DISTINCT
      trim(TransactionID) AS order_id,
      nullif(trim(CustomerID), '') AS customer_id,
      trim(ProductID) AS product_id,
      try_cast(trim(TransactionDate) AS TIMESTAMP) AS ts,
      try_cast(Quantity AS DOUBLE) AS quantity,
      try_cast(TotalValue AS DOUBLE) AS amount,
      try_cast(Price AS DOUBLE) AS price
    FROM read_csv('Transactions.csv', header = true, all_varchar = true)
  ),
  purchases AS (
    SELECT l.*, p.category
    FROM lines l
    LEFT JOIN (
      SELECT trim(ProductID) AS product_id, any_value(trim(Category)) AS category
      FROM read_csv('Products.csv', header = true, all_varchar = true)
      GROUP BY 1
    ) p USING (product_id)
    WHERE ts IS NOT NULL AND quantity > 0 AND price > 0 AND isfinite(amount)
      AND NOT regexp_matches(order_id, '^[Cc][0-9]')
  ),
  returned AS (
    SELECT customer_id, sum(abs(amount)) AS returned
    FROM lines
    WHERE ts IS NOT NULL AND (quantity < 0 OR regexp_matches(order_id, '^[Cc][0-9]'))
    GROUP BY 1
  ),
  signup AS (
    SELECT trim(CustomerID) AS customer_id,
           any_value(try_cast(trim(SignupDate) AS TIMESTAMP)) AS signup
    FROM read_csv('Customers.csv', header = true, all_varchar = true)
    GROUP BY 1
  ),
  reference AS (SELECT max(ts) AS ref FROM purchases)
  SELECT
    customer_id,
    floor(epoch(ref - max(ts)) / 86400) AS recency_days,
    count(DISTINCT order_id) AS frequency,
    sum(amount) - coalesce(any_value(returned), 0) AS monetary,
    sum(amount) / count(DISTINCT order_id) AS avg_order_value,
    floor(epoch(ref - coalesce(any_value(signup), min(ts))) / 86400) AS tenure_days,
    count(DISTINCT category) AS distinct_categories
  FROM purchases
  CROSS JOIN reference
  LEFT JOIN returned USING (customer_id)
  LEFT JOIN signup USING (customer_id)
  WHERE customer_id IS NOT NULL
  GROUP BY customer_id, ref
  ORDER BY customer_id
) TO 'customers.parquet' (FORMAT parquet);
