//! "Lo quiero": a driver asks for the policy. One transaction writes the lead (source taxi),
//! its submission and privacy consent, the quote with one priced option per carrier (each
//! with its tariff version and full breakdown), the domain events and the confirmation
//! e-mail with the private link to the quote.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit;
use crate::db::DbError;
use crate::db::form_submissions::{self, Claimed};
use crate::db::schema::{
    lead_consents, lead_submissions, leads, lines_of_business, quote_options, quotes,
};
use crate::identifiers::{Dni, Email, Phone};
use crate::leads::duplicates::{self, Match};
use crate::policies::{Plate, Risk, Taxi};
use crate::taxi::rating::{self, RatingInput, RawInput};
use crate::taxi::tariffs::PublishedTariff;
use crate::validation::FieldErrors;

/// Version of the pre-contract information text shown before "Lo quiero" (change it whenever
/// the text in `templates/site/taxi/_precontract.html` changes).
pub const PRECONTRACT_VERSION: &str = crate::distribution::precontract::VERSION;
/// Version of the privacy notice the driver accepts.
pub const PRIVACY_VERSION: &str = "taxi-privacidad-2026-11-v1";
/// The words of the box the driver ticks (kept in full with the consent).
pub const PRIVACY_TEXT: &str = "He leído la información previa y la política de protección de datos, y acepto que traten mis datos para tramitar mi seguro.";
/// How long an indicative price and its link stay valid.
pub const VALID_DAYS: i64 = 30;
/// Outbox kind of the confirmation e-mail.
pub const EMAIL_KIND: &str = "taxi.quote_requested";

/// One carrier's price for a risk.
#[derive(Debug, Clone)]
pub struct CarrierPrice {
    pub version_id: i64,
    pub carrier_id: i64,
    pub carrier_code: String,
    pub carrier_name: String,
    pub product_id: Option<i64>,
    pub quote: rating::Quote,
}

/// Prices `input` with every published tariff (pure computation).
pub fn price_all(book: &[PublishedTariff], input: &RatingInput) -> Vec<CarrierPrice> {
    book.iter()
        .map(|t| CarrierPrice {
            version_id: t.version_id,
            carrier_id: t.carrier_id,
            carrier_code: t.carrier_code.clone(),
            carrier_name: t.carrier_name.clone(),
            product_id: t.product_id,
            quote: rating::rate(&t.tariff, input),
        })
        .collect()
}

/// The names of the request form's own fields (those of [`RawApplicant`]).
pub const APPLICANT_FIELDS: [&str; 7] = [
    "nombre",
    "dni",
    "telefono",
    "email",
    "matricula",
    "licencia",
    "privacidad",
];

/// The driver's details as typed on the request form.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RawApplicant {
    pub nombre: String,
    pub dni: String,
    pub telefono: String,
    pub email: String,
    pub matricula: String,
    pub licencia: String,
    pub privacidad: String,
}

#[derive(Debug, Clone)]
pub struct Applicant {
    pub full_name: String,
    pub dni: Dni,
    pub phone: Phone,
    pub email: Email,
    pub plate: String,
    pub licence_number: String,
}

/// A Spanish plate, normalised without spaces or dashes: the current format (4 digits and 3
/// consonants, no vowels, Ñ or Q: `1234BCD`) or an older provincial one (1–2 letters, 4
/// digits, 0–2 letters: `M1234AB`).
pub fn parse_plate(text: &str) -> Result<String, &'static str> {
    let value: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_uppercase();
    if value.is_empty() {
        return Err("Escriba la matrícula.");
    }
    let bytes = value.as_bytes();
    let consonant = |b: &u8| b.is_ascii_uppercase() && !b"AEIOUQ".contains(b);
    let current = bytes.len() == 7
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4..].iter().all(consonant);
    let letters = bytes.iter().take_while(|b| b.is_ascii_uppercase()).count();
    let digits = bytes[letters..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let suffix = &bytes[letters + digits..];
    let provincial = (1..=2).contains(&letters)
        && digits == 4
        && suffix.len() <= 2
        && suffix.iter().all(u8::is_ascii_uppercase);
    if current || provincial {
        Ok(value)
    } else {
        Err("La matrícula no es válida (por ejemplo, 1234 BCD).")
    }
}

