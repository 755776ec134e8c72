//! Column roles: what each column of a dataset means, detected from header names and
//! overridable with `--map role=column`, so no layout needs a config file.

use std::collections::BTreeMap;

use crate::bail_input;

/// What a column means to the analysis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Customer,
    CustomerName,
    Order,
    Date,
    Quantity,
    UnitPrice,
    Amount,
    Product,
    ProductName,
    Category,
    Region,
    SignupDate,
}

impl Role {
    pub const ALL: [Role; 12] = [
        Role::Customer,
        Role::CustomerName,
        Role::Order,
        Role::Date,
        Role::Quantity,
        Role::UnitPrice,
        Role::Amount,
        Role::Product,
        Role::ProductName,
        Role::Category,
        Role::Region,
        Role::SignupDate,
    ];

    /// The role's name in `--map` and the name of its column in loaded frames.
    pub fn key(self) -> &'static str {
        match self {
            Role::Customer => "customer_id",
            Role::CustomerName => "customer_name",
            Role::Order => "order_id",
            Role::Date => "date",
            Role::Quantity => "quantity",
            Role::UnitPrice => "unit_price",
            Role::Amount => "amount",
            Role::Product => "product_id",
            Role::ProductName => "product_name",
            Role::Category => "category",
            Role::Region => "region",
            Role::SignupDate => "signup_date",
        }
    }

    /// Header spellings (lower-case, letters and digits only), best first.
    /// A data table, one arm per role: long because the lists are, not the logic.
    fn spellings(self) -> &'static [&'static str] {
        match self {
            Role::Customer => &[
                "customerid",
                "customer",
                "custid",
                "customerno",
                "customernumber",
                "clientid",
                "userid",
                "memberid",
                "accountid",
                "buyerid",
                // A bare "ID" (customer summaries such as lifetimes' CDNOW tables): last, so
                // any customer-named column wins.
                "id",
            ],
            Role::CustomerName => &["customername", "clientname", "fullname", "buyername"],
            Role::Order => &[
                "invoiceno",
                "invoice",
                "invoiceid",
                "invoicenumber",
                "orderid",
                "order",
                "orderno",
                "ordernumber",
                "transactionid",
                "receiptid",
                "basketid",
            ],
            Role::Date => &[
                "invoicedate",
                "transactiondate",
                "orderdate",
                "purchasedate",
                "date",
                "datetime",
                "timestamp",
                "orderdatetime",
                "saledate",
                "time",
            ],
            Role::Quantity => &[
                "quantity",
                "qty",
                "units",
                "quantityordered",
                "numberofcds",
                "numberofitems",
                "count",
            ],
            Role::UnitPrice => &["unitprice", "price", "priceeach", "itemprice", "unitcost"],
            Role::Amount => &[
                "totalvalue",
                "dollarvalue",
                "salesamount",
                "amount",
                "lineamount",
                "linetotal",
                "total",
                "totalprice",
                "totalamount",
                "revenue",
                "sales",
                "value",
                "netamount",
            ],
            Role::Product => &[
                "stockcode",
                "productid",
                "product",
                "sku",
                "itemid",
                "productcode",
                "itemcode",
                "article",
            ],
            Role::ProductName => &[
                "description",
                "productname",
                "itemname",
                "itemdescription",
                "productdescription",
                "title",
            ],
            Role::Category => &[
                "category",
                "productcategory",
                "categoryname",
                "department",
                "productline",
                "segment",
            ],
            Role::Region => &[
                "region",
                "country",
                "countryregion",
                "state",
                "market",
                "territory",
                "area",
            ],
            Role::SignupDate => &[
                "signupdate",
                "signup",
                "registrationdate",
                "registereddate",
                "joindate",
                "customersince",
                "createdat",
            ],
        }
    }

    /// Parses a role name given to `--map`, accepting a few everyday aliases.
    pub fn parse(name: &str) -> Option<Role> {
        let n = normalise(name);
        let alias = match n.as_str() {
            "customer" | "customerid" | "cust" => Some(Role::Customer),
            "customername" | "name" => Some(Role::CustomerName),
            "order" | "orderid" | "invoice" | "invoiceno" => Some(Role::Order),
            "date" | "orderdate" | "invoicedate" => Some(Role::Date),
            "quantity" | "qty" => Some(Role::Quantity),
            "unitprice" | "price" => Some(Role::UnitPrice),
            "amount" | "lineamount" | "total" | "revenue" => Some(Role::Amount),
            "product" | "productid" | "sku" | "stockcode" => Some(Role::Product),
            "productname" | "description" => Some(Role::ProductName),
            "category" => Some(Role::Category),
            "region" | "country" => Some(Role::Region),
            "signupdate" | "signup" => Some(Role::SignupDate),
            _ => None,
        };
        alias.or_else(|| Role::ALL.into_iter().find(|r| normalise(r.key()) == n))
    }
}

