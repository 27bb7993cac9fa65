//! The security audit log page: filters in the URL, newest first, live filtering with htmx.

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::audit::{self, Action, EntryPage, Filter};
use crate::backoffice::CurrentStaff;
use crate::db::{Db, DbError};
use crate::export::Format;
use crate::listing::Cursor;
use crate::web::error::AppError;
use crate::web::export::{self as download, Links as ExportLinks};
use crate::web::listing::Pager;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

const PATH: &str = "/admin/auditoria";

/// The filter form as typed (every field of the URL is optional and read leniently: a bad
/// value never costs the list).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub accion: String,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub desde: String,
    #[serde(default)]
    pub hasta: String,
    #[serde(default)]
    pub pagina: String,
    /// Target type and id, for links from other pages ("activity of this account").
    #[serde(default)]
    pub objeto: String,
    #[serde(default)]
    pub objeto_id: String,
}

/// Messages next to the date fields.
#[derive(Debug, Clone, Default)]
pub struct FilterErrors {
    pub from: Option<&'static str>,
    pub to: Option<&'static str>,
}

impl AuditQuery {
    /// The filter to apply, and what was wrong with the dates (those are then left out).
    pub fn to_filter(&self) -> (Filter, FilterErrors) {
        let mut errors = FilterErrors::default();
        let mut from = parse_date(&self.desde).unwrap_or_else(|message| {
            errors.from = Some(message);
            None
        });
        let to = parse_date(&self.hasta).unwrap_or_else(|message| {
            errors.to = Some(message);
            None
        });
        let to = match (from, to) {
            (Some(from), Some(to)) if to < from => {
                errors.to = Some("La fecha final es anterior a la inicial.");
                None
            }
            _ => to,
        };
        if errors.from.is_some() {
            from = None;
        }
        let target_type = Some(self.objeto.trim())
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        let filter = Filter {
            action: Action::parse(self.accion.trim()),
            actor: Some(self.actor.trim())
                .filter(|a| !a.is_empty())
                .map(str::to_owned),
            target_id: target_type
                .as_ref()
                .and_then(|_| self.objeto_id.trim().parse().ok()),
            target_type,
            from,
            to,
            cursor: Cursor::parse(&self.pagina),
        };
        (filter, errors)
    }

    /// The filters as URL parameters (the cursor apart).
    fn pairs(&self) -> [(&str, &str); 6] {
        [
            ("accion", self.accion.trim()),
            ("actor", self.actor.trim()),
            ("desde", self.desde.trim()),
            ("hasta", self.hasta.trim()),
            ("objeto", self.objeto.trim()),
            ("objeto_id", self.objeto_id.trim()),
        ]
    }
}

/// `2026-11-23` (what date inputs send) or `23/11/2026` (what people type where the browser
/// has no date picker); empty is no date.
fn parse_date(text: &str) -> Result<Option<NaiveDate>, &'static str> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d/%m/%Y"))
        .map(Some)
        .map_err(|_| "Fecha no válida: escríbala como dd/mm/aaaa.")
}

/// What `_rows.html` shows, in the page and on its own.
pub struct RowsView {
    pub page: EntryPage,
    /// Newer entries are the previous page, older ones the next.
    pub pager: Pager,
    /// For htmx answers: the date errors, swapped out of band next to their fields.
    pub oob_errors: Option<FilterErrors>,
    pub exports: ExportLinks,
}

#[derive(Template)]
#[template(path = "backoffice/audit/list.html")]
pub struct AuditListPage {
    pub ctx: PageContext,
    pub query: AuditQuery,
    pub errors: FilterErrors,
    pub actions: &'static [Action],
    pub rows: RowsView,
}

#[derive(Template)]
#[template(path = "backoffice/audit/_rows.html")]
pub struct AuditRows {
    pub rows: RowsView,
}

impl AuditListPage {
    fn action_selected(&self, action: &Action) -> bool {
        self.query.accion.trim() == action.code()
    }
}

