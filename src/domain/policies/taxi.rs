//! The insured risk of a taxi policy: the vehicle, the licence, the driver and the cover asked
//! for. The quoter ("Lo quiero") writes it into the quote and accepting the quote carries it
//! into the policy unchanged; staff type it in the policy and quote forms.
//!
//! The stored JSON (`{"kind":"taxi", ...}` in `quotes.risk` and `policies.risk`) keeps codes
//! (`"fuel":"hybrid"`, `"coverage":"third_party_extended"`, amounts in cents); people only see
//! the Spanish labels of [`Taxi::summary`]. Reading is tolerant of the first shape the quoter
//! wrote (province as text, plate without spaces, cover only inside `rating_input`), which the
//! migration `000240_taxi_risk` rewrites to the current one.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::rules::{Plate, RiskInput};
use crate::identifiers::province_name;
use crate::money::{cents_for_input, format_cents};
use crate::taxi::rating::{self, Coverage, Extra, FactorKind, Fuel, RatingInput, Zone};
use crate::validation::FieldErrors;

/// A taxi as insured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "StoredTaxi", into = "StoredTaxi")]
pub struct Taxi {
    /// Make and model, when known (the quoter does not ask for them).
    pub make: Option<String>,
    pub model: Option<String>,
    pub plate: Plate,
    pub vehicle_year: i32,
    /// 5, 7 or 9, the driver included.
    pub seats: u8,
    /// Adapted for wheelchairs (PMR).
    pub pmr: bool,
    pub fuel: Fuel,
    pub vehicle_value_cents: i64,
    pub licence_municipality: String,
    /// INE code of the licence's province (1–52).
    pub licence_province: u32,
    pub licence_number: String,
    /// Follows from the licence's municipality and province.
    pub zone: Zone,
    pub driver_age: u32,
    pub years_licensed: u32,
    pub years_as_taxi_driver: u32,
    pub claims_5y: u32,
    pub coverage: Coverage,
    /// Optional covers, sorted, without repeats.
    pub options: Vec<Extra>,
}

/// The licence's province as stored: a number, or the text the quoter's form sent ("28").
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum StoredProvince {
    Code(u32),
    Text(String),
}

/// The JSON shape of [`Taxi`]: codes and cents, every field named as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredTaxi {
    #[serde(default)]
    make: Option<String>,
    #[serde(default)]
    model: Option<String>,
    plate: String,
    vehicle_year: i32,
    seats: u8,
    pmr: bool,
    fuel: String,
    vehicle_value_cents: i64,
    licence_municipality: String,
    licence_province: StoredProvince,
    licence_number: String,
    #[serde(default)]
    zone: Option<u8>,
    driver_age: u32,
    years_licensed: u32,
    years_as_taxi_driver: u32,
    claims_5y: u32,
    #[serde(default)]
    coverage: Option<String>,
    #[serde(default)]
    options: Option<Vec<String>>,
    /// The quoter's priced input (first shape): the cover and options were only here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rating_input: Option<serde_json::Value>,
}

impl TryFrom<StoredTaxi> for Taxi {
    type Error = String;

