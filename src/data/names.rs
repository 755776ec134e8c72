//! Customer names by id: the one lookup the card, the lookalike lists and the member exports
//! share, so a name shown in one place is the name shown in all.

use anyhow::Result;
use polars::prelude::*;

use super::Dataset;

impl Dataset {
    /// The name of each of `ids` (sorted, as features and the index keep them), where the data
    /// has a name column; `None` for a customer without one.
    pub fn customer_names(&self, ids: &[String]) -> Result<Vec<Option<String>>> {
        let mut names = vec![None; ids.len()];
        let Some(customers) = &self.customers else {
            return Ok(names);
        };
        let schema = customers.clone().collect_schema()?;
        if schema.get("customer_name").is_none() {
            return Ok(names);
        }
        let c = customers
            .clone()
            .select([col("customer_id"), col("customer_name")])
            .collect()?;
        let found = c.column("customer_id")?.str()?.clone();
        let spelled = c.column("customer_name")?.cast(&DataType::String)?;
        for (id, name) in found.iter().zip(spelled.str()?.iter()) {
            if let (Some(id), Some(name)) = (id, name)
                && let Ok(i) = ids.binary_search_by(|x| x.as_str().cmp(id))
            {
                names[i] = Some(name.to_string());
            }
        }
        Ok(names)
    }
}
