//! Demo data for a newcomer's first run: the carriers the brokerage works with, lines of
//! business, products with commission rates, and one admin account. Idempotent: running it
//! twice changes nothing.

mod claims;
mod collection;
mod commissions;
mod complaints;
mod customers;
mod documents;
mod leads;
mod policies;
mod portal;
mod quotes;
mod receipts;
mod rng;
mod site;
pub mod taxi;

pub use portal::{DEMO_CLIENT_EMAILS, DEMO_PORTAL_QUOTE_NOTE};

use diesel::prelude::*;
use diesel::upsert::excluded;

pub use claims::demo_claims_and_tasks;
pub use commissions::demo_commissions;
pub use customers::{
    CustomerSeedReport, DEMO_AGENTS, DEMO_CUSTOMERS, bulk_customers, demo_customers,
};
pub use leads::{DEMO_LEADS, demo_leads};
pub use policies::demo_policies;
pub use quotes::demo_quotes;
pub use receipts::demo_receipts;
pub use site::demo_site;

use crate::auth::staff::{self, Role};
use crate::db::schema::{carriers, commission_rates, lines_of_business, products};

/// The demo admin; the README states these credentials. Never used outside demo data.
pub const DEMO_ADMIN_EMAIL: &str = "admin@soriano.test";
pub const DEMO_ADMIN_PASSWORD: &str = "Soriano-demo-2026";

/// (code, name, CIF, DGSFP key). CIFs carry a valid control character; figures are
/// illustrative.
/// (code, name, CIF, DGSFP key, claims phone, 24 h assistance phone); the phones are demo
/// numbers, to be replaced by the brokerage's own in the catalogue.
const CARRIERS: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "mapfre",
        "Mapfre",
        "A28141935",
        "C0058",
        "900100101",
        "900100102",
    ),
    (
        "axa",
        "AXA Seguros",
        "A60917978",
        "C0723",
        "900100201",
        "900100202",
    ),
    (
        "allianz",
        "Allianz Seguros",
        "A28007748",
        "C0022",
        "900100301",
        "900100302",
    ),
    (
        "caser",
        "Caser Seguros",
        "A28013050",
        "C0031",
        "900100401",
        "900100402",
    ),
    (
        "generali",
        "Generali Seguros",
        "A28007268",
        "C0072",
        "900100501",
        "900100502",
    ),
    (
        "reale",
        "Reale Seguros",
        "A78520293",
        "C0613",
        "900100601",
        "900100602",
    ),
    (
        "mutua-madrilena",
        "Mutua Madrileña",
        "V28027118",
        "M0083",
        "900100701",
        "900100702",
    ),
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
    demo_policies(conn)?;
    demo_claims_and_tasks(conn)?;
    demo_quotes(conn)?;
    taxi::taxi_tariffs(conn)?;
    demo_leads(conn)?;
    site::demo_site(conn)?;
    portal::demo_portal(conn, DEMO_ADMIN_PASSWORD)?;
    demo_receipts(conn)?;
    demo_commissions(conn)?;
    portal::demo_portal_quote(conn)?;
    collection::demo_collection(conn)?;
    complaints::demo_complaints(conn)?;
    complaints::demo_privacy_requests(conn)?;
    documents::demo_documents(conn)?;
    Ok(report)
}

/// Carriers, lines of business and products with their commissions (idempotent).
pub fn catalog(conn: &mut PgConnection) -> anyhow::Result<()> {
    conn.transaction(|conn| {
        for (code, name, tax_id, key, claims_phone, assistance_phone) in CARRIERS {
            diesel::insert_into(carriers::table)
                .values((
                    carriers::code.eq(code),
                    carriers::name.eq(name),
                    carriers::tax_id.eq(tax_id),
                    carriers::dgsfp_key.eq(key),
                    carriers::claims_phone.eq(claims_phone),
                    carriers::assistance_phone.eq(assistance_phone),
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
                ))
                .on_conflict((products::carrier_id, products::code))
                .do_nothing()
                .execute(conn)?;
            let product_id: i64 = products::table
                .filter(products::carrier_id.eq(carrier_id))
                .filter(products::code.eq(code))
                .select(products::id)
                .first(conn)?;
            diesel::insert_into(commission_rates::table)
                .values((
                    commission_rates::product_id.eq(product_id),
                    commission_rates::effective_from.eq(crate::catalog::since_always()),
                    commission_rates::new_business_bp.eq(new_bp),
                    commission_rates::renewal_bp.eq(renewal_bp),
                ))
                .on_conflict((
                    commission_rates::product_id,
                    commission_rates::effective_from,
                ))
                .do_nothing()
                .execute(conn)?;
        }
        Ok(())
    })
}