pub fn validate_applicant(raw: &RawApplicant) -> Result<Applicant, FieldErrors> {
    let mut errors = FieldErrors::new();
    let full_name = raw.nombre.trim();
    if full_name.is_empty() {
        errors.add("nombre", "Escriba su nombre y apellidos.");
    } else if full_name.chars().count() > 200 {
        errors.add("nombre", "El nombre no puede tener más de 200 caracteres.");
    }
    let dni = Dni::parse(&raw.dni).map_err(|m| errors.add("dni", m)).ok();
    let phone = Phone::parse(&raw.telefono)
        .map_err(|m| errors.add("telefono", m))
        .ok();
    let email = Email::parse(&raw.email)
        .map_err(|m| errors.add("email", m))
        .ok();
    let plate = parse_plate(&raw.matricula)
        .map_err(|m| errors.add("matricula", m))
        .ok();
    let licence_number = raw.licencia.trim();
    if licence_number.is_empty() {
        errors.add("licencia", "Escriba el número de su licencia de taxi.");
    } else if licence_number.chars().count() > 30 {
        errors.add(
            "licencia",
            "El número de licencia no puede tener más de 30 caracteres.",
        );
    }
    if raw.privacidad.trim().is_empty() {
        errors.add(
            "privacidad",
            "Para tramitar su solicitud necesitamos que acepte la política de privacidad.",
        );
    }
    match (dni, phone, email, plate) {
        (Some(dni), Some(phone), Some(email), Some(plate)) if errors.is_empty() => Ok(Applicant {
            full_name: full_name.to_owned(),
            dni,
            phone,
            email,
            plate,
            licence_number: licence_number.to_owned(),
        }),
        _ => Err(errors),
    }
}

/// Everything one request writes.
pub struct TaxiRequest {
    pub applicant: Applicant,
    pub raw: RawInput,
    pub input: RatingInput,
    pub prices: Vec<CarrierPrice>,
    /// The carrier whose "Lo quiero" the driver pressed, if any.
    pub preferred_carrier_id: Option<i64>,
    pub precontract_shown_at: DateTime<Utc>,
    pub form_token: String,
    pub ip: String,
    pub user_agent: String,
    pub today: NaiveDate,
    pub base_url: String,
    /// Whose pre-contract information the quoter showed (kept in full with the quote).
    pub broker: crate::distribution::precontract::BrokerIdentity,
}

pub enum Requested {
    Created {
        quote_id: i64,
        number: String,
        token: String,
    },
    /// The same form was sent before: its quote.
    Repeated(Option<i64>),
    /// Too many requests from this address lately: nothing written.
    RateLimited,
}

/// Requests one address may send per hour (a family or a taxi rank may share one, so the
/// limit stops scripts, not people).
pub const REQUESTS_PER_IP_PER_HOUR: i64 = 10;

/// The demands and needs recorded with the quote (IDD): what was asked for and the use.
pub fn demands_and_needs(request: &TaxiRequest) -> serde_json::Value {
    let input = &request.input;
    json!({
        "coverage_level": input.coverage.code(),
        "coverage_label": input.coverage.label(),
        "options": input.extras.iter().map(|e| e.code()).collect::<Vec<_>>(),
        "options_labels": input.extras.iter().map(|e| e.label()).collect::<Vec<_>>(),
        "use": {
            "activity": "taxi",
            "shift": input.shift.code(),
            "airport": input.airport,
            "second_driver": input.second_driver,
        },
        "preferred_carrier_id": request.preferred_carrier_id,
    })
}

