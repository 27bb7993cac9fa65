//! How a period's premium becomes instalments: pure arithmetic, no database.

use chrono::{Months, NaiveDate};

use crate::policies::Frequency;

/// Instalments a year for each payment frequency.
pub fn per_year(frequency: Frequency) -> u32 {
    match frequency {
        Frequency::Annual => 1,
        Frequency::Semiannual => 2,
        Frequency::Quarterly => 4,
        Frequency::Monthly => 12,
    }
}

/// A coverage period and its premiums (integer cents, `total >= net`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// One instalment of a period: what it covers, when it is due and how much.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instalment {
    /// 1-based position within the period.
    pub index: u32,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// Premiums are paid in advance: due on the first day it covers.
    pub due_date: NaiveDate,
    pub amount_cents: i64,
    pub net_cents: i64,
}

/// Splits a period's premium into instalments by frequency: one every `12 / per_year` months
/// from the start, the last one ending with the period (a one-year period gives exactly
/// [`per_year`] instalments; a shorter one fewer, a longer one more). Net premium and taxes
/// are divided separately in whole cents, the remainders on the FIRST instalment, so each
/// instalment's net never exceeds its amount and the sums are exactly `total` and `net`.
pub fn split(total: i64, net: i64, frequency: Frequency, period: Period) -> Vec<Instalment> {
    let step = 12 / per_year(frequency);
    let mut starts = vec![period.start];
    for k in 1.. {
        match period.start.checked_add_months(Months::new(step * k)) {
            Some(next) if next < period.end => starts.push(next),
            _ => break,
        }
    }
    let count = starts.len() as i64;
    let taxes = (total - net).max(0);
    let net = net.max(0);
    let (net_each, taxes_each) = (net / count, taxes / count);
    let (net_first, taxes_first) = (
        net - net_each * (count - 1),
        taxes - taxes_each * (count - 1),
    );
    starts
        .iter()
        .enumerate()
        .map(|(i, &start)| {
            let (net_cents, taxes_cents) = if i == 0 {
                (net_first, taxes_first)
            } else {
                (net_each, taxes_each)
            };
            Instalment {
                index: i as u32 + 1,
                period_start: start,
                period_end: starts.get(i + 1).copied().unwrap_or(period.end),
                due_date: start,
                amount_cents: net_cents + taxes_cents,
                net_cents,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn year_from(start: NaiveDate) -> Period {
        Period {
            start,
            end: start.checked_add_months(Months::new(12)).unwrap(),
        }
    }

    #[test]
    fn annual_is_one_receipt_for_the_whole_premium() {
        let parts = split(
            32_400,
            30_000,
            Frequency::Annual,
            year_from(day(2026, 3, 1)),
        );
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].amount_cents, 32_400);
        assert_eq!(parts[0].net_cents, 30_000);
        assert_eq!(parts[0].due_date, day(2026, 3, 1));
        assert_eq!(parts[0].period_end, day(2027, 3, 1));
    }

    #[test]
    fn the_remainder_goes_on_the_first_instalment() {
        // 100,01 € net + 8,00 € taxes in four: 25,00 + 2,00 each, the cent on the first.
        let parts = split(
            10_801,
            10_001,
            Frequency::Quarterly,
            year_from(day(2026, 1, 15)),
        );
        let amounts: Vec<i64> = parts.iter().map(|p| p.amount_cents).collect();
        assert_eq!(amounts, vec![2_701, 2_700, 2_700, 2_700]);
        let nets: Vec<i64> = parts.iter().map(|p| p.net_cents).collect();
        assert_eq!(nets, vec![2_501, 2_500, 2_500, 2_500]);
        let dues: Vec<NaiveDate> = parts.iter().map(|p| p.due_date).collect();
        assert_eq!(
            dues,
            vec![
                day(2026, 1, 15),
                day(2026, 4, 15),
                day(2026, 7, 15),
                day(2026, 10, 15)
            ]
        );
        assert_eq!(parts[3].period_end, day(2027, 1, 15));
    }

    #[test]
    fn semiannual_and_monthly_counts() {
        let period = year_from(day(2026, 1, 31));
        assert_eq!(split(1_000, 900, Frequency::Semiannual, period).len(), 2);
        let monthly = split(1_000, 900, Frequency::Monthly, period);
        assert_eq!(monthly.len(), 12);
        // The end of the month is kept where the month is shorter.
        assert_eq!(monthly[1].due_date, day(2026, 2, 28));
        assert_eq!(monthly[0].amount_cents, 1_000 - 83 * 11);
        assert_eq!(monthly.last().map(|p| p.index), Some(12));
    }

    #[test]
    fn a_short_period_has_fewer_instalments() {
        let period = Period {
            start: day(2026, 1, 1),
            end: day(2026, 5, 1),
        };
        let parts = split(4_000, 4_000, Frequency::Quarterly, period);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1].period_end, day(2026, 5, 1));
        assert_eq!(parts[0].amount_cents + parts[1].amount_cents, 4_000);
    }

    proptest! {
        #[test]
        fn instalments_add_up_to_the_premium(
            net in 0i64..10_000_000,
            taxes in 0i64..1_000_000,
            frequency in prop::sample::select(Frequency::ALL.to_vec()),
            offset in 0i64..3_000,
            days in 1i64..800,
        ) {
            let start = day(2024, 1, 1) + chrono::Duration::days(offset);
            let period = Period { start, end: start + chrono::Duration::days(days) };
            let total = net + taxes;
            let parts = split(total, net, frequency, period);
            prop_assert!(!parts.is_empty());
            prop_assert_eq!(parts.iter().map(|p| p.amount_cents).sum::<i64>(), total);
            prop_assert_eq!(parts.iter().map(|p| p.net_cents).sum::<i64>(), net);
            for part in &parts {
                prop_assert!(part.net_cents <= part.amount_cents);
                prop_assert!(part.amount_cents >= 0);
                prop_assert!(part.period_start < part.period_end);
                prop_assert!(part.amount_cents <= parts[0].amount_cents);
            }
            prop_assert_eq!(parts[0].period_start, period.start);
            prop_assert_eq!(parts.last().unwrap().period_end, period.end);
            if days >= 365 {
                prop_assert!(parts.len() as u32 >= per_year(frequency));
            }
        }
    }
}