    fn try_from(stored: StoredTaxi) -> Result<Self, String> {
        let fuel = Fuel::ALL
            .into_iter()
            .find(|f| f.code() == stored.fuel)
            .ok_or_else(|| format!("combustible desconocido: {}", stored.fuel))?;
        let licence_province = match &stored.licence_province {
            StoredProvince::Code(code) => Some(*code),
            StoredProvince::Text(text) => text.trim().parse().ok(),
        }
        .filter(|code| province_name(*code).is_some())
        .ok_or("provincia de la licencia desconocida")?;
        let input = stored.rating_input.as_ref();
        let coverage = match &stored.coverage {
            Some(code) => Coverage::parse(code),
            // The engine's own serialisation ("comprehensive_with_excess").
            None => input
                .and_then(|i| i.get("coverage"))
                .and_then(|c| serde_json::from_value(c.clone()).ok()),
        }
        .ok_or("nivel de cobertura desconocido")?;
        let options = match &stored.options {
            Some(codes) => codes
                .iter()
                .map(|code| Extra::parse(code).ok_or(format!("garantía desconocida: {code}")))
                .collect::<Result<Vec<_>, _>>()?,
            None => input
                .and_then(|i| i.get("extras"))
                .map(|e| serde_json::from_value::<Vec<Extra>>(e.clone()))
                .transpose()
                .map_err(|e| e.to_string())?
                .unwrap_or_default(),
        };
        let zone = stored
            .zone
            .and_then(zone_of_number)
            .unwrap_or_else(|| Zone::of(&stored.licence_municipality, licence_province));
        Ok(Taxi {
            make: stored.make.filter(|m| !m.trim().is_empty()),
            model: stored.model.filter(|m| !m.trim().is_empty()),
            // A plate typed before plates were normalised stays as it was.
            plate: Plate::parse(&stored.plate).unwrap_or(Plate::unchecked(stored.plate)),
            vehicle_year: stored.vehicle_year,
            seats: stored.seats,
            pmr: stored.pmr,
            fuel,
            vehicle_value_cents: stored.vehicle_value_cents,
            licence_municipality: stored.licence_municipality,
            licence_province,
            licence_number: stored.licence_number,
            zone,
            driver_age: stored.driver_age,
            years_licensed: stored.years_licensed,
            years_as_taxi_driver: stored.years_as_taxi_driver,
            claims_5y: stored.claims_5y,
            coverage,
            options: sorted(options),
        })
    }
}

impl From<Taxi> for StoredTaxi {
    fn from(taxi: Taxi) -> Self {
        StoredTaxi {
            make: taxi.make,
            model: taxi.model,
            plate: taxi.plate.as_str().to_owned(),
            vehicle_year: taxi.vehicle_year,
            seats: taxi.seats,
            pmr: taxi.pmr,
            fuel: taxi.fuel.code().to_owned(),
            vehicle_value_cents: taxi.vehicle_value_cents,
            licence_municipality: taxi.licence_municipality,
            licence_province: StoredProvince::Code(taxi.licence_province),
            licence_number: taxi.licence_number,
            zone: Some(taxi.zone.number()),
            driver_age: taxi.driver_age,
            years_licensed: taxi.years_licensed,
            years_as_taxi_driver: taxi.years_as_taxi_driver,
            claims_5y: taxi.claims_5y,
            coverage: Some(taxi.coverage.code().to_owned()),
            options: Some(taxi.options.iter().map(|o| o.code().to_owned()).collect()),
            rating_input: None,
        }
    }
}

fn zone_of_number(number: u8) -> Option<Zone> {
    [Zone::One, Zone::Two, Zone::Three, Zone::Four]
        .into_iter()
        .find(|z| z.number() == number)
}

fn sorted(mut options: Vec<Extra>) -> Vec<Extra> {
    options.sort();
    options.dedup();
    options
}

/// The label of `band` of a rating factor (the tariff's own wording).
fn band_label(kind: FactorKind, band: usize) -> &'static str {
    kind.bands().get(band).copied().unwrap_or("")
}

fn years(n: u32) -> String {
    if n == 1 {
        "1 año".to_owned()
    } else {
        format!("{n} años")
    }
}

impl Taxi {
    /// The taxi priced by the quoter: its rating input plus what the request form added.
    pub fn from_rating(
        input: &RatingInput,
        plate: Plate,
        licence_number: &str,
        licence_municipality: &str,
        licence_province: u32,
    ) -> Taxi {
        Taxi {
            make: None,
            model: None,
            plate,
            vehicle_year: input.vehicle_year,
            seats: input.seats,
            pmr: input.pmr,
            fuel: input.fuel,
            vehicle_value_cents: input.vehicle_value_cents,
            licence_municipality: licence_municipality.trim().to_owned(),
            licence_province,
            licence_number: licence_number.trim().to_owned(),
            zone: input.zone,
            driver_age: input.driver_age,
            years_licensed: input.years_licensed,
            years_as_taxi_driver: input.years_as_taxi_driver,
            claims_5y: input.claims_5y,
            coverage: input.coverage,
            options: sorted(input.extras.clone()),
        }
    }

