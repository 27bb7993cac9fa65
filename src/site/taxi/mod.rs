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
    // One scope: the site's other pages skip these with one prefix comparison.
    cfg.service(
        web::scope("/taxi")
            .service(web::resource("").get(quoter))
            .service(web::resource("/precios").get(prices))
            .service(web::resource("/desglose").get(breakdown))
            .service(
                web::resource("/solicitar")
                    .get(request_form)
                    .post(request_submit),
            )
            .service(web::resource("/presupuesto/{token}").get(public_quote)),
    );
}

fn today() -> chrono::NaiveDate {
    Utc::now().with_timezone(&crate::time::ZONE).date_naive()
}

mod quote;
mod quoter;
mod request;
mod views;

pub use quote::*;
pub use quoter::*;
pub use request::*;
pub use views::*;
