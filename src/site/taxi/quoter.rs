//! The quoter: the page, live prices (htmx) and a price's breakdown.

use super::*;

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

pub(super) fn provinces() -> Vec<(String, &'static str)> {
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

pub(super) fn sorted(mut prices: Vec<PriceView>, order: &str) -> Vec<PriceView> {
    if order == "cobertura" {
        prices.sort_by_key(|p| (p.missing.len(), p.total_cents));
    } else {
        prices.sort_by_key(|p| (p.total_cents, p.missing.len()));
    }
    prices
}

pub(super) fn order_of(text: &str) -> String {
    if text == "cobertura" {
        "cobertura".to_owned()
    } else {
        "precio".to_owned()
    }
}

/// Prices the input with every published tariff (from the cache: no query per request).
pub(super) async fn compute(
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

pub(super) fn default_raw() -> RawInput {
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
pub(super) async fn quoter(
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
pub(super) async fn prices(
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
pub(super) async fn breakdown(
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
