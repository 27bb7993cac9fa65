//! A/B testing of landing variants: picking a variant by weight, and telling whether the
//! difference between two conversion rates is more than chance (two-proportion z-test).

/// Picks one of `variants` (id, weight) with probability proportional to its weight, from a
/// uniform `roll` in `[0, 1)`. `None` when every weight is zero.
pub fn pick(variants: &[(i64, i32)], roll: f64) -> Option<i64> {
    let total: i64 = variants.iter().map(|(_, w)| i64::from((*w).max(0))).sum();
    if total == 0 {
        return None;
    }
    let mut target = (roll.clamp(0.0, 0.999_999) * total as f64) as i64;
    for (id, weight) in variants {
        let weight = i64::from((*weight).max(0));
        if target < weight {
            return Some(*id);
        }
        target -= weight;
    }
    variants
        .iter()
        .rev()
        .find(|(_, w)| *w > 0)
        .map(|(id, _)| *id)
}

/// A uniform number in `[0, 1)` from the operating system's random source.
pub fn roll() -> f64 {
    let bytes = crate::util::random_bytes(8);
    let n = u64::from_le_bytes(bytes.try_into().unwrap_or([0; 8])) >> 11;
    n as f64 / (1u64 << 53) as f64
}

/// What the back-office says about a variant compared with the first (control) variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Significance {
    /// The control itself.
    Control,
    /// Fewer than [`MIN_VISITS`] visits or [`MIN_CONVERSIONS`] conversions on either side.
    NotEnoughData,
    /// |z| ≥ 1.96: the difference is unlikely to be chance (95 %).
    Better,
    Worse,
    /// Enough data, but the difference could be chance.
    NoDifference,
}

pub const MIN_VISITS: i64 = 100;
pub const MIN_CONVERSIONS: i64 = 5;

impl Significance {
    pub fn label(self) -> &'static str {
        match self {
            Self::Control => "Referencia",
            Self::NotEnoughData => "Sin datos suficientes",
            Self::Better => "Mejor que la referencia (95 %)",
            Self::Worse => "Peor que la referencia (95 %)",
            Self::NoDifference => "Sin diferencia significativa",
        }
    }
}

/// Two-proportion z-test of `variant` (visits, conversions) against `control`.
pub fn compare(control: (i64, i64), variant: (i64, i64)) -> Significance {
    let ((n1, x1), (n2, x2)) = (control, variant);
    if n1 < MIN_VISITS || n2 < MIN_VISITS || x1 + x2 < MIN_CONVERSIONS {
        return Significance::NotEnoughData;
    }
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let (p1, p2) = (x1 as f64 / n1f, x2 as f64 / n2f);
    let pooled = (x1 + x2) as f64 / (n1f + n2f);
    let se = (pooled * (1.0 - pooled) * (1.0 / n1f + 1.0 / n2f)).sqrt();
    if se == 0.0 {
        return Significance::NoDifference;
    }
    let z = (p2 - p1) / se;
    if z >= 1.96 {
        Significance::Better
    } else if z <= -1.96 {
        Significance::Worse
    } else {
        Significance::NoDifference
    }
}

/// Conversion rate as "12,5 %" (Spanish decimal comma); "—" without visits.
pub fn rate_label(visits: i64, conversions: i64) -> String {
    if visits == 0 {
        return "—".to_owned();
    }
    let tenths = (conversions * 1000 + visits / 2) / visits;
    format!("{},{} %", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_follow_the_weights() {
        let variants = [(1, 1), (2, 3)];
        assert_eq!(pick(&variants, 0.0), Some(1));
        assert_eq!(pick(&variants, 0.24), Some(1));
        assert_eq!(pick(&variants, 0.26), Some(2));
        assert_eq!(pick(&variants, 0.99), Some(2));
        assert_eq!(pick(&[(1, 0)], 0.5), None);
        assert_eq!(pick(&[(1, 0), (2, 5)], 0.0), Some(2));
    }

    #[test]
    fn significance_needs_data() {
        assert_eq!(compare((10, 1), (10, 5)), Significance::NotEnoughData);
        assert_eq!(compare((1000, 50), (1000, 100)), Significance::Better);
        assert_eq!(compare((1000, 100), (1000, 50)), Significance::Worse);
        assert_eq!(compare((1000, 50), (1000, 55)), Significance::NoDifference);
        assert_eq!(rate_label(200, 25), "12,5 %");
        assert_eq!(rate_label(0, 0), "—");
    }
}
