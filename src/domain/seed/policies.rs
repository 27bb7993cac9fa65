//! Demo policies over the demo customers, across carriers, lines and states.

use diesel::prelude::*;

use super::rng::XorShift;
use crate::db::schema::{carriers, customers, lines_of_business, products};

/// The book the demo starts with was sold before the application kept distribution records.
const DEMO_SALE_EXEMPTION: &str = "Póliza anterior al registro de distribución en la aplicación";

const DEMO_ADDRESSES: &[(&str, &str, &str)] = &[
    ("Calle Mayor 12, 3º B", "28013", "Madrid"),
    ("Avenida Diagonal 401, 5º 2ª", "08008", "Barcelona"),
    ("Calle Colón 22, bajo", "46004", "Valencia"),
    ("Calle Sierpes 40, 1º", "41004", "Sevilla"),
    ("Gran Vía 18, 4º izda.", "48001", "Bilbao"),
    ("Paseo de la Independencia 8", "50004", "Zaragoza"),
];

const DEMO_VEHICLES: &[(&str, &str)] = &[
    ("Toyota", "Corolla"),
    ("Seat", "León"),
    ("Skoda", "Octavia"),
    ("Dacia", "Sandero"),
    ("Renault", "Clio"),
    ("Hyundai", "Ioniq"),
    ("Volkswagen", "Golf"),
];

