//! The application factory: middleware and the routes of every face. `serve` and the tests
//! build the app through [`build`], so tests exercise exactly what users get.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Compress, ErrorHandlers, from_fn};
use actix_web::{App, web};
use tracing_actix_web::TracingLogger;

use crate::config::Config;
use crate::db::Db;
use crate::web::error::{AppError, render_error_page, unavailable_while_database_down};
use crate::web::metrics::Metrics;
use crate::web::{AppKeys, assets, csrf, flash, headers, health, metrics};

/// Largest urlencoded form a handler accepts.
const FORM_LIMIT: usize = 256 * 1024;

/// Everything the app needs, built once per process (or per test).
#[derive(Clone)]
pub struct AppState {
    pub config: Config,
    pub db: Db,
    pub keys: AppKeys,
    pub metrics: Metrics,
    pub site_cache: std::sync::Arc<crate::site::SiteCache>,
    /// Published taxi tariffs (cleared by the back-office on publish).
    pub taxi_tariffs: std::sync::Arc<crate::taxi::TariffCache>,
    /// Landing views not yet written to the daily counters (see `landings::visits`).
    pub landing_visits: std::sync::Arc<crate::landings::visits::VisitTally>,
    /// Published landings read by the site (cleared by the back-office's landing editor).
    pub landing_pages: std::sync::Arc<crate::landings::published::PublishedLandings>,
}

impl AppState {
    pub fn new(config: Config, db: Db) -> anyhow::Result<Self> {
        // The domain describes its e-mails; the application writes them.
        crate::emails::install();
        let keys = AppKeys::derive(&config.secret_key);
        assets::warm_up();
        Ok(Self {
            config,
            db,
            keys,
            metrics: Metrics::new()?,
            site_cache: Default::default(),
            taxi_tariffs: Default::default(),
            landing_visits: Default::default(),
            landing_pages: Default::default(),
        })
    }
}

pub fn build(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let secure = state.config.secure_cookies();
    let app = App::new()
        .app_data(web::Data::new(state.db.clone()))
        .app_data(web::Data::new(state.config.clone()))
        .app_data(web::Data::new(state.keys.clone()))
        .app_data(web::Data::new(state.metrics.clone()))
        .app_data(web::Data::from(state.site_cache.clone()))
        .app_data(web::Data::from(state.taxi_tariffs.clone()))
        .app_data(web::Data::from(state.landing_visits.clone()))
        .app_data(web::Data::from(state.landing_pages.clone()))
        .app_data(web::FormConfig::default().limit(FORM_LIMIT))
        .app_data(web::PayloadConfig::new(FORM_LIMIT))
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(metrics::metrics))
        // A scope: every other request passes it with a prefix comparison, not a pattern match.
        .service(web::scope("/static").route("/{path:.*}", web::get().to(assets::serve)))
        .route("/favicon.ico", web::get().to(assets::favicon))
        // The two faces' scopes first: a prefix comparison each, where the site's resources
        // with `{param}` each cost a pattern match (the router tries them in order).
        .service(crate::portal::routes(
            state.db.clone(),
            state.keys.clone(),
            state.config.clone(),
        ))
        .service(crate::backoffice::routes(
            state.db.clone(),
            state.keys.clone(),
            state.config.clone(),
        ));
    #[cfg(feature = "bench")]
    let app = app.configure(crate::bench::routes);
    app.configure(crate::site::routes)
        .default_service(web::to(not_found))
        // Innermost first: the last `wrap` sees the request first.
        .wrap(from_fn(flash::flash_messages))
        .wrap(from_fn(csrf::csrf_guard))
        .wrap(from_fn(unavailable_while_database_down))
        .wrap(ErrorHandlers::new().default_handler(render_error_page))
        .wrap(headers::security_headers(secure))
        .wrap(Compress::default())
        .wrap(from_fn(headers::request_id_header))
        .wrap(state.metrics.http.clone())
        .wrap(TracingLogger::default())
}

async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}
