//! Demo data for a newcomer's first run: the carriers the brokerage works with, lines of
//! business, products with commission rates, and one admin account. Idempotent: running it
//! twice changes nothing.

use diesel::prelude::*;
use diesel::upsert::excluded;

use crate::auth::staff::{self, Role};
use crate::db::schema::{carriers, lines_of_business, products};

/// The demo admin; the README states these credentials. Never used outside demo data.
pub const DEMO_ADMIN_EMAIL: &str = "admin@soriano.test";
pub const DEMO_ADMIN_PASSWORD: &str = "Soriano-demo-2026";

/// (code, name, CIF, DGSFP key). CIFs carry a valid control character; figures are
/// illustrative.
const CARRIERS: &[(&str, &str, &str, &str)] = &[
    ("mapfre", "Mapfre", "A28141935", "C0058"),
    ("axa", "AXA Seguros", "A60917978", "C0723"),
    ("allianz", "Allianz Seguros", "A28007748", "C0022"),
    ("caser", "Caser Seguros", "A28013050", "C0031"),
    ("generali", "Generali Seguros", "A28007268", "C0072"),
    ("reale", "Reale Seguros", "A78520293", "C0613"),
    ("mutua-madrilena", "Mutua Madrileña", "V28027118", "M0083"),
];

const LINES: &[(&str, &str, &str)] = &[
    (
        "auto",
        "Automóvil",
        "Terceros, terceros ampliado o todo riesgo, con asistencia en carretera desde el kilómetro cero.",
    ),
    (
        "taxi",
        "Taxi",
        "Pensado para quien vive del coche: paralización, retirada de carné y ocupantes.",
    ),
    (
        "hogar",
        "Hogar",
        "Continente y contenido, daños por agua, robo y responsabilidad civil familiar.",
    ),
    (
        "salud",
        "Salud",
        "Cuadro médico amplio, especialistas sin esperas y opción de reembolso.",
    ),
    (
        "vida",
        "Vida",
        "Protección económica para los suyos y cobertura de préstamos hipotecarios.",
    ),
    (
        "decesos",
        "Decesos",
        "Servicio completo y gestiones resueltas en el peor momento.",
    ),
    (
        "accidentes",
        "Accidentes",
        "Indemnización por invalidez o fallecimiento, en el trabajo y fuera de él.",
    ),
    (
        "comercio",
        "Comercio",
        "Local, mercancía, rotura de escaparates y pérdida de beneficios.",
    ),
    (
        "rc",
        "Responsabilidad civil",
        "Para profesionales y empresas: los daños que cause a terceros, cubiertos.",
    ),
    (
        "empresa",
        "Empresas",
        "Multirriesgo, flotas, colectivos de vida y salud para su plantilla.",
    ),
];

/// (carrier, line, product code, product name, commission new ‱, renewal ‱).
const PRODUCTS: &[(&str, &str, &str, &str, i32, i32)] = &[
    (
        "mapfre",
        "auto",
        "auto-total",
        "Mapfre Auto Todo Riesgo",
        1200,
        1000,
    ),
    (
        "mapfre",
        "taxi",
        "taxi-profesional",
        "Mapfre Taxi Profesional",
        1100,
        900,
    ),
    (
        "mapfre",
        "hogar",
        "hogar-plus",
        "Mapfre Hogar Plus",
        2500,
        2000,
    ),
    (
        "mapfre",
        "decesos",
        "decesos-familiar",
        "Mapfre Decesos Familiar",
        3000,
        2500,
    ),
    (
        "axa",
        "auto",
        "auto-terceros-ampliado",
        "AXA Auto Terceros Ampliado",
        1150,
        950,
    ),
    ("axa", "taxi", "taxi", "AXA Taxi", 1050, 900),
    ("axa", "hogar", "hogar", "AXA Hogar Integral", 2400, 2000),
    (
        "axa",
        "salud",
        "salud-optima",
        "AXA Salud Óptima",
        1500,
        1200,
    ),
    ("allianz", "auto", "auto", "Allianz Auto", 1200, 1000),
    ("allianz", "taxi", "taxi", "Allianz Taxi", 1000, 850),
    (
        "allianz",
        "vida",
        "vida-riesgo",
        "Allianz Vida Riesgo",
        3500,
        1000,
    ),
    (
        "allianz",
        "comercio",
        "comercio",
        "Allianz Comercio",
        2000,
        1800,
    ),
    (
        "caser",
        "salud",
        "salud-integral",
        "Caser Salud Integral",
        1400,
        1200,
    ),
    ("caser", "hogar", "hogar", "Caser Hogar", 2300, 1900),
    ("caser", "decesos", "decesos", "Caser Decesos", 2800, 2400),
    (
        "generali",
        "accidentes",
        "accidentes",
        "Generali Accidentes",
        2500,
        2000,
    ),
    (
        "generali",
        "rc",
        "rc-profesional",
        "Generali RC Profesional",
        2000,
        1800,
    ),
    ("generali", "empresa", "pyme", "Generali Pyme", 1800, 1600),
    ("reale", "auto", "auto", "Reale Auto", 1250, 1050),
    ("reale", "hogar", "hogar", "Reale Hogar", 2400, 2000),
    ("mutua-madrilena", "auto", "auto", "Mutua Auto", 900, 800),
];

