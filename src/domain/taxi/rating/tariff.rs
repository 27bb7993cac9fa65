//! A carrier's taxi tariff: what the rating engine multiplies and adds. The band edges are
//! fixed in code (they are what the quoter asks); each carrier's tariff gives one multiplier
//! per band, the base premium per coverage level, option prices, the minimum premium and the
//! tax percentages. Stored as one JSON document per tariff version (see `taxi::tariffs`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Coverage, Extra};

/// Multipliers are per mille: 1000 means ×1.000, 1150 means ×1.150.
pub const PER_MILLE: i64 = 1000;
/// Percentages (taxes) are basis points: 800 means 8.00 %.
pub const BASIS_POINTS: i64 = 10_000;

/// Lowest and highest multiplier a tariff may use (×0.300 to ×5.000): outside that range a
/// figure is a typing mistake, not a pricing decision.
pub const MIN_MULTIPLIER: u32 = 300;
pub const MAX_MULTIPLIER: u32 = 5000;

/// One rating factor: the risk characteristic whose band picks a multiplier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactorKind {
    DriverAge,
    YearsLicensed,
    YearsAsTaxiDriver,
    Claims,
    Zone,
    Seats,
    VehicleValue,
    VehicleAge,
    Pmr,
    Fuel,
    Shift,
    Airport,
    SecondDriver,
}

impl FactorKind {
    /// Every factor, in the order the engine applies them (and the breakdown lists them).
    pub const ALL: [FactorKind; 13] = [
        FactorKind::DriverAge,
        FactorKind::YearsLicensed,
        FactorKind::YearsAsTaxiDriver,
        FactorKind::Claims,
        FactorKind::Zone,
        FactorKind::Seats,
        FactorKind::VehicleValue,
        FactorKind::VehicleAge,
        FactorKind::Pmr,
        FactorKind::Fuel,
        FactorKind::Shift,
        FactorKind::Airport,
        FactorKind::SecondDriver,
    ];

