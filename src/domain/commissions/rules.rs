//! The arithmetic of commissions, pure: rate × base in integer cents, rounded half away from
//! zero, so that a reversal (the same base, negative) is exactly the opposite of its line and
//! a settlement's total is the plain sum of its lines.

/// Basis points in one whole (10 000 bp = 100 %).
pub const WHOLE_BP: i64 = 10_000;

/// `cents × bp / 10 000`, rounded half away from zero: 0,5 cent goes up for positive amounts
/// and down for negative ones, so `apply_bp(-x, bp) == -apply_bp(x, bp)` always holds.
pub fn apply_bp(cents: i64, bp: i32) -> i64 {
    let product = i128::from(cents) * i128::from(bp);
    let whole = i128::from(WHOLE_BP);
    let (quotient, remainder) = (product / whole, product % whole);
    let rounded = if remainder.abs() * 2 >= whole {
        quotient + product.signum()
    } else {
        quotient
    };
    // |cents| ≤ i64::MAX and bp ≤ 10 000 keep the result within i64 in practice; saturate
    // rather than wrap if a caller passes a rate above 100 %.
    i64::try_from(rounded).unwrap_or(if rounded < 0 { i64::MIN } else { i64::MAX })
}

/// An agent's share typed as a percentage ("35", "12,5", "12,50 %") in basis points.
pub fn parse_share(text: &str) -> Result<i32, &'static str> {
    if text.trim().is_empty() {
        return Err("Escriba el porcentaje (0 si no cobra comisión).");
    }
    match crate::validation::parse_fixed(text, 2).and_then(|bp| i32::try_from(bp).ok()) {
        Some(bp) if i64::from(bp) <= WHOLE_BP => Ok(bp),
        Some(_) => Err("No puede pasar del 100 %."),
        None => Err("Escriba un porcentaje entre 0 y 100, con dos decimales como mucho."),
    }
}

/// The broker's commission on a net premium at a rate.
pub fn commission_cents(base_cents: i64, rate_bp: i32) -> i64 {
    apply_bp(base_cents, rate_bp)
}

/// Which rate a receipt earns: the product's new-business rate in the policy's first period,
/// its renewal rate afterwards.
pub fn rate_for(renewal: bool, new_bp: i32, renewal_bp: i32) -> i32 {
    if renewal { renewal_bp } else { new_bp }
}

/// The figures of one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineAmounts {
    pub base_cents: i64,
    pub rate_bp: i32,
    pub amount_cents: i64,
    pub agent_share_bp: i32,
    pub agent_amount_cents: i64,
}

impl LineAmounts {
    /// What a collected receipt earns: its net premium at the rate, and the agent's share of
    /// that commission.
    pub fn earned(base_cents: i64, rate_bp: i32, agent_share_bp: i32) -> Self {
        let amount_cents = commission_cents(base_cents, rate_bp);
        Self {
            base_cents,
            rate_bp,
            amount_cents,
            agent_share_bp,
            agent_amount_cents: apply_bp(amount_cents, agent_share_bp),
        }
    }

    /// The line that cancels this one when its receipt is returned.
    pub fn reversal(self) -> Self {
        Self {
            base_cents: -self.base_cents,
            amount_cents: -self.amount_cents,
            agent_amount_cents: -self.agent_amount_cents,
            ..self
        }
    }
}

/// Count and sums of a set of lines: what a settlement's totals are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub count: i64,
    pub base_cents: i64,
    pub amount_cents: i64,
    pub agent_cents: i64,
}

impl Totals {
    pub fn of<'a>(lines: impl IntoIterator<Item = &'a LineAmounts>) -> Self {
        lines.into_iter().fold(Totals::default(), |t, line| Totals {
            count: t.count + 1,
            base_cents: t.base_cents + line.base_cents,
            amount_cents: t.amount_cents + line.amount_cents,
            agent_cents: t.agent_cents + line.agent_amount_cents,
        })
    }
}

