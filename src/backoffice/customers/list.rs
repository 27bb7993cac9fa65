//! List.

use super::*;

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct ListQuery {
    pub q: String,
    pub segmento: String,
    pub provincia: String,
    pub agente: String,
    pub etiqueta: String,
    pub orden: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pagina: String,
}

impl ListQuery {
    fn filter(&self, scope: PortfolioScope) -> ListFilter {
        ListFilter {
            q: self.q.chars().take(100).collect(),
            segment: Segment::parse(self.segmento.trim()),
            province: Some(self.provincia.trim().to_owned()).filter(|p| !p.is_empty()),
            owner: match scope {
                PortfolioScope::All => self.agente.trim().parse().ok(),
                PortfolioScope::OwnedBy(_) => None,
            },
            tag: Some(self.etiqueta.trim().to_lowercase()).filter(|t| !t.is_empty()),
            sort: Sort::parse(self.orden.trim()),
            cursor: Cursor::parse(&self.pagina),
        }
    }

    /// The filters as URL parameters (the cursor apart).
    fn pairs(&self) -> [(&str, &str); 6] {
        [
            ("q", self.q.as_str()),
            ("segmento", self.segmento.as_str()),
            ("provincia", self.provincia.as_str()),
            ("agente", self.agente.as_str()),
            ("etiqueta", self.etiqueta.as_str()),
            ("orden", self.orden.as_str()),
        ]
    }
}

pub struct Row {
    pub id: i64,
    pub name: String,
    pub tax_id: String,
    pub phone: String,
    pub email: String,
    pub province: String,
    pub segment: &'static str,
    pub owner: String,
}

impl From<ListRow> for Row {
    fn from(r: ListRow) -> Self {
        Row {
            id: r.id,
            segment: r.segment_label(),
            name: r.display_name,
            tax_id: r.tax_id,
            phone: r
                .phone
                .as_deref()
                .and_then(|p| crate::identifiers::Phone::parse(p).ok())
                .map(|p| p.formatted())
                .unwrap_or_default(),
            email: r.email.unwrap_or_default(),
            province: r.province.unwrap_or_default(),
            owner: r.owner_name.unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "backoffice/customers/list.html", blocks = ["content"])]
pub struct ListPage {
    pub ctx: PageContext,
    pub query: ListQuery,
    pub rows: Vec<Row>,
    pub pager: Pager,
    pub exports: ExportLinks,
    pub filtered: bool,
    pub segments: Vec<(&'static str, &'static str)>,
    pub provinces: Vec<&'static str>,
    pub owners: Vec<(i64, String)>,
    pub sorts: Vec<(&'static str, &'static str)>,
}

/// The rows alone, for htmx live search.
#[derive(Template)]
#[template(path = "backoffice/customers/_rows.html")]
pub struct RowsPartial {
    pub rows: Vec<Row>,
    pub pager: Pager,
    pub exports: ExportLinks,
    pub filtered: bool,
}

/// GET /admin/clientes
pub async fn list(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let scope = scope_of(&staff.0);
    let filter = query.filter(scope);
    let htmx = ctx.htmx;
    let (page, owners) = db
        .run(move |conn| {
            let page = customers::list(conn, scope, &filter)?;
            let owners = if htmx || scope != PortfolioScope::All {
                Vec::new()
            } else {
                customers::owner_options(conn)?
            };
            Ok::<_, DbError>((page, owners))
        })
        .await?;
    let pager = Pager::at(&page, "/admin/clientes", &query.pairs());
    let exports = ExportLinks::at("/admin/clientes/exportar", &query.pairs());
    let filtered = [
        &query.q,
        &query.segmento,
        &query.provincia,
        &query.agente,
        &query.etiqueta,
    ]
    .iter()
    .any(|v| !v.trim().is_empty());
    let rows: Vec<Row> = page.rows.into_iter().map(Row::from).collect();
    if htmx {
        return render::html(&RowsPartial {
            rows,
            pager,
            exports,
            filtered,
        });
    }
    render::html(&ListPage {
        ctx,
        query,
        rows,
        pager,
        exports,
        filtered,
        segments: Segment::options(),
        provinces: crate::identifiers::provinces().map(|(_, p)| p).collect(),
        owners,
        sorts: Sort::ALL.iter().map(|s| (s.code(), s.label())).collect(),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExportQuery {
    #[serde(flatten)]
    list: ListQuery,
    formato: String,
}

/// GET /admin/clientes/exportar?formato=csv|xlsx: every customer the list's filters keep (the
/// agent's own only, for an agent), as a file; the export is audited (personal data leaves).
pub async fn export(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, AppError> {
    let ExportQuery {
        list: query,
        formato,
    } = query.into_inner();
    let format = download::format(&formato)?;
    let scope = scope_of(&staff.0);
    let filter = query.filter(scope);
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let pairs = query.pairs();
    let export = download::Export {
        list: "clientes",
        sheet: "Clientes",
        stem: "clientes",
        headers: vec![
            "Nombre",
            "DNI/NIE/CIF",
            "Teléfono",
            "Correo electrónico",
            "Provincia",
            "Segmento",
            "Agente",
        ],
        filters: &pairs,
    };
    download::respond(
        &db,
        by,
        format,
        export,
        move |conn, sink| customers::export(conn, scope, &filter, sink),
        |row| {
            let row = Row::from(row);
            vec![
                row.name.into(),
                row.tax_id.into(),
                row.phone.into(),
                row.email.into(),
                row.province.into(),
                row.segment.into(),
                row.owner.into(),
            ]
        },
    )
    .await
}
