//! Blog posts in the back-office (`/admin/blog`): list, write and edit (Markdown body, cover
//! image uploaded or by URL, publication date; empty date = draft). Behind `ManageSite`.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use crate::audit::{self, Action};
use crate::backoffice::{CurrentStaff, audit_entry};
use crate::blog::{self, PostForm};
use crate::db::form_submissions::{self, Claimed};
use crate::db::{Db, DbError};
use crate::format;
use crate::listing::PageNumber;
use crate::validation::FieldErrors;
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::listing::Pager;
use crate::web::multipart;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

const PER_PAGE: i64 = crate::listing::SHORT_PAGE_SIZE;

pub struct PostRow {
    pub id: i64,
    pub title: String,
    pub slug: String,
    /// "Borrador", "Programada" or "Publicada".
    pub state: &'static str,
    pub date: String,
}

#[derive(Template)]
#[template(path = "backoffice/blog/list.html", blocks = ["content"])]
pub struct ListPage {
    pub ctx: PageContext,
    pub posts: Vec<PostRow>,
    pub pager: Pager,
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pagina: String,
}

/// GET /admin/blog
pub async fn list(
    ctx: PageContext,
    db: web::Data<Db>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let page = PageNumber::parse(&query.pagina);
    let mut posts = db
        .run(move |conn| blog::page(conn, page, PER_PAGE).map_err(DbError::from))
        .await?;
    let more = posts.len() as i64 > PER_PAGE;
    posts.truncate(PER_PAGE as usize);
    let today = crate::landings::today();
    crate::page_or_partial!(ListPage {
        ctx,
        posts: posts
            .into_iter()
            .map(|p| PostRow {
                id: p.id,
                state: match p.published_on {
                    None => "Borrador",
                    Some(day) if day > today => "Programada",
                    Some(_) => "Publicada",
                },
                date: p.published_on.map(format::date).unwrap_or_default(),
                title: p.title,
                slug: p.slug,
            })
            .collect(),
        pager: Pager::numbered(page, more, "/admin/blog", &[]),
    })
}

#[derive(Template)]
#[template(path = "backoffice/blog/form.html", blocks = ["content"])]
pub struct FormPage {
    pub ctx: PageContext,
    pub id: Option<i64>,
    pub form: PostForm,
    pub form_token: String,
    pub errors: FieldErrors,
}

/// GET /admin/blog/nueva
pub async fn new_form(ctx: PageContext) -> Result<HttpResponse, AppError> {
    crate::page_or_partial!(FormPage {
        ctx,
        id: None,
        form: PostForm::default(),
        form_token: form_submissions::new_token(),
        errors: FieldErrors::new(),
    })
}

/// GET /admin/blog/{id}/editar
pub async fn edit_form(
    ctx: PageContext,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let post = db
        .run(move |conn| blog::find(conn, id).map_err(DbError::from))
        .await?;
    crate::page_or_partial!(FormPage {
        ctx,
        id: Some(id),
        form: PostForm::of(&post),
        form_token: String::new(),
        errors: FieldErrors::new(),
    })
}

#[derive(Debug, Deserialize)]
pub struct Submit {
    #[serde(flatten)]
    post: PostForm,
    #[serde(default)]
    form_token: String,
}

enum Saved {
    Done(i64),
    Invalid(FieldErrors),
}

