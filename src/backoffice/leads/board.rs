//! The board by stage, the list, and moving a lead (inline from the board, or from its page).

use super::detail::lead_page;
use super::*;
use crate::export::Cell;
use crate::listing::Cursor;
use crate::web::export::{self as download, Links as ExportLinks};
use crate::web::listing::Pager;

// ---------------------------------------------------------------------------------------------
// Board

/// A lead card (board) or row (list).
pub struct CardView {
    pub id: i64,
    pub name: String,
    pub contact: String,
    pub stage: &'static str,
    pub stage_label: &'static str,
    pub stage_class: &'static str,
    pub line: String,
    pub source: String,
    pub campaign: String,
    pub age: String,
    pub created: String,
    pub next_action: String,
    pub overdue: bool,
    pub agent: String,
    pub converted: bool,
    pub duplicate: Option<DuplicateView>,
    /// Where the card may move: (code, label).
    pub moves: Vec<(&'static str, &'static str)>,
    /// Why the last move of this card was refused, with the reason typed.
    pub error: Option<String>,
    pub typed_reason: String,
}

impl From<Card> for CardView {
    fn from(card: Card) -> Self {
        let today = crate::leads::today();
        let age = match card.age_days {
            0 => "hoy".to_owned(),
            1 => "1 día".to_owned(),
            n => format!("{n} días"),
        };
        Self {
            id: card.id,
            contact: card
                .email
                .clone()
                .or_else(|| card.phone.clone())
                .unwrap_or_default(),
            name: card.full_name,
            stage: card.stage.code(),
            stage_label: card.stage.label(),
            stage_class: card.stage.badge_class(),
            line: card.line_name.unwrap_or_default(),
            source: leads::source_label(&card.source).to_owned(),
            campaign: card.campaign.or(card.utm_campaign).unwrap_or_default(),
            age,
            created: format::date(
                card.created_at
                    .with_timezone(&crate::time::ZONE)
                    .date_naive(),
            ),
            next_action: card.next_action_on.map(format::date).unwrap_or_default(),
            overdue: card.next_action_on.is_some_and(|d| d < today),
            agent: card.agent_name.unwrap_or_else(|| "Sin asignar".to_owned()),
            moves: card
                .stage
                .next(card.converted)
                .into_iter()
                .map(|s| (s.code(), s.label()))
                .collect(),
            converted: card.converted,
            duplicate: card.duplicate_of.map(DuplicateView::of),
            error: None,
            typed_reason: String::new(),
        }
    }
}

pub struct ColumnView {
    pub stage: &'static str,
    pub label: String,
    pub count: i64,
    pub cards: Vec<CardView>,
    /// The list filtered on this stage, when the column shows only the newest cards.
    pub more_link: Option<String>,
}