/// Header names are compared lower-case with everything but letters and digits removed, so
/// "Customer ID", "customer_id" and "CustomerID" are one spelling.
pub fn normalise(name: &str) -> String {
    name.trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A `--map role=column` override.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleOverride {
    pub role: Role,
    pub column: String,
}

/// Parses one `--map` value.
pub fn parse_override(arg: &str) -> anyhow::Result<RoleOverride> {
    let Some((role, column)) = arg.split_once('=') else {
        bail_input!("--map {arg:?}: expected ROLE=COLUMN, e.g. --map customer=\"Customer ID\"");
    };
    let Some(role) = Role::parse(role) else {
        let roles: Vec<&str> = Role::ALL.iter().map(|r| r.key()).collect();
        bail_input!(
            "--map {arg:?}: unknown role {role:?}; roles are {}",
            roles.join(", ")
        );
    };
    if column.trim().is_empty() {
        bail_input!("--map {arg:?}: the column name is empty");
    }
    Ok(RoleOverride {
        role,
        column: column.to_string(),
    })
}

/// Which source column plays which role in one file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleMap {
    map: BTreeMap<Role, String>,
    /// For a role chosen among several candidate columns: the best one not chosen.
    runner_up: BTreeMap<Role, String>,
}

/// Parts of a normalised header that suggest a role, with a score (exact spellings score
/// above any of these); `penalties` mark headers of another kind ("Ship Date", "Discount").
/// A data table, one arm per role: long because the lists are, not the logic.
fn hints(role: Role) -> (&'static [(&'static str, i32)], &'static [&'static str]) {
    match role {
        Role::Customer => (
            &[
                ("customerid", 90),
                ("custid", 80),
                ("clientid", 80),
                ("customerno", 80),
                ("customercode", 80),
                ("customerkey", 80),
                ("userid", 60),
                ("accountid", 60),
                ("buyerid", 60),
            ],
            &[],
        ),
        Role::CustomerName => (
            &[
                ("customername", 90),
                ("clientname", 80),
                ("buyername", 70),
                ("fullname", 60),
            ],
            &[],
        ),
        Role::Order => (
            &[
                ("invoiceno", 90),
                ("invoiceid", 90),
                ("orderid", 90),
                ("orderno", 85),
                ("ordernumber", 85),
                ("transactionid", 80),
                ("invoice", 70),
                ("receipt", 50),
                ("basket", 50),
            ],
            &["line", "item"],
        ),
        Role::Date => (
            &[
                ("orderdate", 95),
                ("invoicedate", 95),
                ("transactiondate", 95),
                ("purchasedate", 95),
                ("saledate", 90),
                ("date", 50),
                ("timestamp", 50),
                ("datetime", 50),
                ("time", 20),
            ],
            &[
                "ship", "deliver", "due", "birth", "signup", "regist", "created", "updated",
                "modified", "dispatch", "return",
            ],
        ),
        Role::Quantity => (
            &[
                ("quantity", 90),
                ("qty", 90),
                ("units", 70),
                ("numberof", 50),
                ("pieces", 50),
            ],
            &["price", "amount", "value"],
        ),
        Role::UnitPrice => (
            &[
                ("unitprice", 95),
                ("priceeach", 90),
                ("itemprice", 85),
                ("price", 60),
                ("unitcost", 50),
            ],
            &["total", "list"],
        ),
        Role::Amount => (
            &[
                ("totalvalue", 95),
                ("lineamount", 95),
                ("linetotal", 95),
                ("netamount", 90),
                ("amount", 80),
                ("sales", 75),
                ("revenue", 75),
                ("subtotal", 70),
                ("total", 60),
                ("value", 55),
                ("dollar", 50),
                ("spend", 50),
            ],
            &[
                "discount", "tax", "profit", "shipping", "cost", "quantity", "count",
            ],
        ),
        Role::Product => (
            &[
                ("stockcode", 95),
                ("productid", 95),
                ("productcode", 90),
                ("sku", 90),
                ("itemid", 85),
                ("itemcode", 85),
                ("article", 60),
                ("product", 50),
            ],
            &["name", "category", "description"],
        ),
        Role::ProductName => (
            &[
                ("productname", 95),
                ("itemname", 85),
                ("description", 80),
                ("title", 40),
            ],
            &[],
        ),
        Role::Category => (
            &[
                ("productcategory", 95),
                ("category", 90),
                ("department", 70),
                ("productline", 70),
            ],
            &["sub"],
        ),
        Role::Region => (
            &[
                ("region", 90),
                ("country", 85),
                ("territory", 60),
                ("state", 60),
                ("market", 50),
                ("area", 40),
            ],
            &[],
        ),
        Role::SignupDate => (
            &[
                ("signupdate", 95),
                ("registrationdate", 95),
                ("joindate", 90),
                ("customersince", 90),
                ("signup", 80),
                ("createdat", 60),
            ],
            &[],
        ),
    }
}

