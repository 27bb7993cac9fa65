//! Taxi Asegurado seed data: one published tariff for each carrier with a taxi product.
//! The figures are illustrative (plausible orders of magnitude), not any carrier's prices;
//! the quoter and the back-office say so.

use std::collections::BTreeMap;

use diesel::prelude::*;

use super::rng::XorShift;
use crate::db::schema::carriers;
use crate::policies::{Plate, Taxi};
use crate::taxi::rating::{Coverage, Extra, FactorKind, Fuel, Tariff, Zone};
use crate::taxi::tariffs;

/// Demo taxis: (make, model, licence municipality, province INE code).
const DEMO_TAXIS: &[(&str, &str, &str, u32)] = &[
    ("Toyota", "Corolla Touring Sports", "Madrid", 28),
    ("Skoda", "Octavia", "Barcelona", 8),
    ("Hyundai", "Ioniq", "Sevilla", 41),
    ("Kia", "Niro", "Valencia", 46),
    ("Toyota", "C-HR", "Getafe", 28),
    ("Mercedes-Benz", "Vito Tourer", "Zaragoza", 50),
];

/// A plausible demo taxi, number `n` (its plate and licence number follow from `n`).
pub(super) fn demo_taxi(rng: &mut XorShift, n: usize) -> anyhow::Result<Taxi> {
    let (make, model, municipality, province) = *rng.pick(DEMO_TAXIS);
    let consonants: Vec<char> = "BCDFGHJKLMNPRSTVWXYZ".chars().collect();
    let letters: String = (0..3).map(|_| *rng.pick(&consonants)).collect();
    let plate = format!("{:04} {letters}", (n * 37 + 1000) % 10_000);
    let driver_age = rng.between(28, 62) as u32;
    let years_licensed = rng.between(6, i64::from(driver_age) - 18) as u32;
    let seats = if model.contains("Vito") { 9 } else { 5 };
    let mut options = vec![Extra::LegalDefence];
    if n.is_multiple_of(2) {
        options.push(Extra::Occupants);
    }
    if n.is_multiple_of(3) {
        options.push(Extra::Downtime);
    }
    options.sort();
    Ok(Taxi {
        make: Some(make.to_owned()),
        model: Some(model.to_owned()),
        plate: Plate::parse(&plate).map_err(|e| anyhow::anyhow!("demo plate {plate}: {e}"))?,
        vehicle_year: rng.between(2019, 2025) as i32,
        seats,
        pmr: seats == 9,
        fuel: *rng.pick(&[Fuel::Hybrid, Fuel::Hybrid, Fuel::Electric, Fuel::Combustion]),
        vehicle_value_cents: rng.between(22, 48) * 100_000,
        licence_municipality: municipality.to_owned(),
        licence_province: province,
        licence_number: format!("{:04}", 100 + n * 7),
        zone: Zone::of(municipality, province),
        driver_age,
        years_licensed,
        years_as_taxi_driver: rng.between(1, i64::from(years_licensed)) as u32,
        claims_5y: *rng.pick(&[0, 0, 0, 1, 2]),
        coverage: *rng.pick(&[
            Coverage::ThirdPartyExtended,
            Coverage::ComprehensiveWithExcess,
            Coverage::Comprehensive,
        ]),
        options,
    })
}

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
