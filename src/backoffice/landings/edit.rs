//! A landing's settings: create and edit (form definition and consent texts as validated JSON).

use super::*;

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

pub(super) async fn line_options(db: &Db) -> Result<Vec<(String, String)>, AppError> {
    let lines: Vec<Line> = db
        .run(|conn| catalog::lines(conn).map_err(DbError::from))
        .await?;
    Ok(std::iter::once((String::new(), "Ninguno".to_owned()))
        .chain(lines.into_iter().map(|l| (l.id.to_string(), l.name)))
        .collect())
}

pub(super) fn starter_blocks() -> String {
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

pub(super) enum Saved {
    Done(i64),
    Repeated(Option<i64>),
    Invalid(FieldErrors),
}

/// Validates a landing form inside the transaction (the line and the slug's uniqueness need
/// the database).
pub(super) fn check(
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
    pages: web::Data<PublishedLandings>,
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
    pages.clear();
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
    pages: web::Data<PublishedLandings>,
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
    pages.clear();
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
