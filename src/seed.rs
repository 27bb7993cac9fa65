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

/// Loads the demo data: the catalogue and the admin in one transaction, then customers and
/// their records (each step idempotent, skipped when its data exists).
pub fn demo(conn: &mut PgConnection) -> anyhow::Result<SeedReport> {
    let report = conn.transaction(|conn| {
        catalog(conn)?;
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
        Ok::<_, anyhow::Error>(SeedReport { admin_created })
    })?;
    demo_customers(conn, DEMO_CUSTOMERS)?;
    demo_claims_and_tasks(conn)?;
    Ok(report)
}

/// Carriers, lines of business and products with their commissions (idempotent).
pub fn catalog(conn: &mut PgConnection) -> anyhow::Result<()> {
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
        Ok(())
    })
}

/// Customers of the demo data.
pub const DEMO_CUSTOMERS: usize = 200;

/// Demo staff who own and handle customers; the README lists them.
pub const DEMO_AGENTS: &[(&str, &str, Role)] = &[
    ("comercial1@soriano.test", "Lucía Comercial", Role::Agent),
    ("comercial2@soriano.test", "Javier Comercial", Role::Agent),
    ("siniestros@soriano.test", "Marta Tramitadora", Role::Claims),
];

/// A tiny deterministic PRNG (xorshift64*): demo data is the same on every machine.
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

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const GIVEN_NAMES: &[&str] = &[
    "Antonio",
    "Manuel",
    "José",
    "Francisco",
    "David",
    "Juan",
    "Javier",
    "Daniel",
    "Carlos",
    "Alejandro",
    "Miguel",
    "Rafael",
    "Pablo",
    "Sergio",
    "Jorge",
    "María",
    "Carmen",
    "Ana",
    "Isabel",
    "Laura",
    "Lucía",
    "Cristina",
    "Marta",
    "Elena",
    "Paula",
    "Sara",
    "Rosa",
    "Pilar",
    "Raquel",
    "Nuria",
    "Montserrat",
    "Jordi",
    "Iñaki",
    "Ainhoa",
    "Xabier",
    "Noelia",
];

const FAMILY_NAMES: &[&str] = &[
    "García",
    "Rodríguez",
    "González",
    "Fernández",
    "López",
    "Martínez",
    "Sánchez",
    "Pérez",
    "Gómez",
    "Martín",
    "Jiménez",
    "Ruiz",
    "Hernández",
    "Díaz",
    "Moreno",
    "Muñoz",
    "Álvarez",
    "Romero",
    "Alonso",
    "Gutiérrez",
    "Navarro",
    "Torres",
    "Domínguez",
    "Vázquez",
    "Ramos",
    "Gil",
    "Ramírez",
    "Serrano",
    "Blanco",
    "Molina",
    "Morales",
    "Suárez",
    "Ortega",
    "Delgado",
    "Castro",
    "Ortiz",
    "Rubio",
    "Marín",
    "Sanz",
    "Iglesias",
    "Soriano",
    "Garrido",
    "Medina",
];

const COMPANY_WORDS: &[&str] = &[
    "Transportes",
    "Talleres",
    "Construcciones",
    "Distribuciones",
    "Panadería",
    "Clínica Dental",
    "Autotaxi",
    "Reformas",
    "Asesoría",
    "Frutas",
    "Hostelería",
    "Farmacia",
    "Electricidad",
];

/// (postcode, city): province follows from the postcode.
const PLACES: &[(&str, &str)] = &[
    ("28001", "Madrid"),
    ("28043", "Madrid"),
    ("28901", "Getafe"),
    ("28931", "Móstoles"),
    ("08001", "Barcelona"),
    ("08901", "L'Hospitalet de Llobregat"),
    ("46001", "Valencia"),
    ("41001", "Sevilla"),
    ("29001", "Málaga"),
    ("50001", "Zaragoza"),
    ("48001", "Bilbao"),
    ("03001", "Alicante"),
    ("30001", "Murcia"),
    ("15001", "A Coruña"),
    ("36201", "Vigo"),
    ("33001", "Oviedo"),
    ("47001", "Valladolid"),
    ("18001", "Granada"),
    ("35001", "Las Palmas de Gran Canaria"),
    ("07001", "Palma"),
    ("45001", "Toledo"),
    ("42001", "Soria"),
];

