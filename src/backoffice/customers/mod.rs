//! Customers in the back-office: list with live search, create, detail with consents,
//! interactions and timeline, edit, merge. Agents work only their own customers.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::{Deserialize, Serialize};

use crate::auth::permissions::{Permission, PortfolioScope};
use crate::auth::staff::StaffUser;
use crate::backoffice::CurrentStaff;
use crate::customers::{
    self, Actor, ConsentPurpose, ConsentState, CreateOutcome, Customer, CustomerForm,
    DuplicateHint, ExistingCustomer, InteractionKind, ListFilter, ListRow, MergeCounts,
    MergeOutcome, RelatedRecord, Segment, Sort, TimelineItem, UpdateOutcome, ValidCustomer,
};
use crate::db::{Db, DbError};
use crate::format::{date, madrid_datetime};
use crate::identifiers::Iban;
use crate::listing::Cursor;
use crate::page_or_partial;
use crate::validation::FieldErrors;
use crate::web::error::AppError;
use crate::web::export::{self as download, Links as ExportLinks};
use crate::web::flash::{self, Flash};
use crate::web::listing::Pager;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

mod detail;
mod edit;
mod list;
mod merge;

pub use detail::*;
pub use edit::*;
pub use list::*;
pub use merge::*;

fn scope_of(staff: &StaffUser) -> PortfolioScope {
    PortfolioScope::of(staff.id, staff.role())
}

fn actor(staff: &StaffUser, meta: &RequestMeta) -> Actor {
    Actor::new(staff, &meta.ip, &meta.user_agent)
}

fn parse_id(text: &str) -> Result<i64, AppError> {
    text.parse::<i64>().map_err(|_| AppError::NotFound)
}
