//! Band edges, rounding and the engine's guarantees (proptest).

use proptest::prelude::*;

use super::*;
use crate::seed::taxi::illustrative_tariffs;

fn tariff() -> Tariff {
    illustrative_tariffs().remove(0).1
}

fn sample() -> RatingInput {
    RatingInput {
        as_of_year: 2026,
        vehicle_year: 2023,
        vehicle_value_cents: 2_800_000,
        seats: 5,
        pmr: false,
        fuel: Fuel::Hybrid,
        zone: Zone::Two,
        shift: Shift::Day,
        airport: false,
        second_driver: false,
        driver_age: 45,
        years_licensed: 20,
        years_as_taxi_driver: 8,
        claims_5y: 0,
        coverage: Coverage::ThirdPartyExtended,
        extras: vec![],
    }
}

fn band_of(kind: FactorKind, change: impl FnOnce(&mut RatingInput)) -> usize {
    let mut input = sample();
    change(&mut input);
    input.band(kind)
}

#[test]
fn driver_age_band_edges() {
    let at = |age| band_of(FactorKind::DriverAge, |i| i.driver_age = age);
    assert_eq!([at(18), at(24), at(25), at(29), at(30)], [0, 0, 1, 1, 2]);
    assert_eq!([at(64), at(65), at(69), at(70), at(80)], [2, 3, 3, 4, 4]);
}

#[test]
fn years_licensed_band_edges() {
    let at = |y| band_of(FactorKind::YearsLicensed, |i| i.years_licensed = y);
    assert_eq!(
        [at(0), at(2), at(3), at(4), at(5), at(9), at(10)],
        [0, 0, 1, 1, 2, 2, 3]
    );
}

#[test]
fn years_as_taxi_driver_band_edges() {
    let at = |y| {
        band_of(FactorKind::YearsAsTaxiDriver, |i| {
            i.years_as_taxi_driver = y
        })
    };
    assert_eq!(
        [at(0), at(1), at(2), at(3), at(9), at(10)],
        [0, 1, 1, 2, 2, 3]
    );
}

#[test]
fn claims_band_edges() {
    let at = |n| band_of(FactorKind::Claims, |i| i.claims_5y = n);
    assert_eq!(
        [at(0), at(1), at(2), at(3), at(4), at(20)],
        [0, 1, 2, 3, 4, 4]
    );
}

#[test]
fn value_band_edges() {
    let at = |c| band_of(FactorKind::VehicleValue, |i| i.vehicle_value_cents = c);
    assert_eq!(
        [
            at(300_000),
            at(2_000_000),
            at(2_000_001),
            at(3_500_000),
            at(3_500_001)
        ],
        [0, 0, 1, 1, 2]
    );
    assert_eq!([at(5_000_000), at(5_000_001)], [2, 3]);
}

#[test]
fn vehicle_age_band_edges() {
    let at = |year| band_of(FactorKind::VehicleAge, |i| i.vehicle_year = year);
    assert_eq!(
        [at(2026), at(2024), at(2023), at(2021), at(2020)],
        [0, 0, 1, 1, 2]
    );
    assert_eq!([at(2017), at(2016), at(2006)], [2, 3, 3]);
}

#[test]
fn seats_and_yes_no_bands() {
    assert_eq!(band_of(FactorKind::Seats, |i| i.seats = 5), 0);
    assert_eq!(band_of(FactorKind::Seats, |i| i.seats = 7), 1);
    assert_eq!(band_of(FactorKind::Seats, |i| i.seats = 9), 2);
    assert_eq!(band_of(FactorKind::Pmr, |i| i.pmr = true), 1);
    assert_eq!(band_of(FactorKind::Airport, |i| i.airport = true), 1);
    assert_eq!(
        band_of(FactorKind::SecondDriver, |i| i.second_driver = true),
        1
    );
    assert_eq!(band_of(FactorKind::Fuel, |i| i.fuel = Fuel::Gas), 3);
    assert_eq!(band_of(FactorKind::Shift, |i| i.shift = Shift::Double), 2);
    assert_eq!(band_of(FactorKind::Zone, |i| i.zone = Zone::Four), 3);
}

#[test]
fn every_band_has_a_label_and_the_seed_tariffs_are_valid() {
    for (code, tariff) in illustrative_tariffs() {
        assert!(
            tariff.problems().is_empty(),
            "{code}: {:?}",
            tariff.problems()
        );
    }
    let input = sample();
    for kind in FactorKind::ALL {
        assert!(input.band(kind) < kind.bands().len(), "{kind:?}");
    }
}

#[test]
fn rounding_is_half_up_to_the_cent() {
    assert_eq!(round_half_up(1001, 1005, 1000), 1006); // 1006.005 → 1006
    assert_eq!(round_half_up(100, 1005, 1000), 101); // 100.5 → 101
    assert_eq!(round_half_up(100, 1004, 1000), 100); // 100.4 → 100
    assert_eq!(round_half_up(12_345, 800, 10_000), 988); // 987.6 → 988
}

#[test]
fn a_factor_line_is_the_rounded_difference() {
    let mut tariff = tariff();
    tariff
        .base_cents
        .insert(Coverage::ThirdPartyExtended, 100_001);
    for bands in tariff.factors.values_mut() {
        bands.iter_mut().for_each(|m| *m = 1000);
    }
    tariff.factors.get_mut(&FactorKind::Zone).unwrap()[1] = 1155;
    tariff.minimum_cents = 0;
    let quote = rate(&tariff, &sample());
    let zone = quote
        .lines
        .iter()
        .find(|l| l.label == FactorKind::Zone.label())
        .unwrap();
    // 100001 × 1.155 = 115501.155 → 115501; the line adds 15500.
    assert_eq!(zone.amount_cents, 15_500);
    assert_eq!(zone.rate, Some(1155));
    assert_eq!(quote.net_cents, 115_501);
}

