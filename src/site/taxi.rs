//! Taxi Asegurado on the public site: the quoter (`/taxi`, live prices through htmx and a
//! full-page "Calcular" without JavaScript), the request with its pre-contract information
//! (`/taxi/solicitar`) and the driver's private quote page (`/taxi/presupuesto/{token}`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Datelike, Duration, Utc};
use serde::Deserialize;

use crate::config::{BrokerInfo, Config};
use crate::db::form_submissions;
use crate::db::{Db, DbError};
use crate::format;
use crate::money::Euros;
use crate::taxi::rating::input::FIELDS;
use crate::taxi::rating::{self, Coverage, Extra, Fuel, LineKind, RawInput, Shift};
use crate::taxi::requests::{self, CarrierPrice, RawApplicant, Requested, TaxiRequest};
use crate::taxi::tariffs::TariffCache;
use crate::validation::FieldErrors;
use crate::web::error::AppError;
use crate::web::form::Form;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/taxi").get(quoter))
        .service(web::resource("/taxi/precios").get(prices))
        .service(web::resource("/taxi/desglose").get(breakdown))
        .service(
            web::resource("/taxi/solicitar")
                .get(request_form)
                .post(request_submit),
        )
        .service(web::resource("/taxi/presupuesto/{token}").get(public_quote));
}

fn today() -> chrono::NaiveDate {
    Utc::now().with_timezone(&crate::time::ZONE).date_naive()
}

// ---------------------------------------------------------------------------------------------
// Views

pub struct LineView {
    pub label: String,
    pub band: String,
    pub rate: Rate,
    pub amount: Euros,
    pub class: &'static str,
}

pub struct PriceView {
    pub carrier_id: i64,
    pub carrier_name: String,
    pub total_cents: i64,
    pub total: Euros,
    pub net: Euros,
    pub taxes: Euros,
    pub monthly: Euros,
    pub monthly_first: Euros,
    pub lines: Vec<LineView>,
    pub missing: Vec<&'static str>,
    pub fits: bool,
    pub version: i32,
}

/// A line's coefficient as the breakdown shows it: "×1,150" for a factor (per mille), "8,15 %"
/// for a tax (basis points), nothing otherwise. Written straight into the page.
#[derive(Debug, Clone, Copy)]
pub struct Rate(LineKind, Option<i64>);

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.0, self.1) {
            (LineKind::Factor, Some(m)) => write!(f, "×{},{:03}", m / 1000, m % 1000),
            (LineKind::Tax, Some(bp)) => write!(f, "{},{:02} %", bp / 100, bp % 100),
            _ => Ok(()),
        }
    }
}

/// Digits, a comma, "×" or "%": nothing to escape.
impl askama::filters::HtmlSafe for Rate {}

fn line_views(lines: Vec<rating::Line>) -> Vec<LineView> {
    lines
        .into_iter()
        .map(|line| LineView {
            rate: Rate(line.kind, line.rate),
            amount: Euros(line.amount_cents),
            class: match line.kind {
                LineKind::Base => "line-base",
                LineKind::Factor => "line-factor",
                LineKind::Minimum => "line-minimum",
                LineKind::Option => "line-option",
                LineKind::Tax => "line-tax",
            },
            label: line.label,
            band: line.band.unwrap_or_default(),
        })
        .collect()
}

impl PriceView {
    /// `with_lines`: whether the breakdown goes with the price (the full page) or is fetched
    /// when the driver opens it (the live partial, see [`breakdown`]).
    fn new(price: CarrierPrice, version: i32, with_lines: bool) -> Self {
        let q = price.quote;
        Self {
            carrier_id: price.carrier_id,
            carrier_name: price.carrier_name,
            total_cents: q.total_cents,
            total: Euros(q.total_cents),
            net: Euros(q.net_cents),
            taxes: Euros(q.taxes_cents),
            monthly: Euros(q.monthly_cents),
            monthly_first: Euros(q.monthly_first_cents),
            missing: q.missing_extras.iter().map(|e| e.label()).collect(),
            fits: q.missing_extras.is_empty(),
            lines: if with_lines {
                line_views(q.lines)
            } else {
                Vec::new()
            },
            version,
        }
    }
}