    pub fn fuel_label(&self) -> &'static str {
        fuel_label(self.fuel)
    }

    pub fn zone_label(&self) -> &'static str {
        band_label(FactorKind::Zone, self.zone.band())
    }

    pub fn province_label(&self) -> &'static str {
        province_name(self.licence_province).unwrap_or("")
    }

    /// "Accidentes de ocupantes, Defensa jurídica" or "Ninguna".
    pub fn options_label(&self) -> String {
        if self.options.is_empty() {
            "Ninguna".to_owned()
        } else {
            self.options
                .iter()
                .map(|o| o.label())
                .collect::<Vec<_>>()
                .join(", ")
        }
    }

    /// (label, value) pairs for the pages, in Spanish, amounts in euros.
    pub fn summary(&self) -> Vec<(String, String)> {
        let pair = |l: &str, v: String| (l.to_owned(), v);
        let mut rows = Vec::with_capacity(16);
        let vehicle = [self.make.as_deref(), self.model.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        if !vehicle.is_empty() {
            rows.push(pair("Marca y modelo", vehicle));
        }
        rows.extend([
            pair("Matrícula", self.plate.as_str().to_owned()),
            pair("Año de matriculación", self.vehicle_year.to_string()),
            pair(
                "Plazas",
                format!("{} plazas (con el conductor)", self.seats),
            ),
            pair(
                "Adaptado para sillas de ruedas (PMR)",
                if self.pmr { "Sí" } else { "No" }.to_owned(),
            ),
            pair("Combustible", self.fuel_label().to_owned()),
            pair("Valor del vehículo", format_cents(self.vehicle_value_cents)),
            pair("Licencia de taxi", format!("N.º {}", self.licence_number)),
            pair(
                "Municipio de la licencia",
                format!("{} ({})", self.licence_municipality, self.province_label()),
            ),
            pair("Zona", self.zone_label().to_owned()),
            pair("Edad del conductor", years(self.driver_age)),
            pair("Antigüedad del carné", years(self.years_licensed)),
            pair("Años como taxista", years(self.years_as_taxi_driver)),
            pair(
                "Siniestros en los últimos 5 años",
                match self.claims_5y {
                    0 => "Ninguno".to_owned(),
                    n => n.to_string(),
                },
            ),
            pair("Cobertura", self.coverage.label().to_owned()),
            pair("Garantías opcionales", self.options_label()),
        ]);
        rows
    }

    /// The taxi as the forms' fields, to carry a quote's taxi into a policy untouched.
    pub fn fill(&self, input: &mut RiskInput) {
        input.taxi_matricula = self.plate.as_str().to_owned();
        input.taxi_marca = self.make.clone().unwrap_or_default();
        input.taxi_modelo = self.model.clone().unwrap_or_default();
        input.taxi_anio = self.vehicle_year.to_string();
        input.taxi_plazas = self.seats.to_string();
        input.taxi_pmr = if self.pmr { "si" } else { "" }.to_owned();
        input.taxi_combustible = self.fuel.code().to_owned();
        input.taxi_valor = cents_for_input(self.vehicle_value_cents);
        input.taxi_municipio = self.licence_municipality.clone();
        input.taxi_provincia = format!("{:02}", self.licence_province);
        input.taxi_licencia = self.licence_number.clone();
        input.taxi_edad = self.driver_age.to_string();
        input.taxi_carne = self.years_licensed.to_string();
        input.taxi_taxista = self.years_as_taxi_driver.to_string();
        input.taxi_siniestros = self.claims_5y.to_string();
        input.taxi_cobertura = self.coverage.code().to_owned();
        for (field, extra) in OPTION_FIELDS {
            *input.option_mut(field) = if self.options.contains(&extra) {
                "si".to_owned()
            } else {
                String::new()
            };
        }
    }
}

pub fn fuel_label(fuel: Fuel) -> &'static str {
    band_label(FactorKind::Fuel, fuel as usize)
}

