//! The taxi rating engine: a risk ([`RatingInput`]) and a carrier's [`Tariff`] in, a price
//! explained line by line ([`Quote`]) out. Pure computation: no database, no clock, no
//! randomness, so the same input and tariff version always give the same answer.
//!
//! Money is integer cents. Rounding rule: each factor is applied to the running premium and
//! the result is rounded half up to the cent (`round_half_up`); the breakdown line of the
//! factor is the difference between the rounded premium after and before it. Taxes are each
//! rounded half up on the net premium. So every line is an exact number of cents and the total
//! is, by construction, the sum of the lines.

pub mod input;
pub mod tariff;
pub mod zones;

use serde::{Deserialize, Serialize};

pub use input::{RawInput, validate};
pub use tariff::{BASIS_POINTS, FactorKind, PER_MILLE, Tariff};
pub use zones::Zone;

/// The coverage level asked for, from least to most cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    ThirdParty,
    ThirdPartyExtended,
    ComprehensiveWithExcess,
    Comprehensive,
}

impl Coverage {
    pub const ALL: [Coverage; 4] = [
        Coverage::ThirdParty,
        Coverage::ThirdPartyExtended,
        Coverage::ComprehensiveWithExcess,
        Coverage::Comprehensive,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Coverage::ThirdParty => "third_party",
            Coverage::ThirdPartyExtended => "third_party_extended",
            Coverage::ComprehensiveWithExcess => "comprehensive_excess",
            Coverage::Comprehensive => "comprehensive",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Coverage::ThirdParty => "Terceros",
            Coverage::ThirdPartyExtended => "Terceros ampliado",
            Coverage::ComprehensiveWithExcess => "Todo riesgo con franquicia",
            Coverage::Comprehensive => "Todo riesgo sin franquicia",
        }
    }

    /// What the level covers, in one line for the quoter.
    pub fn summary(self) -> &'static str {
        match self {
            Coverage::ThirdParty => "Responsabilidad civil obligatoria y voluntaria.",
            Coverage::ThirdPartyExtended => "Terceros más lunas, incendio y robo.",
            Coverage::ComprehensiveWithExcess => {
                "Daños propios con franquicia, lunas, incendio y robo."
            }
            Coverage::Comprehensive => "Daños propios sin franquicia, lunas, incendio y robo.",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// Optional covers a driver may add.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Extra {
    Occupants,
    LegalDefence,
    AssistanceKm0,
    Downtime,
    LicenceWithdrawal,
}

impl Extra {
    pub const ALL: [Extra; 5] = [
        Extra::Occupants,
        Extra::LegalDefence,
        Extra::AssistanceKm0,
        Extra::Downtime,
        Extra::LicenceWithdrawal,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Extra::Occupants => "occupants",
            Extra::LegalDefence => "legal_defence",
            Extra::AssistanceKm0 => "assistance_km0",
            Extra::Downtime => "downtime",
            Extra::LicenceWithdrawal => "licence_withdrawal",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Extra::Occupants => "Accidentes de ocupantes",
            Extra::LegalDefence => "Defensa jurídica",
            Extra::AssistanceKm0 => "Asistencia en viaje desde el km 0",
            Extra::Downtime => "Paralización (subsidio diario)",
            Extra::LicenceWithdrawal => "Retirada de carné",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.code() == code)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fuel {
    Combustion,
    Hybrid,
    Electric,
    Gas,
}

impl Fuel {
    pub const ALL: [Fuel; 4] = [Fuel::Combustion, Fuel::Hybrid, Fuel::Electric, Fuel::Gas];

    pub fn code(self) -> &'static str {
        match self {
            Fuel::Combustion => "combustion",
            Fuel::Hybrid => "hybrid",
            Fuel::Electric => "electric",
            Fuel::Gas => "gas",
        }
    }

