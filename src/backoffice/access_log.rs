//! The access log's viewer at `/admin/privacidad/accesos`: who looked at, downloaded or
//! exported customers' data, filtered by customer and by staff member. Behind
//! `ManagePrivacy`; the entries are written by the pages that show the data.

use actix_web::{HttpResponse, web};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

use crate::access_log::{self, Filter};
use crate::db::schema::{customers, staff_users};
use crate::db::{Db, DbError};
use crate::format::madrid_datetime;
use crate::listing::PageNumber;
use crate::web::error::AppError;
use crate::web::listing::Pager;
use crate::web::page::PageContext;

const PATH: &str = "/admin/privacidad/accesos";

pub struct EntryView {
    pub when: String,
    pub staff: String,
    pub customer: Option<(i64, String)>,
    pub what: &'static str,
    pub subject: String,
    pub ip: String,
}

#[derive(Template)]
#[template(path = "backoffice/privacy/access_log.html", blocks = ["content"])]
pub struct AccessLogPage {
    pub ctx: PageContext,
    pub entries: Vec<EntryView>,
    pub pager: Pager,
    /// (id, name) of every staff member, for the filter.
    pub staff: Vec<(String, String)>,
    pub staff_selected: String,
    /// The customer filtered by, with their name.
    pub customer: Option<(i64, String)>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Query {
    cliente: String,
    empleado: String,
    pagina: String,
}

/// GET /admin/privacidad/accesos?cliente=…&empleado=…
pub async fn list(
    ctx: PageContext,
    db: web::Data<Db>,
    query: web::Query<Query>,
) -> Result<HttpResponse, AppError> {
    let filter = Filter {
        customer_id: query.cliente.trim().parse().ok(),
        staff_id: query.empleado.trim().parse().ok(),
    };
    let page = PageNumber::parse(&query.pagina);
    let (entries, staff, customer) = db
        .run(move |conn| {
            let staff: Vec<(i64, String)> = staff_users::table
                .order((staff_users::name, staff_users::id))
                .select((staff_users::id, staff_users::name))
                .load(conn)?;
            let customer = match filter.customer_id {
                Some(id) => customers::table
                    .find(id)
                    .select((customers::id, customers::display_name))
                    .first::<(i64, String)>(conn)
                    .optional()?,
                None => None,
            };
            Ok::<_, DbError>((access_log::list(conn, filter, page)?, staff, customer))
        })
        .await?;
    let cliente = filter
        .customer_id
        .map(|id| id.to_string())
        .unwrap_or_default();
    let empleado = filter.staff_id.map(|id| id.to_string()).unwrap_or_default();
    let pager = Pager::of_numbered(
        &entries,
        PATH,
        &[("cliente", &cliente), ("empleado", &empleado)],
    );
    let mut staff_options = vec![(String::new(), "Todos".to_owned())];
    staff_options.extend(staff.into_iter().map(|(id, name)| (id.to_string(), name)));
    crate::page_or_partial!(AccessLogPage {
        ctx,
        entries: entries
            .rows
            .into_iter()
            .map(|e| EntryView {
                when: madrid_datetime(e.at),
                staff: e.staff_name,
                customer: e.customer_id.zip(e.customer_name),
                what: e.kind.label(),
                subject: e.subject,
                ip: e.ip,
            })
            .collect(),
        pager,
        staff: staff_options,
        staff_selected: empleado,
        customer,
    })
}
