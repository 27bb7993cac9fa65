//! Domain events (the outbox of DOMAIN.md): `quote.accepted`, `lead.created`, ... written in the
//! same transaction as the change they describe, so an event exists exactly when the change
//! committed. Consumers mark them processed.

use diesel::prelude::*;
use serde_json::Value;

use crate::db::schema::domain_events;

/// Records `kind` (e.g. `"claim.created"`) for one entity; call inside the change's transaction.
pub fn publish(
    conn: &mut PgConnection,
    kind: &str,
    entity_type: &str,
    entity_id: i64,
    payload: Value,
) -> QueryResult<i64> {
    diesel::insert_into(domain_events::table)
        .values((
            domain_events::kind.eq(kind),
            domain_events::entity_type.eq(entity_type),
            domain_events::entity_id.eq(entity_id),
            domain_events::payload.eq(payload),
        ))
        .returning(domain_events::id)
        .get_result(conn)
}

/// The events of one entity, oldest first: what happened to it, as the workflows saw it.
pub fn of_entity(
    conn: &mut PgConnection,
    entity_type: &str,
    entity_id: i64,
) -> QueryResult<Vec<(String, Value)>> {
    domain_events::table
        .filter(domain_events::entity_type.eq(entity_type))
        .filter(domain_events::entity_id.eq(entity_id))
        .order(domain_events::id)
        .select((domain_events::kind, domain_events::payload))
        .load(conn)
}
