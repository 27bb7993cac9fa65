//! Quotes in the back-office: the list with its filters, the new-quote form (for a customer or
//! a prospect), the quote's page with its actions by state (send, reject, accept, options) and
//! the printable view for the client. Thin handlers over [`crate::quotes`].

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Days;
use serde::Deserialize;

use crate::auth::permissions::{Permission, PortfolioScope};
use crate::backoffice::CurrentStaff;
use crate::catalog;
use crate::db::form_submissions::{self, Claimed};
use crate::db::{Db, DbError};
use crate::export::Cell;
use crate::format::{date, madrid_datetime};
use crate::listing::Cursor;
use crate::money::format_cents;
use crate::page_or_partial;
use crate::policies::{self, CustomerRef, Frequency, ProductOption, RiskKind};
use crate::quotes::{
    self, AcceptForm, Actor, BreakdownLine, HistoryEntry, ListFilter, ListRow, OPTION_SLOTS,
    OptionInput, OptionRow, QuoteDetail, QuoteError, QuoteForm, QuoteStatus,
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
mod list;
mod new;
mod print;

pub use detail::*;
pub use list::*;
pub use new::*;
pub use print::*;

fn scope_of(staff: &CurrentStaff) -> PortfolioScope {
    PortfolioScope::of(staff.0.id, staff.0.role())
}

fn optional_id(text: &str) -> Option<i64> {
    text.trim().parse::<i64>().ok().filter(|id| *id > 0)
}

fn with_all(first: &str, options: impl Iterator<Item = (i64, String)>) -> Vec<(String, String)> {
    std::iter::once((String::new(), first.to_owned()))
        .chain(options.map(|(id, name)| (id.to_string(), name)))
        .collect()
}
