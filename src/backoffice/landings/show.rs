//! A landing's page: visits and conversions per variant and per day, publish/unpublish, preview.

use super::*;

pub struct VariantStats {
    pub id: i64,
    pub name: String,
    pub weight: i32,
    pub visits: i64,
    pub conversions: i64,
    pub rate: String,
    pub significance: &'static str,
}

#[derive(Template)]
#[template(path = "backoffice/landings/show.html", blocks = ["content"])]
pub struct ShowPage {
    pub ctx: PageContext,
    pub landing: LandingRow,
    pub line: String,
    pub variants: Vec<VariantStats>,
    pub public_url: String,
    pub desde: String,
    pub hasta: String,
    pub errors: FieldErrors,
    pub period: String,
    pub days: Vec<DayStats>,
}

/// One day of the daily table: visits and conversions per variant, in the variants' order.
pub struct DayStats {
    pub day: String,
    pub cells: Vec<(i64, i64)>,
}

/// Pivots the daily counters (latest day first) into one row per day.
pub fn day_stats(variants: &[VariantRow], daily: &[(NaiveDate, i64, i64, i64)]) -> Vec<DayStats> {
    let mut days: Vec<DayStats> = Vec::new();
    let mut current: Option<NaiveDate> = None;
    for (day, variant_id, visits, conversions) in daily {
        if current != Some(*day) {
            current = Some(*day);
            days.push(DayStats {
                day: format::date(*day),
                cells: vec![(0, 0); variants.len()],
            });
        }
        if let (Some(row), Some(i)) = (
            days.last_mut(),
            variants.iter().position(|v| v.id == *variant_id),
        ) {
            row.cells[i] = (*visits, *conversions);
        }
    }
    days
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StatsQuery {
    desde: String,
    hasta: String,
}

/// Visits, conversions, rate and significance against the first variant, per variant.
pub fn variant_stats(variants: &[VariantRow], totals: &[(i64, i64, i64)]) -> Vec<VariantStats> {
    let of = |id: i64| {
        totals
            .iter()
            .find(|(v, _, _)| *v == id)
            .map(|(_, visits, conversions)| (*visits, *conversions))
            .unwrap_or((0, 0))
    };
    let control = variants.first().map(|v| of(v.id)).unwrap_or((0, 0));
    variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let (visits, conversions) = of(v.id);
            let significance = if i == 0 {
                if variants.len() > 1 && (visits < ab::MIN_VISITS) {
                    Significance::NotEnoughData
                } else {
                    Significance::Control
                }
            } else {
                ab::compare(control, (visits, conversions))
            };
            VariantStats {
                id: v.id,
                name: v.name.clone(),
                weight: v.weight,
                visits,
                conversions,
                rate: ab::rate_label(visits, conversions),
                significance: significance.label(),
            }
        })
        .collect()
}

/// GET /admin/landings/{id}?desde=&hasta=: the landing, and its variants' figures over a
/// period (since it began by default).
pub async fn show(
    ctx: PageContext,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<i64>,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let today = landings::today();
    // "Since it began": counters only exist from the first visit, so an early bound is enough.
    let beginning = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(today);
    let DayRange { from, to, errors } =
        DayRange::read(&query.desde, &query.hasta, (beginning, today), 366 * 30);
    let (landing, variants, totals, daily, lines) = db
        .run(move |conn| {
            let landing = landings::find(conn, id)?;
            let variants = landings::variants(conn, id)?;
            let totals = landings::totals(conn, id, from, to)?;
            let daily = landings::daily(conn, id, from, to)?;
            let lines = catalog::lines(conn)?;
            Ok::<_, DbError>((landing, variants, totals, daily, lines))
        })
        .await?;
    let line = lines
        .into_iter()
        .find(|l| Some(l.id) == landing.line_id)
        .map(|l| l.name)
        .unwrap_or_else(|| "—".to_owned());
    let period = if from == beginning {
        format!("desde el principio hasta el {}", format::date(to))
    } else {
        format!("del {} al {}", format::date(from), format::date(to))
    };
    crate::page_or_partial!(ShowPage {
        ctx,
        public_url: crate::site::landings::absolute(&config, &format!("/l/{}", landing.slug)),
        line,
        days: day_stats(&variants, &daily),
        variants: variant_stats(&variants, &totals),
        landing,
        desde: query.desde.clone(),
        hasta: query.hasta.clone(),
        errors,
        period,
    })
}

pub(super) async fn set_published(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    pages: web::Data<PublishedLandings>,
    id: i64,
    published: bool,
) -> Result<HttpResponse, AppError> {
    let found = db
        .transaction(move |conn| {
            if !editor::set_published(conn, id, published, Utc::now())? {
                return Ok::<_, DbError>(false);
            }
            let action = if published {
                Action::LandingPublished
            } else {
                Action::LandingUnpublished
            };
            audit::record(
                conn,
                &audit::NewEntry {
                    target_type: Some(TARGET),
                    target_id: Some(id),
                    ..audit_entry(&staff.0, &meta, action)
                },
            )?;
            Ok(true)
        })
        .await?;
    pages.clear();
    if !found {
        return Err(AppError::NotFound);
    }
    let message = if published {
        "Landing publicada: ya la ven los visitantes."
    } else {
        "Landing retirada: los visitantes ya no la ven."
    };
    Ok(flash::redirect(
        &format!("/admin/landings/{id}"),
        Flash::success(message),
    ))
}

/// POST /admin/landings/{id}/publicar
pub async fn publish(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    pages: web::Data<PublishedLandings>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    set_published(staff, meta, db, pages, path.into_inner(), true).await
}

/// POST /admin/landings/{id}/despublicar
pub async fn unpublish(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    pages: web::Data<PublishedLandings>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    set_published(staff, meta, db, pages, path.into_inner(), false).await
}

#[derive(Debug, Deserialize)]
pub struct PreviewQuery {
    #[serde(default)]
    variante: String,
}

/// GET /admin/landings/{id}/vista-previa?variante=: the page as visitors will see it
/// (published or not), with a form that does not submit and no visit counted.
pub async fn preview(
    ctx: PageContext,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<i64>,
    query: web::Query<PreviewQuery>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (landing, variants) = db
        .run(move |conn| {
            Ok::<_, DbError>((landings::find(conn, id)?, landings::variants(conn, id)?))
        })
        .await?;
    let wanted = query.variante.trim().parse::<i64>().ok();
    let variant = variants
        .iter()
        .find(|v| Some(v.id) == wanted)
        .or(variants.first())
        .cloned()
        .ok_or(AppError::NotFound)?;
    let hidden = Hidden {
        form_token: String::new(),
        started: String::new(),
        variant_id: variant.id,
        tracking: vec![],
    };
    let page = LandingPage::new(
        ctx,
        &config,
        landing,
        &variant,
        hidden,
        &[],
        &Errors::new(),
        true,
    );
    render::html(&page)
}