#[test]
fn the_minimum_premium_lifts_a_cheap_risk() {
    let mut tariff = tariff();
    tariff.minimum_cents = 5_000_000;
    let quote = rate(&tariff, &sample());
    let minimum = quote
        .lines
        .iter()
        .find(|l| l.kind == LineKind::Minimum)
        .unwrap();
    assert!(minimum.amount_cents > 0);
    assert_eq!(quote.net_cents, 5_000_000);
}

#[test]
fn options_not_offered_are_reported_and_not_charged() {
    let mut tariff = tariff();
    tariff.options_cents.remove(&Extra::LicenceWithdrawal);
    let mut input = sample();
    input.extras = vec![Extra::Occupants, Extra::LicenceWithdrawal];
    let quote = rate(&tariff, &input);
    assert_eq!(quote.missing_extras, vec![Extra::LicenceWithdrawal]);
    assert!(!quote.fits_demands());
    assert_eq!(
        quote
            .lines
            .iter()
            .filter(|l| l.kind == LineKind::Option)
            .count(),
        1
    );
}

#[test]
fn monthly_instalments_add_up_to_the_total() {
    let quote = rate(&tariff(), &sample());
    assert_eq!(
        quote.monthly_first_cents + 11 * quote.monthly_cents,
        quote.total_cents
    );
    assert!(quote.monthly_first_cents >= quote.monthly_cents);
}

fn any_input() -> impl Strategy<Value = RatingInput> {
    (
        (
            2006i32..=2026,
            300_000i64..=15_000_000,
            prop::sample::select(vec![5u8, 7, 9]),
        ),
        (
            any::<bool>(),
            0usize..4,
            0usize..4,
            0usize..3,
            any::<bool>(),
            any::<bool>(),
        ),
        (18u32..=80, 0u32..=62, 0u32..=62, 0u32..=20),
        (0usize..4, prop::collection::vec(0usize..5, 0..5)),
    )
        .prop_map(|(vehicle, work, driver, cover)| {
            let (vehicle_year, vehicle_value_cents, seats) = vehicle;
            let (pmr, fuel, zone, shift, airport, second_driver) = work;
            let (driver_age, licensed, taxi, claims_5y) = driver;
            let years_licensed = licensed.min(driver_age - 18);
            let mut extras: Vec<Extra> = cover.1.into_iter().map(|i| Extra::ALL[i]).collect();
            extras.sort();
            extras.dedup();
            RatingInput {
                as_of_year: 2026,
                vehicle_year,
                vehicle_value_cents,
                seats,
                pmr,
                fuel: Fuel::ALL[fuel],
                zone: [Zone::One, Zone::Two, Zone::Three, Zone::Four][zone],
                shift: Shift::ALL[shift],
                airport,
                second_driver,
                driver_age,
                years_licensed,
                years_as_taxi_driver: taxi.min(years_licensed),
                claims_5y,
                coverage: Coverage::ALL[cover.0],
                extras,
            }
        })
}

proptest! {
    #[test]
    fn same_input_same_output(input in any_input(), carrier in 0usize..3) {
        let tariff = illustrative_tariffs().remove(carrier).1;
        prop_assert_eq!(rate(&tariff, &input), rate(&tariff, &input.clone()));
    }

    #[test]
    fn total_is_the_sum_of_the_lines(input in any_input(), carrier in 0usize..3) {
        let tariff = illustrative_tariffs().remove(carrier).1;
        let quote = rate(&tariff, &input);
        prop_assert_eq!(quote.lines.iter().map(|l| l.amount_cents).sum::<i64>(), quote.total_cents);
        prop_assert_eq!(quote.net_cents + quote.taxes_cents, quote.total_cents);
        let json = breakdown_json(&quote, 1);
        let sum: i64 = json["lines"].as_array().unwrap().iter()
            .map(|l| l["amount_cents"].as_i64().unwrap()).sum();
        prop_assert_eq!(sum, json["total_cents"].as_i64().unwrap());
    }

    #[test]
    fn more_claims_never_cheaper(input in any_input(), carrier in 0usize..3, extra in 1u32..5) {
        let tariff = illustrative_tariffs().remove(carrier).1;
        let mut worse = input.clone();
        worse.claims_5y = (input.claims_5y + extra).min(20);
        prop_assert!(rate(&tariff, &worse).total_cents >= rate(&tariff, &input).total_cents);
    }

    #[test]
    fn more_cover_never_cheaper(input in any_input(), carrier in 0usize..3, step in 1usize..4) {
        let tariff = illustrative_tariffs().remove(carrier).1;
        let level = Coverage::ALL.iter().position(|c| *c == input.coverage).unwrap();
        let mut more = input.clone();
        more.coverage = Coverage::ALL[(level + step).min(3)];
        prop_assert!(rate(&tariff, &more).total_cents >= rate(&tariff, &input).total_cents);
        // Adding an option is more cover too.
        let mut with_option = input.clone();
        with_option.extras.push(Extra::LegalDefence);
        with_option.extras.sort();
        with_option.extras.dedup();
        prop_assert!(rate(&tariff, &with_option).total_cents >= rate(&tariff, &input).total_cents);
    }
}