/// The prices part of the quoter: carriers side by side, or why there is no price yet.
#[derive(Template)]
#[template(path = "site/taxi/_prices.html")]
pub struct PricesPartial {
    pub prices: Vec<PriceView>,
    /// "precio" or "cobertura".
    pub order: String,
    /// Query string of the current input (for the sort links, breakdowns and "Lo quiero").
    pub query: QueryAttr,
    pub valid_until: String,
    /// Why there are no prices (incomplete or invalid input, no tariffs).
    pub message: String,
    /// For htmx answers: errors to place next to the fields (out-of-band swaps).
    pub oob_errors: Vec<(&'static str, String)>,
    /// The live answer leaves the breakdown tables out (most drivers open none, and they are
    /// most of the markup); opening one fetches it from `/taxi/desglose`.
    pub lazy_breakdowns: bool,
}

/// The input as a query string, ready for an HTML attribute. It goes into every card several
/// times, so it is escaped once here rather than on each write: percent-encoding leaves `&`
/// as the only character HTML cares about. Empty fields are left out.
pub struct QueryAttr(String);

impl QueryAttr {
    fn of(raw: &RawInput) -> Self {
        let encoded = serde_urlencoded::to_string(raw).unwrap_or_default();
        let filled: Vec<&str> = encoded.split('&').filter(|p| !p.ends_with('=')).collect();
        Self(filled.join("&amp;"))
    }
}

impl std::fmt::Display for QueryAttr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Percent-encoded pairs joined by `&amp;`: nothing left to escape.
impl askama::filters::HtmlSafe for QueryAttr {}

/// One carrier's breakdown table, fetched when the driver opens it.
#[derive(Template)]
#[template(path = "site/taxi/_breakdown_table.html")]
pub struct BreakdownPartial {
    pub lines: Vec<LineView>,
    pub total: Euros,
}

#[derive(Template)]
#[template(path = "site/taxi/quoter.html", blocks = ["content"])]
pub struct QuoterPage {
    pub ctx: PageContext,
    pub raw: RawInput,
    pub errors: FieldErrors,
    pub provinces: Vec<(String, &'static str)>,
    pub prices: PricesPartial,
}

impl QuoterPage {
    /// The prices part, rendered with the page (the same markup htmx swaps in later).
    pub fn prices_html(&self) -> String {
        self.prices.render().unwrap_or_default()
    }

    pub fn seat_options(&self) -> Vec<(&'static str, &'static str)> {
        vec![("5", "5 plazas"), ("7", "7 plazas"), ("9", "9 plazas")]
    }

    pub fn fuel_options(&self) -> Vec<(&'static str, &'static str)> {
        Fuel::ALL
            .iter()
            .zip(rating::FactorKind::Fuel.bands())
            .map(|(f, label)| (f.code(), *label))
            .collect()
    }

    pub fn shift_options(&self) -> Vec<(&'static str, &'static str)> {
        Shift::ALL
            .iter()
            .zip(rating::FactorKind::Shift.bands())
            .map(|(s, label)| (s.code(), *label))
            .collect()
    }

    pub fn coverage_options(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        Coverage::ALL
            .iter()
            .map(|c| (c.code(), c.label(), c.summary()))
            .collect()
    }

    pub fn extra_options(&self) -> Vec<(&'static str, &'static str, bool)> {
        self.raw
            .extras()
            .iter()
            .map(|(field, extra, on)| (*field, Extra::label(*extra), *on))
            .collect()
    }

    /// Whether `value` is the current choice of the select or radio group `field`.
    pub fn is_selected(&self, field: &str, value: &str) -> bool {
        let current = match field {
            "plazas" => &self.raw.plazas,
            "combustible" => &self.raw.combustible,
            "turno" => &self.raw.turno,
            "cobertura" => &self.raw.cobertura,
            _ => "",
        };
        current.trim() == value
    }