/// How well a normalised header fits a role: an exact spelling (1000 down, best first), else
/// the best part it contains less its penalties, else 0.
fn score(role: Role, header: &str) -> i32 {
    if let Some(i) = role.spellings().iter().position(|s| *s == header) {
        return 1000 - 10 * i as i32;
    }
    let (parts, penalties) = hints(role);
    let best = parts
        .iter()
        .filter(|(p, _)| header.contains(p))
        .map(|(_, s)| *s)
        .max()
        .unwrap_or(0);
    if best == 0 {
        return 0;
    }
    let penalty = if penalties.iter().any(|p| header.contains(p)) {
        45
    } else {
        0
    };
    (best - penalty).max(0)
}

impl RoleMap {
    pub fn get(&self, role: Role) -> Option<&str> {
        self.map.get(&role).map(String::as_str)
    }

    pub fn has(&self, role: Role) -> bool {
        self.map.contains_key(&role)
    }

    pub fn iter(&self) -> impl Iterator<Item = (Role, &str)> {
        self.map.iter().map(|(r, c)| (*r, c.as_str()))
    }

    /// The column a role passed over for its chosen one, if any competed.
    pub fn runner_up(&self, role: Role) -> Option<&str> {
        self.runner_up.get(&role).map(String::as_str)
    }