/// The optional covers' checkboxes: (form field, cover).
pub const OPTION_FIELDS: [(&str, Extra); 5] = [
    ("taxi_ocupantes", Extra::Occupants),
    ("taxi_defensa", Extra::LegalDefence),
    ("taxi_asistencia", Extra::AssistanceKm0),
    ("taxi_paralizacion", Extra::Downtime),
    ("taxi_retirada", Extra::LicenceWithdrawal),
];

/// The rating validator's field names and the taxi form's names for them.
const RATING_FIELDS: [(&str, &str); 11] = [
    ("anio", "taxi_anio"),
    ("valor", "taxi_valor"),
    ("plazas", "taxi_plazas"),
    ("combustible", "taxi_combustible"),
    ("municipio", "taxi_municipio"),
    ("provincia", "taxi_provincia"),
    ("edad", "taxi_edad"),
    ("carne", "taxi_carne"),
    ("taxista", "taxi_taxista"),
    ("siniestros", "taxi_siniestros"),
    ("cobertura", "taxi_cobertura"),
];

fn optional_text(
    errors: &mut FieldErrors,
    field: &'static str,
    value: &str,
    max: usize,
) -> Option<String> {
    let value = value.trim();
    if value.chars().count() > max {
        errors.add(field, format!("Escriba como mucho {max} caracteres."));
    }
    (!value.is_empty()).then(|| value.to_owned())
}

/// Parses the taxi fields of a form, with the quoter's own rules for what it prices (vehicle
/// age, value, seats, driver's years, cover) and Spanish messages next to each field.
pub fn parse(input: &RiskInput, today: NaiveDate, errors: &mut FieldErrors) -> Option<Taxi> {
    let plate = Plate::parse(&input.taxi_matricula)
        .map_err(|m| errors.add("taxi_matricula", m))
        .ok();
    let make = optional_text(errors, "taxi_marca", &input.taxi_marca, 60);
    let model = optional_text(errors, "taxi_modelo", &input.taxi_modelo, 60);
    let licence_number = input.taxi_licencia.trim();
    if licence_number.is_empty() {
        errors.add("taxi_licencia", "Escriba el número de la licencia de taxi.");
    } else if licence_number.chars().count() > 30 {
        errors.add(
            "taxi_licencia",
            "El número de licencia no puede tener más de 30 caracteres.",
        );
    }
    let raw = rating::RawInput {
        anio: input.taxi_anio.clone(),
        valor: input.taxi_valor.clone(),
        plazas: input.taxi_plazas.clone(),
        pmr: input.taxi_pmr.clone(),
        combustible: input.taxi_combustible.clone(),
        municipio: input.taxi_municipio.clone(),
        provincia: input.taxi_provincia.clone(),
        edad: input.taxi_edad.clone(),
        carne: input.taxi_carne.clone(),
        taxista: input.taxi_taxista.clone(),
        siniestros: input.taxi_siniestros.clone(),
        cobertura: input.taxi_cobertura.clone(),
        ocupantes: input.taxi_ocupantes.clone(),
        defensa: input.taxi_defensa.clone(),
        asistencia: input.taxi_asistencia.clone(),
        paralizacion: input.taxi_paralizacion.clone(),
        retirada: input.taxi_retirada.clone(),
        ..rating::RawInput::default()
    };
    let rated = match rating::validate(&raw, today.year()) {
        Ok(rated) => Some(rated),
        Err(rating_errors) => {
            for (from, to) in RATING_FIELDS {
                if let Some(message) = rating_errors.get(from) {
                    errors.add(to, message.to_owned());
                }
            }
            None
        }
    };
    let province = rating::input::province_code(&input.taxi_provincia)?;
    let mut taxi = Taxi::from_rating(
        &rated?,
        plate?,
        licence_number,
        &input.taxi_municipio,
        province,
    );
    taxi.make = make;
    taxi.model = model;
    Some(taxi)
}

/// (code, label) choices of the taxi form's selects.
pub fn seat_choices() -> Vec<(String, String)> {
    [5, 7, 9]
        .into_iter()
        .map(|n| (n.to_string(), format!("{n} plazas")))
        .collect()
}

