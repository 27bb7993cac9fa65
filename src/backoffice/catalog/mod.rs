//! «Compañías y productos»: the catalogue every staff member reads (with the carriers' phones),
//! and its maintenance by admins and supervisors (carriers, lines of business, products and
//! their commission rates), each change audited and nothing in use ever deleted.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use diesel::PgConnection;
use serde::Deserialize;

use crate::audit::Actor;
use crate::backoffice::CurrentStaff;
use crate::catalog::{self, Carrier, Line, ProductRow, Saved};
use crate::db::form_submissions::{self, Claimed};
use crate::db::{Db, DbError};
use crate::page_or_partial;
use crate::validation::FieldErrors;
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

mod carriers;
mod lines;
mod products;

pub use carriers::*;
pub use lines::*;
pub use products::*;

pub const PATH: &str = "/admin/catalogo";

#[derive(Template)]
#[template(path = "backoffice/catalog/index.html", blocks = ["content"])]
pub struct CatalogPage {
    pub ctx: PageContext,
    pub carriers: Vec<Carrier>,
    pub lines: Vec<Line>,
    pub products: Vec<ProductRow>,
}

impl CatalogPage {
    pub fn manages(&self) -> bool {
        self.ctx
            .can(crate::auth::permissions::Permission::ManageCatalog)
    }
}

/// GET /admin/catalogo (every staff role may read the catalogue).
pub async fn show(
    ctx: PageContext,
    _staff: CurrentStaff,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let today = crate::time::today();
    let (carriers, lines, products) = db
        .run(move |conn| {
            Ok::<_, DbError>((
                catalog::all_carriers(conn)?,
                catalog::all_lines(conn)?,
                catalog::products(conn, today)?,
            ))
        })
        .await?;
    page_or_partial!(CatalogPage {
        ctx,
        carriers,
        lines,
        products
    })
}

/// The actor of a catalogue change.
fn actor(staff: &CurrentStaff, meta: &RequestMeta) -> Actor {
    Actor::new(&staff.0, &meta.ip, &meta.user_agent)
}

/// Why a save did not happen: fields to correct (the transaction rolls back, so the form's
/// token stays unused and the corrected form can be sent again), or a database failure.
enum Refused {
    Invalid(FieldErrors),
    Db(DbError),
}

impl From<DbError> for Refused {
    fn from(error: DbError) -> Self {
        Refused::Db(error)
    }
}

impl From<diesel::result::Error> for Refused {
    fn from(error: diesel::result::Error) -> Self {
        Refused::Db(error.into())
    }
}

/// Runs `save` in one transaction. A creation (`token` given) claims the form's one-time
/// token first, so the same form sent twice gives the entry created the first time.
async fn save_once<F>(
    db: &Db,
    token: Option<(String, &'static str)>,
    save: F,
) -> Result<Saved, AppError>
where
    F: FnOnce(&mut PgConnection) -> diesel::QueryResult<Saved> + Send + 'static,
{
    let outcome = db
        .transaction(move |conn| {
            if let Some((token, kind)) = &token {
                if !form_submissions::is_well_formed(token) {
                    let mut errors = FieldErrors::new();
                    errors.add("nombre", "El formulario ha caducado: envíelo de nuevo.");
                    return Err(Refused::Invalid(errors));
                }
                if let Claimed::Repeated(created) = form_submissions::claim(conn, token)? {
                    return match created {
                        Some((_, id)) => Ok(id),
                        None => Err(diesel::result::Error::NotFound.into()),
                    };
                }
                let id = save(conn)?.map_err(Refused::Invalid)?;
                form_submissions::attach(conn, token, kind, id)?;
                Ok(id)
            } else {
                save(conn)?.map_err(Refused::Invalid)
            }
        })
        .await;
    match outcome {
        Ok(id) => Ok(Ok(id)),
        Err(Refused::Invalid(errors)) => Ok(Err(errors)),
        Err(Refused::Db(error)) => Err(error.into()),
    }
}

/// The form under «Desactivar» / «Reactivar».
#[derive(Debug, Deserialize)]
pub struct StateForm {
    activo: String,
}

impl StateForm {
    fn active(&self) -> Result<bool, AppError> {
        match self.activo.as_str() {
            "si" => Ok(true),
            "no" => Ok(false),
            other => Err(AppError::BadRequest(format!("activo={other:?}"))),
        }
    }
}

/// Turns an entry on or off and goes back to `back` saying so (`said`: what the flash says
/// when it is reactivated, and when it is deactivated).
async fn set_state<F>(
    db: &Db,
    form: &StateForm,
    back: String,
    said: (&'static str, &'static str),
    set: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(&mut PgConnection, bool) -> diesel::QueryResult<()> + Send + 'static,
{
    let active = form.active()?;
    db.transaction(move |conn| set(conn, active).map_err(DbError::from))
        .await?;
    let message = if active { said.0 } else { said.1 };
    Ok(flash::redirect(&back, Flash::success(message)))
}

/// A form page again with what was typed and its errors (422).
fn invalid(page: &impl Template) -> Result<HttpResponse, AppError> {
    render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, page)
}