#[derive(Debug, Default)]
pub struct SeedReport {
    pub admin_created: bool,
}

/// Loads the demo data in one transaction.
pub fn demo(conn: &mut PgConnection) -> anyhow::Result<SeedReport> {
    conn.transaction(|conn| {
        for (code, name, tax_id, key) in CARRIERS {
            diesel::insert_into(carriers::table)
                .values((
                    carriers::code.eq(code),
                    carriers::name.eq(name),
                    carriers::tax_id.eq(tax_id),
                    carriers::dgsfp_key.eq(key),
                ))
                .on_conflict(carriers::code)
                .do_nothing()
                .execute(conn)?;
        }
        for (position, (code, name, summary)) in LINES.iter().enumerate() {
            diesel::insert_into(lines_of_business::table)
                .values((
                    lines_of_business::code.eq(code),
                    lines_of_business::name.eq(name),
                    lines_of_business::summary.eq(summary),
                    lines_of_business::position.eq(position as i32),
                ))
                .on_conflict(lines_of_business::code)
                .do_update()
                .set((
                    lines_of_business::position.eq(excluded(lines_of_business::position)),
                    lines_of_business::summary.eq(excluded(lines_of_business::summary)),
                ))
                .execute(conn)?;
        }
        for (carrier, line, code, name, new_bp, renewal_bp) in PRODUCTS {
            let carrier_id: i64 = carriers::table
                .filter(carriers::code.eq(carrier))
                .select(carriers::id)
                .first(conn)?;
            let line_id: i64 = lines_of_business::table
                .filter(lines_of_business::code.eq(line))
                .select(lines_of_business::id)
                .first(conn)?;
            diesel::insert_into(products::table)
                .values((
                    products::carrier_id.eq(carrier_id),
                    products::line_id.eq(line_id),
                    products::code.eq(code),
                    products::name.eq(name),
                    products::commission_new_bp.eq(new_bp),
                    products::commission_renewal_bp.eq(renewal_bp),
                ))
                .on_conflict((products::carrier_id, products::code))
                .do_nothing()
                .execute(conn)?;
        }
        let admin_created = if staff::find_by_email(conn, DEMO_ADMIN_EMAIL)?.is_none() {
            staff::create(
                conn,
                DEMO_ADMIN_EMAIL,
                "Administración Soriano",
                Role::Admin,
                DEMO_ADMIN_PASSWORD,
            )
            .map_err(|e| anyhow::anyhow!("cannot create the demo admin: {e}"))?;
            true
        } else {
            false
        };
        demo_claims_and_tasks(conn)?;
        Ok(SeedReport { admin_created })
    })
}

/// A small deterministic PRNG (xorshift64), so that demo data is the same on every run.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Demo claims (about 40, in every state, with their timeline and amounts) over the demo
/// policies, and about 30 tasks for the demo staff. Does nothing when there are no policies
/// yet or when claims already exist.
pub fn demo_claims_and_tasks(conn: &mut PgConnection) -> anyhow::Result<()> {
    use chrono::{Datelike, Duration, NaiveDate, Utc};

    use crate::claims::{ClaimStatus, KINDS};
    use crate::db::schema::{claim_events, claims, policies, staff_users, tasks};

    let existing: i64 = claims::table.count().get_result(conn)?;
    if existing > 0 {
        return Ok(());
    }
    let today = Utc::now().with_timezone(&crate::time::ZONE).date_naive();
    let policy_rows: Vec<(i64, i64, NaiveDate, NaiveDate)> = policies::table
        .filter(policies::start_date.le(today))
        .order(policies::id)
        .select((
            policies::id,
            policies::customer_id,
            policies::start_date,
            policies::end_date,
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
    let descriptions = [
        "Golpe por alcance en un semáforo; daños en el paragolpes trasero.",
        "Robo del vehículo estacionado en la vía pública durante la noche.",
        "Fuego en la cocina; daños en muebles y techo.",
        "Fuga de agua en el baño que afecta al piso de abajo.",
        "Rotura de la luna delantera por impacto de una piedra.",
        "Reclamación de un tercero por daños causados en su local.",
        "Avería en carretera; servicio de grúa.",
        "Daños por tormenta en la fachada.",
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
        let (policy_id, customer_id, start, end) = policy_rows[i % policy_rows.len()];
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
        let (kind, _) = KINDS[rng.below(KINDS.len() as u64) as usize];
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
                claims::description.eq(descriptions[i % descriptions.len()]),
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
