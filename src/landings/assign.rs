//! Automatic assignment of new leads: round robin among the active agents of the lead's line
//! (table `lead_agent_lines`), or among every active agent when the line has none configured.
//! The rotation's cursor row is locked while choosing, so two leads arriving at once go to
//! two different agents instead of both reading the same "last agent".

use diesel::prelude::*;

use crate::db::schema::{lead_agent_lines, lead_rotation, staff_users};

/// The agent who takes the next lead of `line_id`, if there is any active agent at all.
pub fn next_agent(conn: &mut PgConnection, line_id: Option<i64>) -> QueryResult<Option<i64>> {
    let mut pool = "all".to_owned();
    let mut candidates: Vec<i64> = Vec::new();
    if let Some(line) = line_id {
        candidates = lead_agent_lines::table
            .inner_join(staff_users::table)
            .filter(lead_agent_lines::line_id.eq(line))
            .filter(staff_users::active.eq(true))
            .filter(staff_users::role.eq("agent"))
            .order(staff_users::id)
            .select(staff_users::id)
            .load(conn)?;
        if !candidates.is_empty() {
            pool = format!("line:{line}");
        }
    }
    if candidates.is_empty() {
        candidates = staff_users::table
            .filter(staff_users::active.eq(true))
            .filter(staff_users::role.eq("agent"))
            .order(staff_users::id)
            .select(staff_users::id)
            .load(conn)?;
    }
    if candidates.is_empty() {
        return Ok(None);
    }
    diesel::insert_into(lead_rotation::table)
        .values(lead_rotation::pool.eq(&pool))
        .on_conflict_do_nothing()
        .execute(conn)?;
    let last: Option<i64> = lead_rotation::table
        .find(&pool)
        .select(lead_rotation::last_staff_id)
        .for_update()
        .first(conn)?;
    let next = choose(&candidates, last);
    diesel::update(lead_rotation::table.find(&pool))
        .set(lead_rotation::last_staff_id.eq(next))
        .execute(conn)?;
    Ok(Some(next))
}

/// The first candidate after `last` (by id), wrapping around. `candidates` is sorted and
/// not empty.
fn choose(candidates: &[i64], last: Option<i64>) -> i64 {
    last.and_then(|last| candidates.iter().copied().find(|id| *id > last))
        .unwrap_or(candidates[0])
}

#[cfg(test)]
mod tests {
    use super::choose;

    #[test]
    fn rotation_wraps_around_and_skips_gone_agents() {
        assert_eq!(choose(&[3, 5, 9], None), 3);
        assert_eq!(choose(&[3, 5, 9], Some(3)), 5);
        assert_eq!(choose(&[3, 5, 9], Some(9)), 3);
        assert_eq!(choose(&[3, 5, 9], Some(4)), 5);
    }
}
