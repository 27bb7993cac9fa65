//! Blocked customers (LOPDGDD art. 32): the notice a blocked record shows to everyone, and the
//! legal-hold register at `/admin/privacidad/bloqueados` where only `ViewBlockedData` reads
//! the sealed copy (each reading is audited and written to the access log). The rules are the
//! domain's `blocking`.

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::audit::Actor;
use crate::backoffice::CurrentStaff;
use crate::blocking::{self, Blocked};
use crate::db::{Db, DbError};
use crate::format::{date, madrid_datetime};
use crate::page_or_partial;
use crate::web::error::AppError;
use crate::web::page::PageContext;
use crate::web::request_meta::RequestMeta;

/// What `/admin/clientes/{id}` shows of a blocked customer.
#[derive(Template)]
#[template(path = "backoffice/privacy/blocked_notice.html")]
pub struct NoticePage {
    pub ctx: PageContext,
    pub id: i64,
    pub name: String,
    pub since: String,
    pub until: String,
}

pub struct BlockedRow {
    pub id: i64,
    pub name: String,
    pub since: String,
    pub until: String,
}

#[derive(Template)]
#[template(path = "backoffice/privacy/blocked.html", blocks = ["content"])]
pub struct ListPage {
    pub ctx: PageContext,
    pub rows: Vec<BlockedRow>,
    pub basis: &'static str,
}

/// GET /admin/privacidad/bloqueados
pub async fn list(ctx: PageContext, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    let blocked = db
        .run(|conn| Ok::<_, DbError>(blocking::list(conn)?))
        .await?;
    page_or_partial!(ListPage {
        ctx,
        rows: blocked
            .iter()
            .map(|b| BlockedRow {
                id: b.customer_id,
                name: b.name(),
                since: madrid_datetime(b.blocked_at),
                until: date(b.blocked_until),
            })
            .collect(),
        basis: blocking::LEGAL_BASIS,
    })
}

#[derive(Template)]
#[template(path = "backoffice/privacy/blocked_show.html", blocks = ["content"])]
pub struct ShowPage {
    pub ctx: PageContext,
    pub blocked: Blocked,
    pub fields: Vec<(&'static str, String)>,
    pub interactions: Vec<(String, String, String)>,
    pub mandates: Vec<(String, String, String)>,
    pub since: String,
    pub until: String,
    pub basis: &'static str,
}

/// GET /admin/privacidad/bloqueados/{id}: the sealed copy, for the legal-hold role only.
pub async fn show(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let blocked = db
        .transaction(move |conn| {
            let found = blocking::read(conn, id, &by)?;
            if found.is_some() {
                crate::access_log::record(
                    conn,
                    &by,
                    crate::access_log::Kind::CustomerViewed,
                    Some(id),
                    "Datos bloqueados",
                )?;
            }
            Ok::<_, DbError>(found)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    page_or_partial!(ShowPage {
        ctx,
        fields: blocked.fields(),
        interactions: blocked.interactions(),
        mandates: blocked.mandates(),
        since: madrid_datetime(blocked.blocked_at),
        until: date(blocked.blocked_until),
        basis: blocking::LEGAL_BASIS,
        blocked,
    })
}
