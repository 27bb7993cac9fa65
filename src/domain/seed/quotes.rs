//! Demo quotes: about sixty across lines and carriers, in every state, some for prospects
//! without a customer record. They go through the quotes domain itself (create, send, accept,
//! reject, expire), so accepted ones carry the policy their acceptance
//! issued, and every one has its history.

use chrono::{Days, Utc};
use diesel::prelude::*;
use serde_json::json;

use super::rng::XorShift;
use crate::auth::permissions::PortfolioScope;
use crate::auth::staff;
use crate::db::schema::{
    carriers, customers, lines_of_business, products, quote_options, quotes, staff_users,
};
use crate::policies::{Home, InsuredPerson, Plate, Risk, RiskKind, Vehicle};
use crate::quotes::{self as domain, AcceptForm, Actor, NewOption, NewQuote, Prospect, QuoteError};

/// How many demo quotes.
const DEMO_QUOTES: usize = 60;

const PROSPECTS: &[(&str, &str)] = &[
    ("Irene Castaño Vidal", "612300101"),
    ("Rubén Ortega Marín", "612300102"),
    ("Nuria Beltrán Sáez", "612300103"),
    ("Sergio Pastor Llorente", "612300104"),
    ("Alba Quintana Roca", "612300105"),
    ("Hugo Serrano Bravo", "612300106"),
    ("Claudia Méndez Paredes", "612300107"),
    ("Óscar Lozano Fuentes", "612300108"),
];

const VEHICLES: &[(&str, &str)] = &[
    ("Toyota", "Corolla"),
    ("Skoda", "Octavia"),
    ("Hyundai", "Ioniq"),
    ("Kia", "Niro"),
    ("Seat", "Arona"),
];

const ADDRESSES: &[(&str, &str, &str)] = &[
    ("Calle Alcalá 120, 2º A", "28009", "Madrid"),
    ("Calle Larios 5, 3º", "29005", "Málaga"),
    ("Avenida de la Constitución 14", "41001", "Sevilla"),
    ("Calle Uría 30, 1º", "33003", "Oviedo"),
];

const REJECTIONS: &[&str] = &[
    "Ha encontrado un precio más bajo en otra correduría.",
    "Prefiere renovar con su compañía actual.",
    "Pospone la contratación al año que viene.",
];

fn risk_for(kind: RiskKind, rng: &mut XorShift, holder: &str, n: usize) -> anyhow::Result<Risk> {
    Ok(match kind {
        RiskKind::Vehicle => {
            let (make, model) = rng.pick(VEHICLES);
            let letters = ["BCD", "FGH", "JKL", "MNP", "RST"];
            let plate = format!("{:04} {}", 1000 + n, rng.pick(&letters));
            Risk::Vehicle(Vehicle {
                plate: Plate::parse(&plate).map_err(|e| anyhow::anyhow!("{plate}: {e}"))?,
                make: (*make).to_owned(),
                model: (*model).to_owned(),
                first_registration_year: rng.between(2012, 2025) as i32,
            })
        }
        RiskKind::Taxi => Risk::Taxi(super::taxi::demo_taxi(rng, n)?),
        RiskKind::Home => {
            let (address, postcode, city) = rng.pick(ADDRESSES);
            Risk::Home(Home {
                address_line: (*address).to_owned(),
                postcode: (*postcode).to_owned(),
                city: (*city).to_owned(),
                built_area_m2: rng.between(60, 160) as i32,
                year_built: rng.between(1965, 2018) as i32,
            })
        }
        RiskKind::Persons => Risk::Persons {
            persons: vec![InsuredPerson {
                name: holder.to_owned(),
                birth_date: chrono::NaiveDate::from_ymd_opt(
                    rng.between(1955, 1998) as i32,
                    rng.between(1, 12) as u32,
                    rng.between(1, 28) as u32,
                )
                .unwrap_or_default(),
            }],
        },
        RiskKind::Other => Risk::Other {
            description: "Responsabilidad civil de la actividad del tomador.".to_owned(),
        },
    })
}

/// Illustrative yearly net premium of a line, in euros.
fn net_euros(line: &str, rng: &mut XorShift) -> i64 {
    match line {
        "auto" => rng.between(280, 850),
        "taxi" => rng.between(1500, 3100),
        "hogar" | "comercio" => rng.between(150, 600),
        "salud" => rng.between(500, 1400),
        _ => rng.between(120, 900),
    }
}

