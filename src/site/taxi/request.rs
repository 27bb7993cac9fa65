//! «Lo quiero»: the request with its pre-contract information.

use super::*;

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
    /// The pre-contract information, the same words stored with the quote's record.
    pub precontract: Vec<crate::distribution::precontract::Section>,
    pub precontract_version: &'static str,
    pub privacy_version: &'static str,
    pub coverage_label: &'static str,
    pub extras: Vec<&'static str>,
    pub valid_until: String,
    pub quote_link: String,
}

pub(super) fn hidden_fields(raw: &RawInput) -> Vec<(&'static str, String)> {
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
pub(super) async fn request_page(
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
        precontract: crate::distribution::precontract::sections(&config.broker.identity()),
        precontract_version: requests::PRECONTRACT_VERSION,
        privacy_version: requests::PRIVACY_VERSION,
        coverage_label: input.coverage.label(),
        extras: input.extras.iter().map(|e| e.label()).collect(),
        valid_until: format::date(today() + Duration::days(requests::VALID_DAYS)),
    }))
}

/// GET /taxi/solicitar?<quoter fields>&compania={id}: the pre-contract information and the
/// driver's details form.
pub(super) async fn request_form(
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
pub(super) fn shown_at(text: &str) -> chrono::DateTime<Utc> {
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
pub(super) async fn request_submit(
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
        broker: config.broker.identity(),
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