/// What the carrier paid against what the settlement expected: positive when it paid more.
pub fn difference(expected_cents: i64, received_cents: i64) -> i64 {
    received_cents - expected_cents
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn commissions_round_half_away_from_zero() {
        // 1 234,56 € at 12 % = 148,1472 € → 148,15 €.
        assert_eq!(commission_cents(123_456, 1200), 14_815);
        // 0,125 € → 0,13 €; and −0,125 € → −0,13 €.
        assert_eq!(apply_bp(125, 1000), 13);
        assert_eq!(apply_bp(-125, 1000), -13);
        // Just under half goes down.
        assert_eq!(apply_bp(124, 1000), 12);
        assert_eq!(apply_bp(-124, 1000), -12);
        assert_eq!(commission_cents(0, 2500), 0);
        assert_eq!(commission_cents(100_000, 0), 0);
        assert_eq!(commission_cents(100_000, 10_000), 100_000);
    }

    #[test]
    fn the_first_period_earns_the_new_business_rate() {
        assert_eq!(rate_for(false, 1200, 1000), 1200);
        assert_eq!(rate_for(true, 1200, 1000), 1000);
    }

    #[test]
    fn the_agent_share_is_a_share_of_the_commission() {
        let line = LineAmounts::earned(40_000, 2500, 3000);
        assert_eq!(line.amount_cents, 10_000);
        assert_eq!(line.agent_amount_cents, 3_000);
        assert_eq!(LineAmounts::earned(40_000, 2500, 0).agent_amount_cents, 0);
    }

    #[test]
    fn a_difference_is_what_came_in_minus_what_was_expected() {
        assert_eq!(difference(10_000, 9_950), -50);
        assert_eq!(difference(10_000, 10_000), 0);
    }

    fn line() -> impl Strategy<Value = LineAmounts> {
        (
            0i64..100_000_000,
            0i32..=10_000,
            0i32..=10_000,
            any::<bool>(),
        )
            .prop_map(|(base, rate, share, reversed)| {
                let line = LineAmounts::earned(base, rate, share);
                if reversed { line.reversal() } else { line }
            })
    }

    proptest! {
        #[test]
        fn a_reversal_and_its_line_sum_to_zero(
            base in 0i64..1_000_000_000_000,
            rate in 0i32..=10_000,
            share in 0i32..=10_000,
        ) {
            let earned = LineAmounts::earned(base, rate, share);
            let reversal = earned.reversal();
            prop_assert_eq!(earned.amount_cents + reversal.amount_cents, 0);
            prop_assert_eq!(earned.agent_amount_cents + reversal.agent_amount_cents, 0);
            prop_assert_eq!(earned.base_cents + reversal.base_cents, 0);
            // Computing the reversal from the negative base gives the same line.
            prop_assert_eq!(commission_cents(-base, rate), reversal.amount_cents);
        }

        #[test]
        fn the_total_is_the_sum_of_the_lines(lines in proptest::collection::vec(line(), 0..60)) {
            let totals = Totals::of(&lines);
            prop_assert_eq!(totals.count, lines.len() as i64);
            prop_assert_eq!(totals.amount_cents, lines.iter().map(|l| l.amount_cents).sum::<i64>());
            prop_assert_eq!(totals.base_cents, lines.iter().map(|l| l.base_cents).sum::<i64>());
            prop_assert_eq!(
                totals.agent_cents,
                lines.iter().map(|l| l.agent_amount_cents).sum::<i64>()
            );
        }

        #[test]
        fn a_commission_is_within_half_a_cent_of_the_exact_product(
            base in -1_000_000_000i64..1_000_000_000,
            rate in 0i32..=10_000,
        ) {
            let exact = i128::from(base) * i128::from(rate);
            let error = i128::from(commission_cents(base, rate)) * 10_000 - exact;
            prop_assert!(error.abs() <= 5_000);
            // And never rounds towards zero on an exact half.
            if error.abs() == 5_000 {
                prop_assert_eq!(error.signum(), exact.signum());
            }
        }

        #[test]
        fn the_agent_never_gets_more_than_the_commission(
            base in 0i64..1_000_000_000,
            rate in 0i32..=10_000,
            share in 0i32..=10_000,
        ) {
            let line = LineAmounts::earned(base, rate, share);
            prop_assert!(line.agent_amount_cents <= line.amount_cents);
            prop_assert!(line.amount_cents <= base);
        }
    }
}