async fn save(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    id: Option<i64>,
    submit: Submit,
) -> Result<HttpResponse, AppError> {
    let form = submit.post.clone();
    let token = submit.form_token.trim().to_owned();
    let saved = db
        .transaction(move |conn| {
            if id.is_none()
                && let Some(created) = crate::landings::editor::used_token(conn, &token)?
            {
                return match created {
                    Some(post_id) => Ok::<_, DbError>(Saved::Done(post_id)),
                    None => Err(DbError::from(diesel::result::Error::NotFound)),
                };
            }
            let mut result = form.validate();
            if let Ok(draft) = &result
                && blog::slug_taken(conn, &draft.slug, id)?
            {
                let mut errors = FieldErrors::new();
                errors.add("slug", "Ya hay otra entrada con esta dirección.");
                result = Err(errors);
            }
            let draft = match result {
                Ok(draft) => draft,
                Err(errors) => return Ok::<_, DbError>(Saved::Invalid(errors)),
            };
            let (post_id, action) = match id {
                Some(id) => {
                    if !blog::update(conn, id, &draft, Utc::now())? {
                        return Err(DbError::from(diesel::result::Error::NotFound));
                    }
                    (id, Action::BlogPostUpdated)
                }
                None => {
                    if !form_submissions::is_well_formed(&token) {
                        let mut errors = FieldErrors::new();
                        errors.add("titulo", "El formulario ha caducado: envíelo de nuevo.");
                        return Ok(Saved::Invalid(errors));
                    }
                    if let Claimed::Repeated(created) = form_submissions::claim(conn, &token)? {
                        return match created {
                            Some((_, id)) => Ok(Saved::Done(id)),
                            None => Err(DbError::from(diesel::result::Error::NotFound)),
                        };
                    }
                    let id = blog::create(conn, &draft, Utc::now())?;
                    form_submissions::attach(conn, &token, audit::target::BLOG_POST, id)?;
                    (id, Action::BlogPostCreated)
                }
            };
            audit::record(
                conn,
                &audit::NewEntry {
                    target_type: Some(audit::target::BLOG_POST),
                    target_id: Some(post_id),
                    details: serde_json::json!({"slug": draft.slug, "titulo": draft.title, "publicar_el": draft.published_on}),
                    ..audit_entry(&staff.0, &meta, action)
                },
            )?;
            Ok(Saved::Done(post_id))
        })
        .await?;
    match saved {
        Saved::Done(post_id) => Ok(flash::redirect(
            &format!("/admin/blog/{post_id}/editar"),
            Flash::success("Entrada guardada."),
        )),
        Saved::Invalid(errors) => render::html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &FormPage {
                ctx,
                id,
                form: submit.post,
                form_token: submit.form_token,
                errors,
            },
        ),
    }
}

/// POST /admin/blog
pub async fn create(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<Submit>,
) -> Result<HttpResponse, AppError> {
    save(ctx, staff, meta, db, None, form.into_inner()).await
}

/// POST /admin/blog/{id}
pub async fn update(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<Submit>,
) -> Result<HttpResponse, AppError> {
    save(
        ctx,
        staff,
        meta,
        db,
        Some(path.into_inner()),
        form.into_inner(),
    )
    .await
}

/// POST /admin/blog/{id}/portada (multipart: archivo): uploads the cover image of a post.
/// The picture is checked by its content (JPG, PNG or WebP, 5 MB at most), stored once per
/// content and served from `/media/`; the post points to it.
pub async fn upload_cover(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let parts = multipart::read(payload, &["archivo"], blog::MAX_IMAGE_BYTES, 1024).await?;
    let file = parts.into_iter().find(|p| p.name == "archivo");
    let checked = match &file {
        None => Err("Elija una imagen."),
        Some(part) if part.overflow => Err("La imagen puede ocupar como máximo 5 MB."),
        Some(part) => blog::check_image(&part.bytes, part.filename.as_deref().unwrap_or("")),
    };
    let content_type = match checked {
        Ok(content_type) => content_type,
        Err(message) => {
            let post = db
                .run(move |conn| blog::find(conn, id).map_err(DbError::from))
                .await?;
            let mut errors = FieldErrors::new();
            errors.add("archivo", message);
            return render::html_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &FormPage {
                    ctx,
                    id: Some(id),
                    form: PostForm::of(&post),
                    form_token: String::new(),
                    errors,
                },
            );
        }
    };
    let bytes = file.map(|part| part.bytes).unwrap_or_default();
    db.transaction(move |conn| {
        let url = blog::store_image(conn, &bytes, content_type, staff.0.id)?;
        if !blog::set_cover(conn, id, Some(&url), Utc::now())? {
            return Err(DbError::from(diesel::result::Error::NotFound));
        }
        audit::record(
            conn,
            &audit::NewEntry {
                target_type: Some(audit::target::BLOG_POST),
                target_id: Some(id),
                details: serde_json::json!({ "portada": url, "bytes": bytes.len() }),
                ..audit_entry(&staff.0, &meta, Action::BlogCoverChanged)
            },
        )?;
        Ok::<_, DbError>(())
    })
    .await?;
    Ok(flash::redirect(
        &format!("/admin/blog/{id}/editar"),
        Flash::success("Portada subida."),
    ))
}

/// POST /admin/blog/{id}/portada/quitar
pub async fn remove_cover(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    db.transaction(move |conn| {
        if !blog::set_cover(conn, id, None, Utc::now())? {
            return Err(DbError::from(diesel::result::Error::NotFound));
        }
        audit::record(
            conn,
            &audit::NewEntry {
                target_type: Some(audit::target::BLOG_POST),
                target_id: Some(id),
                details: serde_json::json!({ "portada": null }),
                ..audit_entry(&staff.0, &meta, Action::BlogCoverChanged)
            },
        )?;
        Ok::<_, DbError>(())
    })
    .await?;
    Ok(flash::redirect(
        &format!("/admin/blog/{id}/editar"),
        Flash::success("Portada quitada."),
    ))
}
