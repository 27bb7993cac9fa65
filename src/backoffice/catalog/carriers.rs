//! A carrier's form: create and edit, deactivate and reactivate.

use super::*;
use crate::catalog::CarrierForm;

#[derive(Template)]
#[template(path = "backoffice/catalog/carrier.html", blocks = ["content"])]
pub struct CarrierPage {
    pub ctx: PageContext,
    /// The carrier being edited; `None` on «Nueva compañía».
    pub carrier: Option<Carrier>,
    pub form: CarrierForm,
    pub form_token: String,
    pub errors: FieldErrors,
}

/// The form's one-time token (creation only) with what was typed.
#[derive(Debug, Deserialize)]
pub struct CarrierSubmit {
    #[serde(flatten)]
    form: CarrierForm,
    #[serde(default)]
    form_token: String,
}

fn carrier_path(id: i64) -> String {
    format!("{PATH}/companias/{id}")
}

/// GET /admin/catalogo/companias/nueva
pub async fn new_carrier(ctx: PageContext) -> Result<HttpResponse, AppError> {
    render::html(&CarrierPage {
        ctx,
        carrier: None,
        form: CarrierForm::default(),
        form_token: form_submissions::new_token(),
        errors: FieldErrors::new(),
    })
}

/// GET /admin/catalogo/companias/{id}
pub async fn edit_carrier(
    ctx: PageContext,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let carrier = db
        .run(move |conn| catalog::find_carrier(conn, id).map_err(DbError::from))
        .await?;
    page_or_partial!(CarrierPage {
        ctx,
        form: CarrierForm::of(&carrier),
        carrier: Some(carrier),
        form_token: String::new(),
        errors: FieldErrors::new(),
    })
}

/// POST /admin/catalogo/companias
pub async fn create_carrier(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    submit: crate::web::form::StrictForm<CarrierSubmit>,
) -> Result<HttpResponse, AppError> {
    save_carrier(ctx, &staff, &meta, &db, None, submit.into_inner()).await
}

/// POST /admin/catalogo/companias/{id}
pub async fn update_carrier(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    submit: crate::web::form::StrictForm<CarrierSubmit>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    save_carrier(ctx, &staff, &meta, &db, Some(id), submit.into_inner()).await
}

async fn save_carrier(
    ctx: PageContext,
    staff: &CurrentStaff,
    meta: &RequestMeta,
    db: &Db,
    id: Option<i64>,
    submit: CarrierSubmit,
) -> Result<HttpResponse, AppError> {
    let saved = match submit.form.validate() {
        Ok(input) => {
            let by = actor(staff, meta);
            let token = id
                .is_none()
                .then(|| (submit.form_token.clone(), crate::audit::target::CARRIER));
            save_once(db, token, move |conn| {
                catalog::save_carrier(conn, &by, id, &input)
            })
            .await?
        }
        Err(errors) => Err(errors),
    };
    match saved {
        Ok(id) => Ok(flash::redirect(
            &carrier_path(id),
            Flash::success("Compañía guardada."),
        )),
        Err(errors) => {
            let carrier = match id {
                Some(id) => Some(
                    db.run(move |conn| catalog::find_carrier(conn, id).map_err(DbError::from))
                        .await?,
                ),
                None => None,
            };
            invalid(&CarrierPage {
                ctx,
                carrier,
                form: submit.form,
                form_token: submit.form_token,
                errors,
            })
        }
    }
}

/// POST /admin/catalogo/companias/{id}/estado
pub async fn set_carrier_state(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<StateForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let by = actor(&staff, &meta);
    let said = (
        "Compañía reactivada: vuelve a ofrecerse en los formularios.",
        "Compañía dada de baja: ya no se ofrece en los formularios; lo ya registrado no cambia.",
    );
    set_state(&db, &form, carrier_path(id), said, move |conn, active| {
        catalog::set_carrier_active(conn, &by, id, active)
    })
    .await
}