    pub fn code(self) -> &'static str {
        match self {
            FactorKind::DriverAge => "driver_age",
            FactorKind::YearsLicensed => "years_licensed",
            FactorKind::YearsAsTaxiDriver => "years_as_taxi_driver",
            FactorKind::Claims => "claims",
            FactorKind::Zone => "zone",
            FactorKind::Seats => "seats",
            FactorKind::VehicleValue => "vehicle_value",
            FactorKind::VehicleAge => "vehicle_age",
            FactorKind::Pmr => "pmr",
            FactorKind::Fuel => "fuel",
            FactorKind::Shift => "shift",
            FactorKind::Airport => "airport",
            FactorKind::SecondDriver => "second_driver",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FactorKind::DriverAge => "Edad del conductor",
            FactorKind::YearsLicensed => "Antigüedad del carné",
            FactorKind::YearsAsTaxiDriver => "Años como taxista",
            FactorKind::Claims => "Siniestros en los últimos 5 años",
            FactorKind::Zone => "Zona de la licencia",
            FactorKind::Seats => "Plazas",
            FactorKind::VehicleValue => "Valor del vehículo",
            FactorKind::VehicleAge => "Antigüedad del vehículo",
            FactorKind::Pmr => "Adaptado PMR",
            FactorKind::Fuel => "Combustible",
            FactorKind::Shift => "Turno",
            FactorKind::Airport => "Trabajo en aeropuerto",
            FactorKind::SecondDriver => "Segundo conductor asalariado",
        }
    }

    /// The bands' labels, in order; a tariff has exactly one multiplier per band.
    pub fn bands(self) -> &'static [&'static str] {
        match self {
            FactorKind::DriverAge => &[
                "18 a 24 años",
                "25 a 29 años",
                "30 a 64 años",
                "65 a 69 años",
                "70 años o más",
            ],
            FactorKind::YearsLicensed => &[
                "Menos de 3 años",
                "3 a 4 años",
                "5 a 9 años",
                "10 años o más",
            ],
            FactorKind::YearsAsTaxiDriver => &[
                "Menos de 1 año",
                "1 a 2 años",
                "3 a 9 años",
                "10 años o más",
            ],
            FactorKind::Claims => &[
                "Ninguno",
                "1 siniestro",
                "2 siniestros",
                "3 siniestros",
                "4 o más siniestros",
            ],
            FactorKind::Zone => &[
                "Zona 1 (Madrid, Barcelona)",
                "Zona 2 (grandes ciudades y sus áreas)",
                "Zona 3 (provincias de alta densidad)",
                "Zona 4 (resto)",
            ],
            FactorKind::Seats => &["5 plazas", "7 plazas", "9 plazas"],
            FactorKind::VehicleValue => &[
                "Hasta 20.000 €",
                "20.000,01 a 35.000 €",
                "35.000,01 a 50.000 €",
                "Más de 50.000 €",
            ],
            FactorKind::VehicleAge => {
                &["Hasta 2 años", "3 a 5 años", "6 a 9 años", "10 años o más"]
            }
            FactorKind::Pmr => &["No adaptado", "Adaptado PMR"],
            FactorKind::Fuel => &[
                "Gasolina o diésel",
                "Híbrido",
                "Eléctrico",
                "GLP o gas natural",
            ],
            FactorKind::Shift => &[
                "Turno de día",
                "Turno de noche",
                "Doble turno (día y noche)",
            ],
            FactorKind::Airport => &["No", "Sí"],
            FactorKind::SecondDriver => &["No", "Sí"],
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// A carrier's tariff, as one version stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tariff {
    /// Annual base premium in cents by coverage level (before factors).
    pub base_cents: BTreeMap<Coverage, i64>,
    /// One per-mille multiplier per band of each factor.
    pub factors: BTreeMap<FactorKind, Vec<u32>>,
    /// Annual price in cents of each option the carrier offers; absent: not offered.
    pub options_cents: BTreeMap<Extra, i64>,
    /// The net premium never goes below this (before options).
    pub minimum_cents: i64,
    /// Impuesto sobre las Primas de Seguros, basis points of the net premium.
    pub ips_bp: i64,
    /// Recargo del Consorcio de Compensación de Seguros, basis points of the net premium.
    pub consorcio_bp: i64,
    /// Recargo CLEA (liquidación de entidades aseguradoras), basis points of the net premium.
    pub clea_bp: i64,
}

/// What is wrong with a tariff, by field name of the edit form (`base_<coverage>`,
/// `f_<factor>_<band>`, `opt_<option>`, `minimum`, `ips`, `consorcio`, `clea`).
pub type TariffProblems = Vec<(String, String)>;

impl Tariff {
    /// The multiplier of `kind` at `band`. Only valid tariffs reach the engine, so the index
    /// exists; a missing one counts as ×1.000 rather than a panic.
    pub fn multiplier(&self, kind: FactorKind, band: usize) -> u32 {
        self.factors
            .get(&kind)
            .and_then(|bands| bands.get(band))
            .copied()
            .unwrap_or(PER_MILLE as u32)
    }

    /// Checks everything the engine and its guarantees rely on: every coverage priced and
    /// more cover never cheaper, one multiplier per band within range, claims multipliers
    /// never decreasing (more claims never cheaper), non-negative prices, sane percentages.
    pub fn problems(&self) -> TariffProblems {
        let mut problems = Vec::new();
        let mut previous = 0;
        for coverage in Coverage::ALL {
            let field = format!("base_{}", coverage.code());
            match self.base_cents.get(&coverage) {
                None => problems.push((field, "Falta la prima base.".to_owned())),
                Some(&cents) if cents <= 0 || cents > 10_000_000 => problems.push((
                    field,
                    "La prima base debe estar entre 0,01 y 100.000 €.".to_owned(),
                )),
                Some(&cents) if cents < previous => problems.push((
                    field,
                    "Una cobertura mayor no puede costar menos que la anterior.".to_owned(),
                )),
                Some(&cents) => previous = cents,
            }
        }
        for kind in FactorKind::ALL {
            let bands = self.factors.get(&kind).map(Vec::as_slice).unwrap_or(&[]);
            if bands.len() != kind.bands().len() {
                problems.push((
                    format!("f_{}_0", kind.code()),
                    format!("{}: faltan tramos.", kind.label()),
                ));
                continue;
            }
            for (band, &m) in bands.iter().enumerate() {
                if !(MIN_MULTIPLIER..=MAX_MULTIPLIER).contains(&m) {
                    problems.push((
                        format!("f_{}_{band}", kind.code()),
                        "El coeficiente debe estar entre 0,300 y 5,000.".to_owned(),
                    ));
                } else if kind == FactorKind::Claims && band > 0 && m < bands[band - 1] {
                    problems.push((
                        format!("f_{}_{band}", kind.code()),
                        "Más siniestros no pueden dar un coeficiente menor.".to_owned(),
                    ));
                }
            }
        }
        for (extra, &cents) in &self.options_cents {
            if !(0..=1_000_000).contains(&cents) {
                problems.push((
                    format!("opt_{}", extra.code()),
                    "El precio de la opción debe estar entre 0 y 10.000 €.".to_owned(),
                ));
            }
        }
        if !(0..=10_000_000).contains(&self.minimum_cents) {
            problems.push((
                "minimum".to_owned(),
                "La prima mínima debe estar entre 0 y 100.000 €.".to_owned(),
            ));
        }
        for (field, bp) in [
            ("ips", self.ips_bp),
            ("consorcio", self.consorcio_bp),
            ("clea", self.clea_bp),
        ] {
            if !(0..=3000).contains(&bp) {
                problems.push((
                    field.to_owned(),
                    "El porcentaje debe estar entre 0 y 30 %.".to_owned(),
                ));
            }
        }
        problems
    }
}