/// Creates the demo quotes unless some exist. Returns how many.
pub fn demo_quotes(conn: &mut PgConnection) -> anyhow::Result<usize> {
    let has_quotes: bool =
        diesel::select(diesel::dsl::exists(quotes::table.select(quotes::id))).get_result(conn)?;
    if has_quotes {
        return Ok(0);
    }
    let Some(admin) = staff::find_by_email(conn, super::DEMO_ADMIN_EMAIL)? else {
        return Ok(0);
    };
    let agents: Vec<i64> = staff_users::table
        .filter(staff_users::role.eq("agent"))
        .filter(staff_users::active.eq(true))
        .order(staff_users::id)
        .select(staff_users::id)
        .load(conn)?;
    let customers: Vec<(i64, String, Option<i64>)> = customers::table
        .filter(customers::merged_into_id.is_null())
        .order(customers::id)
        .limit(45)
        .select((
            customers::id,
            customers::display_name,
            customers::owner_staff_id,
        ))
        .load(conn)?;
    // (product, carrier, line, line code, carrier code)
    let catalogue: Vec<(i64, i64, i64, String, String)> = products::table
        .inner_join(carriers::table)
        .inner_join(lines_of_business::table)
        .filter(products::active.eq(true))
        .filter(carriers::active.eq(true))
        .order(products::id)
        .select((
            products::id,
            carriers::id,
            lines_of_business::id,
            lines_of_business::code,
            carriers::code,
        ))
        .load(conn)?;
    if catalogue.is_empty() {
        return Ok(0);
    }
    let today = crate::policies::today();
    let mut rng = XorShift(0x5052_4553_5550_5545);
    let mut created = 0;
    for n in 0..DEMO_QUOTES {
        // Every sixth quote is for a prospect; the rest for customers (when there are any).
        let prospect = (n % 6 == 5 || customers.is_empty()).then(|| PROSPECTS[n % PROSPECTS.len()]);
        let customer = match prospect {
            Some(_) => None,
            None => Some(customers[n % customers.len()].clone()),
        };
        let agent = customer
            .as_ref()
            .and_then(|c| c.2)
            .or_else(|| (!agents.is_empty()).then(|| agents[n % agents.len()]));
        let holder = customer
            .as_ref()
            .map(|c| c.1.clone())
            .or_else(|| prospect.map(|p| p.0.to_owned()))
            .unwrap_or_default();

        let (_, _, line_id, line_code, _) = rng.pick(&catalogue).clone();
        let mut offers: Vec<&(i64, i64, i64, String, String)> =
            catalogue.iter().filter(|p| p.2 == line_id).collect();
        offers.truncate(rng.between(1, 3) as usize);
        let options: Vec<NewOption> = offers
            .iter()
            .map(|(product, carrier, _, _, _)| {
                let net = net_euros(&line_code, &mut rng) * 100;
                let total = net + net * rng.between(6, 12) / 100;
                let breakdown = (line_code == "taxi").then(|| {
                    let base = net * 80 / 100;
                    json!({
                        "lines": [
                            {"label": "Prima base", "amount_cents": base},
                            {"label": "Recargo por uso profesional", "amount_cents": net - base},
                            {"label": "Impuestos y recargos (IPS, CCS)", "amount_cents": total - net},
                        ],
                        "total_cents": total,
                    })
                });
                NewOption {
                    carrier_id: *carrier,
                    product_id: Some(*product),
                    coverage_level: String::new(),
                    coverage_summary: match line_code.as_str() {
                        "auto" | "taxi" => "Responsabilidad civil, lunas, robo e incendio; asistencia en viaje.",
                        "hogar" | "comercio" => "Continente y contenido, daños por agua, responsabilidad civil.",
                        _ => "Coberturas principales del producto según condiciones generales.",
                    }
                    .to_owned(),
                    net_premium_cents: net,
                    total_premium_cents: total,
                    breakdown,
                    tariff_version_id: None,
                }
            })
            .collect();

        let source = match (prospect.is_some(), line_code.as_str()) {
            (true, "taxi") => "taxi",
            (true, _) if n % 4 == 1 => "landing",
            _ => "backoffice",
        };
        let new = NewQuote {
            customer_id: customer.as_ref().map(|c| c.0),
            lead_id: None,
            prospect: prospect.map(|(name, phone)| Prospect {
                name: name.to_owned(),
                email: None,
                phone: Some(phone.to_owned()),
            }),
            line_id,
            risk: risk_for(RiskKind::for_line(&line_code), &mut rng, &holder, n)?,
            valid_until: today + Days::new(30),
            notes: String::new(),
            source,
            agent_staff_id: agent,
            created_by_staff_id: Some(agent.unwrap_or(admin.id)),
        };
        let mut by = Actor::new(&admin, "", "");
        by.staff_id = agent.unwrap_or(admin.id);
        let outcome = conn.transaction(|conn| {
            let quote = domain::create(conn, new, options, &by)?;
            let scope = PortfolioScope::All;
            // Spread over the last two months, oldest first.
            let age = (DEMO_QUOTES - n) as u64;
            let created_at = Utc::now() - chrono::Duration::days(age as i64);
            diesel::update(quotes::table.find(quote.id))
                .set(quotes::created_at.eq(created_at))
                .execute(conn)?;
            // Prospects are not accepted here: the demo's customer list stays the one the
            // customers seed made (accepting a prospect's quote is shown by the tests).
            let stage = match n % 5 {
                2 if prospect.is_some() => 1,
                stage => stage,
            };
            // Every quote sent to a client carries its distribution record (RDL 3/2020).
            if stage != 0 {
                record_sale(conn, quote.id, &line_code, &by)?;
            }
            match stage {
                // Draft.
                0 => {}
                // Sent, waiting for the client.
                1 => {
                    domain::send(conn, scope, quote.id, today, &by)?;
                }
                // Accepted (customers only): the policy is issued.
                2 => {
                    domain::send(conn, scope, quote.id, today, &by)?;
                    let first_option: i64 = quote_options::table
                        .filter(quote_options::quote_id.eq(quote.id))
                        .order(quote_options::position)
                        .select(quote_options::id)
                        .first(conn)?;
                    let form = AcceptForm {
                        opcion: first_option.to_string(),
                        numero: format!("Q26-{:06}", 1000 + n),
                        efecto: today.format("%Y-%m-%d").to_string(),
                        forma_pago: if n % 2 == 0 { "annual" } else { "monthly" }.to_owned(),
                        ..AcceptForm::default()
                    };
                    domain::accept(conn, scope, quote.id, &form, &by, today)?;
                }
                // Rejected by the client.
                3 => {
                    domain::send(conn, scope, quote.id, today, &by)?;
                    domain::reject(conn, scope, quote.id, REJECTIONS[n % REJECTIONS.len()], &by)?;
                }
                // Expired: its validity passed while sent.
                _ => {
                    domain::send(conn, scope, quote.id, today, &by)?;
                    diesel::update(quotes::table.find(quote.id))
                        .set(quotes::valid_until.eq(today - Days::new(3)))
                        .execute(conn)?;
                }
            }
            Ok::<_, QuoteError>(())
        });
        match outcome {
            Ok(()) => created += 1,
            Err(QuoteError::Database(error)) => return Err(anyhow::anyhow!("demo quote: {error}")),
            Err(other) => return Err(anyhow::anyhow!("demo quote {n}: {other:?}")),
        }
    }
    conn.transaction(|conn| domain::expire_overdue(conn, today))?;
    Ok(created)
}

