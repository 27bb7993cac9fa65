//! The list of landing pages.

use super::*;

pub struct LandingItem {
    pub id: i64,
    pub title: String,
    pub slug: String,
    pub campaign: String,
    pub published: bool,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "backoffice/landings/list.html", blocks = ["content"])]
pub struct ListPage {
    pub ctx: PageContext,
    pub landings: Vec<LandingItem>,
    pub pager: Pager,
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pagina: String,
}

/// GET /admin/landings
pub async fn list(
    ctx: PageContext,
    db: web::Data<Db>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let page = PageNumber::parse(&query.pagina);
    let mut rows = db
        .run(move |conn| editor::page(conn, page, PER_PAGE).map_err(DbError::from))
        .await?;
    let more = rows.len() as i64 > PER_PAGE;
    rows.truncate(PER_PAGE as usize);
    crate::page_or_partial!(ListPage {
        ctx,
        landings: rows
            .into_iter()
            .map(|l| LandingItem {
                id: l.id,
                updated: format::madrid_datetime(l.updated_at),
                title: l.title,
                slug: l.slug,
                campaign: l.campaign.unwrap_or_default(),
                published: l.published,
            })
            .collect(),
        pager: Pager::numbered(page, more, "/admin/landings", &[]),
    })
}
