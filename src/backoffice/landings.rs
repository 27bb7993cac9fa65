//! Landing pages in the back-office (`/admin/landings`): list, create and edit (settings, form
//! definition and consent texts as a validated JSON textarea), variants with their weights and
//! blocks, publish/unpublish, preview, and visits/conversions per variant with a significance
//! indication. All behind `ManageSite`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{NaiveDate, Utc};
use serde::Deserialize;

use crate::audit::{self, Action};
use crate::backoffice::{CurrentStaff, audit_entry};
use crate::catalog::{self, Line};
use crate::config::Config;
use crate::db::form_submissions::{self, Claimed};
use crate::db::{Db, DbError};
use crate::format;
use crate::landings::ab::{self, Significance};
use crate::landings::blocks::{Blocks, Hero};
use crate::landings::editor::{self, LandingForm, VariantForm};
use crate::landings::form::Errors;
use crate::landings::{self, LandingRow, VariantRow};
use crate::listing::PageNumber;
use crate::site::landings::{Hidden, LandingPage};
use crate::validation::{DayRange, FieldErrors};
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::listing::Pager;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

const PER_PAGE: i64 = crate::listing::SHORT_PAGE_SIZE;
const TARGET: &str = crate::audit::target::LANDING;

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

#[derive(Template)]
#[template(path = "backoffice/landings/form.html", blocks = ["content"])]
pub struct FormPage {
    pub ctx: PageContext,
    /// `None` for a new landing.
    pub id: Option<i64>,
    pub form: LandingForm,
    /// Blocks of the first variant (new landing only).
    pub bloques: String,
    pub form_token: String,
    pub lines: Vec<(String, String)>,
    pub errors: FieldErrors,
}

async fn line_options(db: &Db) -> Result<Vec<(String, String)>, AppError> {
    let lines: Vec<Line> = db
        .run(|conn| catalog::lines(conn).map_err(DbError::from))
        .await?;
    Ok(std::iter::once((String::new(), "Ninguno".to_owned()))
        .chain(lines.into_iter().map(|l| (l.id.to_string(), l.name)))
        .collect())
}

fn starter_blocks() -> String {
    Blocks {
        hero: Hero {
            title: "Su seguro, explicado y al mejor precio".to_owned(),
            text: "Comparamos varias compañías por usted.".to_owned(),
            cta_label: "Quiero mi presupuesto".to_owned(),
        },
        ..Blocks::default()
    }
    .pretty()
}

/// GET /admin/landings/nueva
pub async fn new_form(ctx: PageContext, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    crate::page_or_partial!(FormPage {
        ctx,
        id: None,
        form: LandingForm::blank(),
        bloques: starter_blocks(),
        form_token: form_submissions::new_token(),
        lines: line_options(&db).await?,
        errors: FieldErrors::new(),
    })
}

#[derive(Debug, Deserialize)]
pub struct CreateForm {
    #[serde(flatten)]
    landing: LandingForm,
    #[serde(default)]
    bloques: String,
    #[serde(default)]
    form_token: String,
}

enum Saved {
    Done(i64),
    Repeated(Option<i64>),
    Invalid(FieldErrors),
}

/// Validates a landing form inside the transaction (the line and the slug's uniqueness need
/// the database).
fn check(
    conn: &mut diesel::PgConnection,
    form: &LandingForm,
    except: Option<i64>,
) -> Result<Result<editor::LandingDraft, FieldErrors>, DbError> {
    let lines: Vec<i64> = catalog::lines(conn)?.into_iter().map(|l| l.id).collect();
    let mut result = form.validate(|id| lines.contains(&id));
    if let Ok(draft) = &result
        && editor::slug_taken(conn, &draft.slug, except)?
    {
        let mut errors = FieldErrors::new();
        errors.add("slug", "Ya hay otra landing con esta dirección.");
        result = Err(errors);
    }
    Ok(result)
}