/// About two policies per demo customer, across carriers, products and lines, with plausible
/// premiums, a few suspended, cancelled or expired, and end dates over the next 90 days (most)
/// so that the expiring list has content. Does nothing when policies exist.
pub fn demo_policies(conn: &mut PgConnection) -> anyhow::Result<usize> {
    use crate::db::schema::{policies, policy_periods};
    use crate::policies::{Frequency, Home, InsuredPerson, Plate, Risk, RiskKind, Status, Vehicle};

    let has_policies: bool =
        diesel::select(diesel::dsl::exists(policies::table.select(policies::id)))
            .get_result(conn)?;
    if has_policies {
        return Ok(0);
    }
    let customers: Vec<(i64, String, Option<i64>, Option<chrono::NaiveDate>)> = customers::table
        .filter(customers::merged_into_id.is_null())
        .order(customers::id)
        .limit(500)
        .select((
            customers::id,
            customers::display_name,
            customers::owner_staff_id,
            customers::birth_date,
        ))
        .load(conn)?;
    let catalogue: Vec<(i64, i64, i64, String, String)> = products::table
        .inner_join(carriers::table)
        .inner_join(lines_of_business::table)
        .filter(products::active.eq(true))
        .order(products::id)
        .select((
            products::id,
            carriers::id,
            lines_of_business::id,
            carriers::code,
            lines_of_business::code,
        ))
        .load(conn)?;
    if catalogue.is_empty() {
        return Ok(0);
    }
    let today = crate::policies::today();
    let mut rng = XorShift(0x5041_4E44_4F52_4121);
    let mut created = 0;
    let consonants: Vec<char> = "BCDFGHJKLMNPRSTVWXYZ".chars().collect();
    for (customer_id, customer_name, owner, customer_birth) in &customers {
        for _ in 0..2 {
            let (product_id, carrier_id, line_id, carrier_code, line_code) =
                rng.pick(&catalogue).clone();
            created += 1;
            let prefix: String = carrier_code
                .chars()
                .filter(|c| c.is_ascii_alphabetic())
                .take(3)
                .collect::<String>()
                .to_uppercase();
            let number = format!("{prefix}-2026-{:06}", 100 + created);
            let roll = rng.between(1, 100);
            let status = match roll {
                1..=8 => Status::Suspended,
                9..=15 => Status::Cancelled,
                16..=22 => Status::Expired,
                _ => Status::Active,
            };
            let end = if status == Status::Expired {
                today - chrono::Duration::days(rng.between(31, 120))
            } else if rng.between(1, 100) <= 60 {
                today + chrono::Duration::days(rng.between(1, 90))
            } else {
                today + chrono::Duration::days(rng.between(91, 360))
            };
            let start = end
                .checked_sub_months(chrono::Months::new(12))
                .unwrap_or(end - chrono::Duration::days(365));
            let risk = match RiskKind::for_line(&line_code) {
                RiskKind::Vehicle => {
                    let (make, model) = rng.pick(DEMO_VEHICLES);
                    let letters: String = (0..3).map(|_| *rng.pick(&consonants)).collect();
                    let plate = format!("{:04} {letters}", rng.between(0, 9999));
                    Risk::Vehicle(Vehicle {
                        plate: Plate::parse(&plate)
                            .map_err(|e| anyhow::anyhow!("demo plate {plate}: {e}"))?,
                        make: (*make).to_owned(),
                        model: (*model).to_owned(),
                        first_registration_year: rng.between(2008, 2025) as i32,
                    })
                }
                RiskKind::Taxi => Risk::Taxi(super::taxi::demo_taxi(&mut rng, created)?),
                RiskKind::Home => {
                    let (address, postcode, city) = rng.pick(DEMO_ADDRESSES);
                    Risk::Home(Home {
                        address_line: (*address).to_owned(),
                        postcode: (*postcode).to_owned(),
                        city: (*city).to_owned(),
                        built_area_m2: rng.between(55, 180) as i32,
                        year_built: rng.between(1960, 2020) as i32,
                    })
                }
                RiskKind::Persons => {
                    // The policyholder insures themself: the same birth date as their record
                    // (a company's policy insures someone whose date the demo invents).
                    let invented = chrono::NaiveDate::from_ymd_opt(
                        rng.between(1950, 2000) as i32,
                        rng.between(1, 12) as u32,
                        rng.between(1, 28) as u32,
                    )
                    .unwrap_or(today);
                    Risk::Persons {
                        persons: vec![InsuredPerson {
                            name: customer_name.clone(),
                            birth_date: customer_birth.unwrap_or(invented),
                        }],
                    }
                }
                RiskKind::Other => Risk::Other {
                    description: "Responsabilidad civil de la actividad profesional del tomador."
                        .to_owned(),
                },
            };
            let net: i64 = match line_code.as_str() {
                "auto" => rng.between(280, 900),
                "taxi" => rng.between(1400, 3200),
                "hogar" => rng.between(150, 450),
                "comercio" | "empresa" => rng.between(400, 2500),
                "salud" => rng.between(500, 1600),
                "vida" => rng.between(120, 600),
                "decesos" => rng.between(90, 400),
                _ => rng.between(150, 900),
            } * 100
                + rng.between(0, 99);
            // Taxes and surcharges (IPS, Consorcio, CLEA): illustrative, about 8–10 %.
            let total = net + net * rng.between(80, 100) / 1000;
            let frequency = *rng.pick(&Frequency::ALL);
            let (reason, changed_on) = match status {
                Status::Suspended => (Some("Vehículo en el taller".to_owned()), Some(today)),
                Status::Cancelled => (Some("A petición del cliente".to_owned()), Some(today)),
                Status::Expired => (Some("No renovada".to_owned()), Some(end)),
                Status::Active => (None, None),
            };
            let id: i64 = diesel::insert_into(policies::table)
                .values((
                    policies::customer_id.eq(customer_id),
                    policies::carrier_id.eq(carrier_id),
                    policies::product_id.eq(product_id),
                    policies::line_id.eq(line_id),
                    policies::number.eq(&number),
                    policies::status.eq(status.code()),
                    policies::risk.eq(serde_json::to_value(&risk)?),
                    policies::start_date.eq(start),
                    policies::end_date.eq(end),
                    policies::net_premium_cents.eq(net),
                    policies::total_premium_cents.eq(total),
                    policies::payment_frequency.eq(frequency.code()),
                    policies::agent_staff_id.eq(owner),
                    policies::status_reason.eq(reason),
                    policies::status_changed_on.eq(changed_on),
                    policies::sale_exemption.eq(DEMO_SALE_EXEMPTION),
                ))
                .returning(policies::id)
                .get_result(conn)?;
            diesel::insert_into(policy_periods::table)
                .values((
                    policy_periods::policy_id.eq(id),
                    policy_periods::start_date.eq(start),
                    policy_periods::end_date.eq(end),
                    policy_periods::net_premium_cents.eq(net),
                    policy_periods::total_premium_cents.eq(total),
                ))
                .execute(conn)?;
        }
    }
    Ok(created)
}
