//! A landing's variants: blocks and weights.

use super::*;

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
pub(super) async fn save_variant(
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
    pages: web::Data<PublishedLandings>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<VariantSubmit>,
) -> Result<HttpResponse, AppError> {
    let response = save_variant(
        ctx,
        staff,
        meta,
        db,
        path.into_inner(),
        None,
        form.into_inner(),
    )
    .await;
    pages.clear();
    response
}

/// POST /admin/landings/{id}/variantes/{variant}
pub async fn update_variant(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    pages: web::Data<PublishedLandings>,
    path: web::Path<(i64, i64)>,
    form: crate::web::form::StrictForm<VariantSubmit>,
) -> Result<HttpResponse, AppError> {
    let (id, variant_id) = path.into_inner();
    let response = save_variant(
        ctx,
        staff,
        meta,
        db,
        id,
        Some(variant_id),
        form.into_inner(),
    )
    .await;
    pages.clear();
    response
}
