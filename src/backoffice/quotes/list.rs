//! List.

use super::*;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    estado: String,
    ramo: String,
    agente: String,
    origen: String,
    pagina: String,
}

pub struct RowView {
    pub id: i64,
    pub number: String,
    pub customer_id: Option<i64>,
    pub holder: String,
    pub line: String,
    pub status_label: &'static str,
    pub status_badge: &'static str,
    pub valid_until: String,
    pub lowest: String,
    pub options: i64,
    pub agent: String,
    pub source: String,
    pub created: String,
}

impl From<ListRow> for RowView {
    fn from(row: ListRow) -> Self {
        Self {
            id: row.id,
            number: row.number,
            customer_id: row.customer_id,
            holder: row.holder,
            line: row.line_name,
            status_label: row.status.label(),
            status_badge: row.status.badge_class(),
            valid_until: date(row.valid_until),
            lowest: row
                .lowest_total_cents
                .map(format_cents)
                .unwrap_or_else(|| "—".into()),
            options: row.options,
            agent: row.agent_name.unwrap_or_else(|| "—".into()),
            source: quotes::source_label(&row.source).to_owned(),
            created: date(
                row.created_at
                    .with_timezone(&crate::time::ZONE)
                    .date_naive(),
            ),
        }
    }
}

#[derive(Template)]
#[template(path = "backoffice/quotes/list.html", blocks = ["content"])]
pub struct ListPage {
    pub ctx: PageContext,
    pub q: String,
    pub estado: String,
    pub ramo: String,
    pub agente: String,
    pub origen: String,
    pub statuses: Vec<(String, String)>,
    pub lines: Vec<(String, String)>,
    pub agents: Vec<(String, String)>,
    pub sources: Vec<(String, String)>,
    pub rows: Vec<RowView>,
    pub pager: Pager,
    pub exports: ExportLinks,
    pub errors: FieldErrors,
}

/// Only the rows and the pagination: what the filter form's htmx requests swap.
#[derive(Template)]
#[template(path = "backoffice/quotes/_rows.html")]
pub struct ListRows {
    pub rows: Vec<RowView>,
    pub pager: Pager,
    pub exports: ExportLinks,
}

/// GET /admin/presupuestos
pub async fn list(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let scope = scope_of(&staff);
    let filter = query.filter();
    let q = filter.text.clone();
    let owned = filter_pairs(&filter);
    let pairs: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let exports = ExportLinks::at("/admin/presupuestos/exportar", &pairs);
    if ctx.htmx {
        let page = db
            .run(move |conn| quotes::list(conn, scope, &filter).map_err(DbError::from))
            .await?;
        return render::html(&ListRows {
            pager: Pager::at(&page, "/admin/presupuestos", &pairs),
            rows: page.rows.into_iter().map(RowView::from).collect(),
            exports,
        });
    }
    let (page, lines, agents) = db
        .run(move |conn| {
            Ok::<_, DbError>((
                quotes::list(conn, scope, &filter)?,
                catalog::all_lines(conn)?,
                policies::agent_options(conn)?,
            ))
        })
        .await?;
    let pager = Pager::at(&page, "/admin/presupuestos", &pairs);
    page_or_partial!(ListPage {
        ctx,
        q,
        estado: query.estado,
        ramo: query.ramo,
        agente: query.agente,
        origen: query.origen,
        statuses: std::iter::once((String::new(), "Todos".to_owned()))
            .chain(
                QuoteStatus::ALL
                    .iter()
                    .map(|s| (s.code().to_owned(), s.label().to_owned())),
            )
            .collect(),
        lines: with_all("Todos", lines.into_iter().map(|l| (l.id, l.name))),
        agents: with_all("Todos", agents.into_iter().map(|a| (a.id, a.name))),
        sources: std::iter::once((String::new(), "Todos".to_owned()))
            .chain(
                quotes::SOURCES
                    .iter()
                    .map(|(c, l)| ((*c).to_owned(), (*l).to_owned())),
            )
            .collect(),
        pager,
        rows: page.rows.into_iter().map(RowView::from).collect(),
        exports,
        errors: FieldErrors::new(),
    })
}

impl ListQuery {
    fn filter(&self) -> ListFilter {
        let source = quotes::SOURCES
            .iter()
            .map(|(code, _)| *code)
            .find(|code| *code == self.origen.trim());
        ListFilter {
            text: self.q.trim().chars().take(100).collect(),
            status: QuoteStatus::parse(self.estado.trim()),
            line_id: optional_id(&self.ramo),
            agent_id: optional_id(&self.agente),
            source,
            cursor: Cursor::parse(&self.pagina),
        }
    }
}

/// The filter as query pairs: page links, export links, the export's audit entry.
fn filter_pairs(filter: &ListFilter) -> [(&'static str, String); 5] {
    let id = |id: Option<i64>| id.map(|i| i.to_string()).unwrap_or_default();
    [
        ("q", filter.text.clone()),
        (
            "estado",
            filter
                .status
                .map(|s| s.code())
                .unwrap_or_default()
                .to_owned(),
        ),
        ("ramo", id(filter.line_id)),
        ("agente", id(filter.agent_id)),
        ("origen", filter.source.unwrap_or_default().to_owned()),
    ]
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExportQuery {
    #[serde(flatten)]
    list: ListQuery,
    formato: String,
}

/// GET /admin/presupuestos/exportar?formato=csv|xlsx: every quote the list's filters keep
/// (the agent's own, for an agent), as a file, audited.
pub async fn export(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, AppError> {
    let format = download::format(&query.formato)?;
    let filter = query.list.filter();
    let owned = filter_pairs(&filter);
    let filters: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let scope = scope_of(&staff);
    let export = download::Export {
        list: "presupuestos",
        sheet: "Presupuestos",
        stem: "presupuestos",
        headers: vec![
            "Presupuesto",
            "Cliente o interesado",
            "Ramo",
            "Estado",
            "Válido hasta",
            "Opciones",
            "Prima más baja",
            "Agente",
            "Origen",
            "Creado el",
        ],
        filters: &filters,
    };
    download::respond(
        &db,
        Actor::new(&staff.0, &meta.ip, &meta.user_agent),
        format,
        export,
        move |conn, sink| quotes::export(conn, scope, &filter, sink),
        |row: ListRow| {
            vec![
                row.number.into(),
                row.holder.into(),
                row.line_name.into(),
                row.status.label().into(),
                row.valid_until.into(),
                Cell::Int(row.options),
                row.lowest_total_cents.map_or(Cell::Empty, Cell::Money),
                row.agent_name.into(),
                quotes::source_label(&row.source).into(),
                crate::time::date_of(row.created_at).into(),
            ]
        },
    )
    .await
}