/// GET /admin/auditoria
pub async fn list(
    ctx: PageContext,
    query: web::Query<AuditQuery>,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let (filter, errors) = query.to_filter();
    let page = db
        .run(move |conn| audit::list(conn, &filter).map_err(DbError::from))
        .await?;
    let mut rows = RowsView {
        pager: Pager::at(&page.page, PATH, &query.pairs()),
        page,
        oob_errors: None,
        exports: ExportLinks::at("/admin/auditoria/exportar", &query.pairs()),
    };
    if ctx.htmx {
        rows.oob_errors = Some(errors);
        render::html(&AuditRows { rows })
    } else {
        render::html(&AuditListPage {
            ctx,
            query,
            errors,
            actions: Action::ALL,
            rows,
        })
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ExportQuery {
    #[serde(flatten)]
    list: AuditQuery,
    #[serde(default)]
    formato: String,
}

/// GET /admin/auditoria/exportar?formato=csv|xlsx: every entry the filters keep, as a file.
/// The export is itself an entry of the log.
pub async fn export(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, AppError> {
    let format: Format = download::format(&query.formato)?;
    let (filter, _) = query.list.to_filter();
    let export = download::Export {
        list: "auditoría",
        sheet: "Auditoría",
        stem: "auditoria",
        headers: vec![
            "Fecha y hora",
            "Quién",
            "Cuenta",
            "Acción",
            "Sobre",
            "IP",
            "Navegador",
            "Detalles",
        ],
        filters: &query.list.pairs(),
    };
    download::respond(
        &db,
        audit::Actor::new(&staff.0, &meta.ip, &meta.user_agent),
        format,
        export,
        move |conn, sink| audit::export(conn, &filter, sink),
        |row: audit::ExportedEntry| {
            let e = row.entry;
            vec![
                crate::format::madrid_datetime_seconds(e.occurred_at).into(),
                e.actor_label.clone().into(),
                e.actor_name.clone().into(),
                e.action_label().to_owned().into(),
                row.target.into(),
                e.ip.into(),
                e.user_agent.into(),
                row.details.into(),
            ]
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::listing;

    fn query(pairs: &[(&str, &str)]) -> AuditQuery {
        let encoded = serde_urlencoded::to_string(pairs).unwrap();
        serde_urlencoded::from_str(&encoded).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn every_filter_of_the_url_reaches_the_query() {
        let (filter, errors) = query(&[
            ("accion", "staff.sign_in"),
            ("actor", " ana "),
            ("desde", "2026-11-01"),
            ("hasta", "23/11/2026"),
            ("pagina", "tras-123"),
            ("objeto", "staff_user"),
            ("objeto_id", "7"),
        ])
        .to_filter();
        assert!(errors.from.is_none() && errors.to.is_none());
        assert_eq!(
            filter,
            Filter {
                action: Some(Action::SignIn),
                actor: Some("ana".to_owned()),
                target_type: Some("staff_user".to_owned()),
                target_id: Some(7),
                from: Some(date(2026, 11, 1)),
                to: Some(date(2026, 11, 23)),
                cursor: Some(Cursor::After(123)),
            }
        );
    }

    #[test]
    fn empty_and_unknown_values_filter_nothing() {
        let (filter, errors) = query(&[
            ("accion", "nothing.known"),
            ("actor", "  "),
            ("desde", ""),
            ("pagina", "abc"),
        ])
        .to_filter();
        assert_eq!(filter, Filter::default());
        assert!(errors.from.is_none() && errors.to.is_none());
    }

    #[test]
    fn a_bad_date_is_reported_and_left_out() {
        let (filter, errors) = query(&[("desde", "31/02/2026"), ("hasta", "mañana")]).to_filter();
        assert_eq!(filter.from, None);
        assert_eq!(filter.to, None);
        assert!(errors.from.is_some_and(|m| m.contains("dd/mm/aaaa")));
        assert!(errors.to.is_some());
    }

    #[test]
    fn an_end_before_the_start_is_reported_on_the_end() {
        let (filter, errors) =
            query(&[("desde", "2026-11-23"), ("hasta", "2026-11-01")]).to_filter();
        assert_eq!(filter.from, Some(date(2026, 11, 23)));
        assert_eq!(filter.to, None);
        assert!(errors.from.is_none());
        assert_eq!(errors.to, Some("La fecha final es anterior a la inicial."));
    }

    #[test]
    fn the_older_link_keeps_the_filters_and_replaces_the_cursor() {
        let q = query(&[
            ("accion", "staff.sign_in"),
            ("actor", "ana maría"),
            ("pagina", "tras-500"),
        ]);
        assert_eq!(
            listing::url(PATH, &q.pairs(), Some(Cursor::After(450))),
            "/admin/auditoria?accion=staff.sign_in&actor=ana+mar%C3%ADa&pagina=tras-450"
        );
        assert_eq!(
            listing::url(PATH, &q.pairs(), None),
            "/admin/auditoria?accion=staff.sign_in&actor=ana+mar%C3%ADa"
        );
        assert_eq!(
            listing::url(PATH, &AuditQuery::default().pairs(), None),
            "/admin/auditoria"
        );
    }
}
