//! A line of business's form: create and edit, deactivate and reactivate.

use super::*;
use crate::catalog::LineForm;

#[derive(Template)]
#[template(path = "backoffice/catalog/line.html", blocks = ["content"])]
pub struct LinePage {
    pub ctx: PageContext,
    /// The line being edited; `None` on «Nuevo ramo».
    pub line: Option<Line>,
    pub form: LineForm,
    pub form_token: String,
    pub errors: FieldErrors,
}

#[derive(Debug, Deserialize)]
pub struct LineSubmit {
    #[serde(flatten)]
    form: LineForm,
    #[serde(default)]
    form_token: String,
}

fn line_path(id: i64) -> String {
    format!("{PATH}/ramos/{id}")
}

/// GET /admin/catalogo/ramos/nuevo
pub async fn new_line(ctx: PageContext) -> Result<HttpResponse, AppError> {
    render::html(&LinePage {
        ctx,
        line: None,
        form: LineForm::default(),
        form_token: form_submissions::new_token(),
        errors: FieldErrors::new(),
    })
}

/// GET /admin/catalogo/ramos/{id}
pub async fn edit_line(
    ctx: PageContext,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let line = db
        .run(move |conn| catalog::find_line(conn, id).map_err(DbError::from))
        .await?;
    page_or_partial!(LinePage {
        ctx,
        form: LineForm::of(&line),
        line: Some(line),
        form_token: String::new(),
        errors: FieldErrors::new(),
    })
}

/// POST /admin/catalogo/ramos
pub async fn create_line(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    submit: crate::web::form::StrictForm<LineSubmit>,
) -> Result<HttpResponse, AppError> {
    save_line(ctx, &staff, &meta, &db, None, submit.into_inner()).await
}

/// POST /admin/catalogo/ramos/{id}
pub async fn update_line(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    submit: crate::web::form::StrictForm<LineSubmit>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    save_line(ctx, &staff, &meta, &db, Some(id), submit.into_inner()).await
}

async fn save_line(
    ctx: PageContext,
    staff: &CurrentStaff,
    meta: &RequestMeta,
    db: &Db,
    id: Option<i64>,
    submit: LineSubmit,
) -> Result<HttpResponse, AppError> {
    let saved = match submit.form.validate() {
        Ok(input) => {
            let by = actor(staff, meta);
            let token = id
                .is_none()
                .then(|| (submit.form_token.clone(), crate::audit::target::LINE));
            save_once(db, token, move |conn| {
                catalog::save_line(conn, &by, id, &input)
            })
            .await?
        }
        Err(errors) => Err(errors),
    };
    match saved {
        Ok(id) => Ok(flash::redirect(
            &line_path(id),
            Flash::success("Ramo guardado."),
        )),
        Err(errors) => {
            let line = match id {
                Some(id) => Some(
                    db.run(move |conn| catalog::find_line(conn, id).map_err(DbError::from))
                        .await?,
                ),
                None => None,
            };
            invalid(&LinePage {
                ctx,
                line,
                form: submit.form,
                form_token: submit.form_token,
                errors,
            })
        }
    }
}

/// POST /admin/catalogo/ramos/{id}/estado
pub async fn set_line_state(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<StateForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let by = actor(&staff, &meta);
    let said = (
        "Ramo reactivado: vuelve a ofrecerse en los formularios y en la web.",
        "Ramo dado de baja: ya no se ofrece en los formularios ni en la web; lo ya registrado no cambia.",
    );
    set_state(&db, &form, line_path(id), said, move |conn, active| {
        catalog::set_line_active(conn, &by, id, active)
    })
    .await
}
