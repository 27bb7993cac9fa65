//! Policies in the back-office: the portfolio, the expiring list, the new-policy form and the
//! policy page with its actions (suspend, reactivate, cancel, renew, endorse).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::auth::permissions::{Permission, PortfolioScope};
use crate::backoffice::CurrentStaff;
use crate::catalog::{self, Carrier};
use crate::db::{Db, DbError};
use crate::export::Cell;
use crate::format::{date, madrid_datetime};
use crate::listing::Cursor;
use crate::money::{cents_for_input, format_cents};
use crate::page_or_partial;
use crate::policies::{
    self, Actor, CancelForm, CancelReason, CustomerRef, EndorseForm, Frequency, NamedOption,
    PolicyDetail, PolicyError, PolicyForm, PolicyRow, PortfolioCount, PortfolioFilter,
    ProductOption, ReactivateForm, RenewForm, RenewalPremiumForm, RiskKind, Status, SuspendForm,
};
use crate::search::CustomerHit;
use crate::validation::FieldErrors;
use crate::web::error::AppError;
use crate::web::export::{self as download, Links as ExportLinks};
use crate::web::flash::{self, Flash};
use crate::web::listing::Pager;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

mod detail;
mod expiring;
mod new;
mod portfolio;

pub use detail::*;
pub use expiring::*;
pub use new::*;
pub use portfolio::*;

fn scope_of(staff: &CurrentStaff) -> PortfolioScope {
    PortfolioScope::of(staff.0.id, staff.0.role())
}

fn optional_id(text: &str) -> Option<i64> {
    text.trim().parse::<i64>().ok().filter(|id| *id > 0)
}

/// A policy as a row of a list, with its values written for the page.
pub struct RowView {
    pub id: i64,
    pub number: String,
    pub customer_id: i64,
    pub customer_name: String,
    pub carrier: String,
    pub line: String,
    pub product: String,
    pub agent: String,
    pub status_label: &'static str,
    pub status_badge: &'static str,
    pub start: String,
    pub end: String,
    pub total: String,
}

impl From<PolicyRow> for RowView {
    fn from(row: PolicyRow) -> Self {
        let status = row.status();
        Self {
            id: row.id,
            number: row.number,
            customer_id: row.customer_id,
            customer_name: row.customer_name,
            carrier: row.carrier_name,
            line: row.line_name,
            product: row.product_name,
            agent: row.agent_name.unwrap_or_else(|| "—".into()),
            status_label: status.label(),
            status_badge: status.badge(),
            start: date(row.start_date),
            end: date(row.end_date),
            total: format_cents(row.total_premium_cents),
        }
    }
}

fn status_options() -> Vec<(String, String)> {
    std::iter::once((String::new(), "Todos".to_owned()))
        .chain(
            Status::ALL
                .iter()
                .map(|s| (s.code().to_owned(), s.label().to_owned())),
        )
        .collect()
}

fn with_all(first: &str, options: impl Iterator<Item = (i64, String)>) -> Vec<(String, String)> {
    std::iter::once((String::new(), first.to_owned()))
        .chain(options.map(|(id, name)| (id.to_string(), name)))
        .collect()
}