/// The demo's distribution record of a sent quote: the first answer to each question, the
/// first option recommended, the pre-contract information handed over on paper.
fn record_sale(
    conn: &mut PgConnection,
    quote_id: i64,
    line_code: &str,
    by: &Actor,
) -> Result<(), QuoteError> {
    use crate::distribution::precontract::BrokerIdentity;
    record_needs(conn, quote_id, line_code, by)?;
    domain::sale::record_delivery(
        conn,
        PortfolioScope::All,
        quote_id,
        "paper",
        "Copia firmada por el cliente en su expediente",
        &BrokerIdentity::development(),
        by,
    )
}

/// The demo's demands and needs of a quote: the first answer to each question and the first
/// option recommended.
pub(super) fn record_needs(
    conn: &mut PgConnection,
    quote_id: i64,
    line_code: &str,
    by: &Actor,
) -> Result<(), QuoteError> {
    use crate::distribution::needs;
    let first_option: i64 = quote_options::table
        .filter(quote_options::quote_id.eq(quote_id))
        .order(quote_options::position)
        .select(quote_options::id)
        .first(conn)?;
    let mut answers: Vec<(String, String)> = needs::questions(RiskKind::for_line(line_code))
        .iter()
        .map(|q| {
            let answer = q
                .choices
                .first()
                .copied()
                .unwrap_or("Según lo hablado con el cliente");
            (needs::field(q.code), answer.to_owned())
        })
        .collect();
    answers.push(("opcion_recomendada".into(), first_option.to_string()));
    answers.push((
        "motivo_recomendacion".into(),
        "Cubre todo lo que pidió y es la de mejor relación entre precio y coberturas de las comparadas.".into(),
    ));
    let value = |field: &str| {
        answers
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, v)| v.as_str())
    };
    domain::sale::record_needs(conn, PortfolioScope::All, quote_id, value, by)
}
