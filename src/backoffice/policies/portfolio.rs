//! Portfolio.

use super::*;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PortfolioQuery {
    compania: String,
    ramo: String,
    agente: String,
    estado: String,
    q: String,
    pagina: String,
}

#[derive(Template)]
#[template(path = "backoffice/policies/list.html", blocks = ["content"])]
pub struct PortfolioPage {
    pub ctx: PageContext,
    pub compania: String,
    pub ramo: String,
    pub agente: String,
    pub estado: String,
    pub q: String,
    pub carriers: Vec<(String, String)>,
    pub lines: Vec<(String, String)>,
    pub agents: Vec<(String, String)>,
    pub statuses: Vec<(String, String)>,
    pub counts: Vec<PortfolioCount>,
    pub rows: Vec<RowView>,
    pub pager: Pager,
    pub exports: ExportLinks,
    pub errors: FieldErrors,
}

/// Only the rows and the pagination: what the filter form's htmx requests swap.
#[derive(Template)]
#[template(path = "backoffice/policies/_rows.html")]
pub struct PortfolioRows {
    pub rows: Vec<RowView>,
    pub pager: Pager,
    pub exports: ExportLinks,
}

impl PortfolioPage {
    /// The export links under the rows (the expiring list, which shares them, has none).
    pub fn exports(&self) -> Option<&ExportLinks> {
        Some(&self.exports)
    }
}

impl PortfolioRows {
    pub fn exports(&self) -> Option<&ExportLinks> {
        Some(&self.exports)
    }
}

impl PortfolioQuery {
    fn filter(&self) -> PortfolioFilter {
        PortfolioFilter {
            carrier_id: optional_id(&self.compania),
            line_id: optional_id(&self.ramo),
            agent_id: optional_id(&self.agente),
            status: Status::parse(self.estado.trim()),
            text: self.q.trim().chars().take(100).collect(),
            cursor: Cursor::parse(&self.pagina),
            customer_id: None,
        }
    }
}

/// GET /admin/polizas
pub async fn list(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: web::Query<PortfolioQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let scope = scope_of(&staff);
    let filter = query.filter();
    let q = filter.text.clone();
    let carrier = filter.carrier_id.map(|i| i.to_string()).unwrap_or_default();
    let line = filter.line_id.map(|i| i.to_string()).unwrap_or_default();
    let agent = filter.agent_id.map(|i| i.to_string()).unwrap_or_default();
    let status = filter.status.map(|s| s.code()).unwrap_or_default();
    let pairs = [
        ("compania", carrier.as_str()),
        ("ramo", line.as_str()),
        ("agente", agent.as_str()),
        ("estado", status),
        ("q", q.as_str()),
    ];
    let exports = ExportLinks::at("/admin/polizas/exportar", &pairs);
    if ctx.htmx {
        let page = db
            .run(move |conn| policies::portfolio(conn, scope, &filter).map_err(DbError::from))
            .await?;
        return render::html(&PortfolioRows {
            pager: Pager::at(&page, "/admin/polizas", &pairs),
            rows: page.rows.into_iter().map(RowView::from).collect(),
            exports,
        });
    }
    let (page, counts, carriers, lines, agents) = db
        .run(move |conn| {
            Ok::<_, DbError>((
                policies::portfolio(conn, scope, &filter)?,
                policies::counts(conn, scope)?,
                catalog::all_carriers(conn)?,
                catalog::all_lines(conn)?,
                policies::agent_options(conn)?,
            ))
        })
        .await?;
    let pager = Pager::at(&page, "/admin/polizas", &pairs);
    page_or_partial!(PortfolioPage {
        ctx,
        compania: query.compania,
        ramo: query.ramo,
        agente: query.agente,
        estado: query.estado,
        q,
        carriers: with_all("Todas", carriers.into_iter().map(|c| (c.id, c.name))),
        lines: with_all("Todos", lines.into_iter().map(|l| (l.id, l.name))),
        agents: with_all("Todos", agents.into_iter().map(|a| (a.id, a.name))),
        statuses: status_options(),
        counts,
        pager,
        exports,
        rows: page.rows.into_iter().map(RowView::from).collect(),
        errors: FieldErrors::new(),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PortfolioExportQuery {
    #[serde(flatten)]
    list: PortfolioQuery,
    formato: String,
}

/// GET /admin/polizas/exportar?formato=csv|xlsx: every policy the portfolio's filters keep
/// (the agent's own customers' only, for an agent), as a file, audited.
pub async fn export(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    query: web::Query<PortfolioExportQuery>,
) -> Result<HttpResponse, AppError> {
    let PortfolioExportQuery {
        list: query,
        formato,
    } = query.into_inner();
    let format = download::format(&formato)?;
    let scope = scope_of(&staff);
    let filter = query.filter();
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let filters = [
        ("compania", query.compania.as_str()),
        ("ramo", query.ramo.as_str()),
        ("agente", query.agente.as_str()),
        ("estado", query.estado.as_str()),
        ("q", query.q.as_str()),
    ];
    let export = download::Export {
        list: "pólizas",
        sheet: "Pólizas",
        stem: "polizas",
        headers: vec![
            "Póliza",
            "Cliente",
            "Compañía",
            "Ramo",
            "Producto",
            "Estado",
            "Efecto",
            "Vencimiento",
            "Prima neta",
            "Prima total",
            "Agente",
        ],
        filters: &filters,
    };
    download::respond(
        &db,
        by,
        format,
        export,
        move |conn, sink| policies::export_portfolio(conn, scope, &filter, sink),
        |row: PolicyRow| {
            let status = row.status().label();
            vec![
                row.number.into(),
                row.customer_name.into(),
                row.carrier_name.into(),
                row.line_name.into(),
                row.product_name.into(),
                status.into(),
                row.start_date.into(),
                row.end_date.into(),
                Cell::Money(row.net_premium_cents),
                Cell::Money(row.total_premium_cents),
                row.agent_name.into(),
            ]
        },
    )
    .await
}