    pub fn checked(&self, field: &str) -> bool {
        let value = match field {
            "pmr" => &self.raw.pmr,
            "aeropuerto" => &self.raw.aeropuerto,
            "segundo" => &self.raw.segundo,
            _ => "",
        };
        !value.trim().is_empty()
    }
}

fn provinces() -> Vec<(String, &'static str)> {
    let mut list: Vec<(String, &'static str)> = crate::identifiers::provinces()
        .map(|(code, name)| (format!("{code:02}"), name))
        .collect();
    list.sort_by(|a, b| a.1.cmp(b.1));
    list.insert(0, (String::new(), "Elija la provincia"));
    list
}

#[derive(Debug, Deserialize)]
pub struct QuoterQuery {
    #[serde(flatten)]
    raw: RawInput,
    #[serde(default)]
    orden: String,
    #[serde(default)]
    calcular: String,
}

fn sorted(mut prices: Vec<PriceView>, order: &str) -> Vec<PriceView> {
    if order == "cobertura" {
        prices.sort_by_key(|p| (p.missing.len(), p.total_cents));
    } else {
        prices.sort_by_key(|p| (p.total_cents, p.missing.len()));
    }
    prices
}

fn order_of(text: &str) -> String {
    if text == "cobertura" {
        "cobertura".to_owned()
    } else {
        "precio".to_owned()
    }
}

/// Prices the input with every published tariff (from the cache: no query per request).
async fn compute(
    cache: &TariffCache,
    db: &Db,
    raw: &RawInput,
    order: &str,
    show_all_errors: bool,
    lazy_breakdowns: bool,
) -> Result<(PricesPartial, FieldErrors), AppError> {
    let query = QueryAttr::of(raw);
    let valid_until = format::date(today() + Duration::days(requests::VALID_DAYS));
    let mut partial = PricesPartial {
        prices: Vec::new(),
        order: order_of(order),
        query,
        valid_until,
        message: String::new(),
        oob_errors: Vec::new(),
        lazy_breakdowns,
    };
    match rating::validate(raw, today().year()) {
        Ok(input) => {
            let book = cache.get(db).await?;
            let prices = requests::price_all(&book, &input)
                .into_iter()
                .zip(book.iter())
                .map(|(price, t)| PriceView::new(price, t.version, !lazy_breakdowns))
                .collect();
            partial.prices = sorted(prices, order);
            if partial.prices.is_empty() {
                partial.message = "Ahora mismo no hay tarifas publicadas. Llámenos y le damos precio por teléfono.".to_owned();
            }
            partial.oob_errors = FIELDS.iter().map(|f| (*f, String::new())).collect();
            Ok((partial, FieldErrors::new()))
        }
        Err(errors) => {
            // While typing, only fields with something in them get a message; the rest
            // wait until the form is complete or sent.
            let show = |field: &str| {
                show_all_errors || raw.is_complete() || !raw.value(field).trim().is_empty()
            };
            partial.oob_errors = FIELDS
                .iter()
                .map(|f| {
                    let message = errors
                        .get(f)
                        .filter(|_| show(f))
                        .unwrap_or_default()
                        .to_owned();
                    (*f, message)
                })
                .collect();
            partial.message = if raw.is_complete() || show_all_errors {
                "Revise los datos marcados para ver los precios.".to_owned()
            } else {
                "Complete los datos del vehículo, la licencia y el conductor para ver los precios."
                    .to_owned()
            };
            Ok((partial, errors))
        }
    }
}

fn default_raw() -> RawInput {
    RawInput {
        plazas: "5".into(),
        combustible: "hybrid".into(),
        turno: "day".into(),
        cobertura: Coverage::ThirdPartyExtended.code().into(),
        ..RawInput::default()
    }
}

/// GET /taxi: the quoter. With `calcular` (the form sent without JavaScript) it validates
/// and shows prices or the errors next to the fields.
async fn quoter(
    ctx: PageContext,
    db: web::Data<Db>,
    cache: web::Data<TariffCache>,
    request: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let query: QuoterQuery =
        serde_urlencoded::from_str(request.query_string()).unwrap_or(QuoterQuery {
            raw: RawInput::default(),
            orden: String::new(),
            calcular: String::new(),
        });
    let submitted = !query.calcular.is_empty() || !query.raw.anio.is_empty();
    let raw = if submitted { query.raw } else { default_raw() };
    let (mut prices, errors) = compute(&cache, &db, &raw, &query.orden, submitted, false).await?;
    prices.oob_errors.clear();
    let errors = if submitted {
        errors
    } else {
        FieldErrors::new()
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render::html_with_status(
        status,
        &QuoterPage {
            ctx,
            raw,
            errors,
            provinces: provinces(),
            prices,
        },
    )
}

/// GET /taxi/precios: the prices partial for htmx (errors swapped next to the fields).
async fn prices(
    db: web::Data<Db>,
    cache: web::Data<TariffCache>,
    request: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let query: QuoterQuery = serde_urlencoded::from_str(request.query_string())
        .map_err(|_| AppError::BadRequest("Parámetros no válidos.".into()))?;
    let (partial, _) = compute(&cache, &db, &query.raw, &query.orden, false, true).await?;
    render::html(&partial)
}

#[derive(Debug, Deserialize)]
pub struct BreakdownQuery {
    #[serde(flatten)]
    raw: RawInput,
    /// A string: numbers inside a flattened struct do not parse from a query string.
    #[serde(default)]
    compania: String,
}

/// GET /taxi/desglose: one carrier's breakdown for the input, when the driver opens it.
async fn breakdown(
    db: web::Data<Db>,
    cache: web::Data<TariffCache>,
    request: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let query: BreakdownQuery = serde_urlencoded::from_str(request.query_string())
        .map_err(|_| AppError::BadRequest("Parámetros no válidos.".into()))?;
    let carrier_id: i64 = query
        .compania
        .trim()
        .parse()
        .map_err(|_| AppError::NotFound)?;
    let Ok(input) = rating::validate(&query.raw, today().year()) else {
        return Err(AppError::BadRequest(
            "Revise los datos del formulario para ver el desglose.".into(),
        ));
    };
    let book = cache.get(&db).await?;
    let tariff = book
        .iter()
        .find(|t| t.carrier_id == carrier_id)
        .ok_or(AppError::NotFound)?;
    let quote = rating::rate(&tariff.tariff, &input);
    render::html(&BreakdownPartial {
        total: Euros(quote.total_cents),
        lines: line_views(quote.lines),
    })
}

// ---------------------------------------------------------------------------------------------
// "Lo quiero"

#[derive(Template)]
#[template(path = "site/taxi/request.html", blocks = ["content"])]
pub struct RequestPage {
    pub ctx: PageContext,
    pub raw: RawInput,
    pub hidden: Vec<(&'static str, String)>,
    pub applicant: RawApplicant,
    pub errors: FieldErrors,
    pub prices: Vec<PriceView>,
    pub carrier_id: String,
    pub chosen: String,
    pub token: String,
    pub shown_at: String,
    pub broker: BrokerInfo,
    pub precontract_version: &'static str,
    pub privacy_version: &'static str,
    pub coverage_label: &'static str,
    pub extras: Vec<&'static str>,
    pub valid_until: String,
    pub quote_link: String,
}

fn hidden_fields(raw: &RawInput) -> Vec<(&'static str, String)> {
    let mut fields = vec![
        ("anio", raw.anio.clone()),
        ("valor", raw.valor.clone()),
        ("plazas", raw.plazas.clone()),
        ("pmr", raw.pmr.clone()),
        ("combustible", raw.combustible.clone()),
        ("municipio", raw.municipio.clone()),
        ("provincia", raw.provincia.clone()),
        ("turno", raw.turno.clone()),
        ("aeropuerto", raw.aeropuerto.clone()),
        ("segundo", raw.segundo.clone()),
        ("edad", raw.edad.clone()),
        ("carne", raw.carne.clone()),
        ("taxista", raw.taxista.clone()),
        ("siniestros", raw.siniestros.clone()),
        ("cobertura", raw.cobertura.clone()),
    ];
    for (field, _, on) in raw.extras() {
        if on {
            fields.push((field, "1".to_owned()));
        }
    }
    fields.retain(|(_, v)| !v.trim().is_empty());
    fields
}

#[derive(Debug, Deserialize)]
pub struct RequestForm {
    #[serde(flatten)]
    raw: RawInput,
    #[serde(flatten)]
    applicant: RawApplicant,
    #[serde(default)]
    compania: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    mostrado: String,
}

/// Builds the request page for a valid input; `None` when the input cannot be priced.
async fn request_page(
    ctx: PageContext,
    config: &Config,
    db: &Db,
    cache: &TariffCache,
    form: &RequestForm,
) -> Result<Option<RequestPage>, AppError> {
    let Ok(input) = rating::validate(&form.raw, today().year()) else {
        return Ok(None);
    };
    let book = cache.get(db).await?;
    let prices: Vec<PriceView> = requests::price_all(&book, &input)
        .into_iter()
        .zip(book.iter())
        .map(|(p, t)| PriceView::new(p, t.version, false))
        .collect();
    let prices = sorted(prices, "precio");
    let chosen = prices
        .iter()
        .find(|p| p.carrier_id.to_string() == form.compania.trim())
        .map(|p| p.carrier_name.clone())
        .unwrap_or_default();
    let token = if form_submissions::is_well_formed(form.token.trim()) {
        form.token.trim().to_owned()
    } else {
        form_submissions::new_token()
    };
    let shown_at = if form.mostrado.trim().is_empty() {
        Utc::now().timestamp().to_string()
    } else {
        form.mostrado.trim().to_owned()
    };
    Ok(Some(RequestPage {
        ctx,
        hidden: hidden_fields(&form.raw),
        quote_link: format!(
            "/taxi?{}&calcular=1",
            serde_urlencoded::to_string(&form.raw).unwrap_or_default()
        ),
        raw: form.raw.clone(),
        applicant: form.applicant.clone(),
        errors: FieldErrors::new(),
        prices,
        carrier_id: form.compania.trim().to_owned(),
        chosen,
        token,
        shown_at,
        broker: config.broker.clone(),
        precontract_version: requests::PRECONTRACT_VERSION,
        privacy_version: requests::PRIVACY_VERSION,
        coverage_label: input.coverage.label(),
        extras: input.extras.iter().map(|e| e.label()).collect(),
        valid_until: format::date(today() + Duration::days(requests::VALID_DAYS)),
    }))
}

/// GET /taxi/solicitar?<quoter fields>&compania={id}: the pre-contract information and the
/// driver's details form.
async fn request_form(
    ctx: PageContext,
    config: web::Data<Config>,
    db: web::Data<Db>,
    cache: web::Data<TariffCache>,
    request: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let form: RequestForm = serde_urlencoded::from_str(request.query_string())
        .map_err(|_| AppError::BadRequest("Parámetros no válidos.".into()))?;
    match request_page(ctx, &config, &db, &cache, &form).await? {
        Some(mut page) => {
            // A fresh view shows the information now.
            page.shown_at = Utc::now().timestamp().to_string();
            render::html(&page)
        }
        None => Ok(crate::web::flash::see_other(&format!(
            "/taxi?{}&calcular=1",
            serde_urlencoded::to_string(&form.raw).unwrap_or_default()
        ))),
    }
}

/// When the pre-contract information was shown: the form's timestamp when plausible (within
/// the last day), now otherwise.
fn shown_at(text: &str) -> chrono::DateTime<Utc> {
    let now = Utc::now();
    text.trim()
        .parse::<i64>()
        .ok()
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .filter(|at| *at <= now && now - *at < Duration::days(1))
        .unwrap_or(now)
}

/// POST /taxi/solicitar: records the request (lead, quote, consent, e-mail) in one
/// transaction and shows the quote's page. A second submit of the same form creates nothing.
async fn request_submit(
    ctx: PageContext,
    config: web::Data<Config>,
    db: web::Data<Db>,
    cache: web::Data<TariffCache>,
    meta: RequestMeta,
    form: Form<RequestForm>,
) -> Result<HttpResponse, AppError> {
    // The quoter's hidden fields only lose control characters; the driver's own fields say so.
    let bad_text = form.text_errors(&[]);
    let form = form.into_inner();
    let Some(mut page) = request_page(ctx, &config, &db, &cache, &form).await? else {
        return Ok(crate::web::flash::see_other("/taxi"));
    };
    let mut errors = FieldErrors::new();
    for (field, message) in bad_text.iter() {
        if let Some(field) = requests::APPLICANT_FIELDS.iter().find(|f| **f == field) {
            errors.add(field, message);
        }
    }
    let applicant = match requests::validate_applicant(&form.applicant) {
        Ok(applicant) if errors.is_empty() => applicant,
        result => {
            errors.merge(result.err().unwrap_or_default());
            page.errors = errors;
            return render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    if !form_submissions::is_well_formed(form.token.trim()) {
        page.errors.add(
            "nombre",
            "El formulario ha caducado: revise los datos y envíelo de nuevo.",
        );
        return render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let input = rating::validate(&form.raw, today().year())
        .map_err(|_| AppError::BadRequest("Datos no válidos.".into()))?;
    let book = cache.get(&db).await?;
    let prices = requests::price_all(&book, &input);
    if prices.is_empty() {
        return Err(AppError::Internal(anyhow::anyhow!(
            "no published taxi tariffs"
        )));
    }
    let preferred_carrier_id = form
        .compania
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|id| prices.iter().any(|p| p.carrier_id == *id));
    let request = TaxiRequest {
        applicant,
        raw: form.raw.clone(),
        input,
        prices,
        preferred_carrier_id,
        precontract_shown_at: shown_at(&form.mostrado),
        form_token: form.token.trim().to_owned(),
        ip: meta.ip.clone(),
        user_agent: meta.user_agent.clone(),
        today: today(),
        base_url: config.base_url.as_str().to_owned(),
    };
    let outcome = db
        .transaction(move |conn| requests::create(conn, &request))
        .await?;
    match outcome {
        Requested::Created { token, .. } => Ok(crate::web::flash::see_other(&format!(
            "/taxi/presupuesto/{token}?enviado=1"
        ))),
        Requested::Repeated(_) => render::html(&AlreadySent { ctx: page.ctx }),
        Requested::RateLimited => {
            page.errors.add(
                "nombre",
                "Hemos recibido muchas solicitudes desde su conexión: inténtelo dentro de un rato o llámenos.",
            );
            render::html_with_status(StatusCode::TOO_MANY_REQUESTS, &page)
        }
    }
}

#[derive(Template)]
#[template(path = "site/taxi/already_sent.html", blocks = ["content"])]
pub struct AlreadySent {
    pub ctx: PageContext,
}

// ---------------------------------------------------------------------------------------------
// The driver's quote

pub struct OptionView {
    pub carrier_name: String,
    pub coverage: String,
    pub total: Euros,
    pub monthly: Euros,
    pub monthly_first: Euros,
    pub fits: bool,
    pub lines: Vec<LineView>,
}

#[derive(Template)]
#[template(path = "site/taxi/quote.html", blocks = ["content"])]
pub struct QuotePage {
    pub ctx: PageContext,
    pub just_sent: bool,
    pub number: String,
    pub name: String,
    pub valid_until: String,
    pub coverage: String,
    pub extras: Vec<String>,
    pub options: Vec<OptionView>,
}

#[derive(Debug, Deserialize)]
pub struct QuoteQuery {
    #[serde(default)]
    enviado: String,
}

/// GET /taxi/presupuesto/{token}: the quote behind a private link (404 when unknown or
/// expired).
async fn public_quote(
    ctx: PageContext,
    db: web::Data<Db>,
    path: web::Path<String>,
    query: web::Query<QuoteQuery>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let quote = db
        .run(move |conn| requests::by_token(conn, &token).map_err(DbError::from))
        .await?
        .ok_or(AppError::NotFound)?;
    let dn = &quote.demands_and_needs;
    let options = quote
        .options
        .iter()
        .map(|o| {
            let lines: Vec<rating::Line> =
                serde_json::from_value(o.breakdown["lines"].clone()).unwrap_or_default();
            let cents = |key: &str| o.breakdown[key].as_i64().unwrap_or_default();
            OptionView {
                carrier_name: o.carrier_name.clone(),
                coverage: o.coverage_summary.clone(),
                total: Euros(o.total_cents),
                monthly: Euros(cents("monthly_cents")),
                monthly_first: Euros(cents("monthly_first_cents")),
                fits: o.fits_demands,
                lines: line_views(lines),
            }
        })
        .collect();
    render::html(&QuotePage {
        ctx,
        just_sent: !query.enviado.is_empty(),
        number: quote.number,
        name: quote.prospect_name,
        valid_until: format::date(quote.valid_until),
        coverage: dn["coverage_label"].as_str().unwrap_or_default().to_owned(),
        extras: dn["options_labels"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        options,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_attribute_leaves_out_empty_fields_and_is_escaped_once() {
        let raw = RawInput {
            anio: "2022".into(),
            municipio: "L'Hospitalet & Co".into(),
            ..RawInput::default()
        };
        let attr = QueryAttr::of(&raw).to_string();
        assert_eq!(attr, "anio=2022&amp;municipio=L%27Hospitalet+%26+Co");
        assert!(!attr.contains("valor="));
    }
}