/// POST /admin/landings
pub async fn create(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<CreateForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let (landing, bloques, token) = (
        form.landing.clone(),
        form.bloques.clone(),
        form.form_token.trim().to_owned(),
    );
    let saved = db
        .transaction(move |conn| {
            if let Some(created) = editor::used_token(conn, &token)? {
                return Ok::<_, DbError>(Saved::Repeated(created));
            }
            let mut result = check(conn, &landing, None)?;
            let blocks = crate::landings::blocks::parse(&bloques);
            if let Err(message) = &blocks {
                let mut errors = result.as_ref().err().cloned().unwrap_or_default();
                errors.add("bloques", message.clone());
                result = Err(errors);
            }
            let draft = match result {
                Ok(draft) => draft,
                Err(errors) => return Ok::<_, DbError>(Saved::Invalid(errors)),
            };
            if !form_submissions::is_well_formed(&token) {
                let mut errors = FieldErrors::new();
                errors.add("titulo", "El formulario ha caducado: envíelo de nuevo.");
                return Ok(Saved::Invalid(errors));
            }
            if let Claimed::Repeated(created) = form_submissions::claim(conn, &token)? {
                return Ok(Saved::Repeated(created.map(|(_, id)| id)));
            }
            let id = editor::create(conn, &draft, &blocks.unwrap_or_default(), Utc::now())?;
            form_submissions::attach(conn, &token, TARGET, id)?;
            audit::record(
                conn,
                &audit::NewEntry {
                    target_type: Some(TARGET),
                    target_id: Some(id),
                    details: serde_json::json!({"slug": draft.slug, "titulo": draft.title}),
                    ..audit_entry(&staff.0, &meta, Action::LandingCreated)
                },
            )?;
            Ok(Saved::Done(id))
        })
        .await?;
    match saved {
        Saved::Done(id) => Ok(flash::redirect(
            &format!("/admin/landings/{id}"),
            Flash::success("Landing creada. Revísela con la vista previa y publíquela."),
        )),
        Saved::Repeated(Some(id)) => Ok(flash::see_other(&format!("/admin/landings/{id}"))),
        Saved::Repeated(None) => Ok(flash::see_other("/admin/landings")),
        Saved::Invalid(errors) => {
            let page = FormPage {
                ctx,
                id: None,
                form: form.landing,
                bloques: form.bloques,
                form_token: form.form_token,
                lines: line_options(&db).await?,
                errors,
            };
            render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

/// GET /admin/landings/{id}/editar
pub async fn edit_form(
    ctx: PageContext,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let landing = db
        .run(move |conn| landings::find(conn, id).map_err(DbError::from))
        .await?;
    crate::page_or_partial!(FormPage {
        ctx,
        id: Some(id),
        form: LandingForm::of(&landing),
        bloques: String::new(),
        form_token: String::new(),
        lines: line_options(&db).await?,
        errors: FieldErrors::new(),
    })
}

/// POST /admin/landings/{id}
pub async fn update(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<LandingForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = form.into_inner();
    let landing = form.clone();
    let saved = db
        .transaction(move |conn| {
            landings::find(conn, id)?;
            let draft = match check(conn, &landing, Some(id))? {
                Ok(draft) => draft,
                Err(errors) => return Ok::<_, DbError>(Saved::Invalid(errors)),
            };
            editor::update(conn, id, &draft, Utc::now())?;
            audit::record(
                conn,
                &audit::NewEntry {
                    target_type: Some(TARGET),
                    target_id: Some(id),
                    details: serde_json::json!({"slug": draft.slug, "titulo": draft.title, "version_textos": draft.consent_version}),
                    ..audit_entry(&staff.0, &meta, Action::LandingUpdated)
                },
            )?;
            Ok(Saved::Done(id))
        })
        .await?;
    match saved {
        Saved::Invalid(errors) => {
            let page = FormPage {
                ctx,
                id: Some(id),
                form,
                bloques: String::new(),
                form_token: String::new(),
                lines: line_options(&db).await?,
                errors,
            };
            render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        _ => Ok(flash::redirect(
            &format!("/admin/landings/{id}"),
            Flash::success("Cambios guardados."),
        )),
    }
}

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

async fn set_published(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
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
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    set_published(staff, meta, db, path.into_inner(), true).await
}

/// POST /admin/landings/{id}/despublicar
pub async fn unpublish(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    set_published(staff, meta, db, path.into_inner(), false).await
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

#[derive(Template)]
#[template(path = "backoffice/landings/variant.html", blocks = ["content"])]
pub struct VariantPage {
    pub ctx: PageContext,
    pub landing_id: i64,
    pub landing_title: String,
    /// `None` for a new variant.
    pub variant_id: Option<i64>,
    pub form: VariantForm,
    pub form_token: String,
    pub errors: FieldErrors,
}

/// GET /admin/landings/{id}/variantes/nueva: starts from the first variant's blocks.
pub async fn new_variant_form(
    ctx: PageContext,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (landing, variants) = db
        .run(move |conn| {
            Ok::<_, DbError>((landings::find(conn, id)?, landings::variants(conn, id)?))
        })
        .await?;
    let blocks = variants
        .first()
        .map(|v| Blocks::from_json(&v.blocks).pretty())
        .unwrap_or_else(starter_blocks);
    let name = ["A", "B", "C", "D", "E", "F"]
        .into_iter()
        .find(|n| !variants.iter().any(|v| v.name == *n))
        .unwrap_or_default();
    crate::page_or_partial!(VariantPage {
        ctx,
        landing_id: id,
        landing_title: landing.title,
        variant_id: None,
        form: VariantForm {
            nombre: name.to_owned(),
            peso: "1".to_owned(),
            bloques: blocks,
        },
        form_token: form_submissions::new_token(),
        errors: FieldErrors::new(),
    })
}

/// GET /admin/landings/{id}/variantes/{variant}/editar
pub async fn edit_variant_form(
    ctx: PageContext,
    db: web::Data<Db>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, variant_id) = path.into_inner();
    let (landing, variants) = db
        .run(move |conn| {
            Ok::<_, DbError>((landings::find(conn, id)?, landings::variants(conn, id)?))
        })
        .await?;
    let variant = variants
        .into_iter()
        .find(|v| v.id == variant_id)
        .ok_or(AppError::NotFound)?;
    crate::page_or_partial!(VariantPage {
        ctx,
        landing_id: id,
        landing_title: landing.title,
        variant_id: Some(variant_id),
        form: VariantForm {
            nombre: variant.name,
            peso: variant.weight.to_string(),
            bloques: Blocks::from_json(&variant.blocks).pretty(),
        },
        form_token: String::new(),
        errors: FieldErrors::new(),
    })
}

#[derive(Debug, Deserialize)]
pub struct VariantSubmit {
    #[serde(flatten)]
    variant: VariantForm,
    #[serde(default)]
    form_token: String,
}

/// Stores a new variant (`variant_id` None) or changes one.
async fn save_variant(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    id: i64,
    variant_id: Option<i64>,
    submit: VariantSubmit,
) -> Result<HttpResponse, AppError> {
    let form = submit.variant.clone();
    let token = submit.form_token.trim().to_owned();
    let saved = db
        .transaction(move |conn| {
            landings::find(conn, id)?;
            if variant_id.is_none() && editor::used_token(conn, &token)?.is_some() {
                return Ok::<_, DbError>(Saved::Repeated(Some(id)));
            }
            let draft = match form.validate() {
                Ok(draft) => draft,
                Err(errors) => return Ok::<_, DbError>(Saved::Invalid(errors)),
            };
            if editor::variant_name_taken(conn, id, &draft.name, variant_id)? {
                let mut errors = FieldErrors::new();
                errors.add("nombre", "Ya hay otra variante con este nombre.");
                return Ok(Saved::Invalid(errors));
            }
            let (saved_id, action) = match variant_id {
                Some(variant_id) => {
                    if !editor::update_variant(conn, id, variant_id, &draft)? {
                        return Err(DbError::from(diesel::result::Error::NotFound));
                    }
                    (variant_id, Action::LandingVariantUpdated)
                }
                None => {
                    if !form_submissions::is_well_formed(&token) {
                        let mut errors = FieldErrors::new();
                        errors.add("nombre", "El formulario ha caducado: envíelo de nuevo.");
                        return Ok(Saved::Invalid(errors));
                    }
                    if let Claimed::Repeated(_) = form_submissions::claim(conn, &token)? {
                        return Ok(Saved::Repeated(Some(id)));
                    }
                    let new_id = editor::add_variant(conn, id, &draft.name, draft.weight, &draft.blocks)?;
                    form_submissions::attach(conn, &token, "landing_variant", new_id)?;
                    (new_id, Action::LandingVariantCreated)
                }
            };
            audit::record(
                conn,
                &audit::NewEntry {
                    target_type: Some(TARGET),
                    target_id: Some(id),
                    details: serde_json::json!({"variante": saved_id, "nombre": draft.name, "peso": draft.weight}),
                    ..audit_entry(&staff.0, &meta, action)
                },
            )?;
            Ok(Saved::Done(id))
        })
        .await?;
    match saved {
        Saved::Invalid(errors) => {
            let title = db
                .run(move |conn| landings::find(conn, id).map_err(DbError::from))
                .await?
                .title;
            let page = VariantPage {
                ctx,
                landing_id: id,
                landing_title: title,
                variant_id,
                form: submit.variant,
                form_token: submit.form_token,
                errors,
            };
            render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        _ => Ok(flash::redirect(
            &format!("/admin/landings/{id}"),
            Flash::success("Variante guardada."),
        )),
    }
}

/// POST /admin/landings/{id}/variantes
pub async fn create_variant(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<VariantSubmit>,
) -> Result<HttpResponse, AppError> {
    save_variant(
        ctx,
        staff,
        meta,
        db,
        path.into_inner(),
        None,
        form.into_inner(),
    )
    .await
}

/// POST /admin/landings/{id}/variantes/{variant}
pub async fn update_variant(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<(i64, i64)>,
    form: crate::web::form::StrictForm<VariantSubmit>,
) -> Result<HttpResponse, AppError> {
    let (id, variant_id) = path.into_inner();
    save_variant(
        ctx,
        staff,
        meta,
        db,
        id,
        Some(variant_id),
        form.into_inner(),
    )
    .await
}

#[derive(Template)]
#[template(path = "backoffice/landings/assignment.html", blocks = ["content"])]
pub struct AssignmentPage {
    pub ctx: PageContext,
    pub settings: crate::landings::assign::Settings,
}

impl AssignmentPage {
    pub fn has(&self, line: &i64, agent: &i64) -> bool {
        self.settings.pairs.contains(&(*line, *agent))
    }
}

/// GET /admin/reparto-de-leads: which agents take the new leads of each line.
pub async fn assignment(ctx: PageContext, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    let settings = db
        .run(|conn| crate::landings::assign::settings(conn).map_err(DbError::from))
        .await?;
    crate::page_or_partial!(AssignmentPage { ctx, settings })
}

/// POST /admin/reparto-de-leads: checkboxes `reparto` = `<line>:<agent>`.
pub async fn save_assignment(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let pairs: Vec<(i64, i64)> = form
        .into_inner()
        .into_iter()
        .filter(|(k, _)| k == "reparto")
        .filter_map(|(_, v)| {
            let (line, agent) = v.split_once(':')?;
            Some((line.parse().ok()?, agent.parse().ok()?))
        })
        .collect();
    db.transaction(move |conn| {
        let kept = crate::landings::assign::replace(conn, &pairs)?;
        audit::record(
            conn,
            &audit::NewEntry {
                details: serde_json::json!({ "reparto": kept }),
                ..audit_entry(&staff.0, &meta, Action::LeadAssignmentChanged)
            },
        )?;
        Ok::<_, DbError>(())
    })
    .await?;
    Ok(flash::redirect(
        "/admin/reparto-de-leads",
        Flash::success("Reparto de leads guardado."),
    ))
}
