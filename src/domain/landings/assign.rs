//! Automatic assignment of new leads: round robin among the active agents of the lead's line
//! (table `lead_agent_lines`), or among every active agent when the line has none configured.
//! Each agent has a turn row per pool (`lead_turns`, when they last got a lead); the next lead
//! goes to the agent who has waited longest among the rows no other submission is holding, so
//! two leads arriving at once go to two different agents, and neither waits for the other's
//! commit (one shared cursor row made every landing form queue behind the previous one).
//! When every agent's row is held (more leads arriving at once than there are agents), the
//! lead goes to an agent drawn at random from the pool and the turns stay as they are: waiting
//! for a row meant waiting for that submission's commit, so a burst of forms went through one
//! commit at a time per agent (330 leads/s with two agents, every backend queued on
//! `lead_turns`); drawn at random, the extra leads of a burst still spread evenly.

use diesel::prelude::*;

use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text};

use crate::db::schema::{lead_agent_lines, staff_users};

/// The agent who takes the next lead of `line_id`, if there is any active agent at all.
pub fn next_agent(conn: &mut PgConnection, line_id: Option<i64>) -> QueryResult<Option<i64>> {
    Ok(next_agent_with_contact(conn, line_id)?.map(|agent| agent.id))
}

/// An agent given a lead, with what the notice to them needs.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Agent {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub email: String,
    #[diesel(sql_type = Text)]
    pub name: String,
}

#[derive(QueryableByName)]
struct Candidate {
    #[diesel(embed)]
    agent: Agent,
    /// Configured for the lead's line.
    #[diesel(sql_type = Bool)]
    on_line: bool,
    /// Has a turn row in the line's pool, and in the pool of all agents.
    #[diesel(sql_type = Bool)]
    line_turn: bool,
    #[diesel(sql_type = Bool)]
    all_turn: bool,
}

/// [`next_agent`] with the agent's e-mail and name. The active agents, whether each works the
/// line and has its turn rows, come in one statement (a landing form's transaction is a chain
/// of round trips, each a sleep and a wake-up of the thread); the turn rows are written only
/// for agents new to the pool.
pub fn next_agent_with_contact(
    conn: &mut PgConnection,
    line_id: Option<i64>,
) -> QueryResult<Option<Agent>> {
    let line_pool = line_id.map(|line| format!("line:{line}"));
    let agents: Vec<Candidate> = diesel::sql_query(
        "SELECT s.id, s.email, s.name, \
                EXISTS (SELECT 1 FROM lead_agent_lines l \
                        WHERE l.staff_id = s.id AND l.line_id = $1) AS on_line, \
                EXISTS (SELECT 1 FROM lead_turns t \
                        WHERE t.pool = $2 AND t.staff_id = s.id) AS line_turn, \
                EXISTS (SELECT 1 FROM lead_turns t \
                        WHERE t.pool = 'all' AND t.staff_id = s.id) AS all_turn \
         FROM staff_users s WHERE s.active AND s.role = 'agent' ORDER BY s.id",
    )
    .bind::<Nullable<BigInt>, _>(line_id)
    .bind::<Nullable<Text>, _>(&line_pool)
    .load(conn)?;
    let on_line = agents.iter().any(|a| a.on_line);
    let (pool, candidates): (String, Vec<&Candidate>) = match line_pool {
        Some(pool) if on_line => (pool, agents.iter().filter(|a| a.on_line).collect()),
        _ => ("all".to_owned(), agents.iter().collect()),
    };
    if candidates.is_empty() {
        return Ok(None);
    }
    let has_turn = |a: &Candidate| if on_line { a.line_turn } else { a.all_turn };
    let ids: Vec<i64> = candidates.iter().map(|a| a.agent.id).collect();
    if !candidates.iter().all(|a| has_turn(a)) {
        // Only the missing ones are inserted: the unique check of an insert would wait for a
        // submission in flight that holds an existing row.
        diesel::sql_query(
            "INSERT INTO lead_turns (pool, staff_id) \
             SELECT $1, c FROM unnest($2::bigint[]) AS c \
             WHERE NOT EXISTS (SELECT 1 FROM lead_turns t WHERE t.pool = $1 AND t.staff_id = c) \
             ON CONFLICT DO NOTHING",
        )
        .bind::<Text, _>(&pool)
        .bind::<Array<BigInt>, _>(&ids)
        .execute(conn)?;
    }
    // The longest-waiting free agent; if every one is held by a submission in flight, one
    // drawn at random (see the module's comment).
    let chosen = match take_turn(conn, &pool, &ids)? {
        Some(taken) => candidates.iter().find(|a| a.agent.id == taken),
        None => {
            let draw =
                u64::from_le_bytes(crate::util::random_bytes(8).try_into().unwrap_or([0; 8]));
            candidates.get((draw % candidates.len() as u64) as usize)
        }
    };
    Ok(chosen.map(|a| a.agent.clone()))
}

#[derive(QueryableByName)]
struct Turn {
    #[diesel(sql_type = BigInt)]
    staff_id: i64,
}

fn take_turn(conn: &mut PgConnection, pool: &str, candidates: &[i64]) -> QueryResult<Option<i64>> {
    // Never given a lead first, then the longest ago; ties (new agents) by id, as before.
    let turn: Option<Turn> = diesel::sql_query(
        "UPDATE lead_turns SET last_assigned_at = clock_timestamp() \
         WHERE (pool, staff_id) = ( \
             SELECT pool, staff_id FROM lead_turns \
             WHERE pool = $1 AND staff_id = ANY($2) \
             ORDER BY last_assigned_at NULLS FIRST, staff_id LIMIT 1 \
             FOR UPDATE SKIP LOCKED) \
         RETURNING staff_id",
    )
    .bind::<Text, _>(pool)
    .bind::<Array<BigInt>, _>(candidates)
    .get_result(conn)
    .optional()?;
    Ok(turn.map(|t| t.staff_id))
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
