//! The taxi panel (`/admin/taxi`): requests of today, quotes by status, conversion, average
//! premium by carrier and by zone, and the latest taxi quotes (linked to the quote's page).

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use crate::db::{Db, DbError};
use crate::format;
use crate::listing::Cursor;
use crate::money::format_cents;
use crate::page_or_partial;
use crate::taxi::panel::{self, Panel};
use crate::web::error::AppError;
use crate::web::listing::Pager;
use crate::web::page::PageContext;

pub struct Row {
    pub label: String,
    pub count: i64,
    pub average: String,
}

pub struct RecentView {
    pub id: i64,
    pub number: String,
    pub name: String,
    pub status: &'static str,
    pub created_at: String,
    pub best: String,
}

#[derive(Template)]
#[template(path = "backoffice/taxi/panel.html", blocks = ["content"])]
pub struct PanelPage {
    pub ctx: PageContext,
    pub today: i64,
    pub total: i64,
    pub conversion: String,
    pub by_status: Vec<(&'static str, i64)>,
    pub by_carrier: Vec<Row>,
    pub by_zone: Vec<Row>,
    pub recent: Vec<RecentView>,
    pub pager: Pager,
}

fn status_label(status: &str) -> &'static str {
    match status {
        "draft" => "Borrador",
        "sent" => "Enviado",
        "accepted" => "Aceptado",
        "rejected" => "Rechazado",
        "expired" => "Caducado",
        _ => "Otro",
    }
}

#[derive(Debug, Deserialize)]
pub struct PanelQuery {
    #[serde(default)]
    pagina: String,
}

/// GET /admin/taxi
pub async fn show(
    ctx: PageContext,
    db: web::Data<Db>,
    query: web::Query<PanelQuery>,
) -> Result<HttpResponse, AppError> {
    let cursor = Cursor::parse(&query.pagina);
    let today = Utc::now().with_timezone(&crate::time::ZONE).date_naive();
    let data: Panel = db
        .run(move |conn| panel::panel(conn, today, cursor).map_err(DbError::from))
        .await?;
    // Per mille, shown with one decimal: 1 accepted of 3 → "33,3 %".
    let conversion = if data.total == 0 {
        "—".to_owned()
    } else {
        let per_mille = (data.accepted * 1000 + data.total / 2) / data.total;
        format!("{},{} %", per_mille / 10, per_mille % 10)
    };
    let rows = |list: Vec<panel::Average>, zone: bool| -> Vec<Row> {
        list.into_iter()
            .map(|a| Row {
                label: if zone {
                    format!("Zona {}", a.key)
                } else {
                    a.key
                },
                count: a.count,
                average: format_cents(a.average_cents),
            })
            .collect()
    };
    page_or_partial!(PanelPage {
        ctx,
        today: data.today,
        total: data.total,
        conversion,
        by_status: data
            .by_status
            .iter()
            .map(|c| (status_label(&c.key), c.count))
            .collect(),
        by_carrier: rows(data.by_carrier, false),
        by_zone: rows(data.by_zone, true),
        pager: Pager::at(&data.recent, "/admin/taxi", &[]),
        recent: data
            .recent
            .rows
            .into_iter()
            .map(|q| RecentView {
                id: q.id,
                number: q.number,
                name: q.prospect_name.unwrap_or_default(),
                status: status_label(&q.status),
                created_at: format::madrid_datetime(q.created_at),
                best: q.best_cents.map(format_cents).unwrap_or_default(),
            })
            .collect(),
    })
}