    /// The fuel's Spanish label: the name of its band in the tariff.
    pub fn label(self) -> &'static str {
        tariff::FactorKind::Fuel.bands()[self.band()]
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.code() == code)
    }

    fn band(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shift {
    Day,
    Night,
    Double,
}

impl Shift {
    pub const ALL: [Shift; 3] = [Shift::Day, Shift::Night, Shift::Double];

    pub fn code(self) -> &'static str {
        match self {
            Shift::Day => "day",
            Shift::Night => "night",
            Shift::Double => "double",
        }
    }

    /// The shift's Spanish label: the name of its band in the tariff.
    pub fn label(self) -> &'static str {
        tariff::FactorKind::Shift.bands()[self.band()]
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    fn band(self) -> usize {
        self as usize
    }
}

/// A validated risk: everything the engine needs, nothing it cannot price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingInput {
    /// Year the price is computed for (vehicle age = this − registration year).
    pub as_of_year: i32,
    pub vehicle_year: i32,
    pub vehicle_value_cents: i64,
    /// 5, 7 or 9 including the driver.
    pub seats: u8,
    pub pmr: bool,
    pub fuel: Fuel,
    pub zone: Zone,
    pub shift: Shift,
    pub airport: bool,
    pub second_driver: bool,
    pub driver_age: u32,
    pub years_licensed: u32,
    pub years_as_taxi_driver: u32,
    pub claims_5y: u32,
    pub coverage: Coverage,
    /// Sorted and without repeats (the validator builds it so).
    pub extras: Vec<Extra>,
}

impl RatingInput {
    /// The band of `kind` this risk falls in (an index into `kind.bands()`).
    pub fn band(&self, kind: FactorKind) -> usize {
        match kind {
            FactorKind::DriverAge => match self.driver_age {
                ..=24 => 0,
                25..=29 => 1,
                30..=64 => 2,
                65..=69 => 3,
                _ => 4,
            },
            FactorKind::YearsLicensed => match self.years_licensed {
                ..=2 => 0,
                3..=4 => 1,
                5..=9 => 2,
                _ => 3,
            },
            FactorKind::YearsAsTaxiDriver => match self.years_as_taxi_driver {
                0 => 0,
                1..=2 => 1,
                3..=9 => 2,
                _ => 3,
            },
            FactorKind::Claims => self.claims_5y.min(4) as usize,
            FactorKind::Zone => self.zone.band(),
            FactorKind::Seats => match self.seats {
                ..=5 => 0,
                6..=7 => 1,
                _ => 2,
            },
            FactorKind::VehicleValue => match self.vehicle_value_cents {
                ..=2_000_000 => 0,
                2_000_001..=3_500_000 => 1,
                3_500_001..=5_000_000 => 2,
                _ => 3,
            },
            FactorKind::VehicleAge => match self.as_of_year - self.vehicle_year {
                ..=2 => 0,
                3..=5 => 1,
                6..=9 => 2,
                _ => 3,
            },
            FactorKind::Pmr => usize::from(self.pmr),
            FactorKind::Fuel => self.fuel.band(),
            FactorKind::Shift => self.shift.band(),
            FactorKind::Airport => usize::from(self.airport),
            FactorKind::SecondDriver => usize::from(self.second_driver),
        }
    }
}

/// What a breakdown line is, for styling and for the tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Base,
    Factor,
    Minimum,
    Option,
    Tax,
}

/// One line of the explanation. `amount_cents` is what the line adds (negative for a
/// discount); the lines add up to the total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub kind: LineKind,
    pub label: String,
    /// The band the risk fell in, for factor lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band: Option<String>,
    /// Per-mille multiplier (factor lines) or basis points (tax lines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<i64>,
    pub amount_cents: i64,
}

/// A carrier's price for one risk, with its explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub coverage: Coverage,
    pub lines: Vec<Line>,
    /// Net premium: base × factors, minimum, options.
    pub net_cents: i64,
    pub taxes_cents: i64,
    pub total_cents: i64,
    /// Twelve monthly instalments: the first carries the cents that do not divide evenly.
    pub monthly_first_cents: i64,
    pub monthly_cents: i64,
    /// Options asked for that this carrier does not offer.
    pub missing_extras: Vec<Extra>,
}

