//! Demo data for a newcomer's first run: the carriers the brokerage works with, lines of
//! business, products with commission rates, and one admin account. Idempotent: running it
//! twice changes nothing.

use diesel::prelude::*;
use diesel::upsert::excluded;

use crate::auth::staff::{self, Role};
use crate::db::schema::{carriers, customers, lines_of_business, products};

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
        let has_customers: bool =
            diesel::select(diesel::dsl::exists(customers::table.select(customers::id)))
                .get_result(conn)?;
        if has_customers {
            demo_policies(conn)?;
        }
        Ok(SeedReport { admin_created })
    })
}

/// A tiny deterministic PRNG (xorshift64*), so demo data is the same on every run.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `low..=high`.
    fn between(&mut self, low: i64, high: i64) -> i64 {
        low + (self.next() % ((high - low + 1) as u64)) as i64
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

/// (address, postcode, city) of demo homes and shops.
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
    let customers: Vec<(i64, String, Option<i64>)> = customers::table
        .filter(customers::merged_into_id.is_null())
        .order(customers::id)
        .limit(500)
        .select((
            customers::id,
            customers::display_name,
            customers::owner_staff_id,
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
    for (customer_id, customer_name, owner) in &customers {
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
                RiskKind::Persons => Risk::Persons {
                    persons: vec![InsuredPerson {
                        name: customer_name.clone(),
                        birth_date: chrono::NaiveDate::from_ymd_opt(
                            rng.between(1950, 2000) as i32,
                            rng.between(1, 12) as u32,
                            rng.between(1, 28) as u32,
                        )
                        .unwrap_or(today),
                    }],
                },
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
