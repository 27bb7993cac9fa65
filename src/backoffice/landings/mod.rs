//! Landing pages in the back-office (`/admin/landings`): list, create and edit (settings, form
//! definition and consent texts as a validated JSON textarea), variants with their weights and
//! blocks, publish/unpublish, preview, and visits/conversions per variant with a significance
//! indication. All behind `ManageSite`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{NaiveDate, Utc};
use serde::Deserialize;

use crate::audit::{self, Action};
use crate::backoffice::{CurrentStaff, audit_entry};
use crate::catalog::{self, Line};
use crate::config::Config;
use crate::db::form_submissions::{self, Claimed};
use crate::db::{Db, DbError};
use crate::format;
use crate::landings::ab::{self, Significance};
use crate::landings::blocks::{Blocks, Hero};
use crate::landings::editor::{self, LandingForm, VariantForm};
use crate::landings::form::Errors;
use crate::landings::published::PublishedLandings;
use crate::landings::{self, LandingRow, VariantRow};
use crate::listing::PageNumber;
use crate::site::landings::{Hidden, LandingPage};
use crate::validation::{DayRange, FieldErrors};
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::listing::Pager;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

const PER_PAGE: i64 = crate::listing::SHORT_PAGE_SIZE;
const TARGET: &str = crate::audit::target::LANDING;

mod assignment;
mod edit;
mod list;
mod show;
mod variants;

pub use assignment::*;
pub use edit::*;
pub use list::*;
pub use show::*;
pub use variants::*;
