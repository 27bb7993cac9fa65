//! Demo claims in every state, with their timeline, and tasks for the demo staff.

use diesel::prelude::*;

use super::rng::XorShift;

/// Demo claims (about 40, in every state, with their timeline and amounts) over the demo
/// policies, and about 30 tasks for the demo staff. Does nothing when there are no policies
/// yet or when claims already exist.
pub fn demo_claims_and_tasks(conn: &mut PgConnection) -> anyhow::Result<()> {
    use chrono::{Datelike, Duration, NaiveDate, Utc};

    use crate::claims::{ClaimStatus, KINDS};
    use crate::db::schema::{
        claim_events, claims, lines_of_business, policies, staff_users, tasks,
    };

    let existing: i64 = claims::table.count().get_result(conn)?;
    if existing > 0 {
        return Ok(());
    }
    let today = Utc::now().with_timezone(&crate::time::ZONE).date_naive();
    let policy_rows: Vec<(i64, i64, NaiveDate, NaiveDate, String)> = policies::table
        .inner_join(lines_of_business::table)
        .filter(policies::start_date.le(today))
        .order(policies::id)
        .select((
            policies::id,
            policies::customer_id,
            policies::start_date,
            policies::end_date,
            lines_of_business::code,
        ))
        .limit(200)
        .load(conn)?;
    if policy_rows.is_empty() {
        return Ok(());
    }
    let staff: Vec<(i64, String)> = staff_users::table
        .filter(staff_users::active.eq(true))
        .order(staff_users::id)
        .select((staff_users::id, staff_users::role))
        .load(conn)?;
    let handlers: Vec<i64> = staff
        .iter()
        .filter(|(_, role)| matches!(role.as_str(), "admin" | "supervisor" | "claims"))
        .map(|(id, _)| *id)
        .collect();
    let mut rng = XorShift(0x5EED_C1A1_u64);
    // The path each claim walks, ending in the state it is left in.
    use ClaimStatus::*;
    let paths: [&[ClaimStatus]; 7] = [
        &[Open],
        &[Open, InProgress],
        &[Open, InProgress, Assessed],
        &[Open, InProgress, Assessed, Accepted],
        &[Open, InProgress, Assessed, Rejected],
        &[Open, InProgress, Assessed, Accepted, Paid],
        &[Open, InProgress, Assessed, Accepted, Paid, Closed],
    ];
    let places = [
        "Madrid",
        "Alcalá de Henares",
        "Getafe",
        "Toledo",
        "Guadalajara",
        "Móstoles",
    ];
    let mut numbers_by_year: std::collections::HashMap<i32, u32> = Default::default();
    let mut claim_ids = Vec::new();
    for i in 0..40usize {
        let (policy_id, customer_id, start, end, ref line) = policy_rows[i % policy_rows.len()];
        let last = end.min(today);
        let span = (last - start).num_days().max(0) as u64;
        let incident = last - Duration::days(rng.below(span.min(300) + 1) as i64);
        let path = paths[i % paths.len()];
        let opened_day = (incident + Duration::days(rng.below(4) as i64)).min(today);
        let opened_at =
            crate::time::day_start(opened_day) + Duration::hours(9 + rng.below(9) as i64);
        let year = opened_day.year();
        let sequence = numbers_by_year.entry(year).or_insert(0);
        *sequence += 1;
        let number = format!("SIN-{year}-{:06}", *sequence);
        let incidents = incidents_for(line);
        let (kind, description) = incidents[rng.below(incidents.len() as u64) as usize];
        debug_assert!(KINDS.iter().any(|(code, _)| *code == kind));
        let claimed = 20_000 + rng.below(600_000) as i64;
        let reached = |s: ClaimStatus| path.contains(&s);
        let accepted = reached(Accepted).then(|| claimed - claimed * rng.below(30) as i64 / 100);
        let paid = if reached(Paid) { accepted } else { None };
        let status = *path.last().unwrap_or(&Open);
        let handler = if handlers.is_empty() || (status == Open && i % 2 == 0) {
            None
        } else {
            Some(handlers[i % handlers.len()])
        };
        // Each step a few days after the previous one, never in the future.
        let now = Utc::now();
        let mut at = opened_at;
        let mut steps = Vec::new();
        for (n, step) in path.iter().enumerate() {
            if n > 0 {
                at = (at + Duration::days(1 + rng.below(6) as i64)).min(now);
            }
            steps.push((*step, at));
        }
        let closed_at = reached(Closed).then_some(at);
        let id: i64 = diesel::insert_into(claims::table)
            .values((
                claims::number.eq(&number),
                claims::policy_id.eq(policy_id),
                claims::customer_id.eq(customer_id),
                claims::incident_date.eq(incident),
                claims::kind.eq(kind),
                claims::description.eq(description),
                claims::place.eq(places[rng.below(places.len() as u64) as usize]),
                claims::status.eq(status.code()),
                claims::claimed_cents.eq(Some(claimed)),
                claims::accepted_cents.eq(accepted),
                claims::paid_cents.eq(paid),
                claims::handler_staff_id.eq(handler),
                claims::opened_at.eq(opened_at),
                claims::closed_at.eq(closed_at),
                claims::updated_at.eq(at),
            ))
            .returning(claims::id)
            .get_result(conn)?;
        let mut previous: Option<ClaimStatus> = None;
        for (step, at) in steps {
            let note = match step {
                Open => "Siniestro abierto.".to_owned(),
                Accepted => format!(
                    "Importe aceptado: {}.",
                    crate::money::format_cents(accepted.unwrap_or(0))
                ),
                Paid => format!(
                    "Importe pagado: {}.",
                    crate::money::format_cents(paid.unwrap_or(0))
                ),
                Rejected => "La póliza no cubre este tipo de daño.".to_owned(),
                Assessed => "Informe del perito recibido.".to_owned(),
                _ => String::new(),
            };
            diesel::insert_into(claim_events::table)
                .values((
                    claim_events::claim_id.eq(id),
                    claim_events::occurred_at.eq(at),
                    claim_events::staff_id.eq(handler),
                    claim_events::from_status.eq(previous.map(ClaimStatus::code)),
                    claim_events::to_status.eq(step.code()),
                    claim_events::note.eq(note),
                ))
                .execute(conn)?;
            previous = Some(step);
        }
        claim_ids.push((id, customer_id));
    }

    let titles = [
        "Llamar al cliente para pedir fotos",
        "Reclamar el informe del perito",
        "Enviar el presupuesto del taller a la compañía",
        "Confirmar el pago con el cliente",
        "Revisar la renovación",
        "Pedir copia del atestado",
        "Actualizar datos de contacto",
        "Preparar propuesta de hogar",
    ];
    let staff_ids: Vec<i64> = staff.iter().map(|(id, _)| *id).collect();
    if staff_ids.is_empty() {
        return Ok(());
    }
    for i in 0..30usize {
        let assignee = staff_ids[i % staff_ids.len()];
        // Some overdue, some due today, some later, some without a date.
        let due = match i % 5 {
            0 => Some(today - Duration::days(1 + rng.below(10) as i64)),
            1 => Some(today),
            2 | 3 => Some(today + Duration::days(1 + rng.below(20) as i64)),
            _ => None,
        };
        let about = (i % 3 != 2).then(|| claim_ids[i % claim_ids.len()]);
        let done = i % 7 == 6;
        let priority = ["low", "normal", "normal", "high"][rng.below(4) as usize];
        diesel::insert_into(tasks::table)
            .values((
                tasks::title.eq(titles[i % titles.len()]),
                tasks::due_date.eq(due),
                tasks::priority.eq(priority),
                tasks::status.eq(if done { "done" } else { "open" }),
                tasks::assignee_staff_id.eq(assignee),
                tasks::entity_type.eq(about.map(|_| "claim")),
                tasks::entity_id.eq(about.map(|(id, _)| id)),
                tasks::customer_id.eq(about.map(|(_, customer)| customer)),
                tasks::created_by_staff_id.eq(staff_ids.first().copied()),
                tasks::completed_at.eq(done.then(Utc::now)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Incidents that happen to a risk of `line`: (kind code, description), so that the demo
/// never shows a theft described as a rear-end collision, or a burst pipe in a taxi.
fn incidents_for(line: &str) -> &'static [(&'static str, &'static str)] {
    match line {
        "auto" | "taxi" => &[
            (
                "collision",
                "Golpe por alcance en un semáforo; daños en el paragolpes trasero.",
            ),
            (
                "theft",
                "Robo del vehículo estacionado en la vía pública durante la noche.",
            ),
            (
                "glass",
                "Rotura de la luna delantera por impacto de una piedra.",
            ),
            ("assistance", "Avería en carretera; servicio de grúa."),
        ],
        "hogar" | "comercio" => &[
            ("fire", "Fuego en la cocina; daños en muebles y techo."),
            (
                "water_damage",
                "Fuga de agua en el baño que afecta al piso de abajo.",
            ),
            ("other", "Daños por tormenta en la fachada."),
            (
                "theft",
                "Robo con forcejeo de la puerta de entrada; faltan joyas y un ordenador.",
            ),
        ],
        "rc" | "empresa" => &[(
            "liability",
            "Reclamación de un tercero por daños causados en su local.",
        )],
        _ => &[(
            "assistance",
            "Solicitud de asistencia cubierta por la póliza.",
        )],
    }
}
