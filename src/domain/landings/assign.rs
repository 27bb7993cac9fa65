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

/// The configured (line, agent) pairs and the choices for the settings page.
pub struct Settings {
    pub lines: Vec<(i64, String)>,
    /// Active agents: (id, name).
    pub agents: Vec<(i64, String)>,
    pub pairs: Vec<(i64, i64)>,
}

pub fn settings(conn: &mut PgConnection) -> QueryResult<Settings> {
    use crate::db::schema::lines_of_business;
    let lines = lines_of_business::table
        .order((lines_of_business::position, lines_of_business::name))
        .select((lines_of_business::id, lines_of_business::name))
        .load(conn)?;
    let agents = staff_users::table
        .filter(staff_users::active.eq(true))
        .filter(staff_users::role.eq("agent"))
        .order(staff_users::name)
        .select((staff_users::id, staff_users::name))
        .load(conn)?;
    let pairs = lead_agent_lines::table
        .select((lead_agent_lines::line_id, lead_agent_lines::staff_id))
        .load(conn)?;
    Ok(Settings {
        lines,
        agents,
        pairs,
    })
}

/// Replaces the configuration with `pairs` (line, agent), keeping only existing lines and
/// active agents; returns the pairs stored.
pub fn replace(conn: &mut PgConnection, pairs: &[(i64, i64)]) -> QueryResult<Vec<(i64, i64)>> {
    let current = settings(conn)?;
    let mut kept: Vec<(i64, i64)> = pairs
        .iter()
        .copied()
        .filter(|(line, agent)| {
            current.lines.iter().any(|(id, _)| id == line)
                && current.agents.iter().any(|(id, _)| id == agent)
        })
        .collect();
    kept.sort_unstable();
    kept.dedup();
    diesel::delete(lead_agent_lines::table).execute(conn)?;
    let rows: Vec<_> = kept
        .iter()
        .map(|(line, agent)| {
            (
                lead_agent_lines::line_id.eq(*line),
                lead_agent_lines::staff_id.eq(*agent),
            )
        })
        .collect();
    diesel::insert_into(lead_agent_lines::table)
        .values(rows)
        .execute(conn)?;
    Ok(kept)
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