    /// Detects roles from `headers`. Overrides whose column is in this file win; the rest
    /// are matched by score (exact spellings first, then names that contain a role's word),
    /// best pair first, each header used for at most one role.
    pub fn detect(headers: &[String], overrides: &[RoleOverride]) -> RoleMap {
        let mut map = BTreeMap::new();
        let mut used = vec![false; headers.len()];
        for o in overrides {
            if let Some(i) = headers
                .iter()
                .position(|h| h == &o.column || h.trim() == o.column)
            {
                map.insert(o.role, headers[i].clone());
                used[i] = true;
            }
        }
        let normalised: Vec<String> = headers.iter().map(|h| normalise(h)).collect();
        let mut pairs: Vec<(i32, usize, usize)> = Vec::new();
        for (r, role) in Role::ALL.iter().enumerate() {
            for (i, h) in normalised.iter().enumerate() {
                let s = score(*role, h);
                if s > 0 {
                    pairs.push((s, r, i));
                }
            }
        }
        pairs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        for &(_, r, i) in &pairs {
            let role = Role::ALL[r];
            if used[i] || map.contains_key(&role) {
                continue;
            }
            map.insert(role, headers[i].clone());
            used[i] = true;
        }
        let mut runner_up = BTreeMap::new();
        for &(_, r, i) in &pairs {
            let role = Role::ALL[r];
            let chosen = map.get(&role);
            let taken_by_other = map
                .iter()
                .any(|(other, c)| *other != role && c == &headers[i]);
            if chosen.is_some_and(|c| c != &headers[i])
                && !taken_by_other
                && !runner_up.contains_key(&role)
            {
                runner_up.insert(role, headers[i].clone());
            }
        }
        RoleMap { map, runner_up }
    }

    /// With no customer id column, the customer name column identifies customers: its
    /// column, so the caller can say so.
    pub fn name_as_id(&mut self) -> Option<String> {
        if self.has(Role::Customer) {
            return None;
        }
        let name = self.map.remove(&Role::CustomerName)?;
        self.map.insert(Role::Customer, name.clone());
        Some(name)
    }

    /// One note per role chosen over a competing column, naming the `--map` for the other.
    pub fn notes(&self, file: &str) -> Vec<String> {
        self.runner_up
            .iter()
            .filter_map(|(role, other)| {
                let chosen = self.get(*role)?;
                Some(format!(
                    "{file}: {} is {chosen:?}, not {other:?} (use --map {}={other:?} for the other)",
                    role.key(),
                    role.key()
                ))
            })
            .collect()
    }
}

