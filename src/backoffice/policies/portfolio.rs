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
    pub errors: FieldErrors,
}

/// Only the rows and the pagination: what the filter form's htmx requests swap.
#[derive(Template)]
#[template(path = "backoffice/policies/_rows.html")]
pub struct PortfolioRows {
    pub rows: Vec<RowView>,
    pub pager: Pager,
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
    let q: String = query.q.trim().chars().take(100).collect();
    let filter = PortfolioFilter {
        carrier_id: optional_id(&query.compania),
        line_id: optional_id(&query.ramo),
        agent_id: optional_id(&query.agente),
        status: Status::parse(query.estado.trim()),
        text: q.clone(),
        cursor: Cursor::parse(&query.pagina),
        customer_id: None,
    };
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
    if ctx.htmx {
        let page = db
            .run(move |conn| policies::portfolio(conn, scope, &filter).map_err(DbError::from))
            .await?;
        return render::html(&PortfolioRows {
            pager: Pager::at(&page, "/admin/polizas", &pairs),
            rows: page.rows.into_iter().map(RowView::from).collect(),
        });
    }
    let (page, counts, carriers, lines, agents) = db
        .run(move |conn| {
            Ok::<_, DbError>((
                policies::portfolio(conn, scope, &filter)?,
                policies::counts(conn, scope)?,
                catalog::active_carriers(conn)?,
                catalog::lines(conn)?,
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
        rows: page.rows.into_iter().map(RowView::from).collect(),
        errors: FieldErrors::new(),
    })
}