pub fn fuel_choices() -> Vec<(String, String)> {
    Fuel::ALL
        .into_iter()
        .map(|f| (f.code().to_owned(), fuel_label(f).to_owned()))
        .collect()
}

pub fn province_choices() -> Vec<(String, String)> {
    let mut list: Vec<(String, String)> = crate::identifiers::provinces()
        .map(|(code, name)| (format!("{code:02}"), name.to_owned()))
        .collect();
    list.sort_by(|a, b| a.1.cmp(&b.1));
    list.insert(0, (String::new(), "Elija la provincia".to_owned()));
    list
}

pub fn coverage_choices() -> Vec<(String, String)> {
    let mut list: Vec<(String, String)> = Coverage::ALL
        .into_iter()
        .map(|c| (c.code().to_owned(), c.label().to_owned()))
        .collect();
    list.insert(0, (String::new(), "Elija la cobertura".to_owned()));
    list
}

/// (code, label, selected) of the options of the taxi form's select `field`.
pub fn choices(field: &str, input: &RiskInput) -> Vec<(String, String, bool)> {
    let (list, current) = match field {
        "taxi_plazas" => (seat_choices(), &input.taxi_plazas),
        "taxi_combustible" => (fuel_choices(), &input.taxi_combustible),
        "taxi_provincia" => (province_choices(), &input.taxi_provincia),
        _ => (coverage_choices(), &input.taxi_cobertura),
    };
    list.into_iter()
        .map(|(code, label)| {
            let selected = code == current.trim();
            (code, label, selected)
        })
        .collect()
}