/// The distribution record of a taxi quote (RDL 3/2020): the driver's answers in the quoter
/// are their demands and needs, the quoter recommends the option that covers them at the
/// lowest price (or the one the driver chose, when it covers them), and the pre-contract
/// information was on screen, with the acceptance box, before the price was asked for.
fn record_sale(
    conn: &mut PgConnection,
    quote_id: i64,
    request: &TaxiRequest,
    options: &[(i64, &CarrierPrice)],
) -> QueryResult<()> {
    use crate::distribution::{Channel, legal_texts, needs::Answer, precontract, records};
    let input = &request.input;
    let yes_no = |b: bool| if b { "Sí" } else { "No" }.to_owned();
    let extras = if input.extras.is_empty() {
        "Ninguna".to_owned()
    } else {
        input
            .extras
            .iter()
            .map(|e| e.label())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let answers = vec![
        Answer {
            code: "cobertura".into(),
            question: "¿Qué quiere tener cubierto?".into(),
            answer: input.coverage.label().to_owned(),
        },
        Answer {
            code: "garantias".into(),
            question: "Garantías adicionales que pidió".into(),
            answer: extras,
        },
        Answer {
            code: "turnos".into(),
            question: "¿Cuántos turnos trabaja el taxi?".into(),
            answer: input.shift.label().to_owned(),
        },
        Answer {
            code: "aeropuerto".into(),
            question: "¿Trabaja en el aeropuerto?".into(),
            answer: yes_no(input.airport),
        },
        Answer {
            code: "conductor_adicional".into(),
            question: "¿Conduce el taxi un segundo conductor?".into(),
            answer: yes_no(input.second_driver),
        },
    ];
    let fitting = |(_, price): &&(i64, &CarrierPrice)| price.quote.fits_demands();
    let chosen = options
        .iter()
        .filter(fitting)
        .find(|(_, p)| Some(p.carrier_id) == request.preferred_carrier_id);
    let cheapest = options
        .iter()
        .filter(fitting)
        .min_by_key(|(_, p)| p.quote.total_cents);
    let (recommended, basis) = match (chosen, cheapest) {
        (Some((id, price)), _) => (
            Some(*id),
            format!(
                "Comparadas {} compañías con tarifa de taxi en vigor. {} cubre lo que pidió ({}) y es la que usted eligió.",
                options.len(),
                price.carrier_name,
                input.coverage.label()
            ),
        ),
        (None, Some((id, price))) => (
            Some(*id),
            format!(
                "Comparadas {} compañías con tarifa de taxi en vigor. {} cubre lo que pidió ({}) al menor precio entre las que lo cubren.",
                options.len(),
                price.carrier_name,
                input.coverage.label()
            ),
        ),
        // No option covers everything asked: staff must advise before issuing.
        (None, None) => (None, String::new()),
    };
    let now = chrono::Utc::now();
    if let Some(recommended) = recommended {
        records::save_needs(
            conn,
            quote_id,
            &answers,
            recommended,
            &basis,
            "Cotizador de taxi",
            now,
        )?;
    }
    let text_id = legal_texts::store(
        conn,
        "precontract",
        precontract::VERSION,
        &precontract::text(&request.broker),
    )?;
    records::save_delivery(
        conn,
        quote_id,
        text_id,
        Channel::Web,
        &format!(
            "Mostrada en el cotizador antes de pedir precio y aceptada con la casilla de la solicitud (dirección {})",
            request.ip
        ),
        request.precontract_shown_at,
    )
}

/// The taxi as the quote's risk (`policies::Risk::Taxi`, which accepting carries into the
/// policy), with the priced rating input kept beside it to explain the price later.
fn risk(request: &TaxiRequest) -> serde_json::Value {
    let input = &request.input;
    // The applicant's plate passed `parse_plate`; the policies' form normalises it the same way.
    let plate = Plate::parse(&request.applicant.plate)
        .unwrap_or_else(|_| Plate::unchecked(request.applicant.plate.clone()));
    let province = rating::input::province_code(&request.raw.provincia).unwrap_or_default();
    let taxi = Taxi::from_rating(
        input,
        plate,
        &request.applicant.licence_number,
        &request.raw.municipio,
        province,
    );
    let mut risk = serde_json::to_value(Risk::Taxi(taxi)).unwrap_or_else(|_| json!({}));
    if let Some(fields) = risk.as_object_mut() {
        fields.insert("rating_input".into(), json!(input));
    }
    risk
}

/// Writes the request (see the module comment). Call inside `db.transaction`.
pub fn create(conn: &mut PgConnection, request: &TaxiRequest) -> Result<Requested, DbError> {
    if !crate::auth::rate_limit::hit(
        conn,
        "taxi_request.ip",
        &request.ip,
        REQUESTS_PER_IP_PER_HOUR,
        Duration::hours(1),
        Utc::now(),
    )? {
        return Ok(Requested::RateLimited);
    }
    if let Claimed::Repeated(created) = form_submissions::claim(conn, &request.form_token)? {
        return Ok(Requested::Repeated(
            created.filter(|(k, _)| k == "quote").map(|(_, id)| id),
        ));
    }
    let applicant = &request.applicant;
    let line_id: i64 = lines_of_business::table
        .filter(lines_of_business::code.eq("taxi"))
        .select(lines_of_business::id)
        .first(conn)?;
    // A taxi request is always a lead of its own (it carries its own quote); an open lead
    // sharing the e-mail or phone is pointed at for the agent to check.
    let request_contact = duplicates::Request {
        full_name: &applicant.full_name,
        email: Some(applicant.email.as_str()),
        phone: Some(applicant.phone.as_str()),
        line_id: Some(line_id),
    };
    duplicates::lock(conn, &request_contact)?;
    let possible_duplicate_of = match duplicates::find(conn, &request_contact, Utc::now())? {
        Match::Repeat(id) | Match::Possible(id) => Some(id),
        Match::None => None,
    };
    let lead_id: i64 = diesel::insert_into(leads::table)
        .values((
            leads::possible_duplicate_of.eq(possible_duplicate_of),
            leads::full_name.eq(&applicant.full_name),
            leads::email.eq(applicant.email.as_str()),
            leads::phone.eq(applicant.phone.as_str()),
            leads::tax_id.eq(applicant.dni.as_str()),
            leads::line_id.eq(line_id),
            leads::source.eq("taxi"),
        ))
        .returning(leads::id)
        .get_result(conn)?;
    let submission_id: i64 = diesel::insert_into(lead_submissions::table)
        .values((
            lead_submissions::lead_id.eq(lead_id),
            lead_submissions::form_token.eq(&request.form_token),
            lead_submissions::payload.eq(json!({
                "form": "taxi",
                "applicant": {
                    "full_name": applicant.full_name,
                    "dni": applicant.dni.as_str(),
                    "phone": applicant.phone.as_str(),
                    "email": applicant.email.as_str(),
                    "plate": applicant.plate,
                    "licence_number": applicant.licence_number,
                },
                "quoter": request.raw,
            })),
            lead_submissions::ip.eq(&request.ip),
            lead_submissions::user_agent.eq(&request.user_agent),
        ))
        .returning(lead_submissions::id)
        .get_result(conn)?;
    diesel::insert_into(lead_consents::table)
        .values((
            lead_consents::lead_id.eq(lead_id),
            lead_consents::submission_id.eq(submission_id),
            lead_consents::purpose.eq("privacy"),
            lead_consents::granted.eq(true),
            lead_consents::text_version.eq(PRIVACY_VERSION),
            lead_consents::text_id.eq(crate::distribution::legal_texts::store(
                conn,
                "privacy",
                PRIVACY_VERSION,
                PRIVACY_TEXT,
            )?),
            lead_consents::ip.eq(&request.ip),
        ))
        .execute(conn)?;

    let token = crate::util::random_token(32);
    let valid_until = request.today + Duration::days(VALID_DAYS);
    let now = Utc::now();
    let (quote_id, number): (i64, String) = diesel::insert_into(quotes::table)
        .values((
            quotes::lead_id.eq(lead_id),
            quotes::prospect_name.eq(&applicant.full_name),
            quotes::prospect_email.eq(applicant.email.as_str()),
            quotes::prospect_phone.eq(applicant.phone.as_str()),
            quotes::line_id.eq(line_id),
            quotes::risk.eq(risk(request)),
            quotes::demands_and_needs.eq(demands_and_needs(request)),
            quotes::status.eq("sent"),
            quotes::sent_at.eq(now),
            quotes::valid_until.eq(valid_until),
            quotes::source.eq("taxi"),
            quotes::public_token_hash.eq(crate::util::sha256_hex(token.as_bytes())),
            quotes::public_token_expires_at.eq(now + Duration::days(VALID_DAYS)),
            quotes::precontract_text_version.eq(PRECONTRACT_VERSION),
            quotes::precontract_shown_at.eq(request.precontract_shown_at),
        ))
        .returning((quotes::id, quotes::number))
        .get_result(conn)?;
    // The preferred carrier first, then by price.
    let mut prices: Vec<&CarrierPrice> = request.prices.iter().collect();
    prices.sort_by_key(|p| {
        (
            Some(p.carrier_id) != request.preferred_carrier_id,
            p.quote.total_cents,
        )
    });
    let mut option_ids = Vec::with_capacity(prices.len());
    for (position, price) in prices.iter().enumerate() {
        let option_id: i64 = diesel::insert_into(quote_options::table)
            .values((
                quote_options::quote_id.eq(quote_id),
                quote_options::carrier_id.eq(price.carrier_id),
                quote_options::product_id.eq(price.product_id),
                quote_options::coverage_level.eq(price.quote.coverage.code()),
                quote_options::coverage_summary.eq(price.quote.coverage.label()),
                quote_options::net_premium_cents.eq(price.quote.net_cents),
                quote_options::total_premium_cents.eq(price.quote.total_cents),
                quote_options::breakdown.eq(rating::breakdown_json(&price.quote, price.version_id)),
                quote_options::tariff_version_id.eq(price.version_id),
                quote_options::fits_demands.eq(price.quote.fits_demands()),
                quote_options::position.eq(position as i32),
            ))
            .returning(quote_options::id)
            .get_result(conn)?;
        option_ids.push((option_id, *price));
        // The carrier whose "Lo quiero" the driver pressed is the option they chose.
        if Some(price.carrier_id) == request.preferred_carrier_id {
            diesel::update(quotes::table.find(quote_id))
                .set(quotes::chosen_option_id.eq(option_id))
                .execute(conn)?;
        }
    }
    record_sale(conn, quote_id, request, &option_ids)?;
    crate::events::publish(
        conn,
        "lead.created",
        "lead",
        lead_id,
        json!({ "source": "taxi", "quote_id": quote_id }),
    )?;
    crate::events::publish(
        conn,
        "quote.created",
        "quote",
        quote_id,
        json!({ "source": "taxi", "lead_id": lead_id, "number": number }),
    )?;
    audit::record(
        conn,
        &audit::NewEntry {
            actor_staff_id: None,
            actor_label: applicant.email.as_str(),
            action: audit::Action::TaxiQuoteRequested,
            // The quotes feature owns the "quote" target type's label.
            target_type: Some("quote"),
            target_id: Some(quote_id),
            ip: &request.ip,
            user_agent: &request.user_agent,
            details: json!({ "numero": number, "lead_id": lead_id }),
        },
    )?;
    crate::mail::send(
        conn,
        &crate::mail::Notice::TaxiQuote {
            to: applicant.email.as_str().trim().to_owned(),
            name: applicant.full_name.clone(),
            number: number.clone(),
            link: format!(
                "{}/taxi/presupuesto/{token}",
                request.base_url.trim_end_matches('/')
            ),
            valid_until: crate::format::date(valid_until),
        },
    )?;
    form_submissions::attach(conn, &request.form_token, "quote", quote_id)?;
    Ok(Requested::Created {
        quote_id,
        number,
        token,
    })
}

/// A quote as its public link shows it.
pub struct PublicQuote {
    pub number: String,
    pub prospect_name: String,
    pub valid_until: NaiveDate,
    pub demands_and_needs: serde_json::Value,
    pub options: Vec<PublicOption>,
}

pub struct PublicOption {
    pub carrier_name: String,
    pub coverage_summary: String,
    pub total_cents: i64,
    pub fits_demands: bool,
    pub breakdown: serde_json::Value,
}

/// The quote of an unexpired public token (`None` for unknown or expired tokens).
pub fn by_token(conn: &mut PgConnection, token: &str) -> QueryResult<Option<PublicQuote>> {
    if token.len() < 20 || token.len() > 100 {
        return Ok(None);
    }
    let hash = crate::util::sha256_hex(token.as_bytes());
    let found: Option<(i64, String, Option<String>, NaiveDate, serde_json::Value)> = quotes::table
        .filter(quotes::public_token_hash.eq(&hash))
        .filter(quotes::public_token_expires_at.gt(Utc::now()))
        .select((
            quotes::id,
            quotes::number,
            quotes::prospect_name,
            quotes::valid_until,
            quotes::demands_and_needs,
        ))
        .first(conn)
        .optional()?;
    let Some((id, number, name, valid_until, demands_and_needs)) = found else {
        return Ok(None);
    };
    use crate::db::schema::carriers;
    let options = quote_options::table
        .inner_join(carriers::table)
        .filter(quote_options::quote_id.eq(id))
        .order((quote_options::position.asc(), quote_options::id.asc()))
        .select((
            carriers::name,
            quote_options::coverage_summary,
            quote_options::total_premium_cents,
            quote_options::fits_demands,
            quote_options::breakdown,
        ))
        .load::<(String, String, i64, bool, serde_json::Value)>(conn)?
        .into_iter()
        .map(
            |(carrier_name, coverage_summary, total_cents, fits_demands, breakdown)| PublicOption {
                carrier_name,
                coverage_summary,
                total_cents,
                fits_demands,
                breakdown,
            },
        )
        .collect();
    Ok(Some(PublicQuote {
        number,
        prospect_name: name.unwrap_or_default(),
        valid_until,
        demands_and_needs,
        options,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plates_in_both_formats() {
        assert_eq!(parse_plate("1234 bcd"), Ok("1234BCD".to_owned()));
        assert_eq!(parse_plate("M-1234-AB"), Ok("M1234AB".to_owned()));
        assert!(parse_plate("1234 ABC").is_err()); // vowel
        assert!(parse_plate("12345").is_err());
        assert!(parse_plate("").is_err());
    }
}
