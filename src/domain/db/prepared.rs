//! Statements PostgreSQL keeps prepared, and how their plans stay put.
//!
//! Diesel prepares a statement once per connection and reuses it, unless some part of it says
//! its SQL may change between calls: every `sql::<T>(…)` fragment and every `sql_query` says
//! so, even when its text is a constant. Such a statement is sent unnamed, parsed and planned
//! on every call. For the pages read most (the dashboard's tasks and counts, a customer's
//! timeline) that was most of the statement's time: the timeline's ten-branch union spent
//! 0.18 ms parsing and 0.53 ms planning to run in 0.09 ms.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};

/// A statement Diesel keeps prepared although it holds SQL fragments: for queries whose
/// fragments are constant text (`sql::<T>("count(*) OVER ()")`, a `const` query given to
/// `sql_query`), so that the same SQL always means the same statement. Never for a fragment
/// built from data: that text would be prepared and kept once per value.
#[derive(Debug)]
pub struct Prepared<Q>(pub Q);

impl<Q> QueryId for Prepared<Q> {
    // Kept by its SQL text.
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Prepared<Q> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(out)
    }

    fn is_safe_to_cache_prepared(&self, _: &Pg) -> QueryResult<bool> {
        // Its fragments are constants (the type's contract).
        Ok(true)
    }
}

impl<Q: Query> Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}

impl<Q> RunQueryDsl<PgConnection> for Prepared<Q> {}

/// `<query> LIMIT n`, the page size written into the statement rather than bound.
///
/// Diesel binds a `.limit()`, and PostgreSQL plans a prepared statement with `LIMIT $1` anew on
/// every execution: its generic plan, made without the value, assumes the limit keeps a tenth
/// of the rows, so it always looks dearer than a plan made for 51. For a page joining several
/// tables that planning is most of the statement (the commissions page: 2.0 of 2.4 ms at
/// 100,000 customers). Written into the SQL, the limit is part of the statement Diesel keeps,
/// and after its first executions PostgreSQL reuses one plan. Only for statements without
/// SQL fragments (those Diesel does not keep; see [`Prepared`]) and whose other parameters do
/// not change the best plan much.
#[derive(Debug)]
pub struct FixedLimit<Q>(pub Q, pub i64);

impl<Q> QueryId for FixedLimit<Q> {
    // Kept by its SQL text, which holds the limit.
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for FixedLimit<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(out.reborrow())?;
        out.push_sql(" LIMIT ");
        out.push_sql(&self.1.to_string());
        Ok(())
    }
}

impl<Q: Query> Query for FixedLimit<Q> {
    type SqlType = Q::SqlType;
}

impl<Q> RunQueryDsl<PgConnection> for FixedLimit<Q> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::schema::commissions;

    #[test]
    fn a_fixed_limit_is_written_into_the_statement_not_bound() {
        let query = FixedLimit(commissions::table.select(commissions::id).into_boxed(), 51);
        let sql = diesel::debug_query::<Pg, _>(&query).to_string();
        assert!(sql.ends_with("LIMIT 51 -- binds: []"), "{sql}");
    }

    #[test]
    fn a_prepared_statement_with_constant_fragments_is_kept() {
        let with_fragment = commissions::table
            .select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "count(*) OVER ()",
            ))
            .into_boxed();
        assert!(!QueryFragment::<Pg>::is_safe_to_cache_prepared(&with_fragment, &Pg).unwrap());
        assert!(
            Prepared(with_fragment)
                .is_safe_to_cache_prepared(&Pg)
                .unwrap()
        );
        let text = diesel::sql_query("SELECT 1");
        assert!(Prepared(text).is_safe_to_cache_prepared(&Pg).unwrap());
    }
}
