//! Taxi Asegurado seed data: one published tariff for each carrier with a taxi product.
//! The figures are illustrative (plausible orders of magnitude), not any carrier's prices;
//! the quoter and the back-office say so.

use std::collections::BTreeMap;

use diesel::prelude::*;

use crate::db::schema::carriers;
use crate::taxi::rating::{Coverage, Extra, FactorKind, Tariff};
use crate::taxi::tariffs;

/// Builds one illustrative tariff: `level` scales the base premiums (per mille) and `tilt`
/// shifts the risk multipliers a little so the carriers differ.
fn tariff(level: i64, tilt: i32, options: &[(Extra, i64)], minimum_cents: i64) -> Tariff {
    let base = |cents: i64| cents * level / 1000;
    let base_cents = BTreeMap::from([
        (Coverage::ThirdParty, base(98_000)),
        (Coverage::ThirdPartyExtended, base(124_000)),
        (Coverage::ComprehensiveWithExcess, base(189_000)),
        (Coverage::Comprehensive, base(246_000)),
    ]);
    let t = |values: &[i32]| -> Vec<u32> {
        values
            .iter()
            .map(|v| if *v == 1000 { 1000 } else { (v + tilt) as u32 })
            .collect()
    };
    let factors = BTreeMap::from([
        (FactorKind::DriverAge, t(&[1450, 1150, 1000, 1080, 1250])),
        (FactorKind::YearsLicensed, t(&[1350, 1150, 1050, 1000])),
        (FactorKind::YearsAsTaxiDriver, t(&[1250, 1100, 1000, 940])),
        (FactorKind::Claims, t(&[1000, 1180, 1400, 1700, 2100])),
        (FactorKind::Zone, t(&[1300, 1150, 1050, 1000])),
        (FactorKind::Seats, t(&[1000, 1080, 1180])),
        (FactorKind::VehicleValue, t(&[1000, 1060, 1120, 1200])),
        (FactorKind::VehicleAge, t(&[1000, 1030, 1080, 1150])),
        (FactorKind::Pmr, t(&[1000, 1070])),
        (FactorKind::Fuel, t(&[1000, 970, 950, 1020])),
        (FactorKind::Shift, t(&[1000, 1120, 1250])),
        (FactorKind::Airport, t(&[1000, 1050])),
        (FactorKind::SecondDriver, t(&[1000, 1150])),
    ]);
    Tariff {
        base_cents,
        factors,
        options_cents: options.iter().copied().collect(),
        minimum_cents,
        ips_bp: 800,
        consorcio_bp: 150,
        clea_bp: 15,
    }
}

/// (carrier code, tariff) for the carriers of the catalogue with a taxi product.
pub fn illustrative_tariffs() -> Vec<(&'static str, Tariff)> {
    vec![
        (
            "mapfre",
            tariff(
                1000,
                0,
                &[
                    (Extra::Occupants, 4_500),
                    (Extra::LegalDefence, 3_900),
                    (Extra::AssistanceKm0, 5_200),
                    (Extra::Downtime, 14_500),
                    (Extra::LicenceWithdrawal, 9_800),
                ],
                60_000,
            ),
        ),
        (
            "axa",
            tariff(
                1040,
                -20,
                &[
                    (Extra::Occupants, 3_800),
                    (Extra::LegalDefence, 4_200),
                    (Extra::AssistanceKm0, 4_600),
                    (Extra::Downtime, 16_000),
                ],
                65_000,
            ),
        ),
        (
            "allianz",
            tariff(
                960,
                20,
                &[
                    (Extra::Occupants, 5_000),
                    (Extra::LegalDefence, 3_500),
                    (Extra::AssistanceKm0, 4_900),
                    (Extra::Downtime, 13_200),
                    (Extra::LicenceWithdrawal, 11_000),
                ],
                58_000,
            ),
        ),
    ]
}

/// Publishes the illustrative tariffs for carriers that have none yet (idempotent). Needs
/// the catalogue (`seed::catalog`).
pub fn taxi_tariffs(conn: &mut PgConnection) -> anyhow::Result<usize> {
    let mut created = 0;
    for (code, tariff) in illustrative_tariffs() {
        let carrier_id: Option<i64> = carriers::table
            .filter(carriers::code.eq(code))
            .select(carriers::id)
            .first(conn)
            .optional()?;
        if let Some(carrier_id) = carrier_id
            && tariffs::seed_published(conn, carrier_id, &tariff)?.is_some()
        {
            created += 1;
        }
    }
    Ok(created)
}