impl Quote {
    /// Whether the price covers everything asked for.
    pub fn fits_demands(&self) -> bool {
        self.missing_extras.is_empty()
    }
}

/// `amount × rate / scale`, rounded half up (amounts are never negative here).
pub fn round_half_up(amount: i64, rate: i64, scale: i64) -> i64 {
    let product = i128::from(amount) * i128::from(rate);
    let scale = i128::from(scale);
    let rounded = (product + scale / 2).div_euclid(scale);
    rounded as i64
}

/// Prices `input` with `tariff`. The tariff must be valid (`tariff.problems()` empty).
pub fn rate(tariff: &Tariff, input: &RatingInput) -> Quote {
    let mut lines = Vec::new();
    let base = tariff
        .base_cents
        .get(&input.coverage)
        .copied()
        .unwrap_or_default();
    lines.push(Line {
        kind: LineKind::Base,
        label: format!("Prima base ({})", input.coverage.label()),
        band: None,
        rate: None,
        amount_cents: base,
    });
    let mut running = base;
    for kind in FactorKind::ALL {
        let band = input.band(kind);
        let multiplier = i64::from(tariff.multiplier(kind, band));
        let after = round_half_up(running, multiplier, PER_MILLE);
        lines.push(Line {
            kind: LineKind::Factor,
            label: kind.label().to_owned(),
            band: Some(kind.bands()[band].to_owned()),
            rate: Some(multiplier),
            amount_cents: after - running,
        });
        running = after;
    }
    if running < tariff.minimum_cents {
        lines.push(Line {
            kind: LineKind::Minimum,
            label: "Ajuste a prima mínima".to_owned(),
            band: None,
            rate: None,
            amount_cents: tariff.minimum_cents - running,
        });
        running = tariff.minimum_cents;
    }
    let mut missing_extras = Vec::new();
    for &extra in &input.extras {
        match tariff.options_cents.get(&extra) {
            Some(&cents) => {
                lines.push(Line {
                    kind: LineKind::Option,
                    label: extra.label().to_owned(),
                    band: None,
                    rate: None,
                    amount_cents: cents,
                });
                running += cents;
            }
            None => missing_extras.push(extra),
        }
    }
    let net = running;
    let mut taxes = 0;
    for (label, bp) in [
        ("Impuesto sobre las primas (IPS)", tariff.ips_bp),
        ("Recargo Consorcio de Compensación", tariff.consorcio_bp),
        ("Recargo CLEA", tariff.clea_bp),
    ] {
        let amount = round_half_up(net, bp, BASIS_POINTS);
        lines.push(Line {
            kind: LineKind::Tax,
            label: label.to_owned(),
            band: None,
            rate: Some(bp),
            amount_cents: amount,
        });
        taxes += amount;
    }
    let total = net + taxes;
    let monthly = total / 12;
    Quote {
        coverage: input.coverage,
        lines,
        net_cents: net,
        taxes_cents: taxes,
        total_cents: total,
        monthly_first_cents: total - monthly * 11,
        monthly_cents: monthly,
        missing_extras,
    }
}

/// The breakdown as stored with a quote option:
/// `{"lines":[{"label":..,"amount_cents":..},..],"total_cents":N, ...}`.
pub fn breakdown_json(quote: &Quote, tariff_version_id: i64) -> serde_json::Value {
    serde_json::json!({
        "lines": quote.lines,
        "total_cents": quote.total_cents,
        "net_cents": quote.net_cents,
        "taxes_cents": quote.taxes_cents,
        "monthly_first_cents": quote.monthly_first_cents,
        "monthly_cents": quote.monthly_cents,
        "missing_extras": quote.missing_extras,
        "coverage": quote.coverage,
        "tariff_version_id": tariff_version_id,
        "rounding": "half_up_per_line",
    })
}

#[cfg(test)]
mod tests;