/// (form field, label, ticked) of the optional covers' checkboxes.
pub fn option_checkboxes(input: &RiskInput) -> Vec<(&'static str, &'static str, bool)> {
    OPTION_FIELDS
        .into_iter()
        .map(|(field, extra)| (field, extra.label(), !input.option(field).trim().is_empty()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policies::Risk;
    use serde_json::json;

    /// A taxi risk exactly as the quoter's first version stored it in `quotes.risk`.
    fn first_shape() -> serde_json::Value {
        json!({
            "kind": "taxi",
            "plate": "1234BCD",
            "vehicle_year": 2022,
            "vehicle_value_cents": 2_800_000,
            "seats": 7,
            "pmr": true,
            "fuel": "hybrid",
            "licence_number": "MAD-0042",
            "licence_municipality": "Madrid",
            "licence_province": "28",
            "zone": 1,
            "driver_age": 45,
            "years_licensed": 20,
            "years_as_taxi_driver": 8,
            "claims_5y": 1,
            "rating_input": {
                "as_of_year": 2026, "vehicle_year": 2022, "vehicle_value_cents": 2_800_000,
                "seats": 7, "pmr": true, "fuel": "hybrid", "zone": "One", "shift": "day",
                "airport": false, "second_driver": false, "driver_age": 45,
                "years_licensed": 20, "years_as_taxi_driver": 8, "claims_5y": 1,
                "coverage": "comprehensive_with_excess",
                "extras": ["legal_defence", "occupants"]
            }
        })
    }

    fn taxi(risk: Risk) -> Taxi {
        match risk {
            Risk::Taxi(taxi) => taxi,
            other => panic!("not a taxi: {other:?}"),
        }
    }

    #[test]
    fn the_quoters_first_shape_reads_as_a_taxi() {
        let taxi = taxi(serde_json::from_value(first_shape()).unwrap());
        assert_eq!(taxi.plate.as_str(), "1234 BCD");
        assert_eq!(taxi.licence_province, 28);
        assert_eq!(taxi.zone, Zone::One);
        assert_eq!(taxi.fuel, Fuel::Hybrid);
        assert_eq!(taxi.coverage, Coverage::ComprehensiveWithExcess);
        assert_eq!(taxi.options, vec![Extra::Occupants, Extra::LegalDefence]);
        assert_eq!(taxi.make, None);
        assert_eq!(taxi.vehicle_value_cents, 2_800_000);
    }

    #[test]
    fn a_taxi_is_written_with_codes_and_reads_back_the_same() {
        let read = taxi(serde_json::from_value(first_shape()).unwrap());
        let json = serde_json::to_value(Risk::Taxi(read.clone())).unwrap();
        assert_eq!(json["kind"], "taxi");
        assert_eq!(json["plate"], "1234 BCD");
        assert_eq!(json["licence_province"], 28);
        assert_eq!(json["coverage"], "comprehensive_excess");
        assert_eq!(json["options"], json!(["occupants", "legal_defence"]));
        assert_eq!(json["fuel"], "hybrid");
        assert_eq!(json["zone"], 1);
        assert!(json.get("rating_input").is_none());
        assert_eq!(taxi(serde_json::from_value(json).unwrap()), read);
    }

    #[test]
    fn the_migrated_shape_wins_over_the_rating_input() {
        let mut json = first_shape();
        json["coverage"] = json!("third_party");
        json["options"] = json!([]);
        json["licence_province"] = json!(28);
        json["make"] = json!("Toyota");
        json["model"] = json!("Corolla");
        let taxi = taxi(serde_json::from_value(json).unwrap());
        assert_eq!(taxi.coverage, Coverage::ThirdParty);
        assert!(taxi.options.is_empty());
        assert_eq!(taxi.make.as_deref(), Some("Toyota"));
    }

    #[test]
    fn unknown_codes_are_refused_not_guessed() {
        let mut json = first_shape();
        json["fuel"] = json!("diesel");
        assert!(serde_json::from_value::<Risk>(json).is_err());
        let mut json = first_shape();
        json["rating_input"]
            .as_object_mut()
            .unwrap()
            .remove("coverage");
        assert!(serde_json::from_value::<Risk>(json).is_err());
    }

    #[test]
    fn the_summary_speaks_spanish_and_euros() {
        let summary = Risk::Taxi(taxi(serde_json::from_value(first_shape()).unwrap())).summary();
        let value = |label: &str| {
            summary
                .iter()
                .find(|(l, _)| l == label)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| panic!("{label} missing"))
        };
        assert_eq!(value("Valor del vehículo"), "28.000,00 €");
        assert_eq!(value("Combustible"), "Híbrido");
        assert_eq!(value("Cobertura"), "Todo riesgo con franquicia");
        assert_eq!(
            value("Garantías opcionales"),
            "Accidentes de ocupantes, Defensa jurídica"
        );
        assert_eq!(value("Municipio de la licencia"), "Madrid (Madrid)");
        assert_eq!(value("Adaptado para sillas de ruedas (PMR)"), "Sí");
        let all = format!("{summary:?}");
        for code in ["hybrid", "comprehensive", "legal_defence", "2800000"] {
            assert!(!all.contains(code), "{code} shown: {all}");
        }
    }

    #[test]
    fn the_form_fields_carry_a_taxi_unchanged() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let original = taxi(serde_json::from_value(first_shape()).unwrap());
        let mut input = RiskInput::default();
        original.fill(&mut input);
        let mut errors = FieldErrors::new();
        let parsed = parse(&input, today, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(parsed, Some(original));
    }

    #[test]
    fn a_bad_taxi_form_says_what_is_wrong_by_field() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let input = RiskInput {
            taxi_matricula: "1234 BAD".into(),
            taxi_anio: "1990".into(),
            taxi_valor: "-5".into(),
            taxi_edad: "16".into(),
            ..RiskInput::default()
        };
        let mut errors = FieldErrors::new();
        assert_eq!(parse(&input, today, &mut errors), None);
        assert!(errors.get("taxi_matricula").unwrap().contains("matrícula"));
        assert!(errors.get("taxi_anio").unwrap().contains("2006"));
        assert!(errors.get("taxi_valor").unwrap().contains("negativo"));
        assert!(errors.get("taxi_edad").unwrap().contains("18"));
        assert!(errors.has("taxi_licencia"));
        assert!(errors.has("taxi_municipio"));
        assert!(errors.has("taxi_provincia"));
        assert!(errors.has("taxi_cobertura"));
    }
}