/// Checks that every `--map` column exists in at least one of the files read.
pub fn check_overrides(
    overrides: &[RoleOverride],
    files: &[(&str, &[String])],
) -> anyhow::Result<()> {
    for o in overrides {
        let found = files
            .iter()
            .any(|(_, hs)| hs.iter().any(|h| h == &o.column || h.trim() == o.column));
        if !found {
            let listing: Vec<String> = files
                .iter()
                .map(|(name, hs)| format!("{name}: {}", hs.join(", ")))
                .collect();
            bail_input!(
                "--map {}={}: no column named {:?} (columns found: {})",
                o.role.key(),
                o.column,
                o.column,
                listing.join("; ")
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(list: &str) -> Vec<String> {
        list.split(',').map(str::to_string).collect()
    }

    #[test]
    fn uci_online_retail_spelling() {
        let m = RoleMap::detect(
            &headers(
                "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country",
            ),
            &[],
        );
        assert_eq!(m.get(Role::Order), Some("InvoiceNo"));
        assert_eq!(m.get(Role::Product), Some("StockCode"));
        assert_eq!(m.get(Role::ProductName), Some("Description"));
        assert_eq!(m.get(Role::Quantity), Some("Quantity"));
        assert_eq!(m.get(Role::Date), Some("InvoiceDate"));
        assert_eq!(m.get(Role::UnitPrice), Some("UnitPrice"));
        assert_eq!(m.get(Role::Customer), Some("CustomerID"));
        assert_eq!(m.get(Role::Region), Some("Country"));
        assert!(!m.has(Role::Amount));
    }

    #[test]
    fn online_retail_ii_spelling() {
        let m = RoleMap::detect(
            &headers(
                "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country",
            ),
            &[],
        );
        assert_eq!(m.get(Role::Order), Some("Invoice"));
        assert_eq!(m.get(Role::UnitPrice), Some("Price"));
        assert_eq!(m.get(Role::Customer), Some("Customer ID"));
    }

    #[test]
    fn ecommerce_and_snake_case_spellings() {
        let m = RoleMap::detect(
            &headers(
                "\u{feff}TransactionID,CustomerID,ProductID,TransactionDate,Quantity,TotalValue,Price",
            ),
            &[],
        );
        assert_eq!(m.get(Role::Order), Some("\u{feff}TransactionID"));
        assert_eq!(m.get(Role::Amount), Some("TotalValue"));
        assert_eq!(m.get(Role::UnitPrice), Some("Price"));
        let s = RoleMap::detect(
            &headers(
                "order_id,customer_id,order_date,quantity,unit_price,amount,product_id,category,region,country",
            ),
            &[],
        );
        assert_eq!(s.get(Role::Order), Some("order_id"));
        assert_eq!(s.get(Role::Date), Some("order_date"));
        assert_eq!(s.get(Role::UnitPrice), Some("unit_price"));
        assert_eq!(s.get(Role::Amount), Some("amount"));
        assert_eq!(s.get(Role::Category), Some("category"));
        // "region" outranks "country"; each header plays one role.
        assert_eq!(s.get(Role::Region), Some("region"));
    }

    #[test]
    fn overrides_win_and_free_the_header() {
        let o = vec![
            parse_override("customer=buyer").unwrap(),
            parse_override("date=when").unwrap(),
        ];
        let m = RoleMap::detect(&headers("buyer,when,customer_id,amount"), &o);
        assert_eq!(m.get(Role::Customer), Some("buyer"));
        assert_eq!(m.get(Role::Date), Some("when"));
    }

    #[test]
    fn override_parsing_errors_name_the_flag() {
        let e = parse_override("nonsense").unwrap_err().to_string();
        assert!(e.contains("--map") && e.contains("ROLE=COLUMN"), "{e}");
        let e = parse_override("colour=x").unwrap_err().to_string();
        assert!(
            e.contains("unknown role") && e.contains("customer_id"),
            "{e}"
        );
        assert_eq!(
            parse_override("price=UnitPrice").unwrap().role,
            Role::UnitPrice
        );
        assert_eq!(parse_override("country=Land").unwrap().role, Role::Region);
    }

    #[test]
    fn scores_prefer_the_order_date_and_name_the_runner_up() {
        let m = RoleMap::detect(
            &headers(
                "Row ID,Order ID,Ship Date,Order Date,Customer ID,Segment,Category,Sub-Category,Sales,Discount,Profit,Quantity",
            ),
            &[],
        );
        assert_eq!(m.get(Role::Date), Some("Order Date"));
        assert_eq!(m.runner_up(Role::Date), Some("Ship Date"));
        assert_eq!(m.get(Role::Amount), Some("Sales"));
        assert_eq!(m.get(Role::Category), Some("Category"));
        assert_eq!(m.get(Role::Order), Some("Order ID"));
        assert!(
            m.notes("f.csv")
                .iter()
                .any(|n| n.contains("--map date=\"Ship Date\""))
        );
        let cdnow = RoleMap::detect(&headers("customer_id,date,number_of_cds,dollar_value"), &[]);
        assert_eq!(cdnow.get(Role::Quantity), Some("number_of_cds"));
        assert_eq!(cdnow.get(Role::Amount), Some("dollar_value"));
        // Words the role's hints contain, less a penalty for another kind's words.
        let fuzzy = RoleMap::detect(
            &headers("Buyer Ref,Purchase Timestamp,Net Sales EUR,Tax Amount"),
            &[],
        );
        assert_eq!(fuzzy.get(Role::Amount), Some("Net Sales EUR"));
        assert_eq!(fuzzy.get(Role::Date), Some("Purchase Timestamp"));
        assert!(!fuzzy.has(Role::Customer), "a reference is not an id");
    }
}
