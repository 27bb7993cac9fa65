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
        Ok(SeedReport { admin_created })
    })
    .and_then(|report| {
        demo_customers(conn, DEMO_CUSTOMERS)?;
        Ok(report)
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