fn columns(columns: Vec<BoardColumn>, query: &FilterQuery) -> Vec<ColumnView> {
    let filters = query.query_string();
    columns
        .into_iter()
        .map(|column| {
            let shown = column.cards.len() as i64;
            let mut link = format!("/admin/leads/lista?etapa={}", column.stage.code());
            if !filters.is_empty() {
                let without_stage: Vec<&str> = filters
                    .split('&')
                    .filter(|p| !p.starts_with("etapa="))
                    .collect();
                if !without_stage.is_empty() {
                    link.push('&');
                    link.push_str(&without_stage.join("&"));
                }
            }
            ColumnView {
                stage: column.stage.code(),
                label: capitalize(column.stage.label()),
                count: column.count,
                more_link: (column.count > shown).then_some(link),
                cards: column.cards.into_iter().map(CardView::from).collect(),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "backoffice/leads/board.html", blocks = ["content"])]
pub struct BoardPage {
    pub ctx: PageContext,
    pub query: FilterQuery,
    pub options: FilterOptions,
    pub columns: Vec<ColumnView>,
}

#[derive(Template)]
#[template(path = "backoffice/leads/_board.html")]
pub struct BoardPartial {
    pub ctx: PageContext,
    pub columns: Vec<ColumnView>,
}

async fn load_board(
    db: &Db,
    scope: PortfolioScope,
    query: &FilterQuery,
) -> Result<Vec<ColumnView>, AppError> {
    let filter = query.filter();
    let board = db
        .run(move |conn| leads::board(conn, scope, &filter).map_err(DbError::from))
        .await?;
    Ok(columns(board, query))
}

/// GET /admin/leads: the board by stage, with the list's filters.
pub async fn board(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: web::Query<FilterQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let columns = load_board(&db, scope_of(&staff), &query).await?;
    if ctx.htmx {
        return render::html(&BoardPartial { ctx, columns });
    }
    let options = filter_options(&db, &staff).await?;
    render::html(&BoardPage {
        ctx,
        query,
        options,
        columns,
    })
}

// ---------------------------------------------------------------------------------------------
// List

#[derive(Template)]
#[template(path = "backoffice/leads/list.html", blocks = ["content"])]
pub struct ListPage {
    pub ctx: PageContext,
    pub query: FilterQuery,
    pub options: FilterOptions,
    pub rows: Vec<CardView>,
    /// "60 leads", "unos 98.000 leads".
    pub total: String,
    pub pager: Pager,
    pub exports: ExportLinks,
}

#[derive(Template)]
#[template(path = "backoffice/leads/_rows.html")]
pub struct RowsPartial {
    pub rows: Vec<CardView>,
    /// "60 leads", "unos 98.000 leads".
    pub total: String,
    pub pager: Pager,
    pub exports: ExportLinks,
}

/// GET /admin/leads/lista: every lead matching the filters, newest first, 50 a page.
pub async fn list(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: web::Query<FilterQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let filter = query.filter();
    let cursor = Cursor::parse(&query.pagina);
    let scope = scope_of(&staff);
    let page = db
        .run(move |conn| leads::list(conn, scope, &filter, cursor).map_err(DbError::from))
        .await?;
    let total = page
        .total
        .map(|total| total.counted("lead", "leads"))
        .unwrap_or_default();
    // The count is written above the table, in the list's own words, not under it.
    let pager = Pager {
        total: None,
        ..Pager::at(&page, "/admin/leads/lista", &query.pairs())
    };
    let exports = ExportLinks::at("/admin/leads/exportar", &query.pairs());
    let rows: Vec<CardView> = page.rows.into_iter().map(CardView::from).collect();
    if ctx.htmx {
        return render::html(&RowsPartial {
            rows,
            total,
            pager,
            exports,
        });
    }
    let options = filter_options(&db, &staff).await?;
    render::html(&ListPage {
        ctx,
        query,
        options,
        rows,
        total,
        pager,
        exports,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExportQuery {
    #[serde(flatten)]
    list: FilterQuery,
    formato: String,
}

/// GET /admin/leads/exportar?formato=csv|xlsx: every lead the list's filters keep (the
/// agent's own, for an agent), as a file, audited.
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
    let filter = query.filter();
    let scope = scope_of(&staff);
    let export = download::Export {
        list: "leads",
        sheet: "Leads",
        stem: "leads",
        headers: vec![
            "N.º",
            "Nombre",
            "Correo electrónico",
            "Teléfono",
            "Etapa",
            "Ramo",
            "Origen",
            "Campaña",
            "Recibido el",
            "Próxima acción",
            "Comercial",
            "Convertido",
        ],
        filters: &query.pairs(),
    };
    download::respond(
        &db,
        actor(&staff, &meta),
        format,
        export,
        move |conn, sink| leads::export(conn, scope, &filter, sink),
        |card: leads::Card| {
            vec![
                Cell::Int(card.id),
                card.full_name.into(),
                card.email.into(),
                card.phone.into(),
                capitalize(card.stage.label()).into(),
                card.line_name.into(),
                leads::source_label(&card.source).into(),
                card.campaign.or(card.utm_campaign).into(),
                crate::time::date_of(card.created_at).into(),
                card.next_action_on.into(),
                card.agent_name.into(),
                if card.converted { "Sí" } else { "No" }.into(),
            ]
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Moving a lead

#[derive(Debug, Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    etapa: String,
    #[serde(default)]
    motivo: String,
    /// `tablero` when sent from a board card (answer with the board), else the lead's page.
    #[serde(default)]
    vista: String,
    #[serde(flatten)]
    filters: FilterQuery,
}

/// POST /admin/leads/{id}/etapa: moves the lead. From the board (htmx) the answer is the
/// board again, with the filters it was showing, so counts and columns stay right; a refused
/// move shows its reason on the card (422). From the lead's page, back to it.
pub async fn move_stage(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<MoveForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let scope = scope_of(&staff);
    let form = form.into_inner();
    let result = match Stage::parse(form.etapa.trim()) {
        None => Err("Elija la etapa a la que pasa el lead.".to_owned()),
        Some(to) => {
            let by = actor(&staff, &meta);
            let reason = form.motivo.clone();
            match db
                .transaction(move |conn| leads::move_stage(conn, scope, id, to, &reason, &by))
                .await
            {
                Ok(lead) => Ok(lead.stage()),
                Err(error @ (LeadError::Transition(_) | LeadError::NoteTooLong)) => {
                    Err(error.to_string())
                }
                Err(other) => return Err(AppError::from(other)),
            }
        }
    };
    if form.vista == "tablero" && ctx.htmx {
        let mut columns = load_board(&db, scope, &form.filters).await?;
        let status = match result {
            Ok(_) => StatusCode::OK,
            Err(message) => {
                if let Some(card) = columns
                    .iter_mut()
                    .flat_map(|c| c.cards.iter_mut())
                    .find(|c| c.id == id)
                {
                    card.error = Some(message);
                    card.typed_reason = form.motivo.clone();
                }
                StatusCode::UNPROCESSABLE_ENTITY
            }
        };
        return render::html_with_status(status, &BoardPartial { ctx, columns });
    }
    match result {
        Ok(stage) => Ok(flash::redirect(
            &format!("/admin/leads/{id}"),
            Flash::success(format!("Lead movido a «{}».", stage.label())),
        )),
        Err(message) => {
            let mut page = lead_page(ctx, &db, &staff, id).await?;
            page.stage_error = Some(message);
            page.typed_reason = form.motivo;
            render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}
