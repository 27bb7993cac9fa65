//! Demo staff and customers (with consents and interactions), and bulk customers for benchmarks.

use diesel::prelude::*;

use super::rng::XorShift;
use super::{DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD};
use crate::auth::staff::{self, Role};

/// Customers of the demo data.
pub const DEMO_CUSTOMERS: usize = 200;

/// Demo staff who own and handle customers; the README lists them.
pub const DEMO_AGENTS: &[(&str, &str, Role)] = &[
    ("comercial1@soriano.test", "Lucía Comercial", Role::Agent),
    ("comercial2@soriano.test", "Javier Comercial", Role::Agent),
    ("siniestros@soriano.test", "Marta Tramitadora", Role::Claims),
    (
        "cumplimiento@soriano.test",
        "Elena Cumplimiento",
        Role::Compliance,
    ),
];

pub(super) const GIVEN_NAMES: &[&str] = &[
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

pub(super) const FAMILY_NAMES: &[&str] = &[
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