const STREETS: &[&str] = &[
    "Calle Mayor",
    "Avenida de la Constitución",
    "Calle Real",
    "Paseo de la Castellana",
    "Calle del Carmen",
    "Avenida de Andalucía",
    "Calle San Juan",
    "Plaza de España",
];

const TAGS: &[&str] = &["vip", "taxi", "flota", "renovación", "referido", "moroso"];

const INTERACTIONS: &[(&str, &str)] = &[
    (
        "call",
        "Llama para preguntar por la renovación del seguro del coche.",
    ),
    ("email", "Envía la documentación del vehículo por correo."),
    ("whatsapp", "Pide un presupuesto de hogar por WhatsApp."),
    (
        "meeting",
        "Visita en oficina para revisar todas sus pólizas.",
    ),
    ("note", "Prefiere que le llamen por la tarde."),
];

fn ascii_slug(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            'á' | 'à' | 'Á' => Some('a'),
            'é' | 'É' => Some('e'),
            'í' | 'Í' => Some('i'),
            'ó' | 'Ó' => Some('o'),
            'ú' | 'ü' | 'Ú' => Some('u'),
            'ñ' | 'Ñ' => Some('n'),
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

#[derive(Debug, Default)]
pub struct CustomerSeedReport {
    pub customers_created: usize,
}

/// Creates the demo agents and claims handler, then `count` realistic customers with
/// consents and a few interactions. Deterministic; skips the customers when any exist.
pub fn demo_customers(conn: &mut PgConnection, count: usize) -> anyhow::Result<CustomerSeedReport> {
    use crate::customers::{ConsentPurpose, Segment};
    use crate::db::schema::{customer_consents, customers, interactions};
    use crate::identifiers::{Cif, Iban, Postcode, dni_letter};

    conn.transaction(|conn| {
        let mut owners = Vec::new();
        for (email, name, role) in DEMO_AGENTS {
            let user = match staff::find_by_email(conn, email)? {
                Some(user) => user,
                None => staff::create(conn, email, name, *role, DEMO_ADMIN_PASSWORD)
                    .map_err(|e| anyhow::anyhow!("cannot create demo staff {email}: {e}"))?,
            };
            if *role == Role::Agent {
                owners.push(user.id);
            }
        }
        if let Some(admin) = staff::find_by_email(conn, DEMO_ADMIN_EMAIL)? {
            owners.push(admin.id);
        }
        let existing: i64 = customers::table.count().get_result(conn)?;
        if existing > 0 {
            return Ok(CustomerSeedReport::default());
        }
        let mut rng = XorShift(0x5EED_2026_C0FF_EE11);
        for i in 0..count {
            let is_company = i % 7 == 3;
            let (kind, tax_id, given, family, company, display) = if is_company {
                let word = rng.pick(COMPANY_WORDS);
                let family = rng.pick(FAMILY_NAMES);
                let suffix = if rng.below(2) == 0 { "SL" } else { "SA" };
                let letter = if suffix == "SL" { 'B' } else { 'A' };
                let cif = Cif::from_parts(letter, 1_000_000 + rng.below(8_999_999) as u32)
                    .ok_or_else(|| anyhow::anyhow!("CIF generation"))?;
                let name = format!("{word} {family} {suffix}");
                (
                    "company",
                    cif.as_str().to_owned(),
                    None,
                    None,
                    Some(name.clone()),
                    name,
                )
            } else {
                let given = rng.pick(GIVEN_NAMES).to_string();
                let family = format!("{} {}", rng.pick(FAMILY_NAMES), rng.pick(FAMILY_NAMES));
                let tax_id = if i % 10 == 9 {
                    let prefix = rng.below(3) as u32;
                    let number = rng.below(10_000_000) as u32;
                    format!(
                        "{}{number:07}{}",
                        ['X', 'Y', 'Z'][prefix as usize],
                        dni_letter(prefix * 10_000_000 + number)
                    )
                } else {
                    let number = 10_000_000 + rng.below(89_999_999) as u32;
                    format!("{number:08}{}", dni_letter(number))
                };
                let display = format!("{family}, {given}");
                ("person", tax_id, Some(given), Some(family), None, display)
            };
            let email_local = match (&given, &family) {
                (Some(g), Some(f)) => format!(
                    "{}.{}{}",
                    ascii_slug(g),
                    ascii_slug(f.split(' ').next().unwrap_or("")),
                    i
                ),
                _ => format!("info{i}"),
            };
            let email = if is_company {
                format!(
                    "{email_local}@{}.es",
                    ascii_slug(company.as_deref().unwrap_or("empresa"))
                )
            } else {
                format!("{email_local}@correo.es")
            };
            let phone = format!(
                "{}{:08}",
                if i % 4 == 0 { 9 } else { 6 },
                10_000_000 + i as u64 * 7919 % 89_999_999
            );
            let (postcode, city) = rng.pick(PLACES);
            let province = Postcode::parse(postcode)
                .map(|p| p.province_name().to_owned())
                .map_err(|e| anyhow::anyhow!(e))?;
            let segment = if is_company {
                if rng.below(5) == 0 {
                    Segment::Corporate
                } else {
                    Segment::SmallBusiness
                }
            } else if rng.below(5) == 0 {
                Segment::SelfEmployed
            } else {
                Segment::Individual
            };
            let iban = (rng.below(3) > 0)
                .then(|| {
                    Iban::from_parts(
                        "ES",
                        &format!("2100{:016}", rng.below(10_000_000_000_000_000)),
                    )
                })
                .flatten()
                .map(|i| i.into_string());
            let mut tags: Vec<String> = Vec::new();
            if rng.below(4) == 0 {
                tags.push(rng.pick(TAGS).to_string());
            }
            let birth_date = (!is_company)
                .then(|| {
                    chrono::NaiveDate::from_ymd_opt(
                        1945 + rng.below(57) as i32,
                        1 + rng.below(12) as u32,
                        1 + rng.below(28) as u32,
                    )
                })
                .flatten();
            let owner = owners.get(i % owners.len().max(1)).copied();
            let address = format!("{}, {}", rng.pick(STREETS), 1 + rng.below(120));
            let inserted: Option<i64> = diesel::insert_into(customers::table)
                .values((
                    customers::kind.eq(kind),
                    customers::tax_id.eq(&tax_id),
                    customers::given_name.eq(given.as_deref()),
                    customers::family_name.eq(family.as_deref()),
                    customers::company_name.eq(company.as_deref()),
                    customers::display_name.eq(&display),
                    customers::email.eq(&email),
                    customers::phone.eq(&phone),
                    customers::birth_date.eq(birth_date),
                    customers::address_line.eq(&address),
                    customers::postcode.eq(postcode),
                    customers::city.eq(city),
                    customers::province.eq(&province),
                    customers::iban.eq(iban.as_deref()),
                    customers::segment.eq(segment.code()),
                    customers::tags.eq(&tags),
                    customers::owner_staff_id.eq(owner),
                ))
                .on_conflict_do_nothing()
                .returning(customers::id)
                .get_result(conn)
                .optional()?;
            let Some(id) = inserted else { continue };
            diesel::insert_into(customer_consents::table)
                .values(&vec![
                    (
                        customer_consents::customer_id.eq(id),
                        customer_consents::purpose.eq(ConsentPurpose::Privacy.code()),
                        customer_consents::granted.eq(true),
                        customer_consents::text_version.eq("v1"),
                        customer_consents::source.eq("back-office"),
                        customer_consents::recorded_by_staff_id.eq(owner),
                    ),
                    (
                        customer_consents::customer_id.eq(id),
                        customer_consents::purpose.eq(ConsentPurpose::Marketing.code()),
                        customer_consents::granted.eq(rng.below(3) > 0),
                        customer_consents::text_version.eq("v1"),
                        customer_consents::source.eq("back-office"),
                        customer_consents::recorded_by_staff_id.eq(owner),
                    ),
                ])
                .execute(conn)?;
            if let (Some(owner), true) = (owner, i % 5 == 0) {
                let (kind, summary) = rng.pick(INTERACTIONS);
                diesel::insert_into(interactions::table)
                    .values((
                        interactions::customer_id.eq(id),
                        interactions::kind.eq(kind),
                        interactions::summary.eq(summary),
                        interactions::staff_id.eq(owner),
                    ))
                    .execute(conn)?;
            }
        }
        let created: i64 = customers::table.count().get_result(conn)?;
        Ok(CustomerSeedReport {
            customers_created: created as usize,
        })
    })
}

/// Loads `n` synthetic customers in one `INSERT ... SELECT generate_series` (benchmarks:
/// 100,000 in seconds). Tax ids are valid DNIs numbered from 60,000,000, so they do not
/// collide with demo data; existing ones are skipped. Returns the rows inserted.
pub fn bulk_customers(conn: &mut PgConnection, n: i64) -> anyhow::Result<usize> {
    use diesel::sql_types::BigInt;
    let provinces: Vec<String> = crate::identifiers::provinces()
        .map(|(_, p)| format!("'{}'", p.replace('\'', "''")))
        .collect();
    let quote = |items: &[&str]| {
        items
            .iter()
            .map(|s| format!("'{}'", s.replace('\'', "''")))
            .collect::<Vec<_>>()
            .join(",")
    };
    let sql = format!(
        "INSERT INTO customers (kind, tax_id, given_name, family_name, display_name, email, phone, \
                                postcode, city, province, segment, created_at)
         SELECT 'person', t.num || substr('TRWAGMYFPDXBNJZSQVHLCKE', (t.n % 23)::int + 1, 1),
                t.given, t.family, t.family || ', ' || t.given,
                'cliente' || t.i || '@ejemplo.es',
                '6' || lpad((t.i % 100000000)::text, 8, '0'),
                lpad(t.prov::text, 2, '0') || '001', 'Capital', (ARRAY[{provinces}])[t.prov],
                (ARRAY['individual','self_employed','small_business','corporate'])[1 + (t.i % 4)::int],
                now() - (t.i || ' minutes')::interval
         FROM (
            SELECT i, 60000000 + i AS n, (60000000 + i)::text AS num,
                   (ARRAY[{given}])[1 + (i % {given_len})::int] AS given,
                   (ARRAY[{family}])[1 + (i % {family_len})::int] || ' ' ||
                   (ARRAY[{family}])[1 + ((i / {family_len}) % {family_len})::int] AS family,
                   1 + (i % 52)::int AS prov
            FROM generate_series(1::bigint, $1) AS i
         ) AS t
         ON CONFLICT (tax_id) WHERE merged_into_id IS NULL DO NOTHING",
        provinces = provinces.join(","),
        given = quote(GIVEN_NAMES),
        given_len = GIVEN_NAMES.len(),
        family = quote(FAMILY_NAMES),
        family_len = FAMILY_NAMES.len(),
    );
    let inserted = diesel::sql_query(sql).bind::<BigInt, _>(n).execute(conn)?;
    diesel::sql_query("ANALYZE customers").execute(conn)?;
    Ok(inserted)
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
