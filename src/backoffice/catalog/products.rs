//! A product: its page (what it covers, its commission rates and their history, for every
//! staff member), and for the catalogue's managers its form, new rates and deactivation.

use super::*;
use crate::catalog::{Product, ProductForm, Rate, RateForm};

#[derive(Template)]
#[template(path = "backoffice/catalog/new_product.html", blocks = ["content"])]
pub struct NewProductPage {
    pub ctx: PageContext,
    pub form: ProductForm,
    pub carriers: Vec<(String, String)>,
    pub lines: Vec<(String, String)>,
    pub form_token: String,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "backoffice/catalog/product.html", blocks = ["content"])]
pub struct ProductPage {
    pub ctx: PageContext,
    pub product: Product,
    pub rates: Vec<Rate>,
    /// The rate in force today, an index into `rates`.
    pub current: Option<usize>,
    pub form: ProductForm,
    pub errors: FieldErrors,
    pub rate_form: RateForm,
    pub rate_errors: FieldErrors,
}

impl ProductPage {
    pub fn manages(&self) -> bool {
        self.ctx
            .can(crate::auth::permissions::Permission::ManageCatalog)
    }

    pub fn is_current(&self, index: &usize) -> bool {
        self.current == Some(*index)
    }

    /// A rate that starts after today (the history is latest first).
    pub fn is_scheduled(&self, index: &usize) -> bool {
        self.current.is_none_or(|current| *index < current)
    }
}

#[derive(Debug, Deserialize)]
pub struct ProductSubmit {
    #[serde(flatten)]
    form: ProductForm,
    #[serde(default)]
    form_token: String,
}

fn product_path(id: i64) -> String {
    format!("{PATH}/productos/{id}")
}

/// Select options as (value, label) pairs.
type Options = Vec<(String, String)>;

/// The active carriers and lines a new product may belong to, as select options.
fn options(conn: &mut PgConnection) -> diesel::QueryResult<(Options, Options)> {
    let placeholder = |text: &str| (String::new(), text.to_owned());
    let mut carriers = vec![placeholder("Elija la compañía")];
    carriers.extend(
        catalog::active_carriers(conn)?
            .into_iter()
            .map(|c| (c.id.to_string(), c.name)),
    );
    let mut lines = vec![placeholder("Elija el ramo")];
    lines.extend(
        catalog::lines(conn)?
            .into_iter()
            .map(|l| (l.id.to_string(), l.name)),
    );
    Ok((carriers, lines))
}

async fn new_product_page(
    ctx: PageContext,
    db: &Db,
    form: ProductForm,
    form_token: String,
    errors: FieldErrors,
) -> Result<NewProductPage, AppError> {
    let (carriers, lines) = db.run(|conn| options(conn).map_err(DbError::from)).await?;
    Ok(NewProductPage {
        ctx,
        form,
        carriers,
        lines,
        form_token,
        errors,
    })
}

/// GET /admin/catalogo/productos/nuevo (`?compania=` preselects the carrier).
pub async fn new_product(
    ctx: PageContext,
    db: web::Data<Db>,
    query: web::Query<NewProductQuery>,
) -> Result<HttpResponse, AppError> {
    let form = ProductForm {
        compania: query.into_inner().compania.unwrap_or_default(),
        ..ProductForm::default()
    };
    let page = new_product_page(
        ctx,
        &db,
        form,
        form_submissions::new_token(),
        FieldErrors::new(),
    )
    .await?;
    render::html(&page)
}

#[derive(Debug, Deserialize)]
pub struct NewProductQuery {
    compania: Option<String>,
}

/// POST /admin/catalogo/productos
pub async fn create_product(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    submit: crate::web::form::StrictForm<ProductSubmit>,
) -> Result<HttpResponse, AppError> {
    let submit = submit.into_inner();
    let saved = match submit.form.validate_new() {
        Ok(input) => {
            let by = actor(&staff, &meta);
            let token = Some((submit.form_token.clone(), crate::audit::target::PRODUCT));
            save_once(&db, token, move |conn| {
                catalog::create_product(conn, &by, &input)
            })
            .await?
        }
        Err(errors) => Err(errors),
    };
    match saved {
        Ok(id) => Ok(flash::redirect(
            &product_path(id),
            Flash::success("Producto dado de alta."),
        )),
        Err(errors) => {
            let page = new_product_page(ctx, &db, submit.form, submit.form_token, errors).await?;
            invalid(&page)
        }
    }
}

async fn product_page(
    ctx: PageContext,
    db: &Db,
    id: i64,
    form: Option<ProductForm>,
    errors: FieldErrors,
    rate_form: Option<RateForm>,
    rate_errors: FieldErrors,
) -> Result<ProductPage, AppError> {
    let (product, rates) = db
        .run(move |conn| {
            Ok::<_, DbError>((
                catalog::find_product(conn, id)?,
                catalog::rates_of(conn, id)?,
            ))
        })
        .await?;
    let current = catalog::in_force_on(&rates, crate::time::today());
    Ok(ProductPage {
        ctx,
        form: form.unwrap_or_else(|| ProductForm::of(&product)),
        product,
        current,
        rates,
        errors,
        rate_form: rate_form.unwrap_or_default(),
        rate_errors,
    })
}

/// GET /admin/catalogo/productos/{id}
pub async fn show_product(
    ctx: PageContext,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let page = product_page(
        ctx,
        &db,
        path.into_inner(),
        None,
        FieldErrors::new(),
        None,
        FieldErrors::new(),
    )
    .await?;
    page_or_partial!(page)
}

/// POST /admin/catalogo/productos/{id}: name and cover summary.
pub async fn update_product(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    submit: crate::web::form::StrictForm<ProductSubmit>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = submit.into_inner().form;
    let saved = match form.validate_details() {
        Ok(input) => {
            let by = actor(&staff, &meta);
            save_once(&db, None, move |conn| {
                catalog::update_product(conn, &by, id, &input)
            })
            .await?
        }
        Err(errors) => Err(errors),
    };
    match saved {
        Ok(id) => Ok(flash::redirect(
            &product_path(id),
            Flash::success("Producto guardado."),
        )),
        Err(errors) => {
            let page =
                product_page(ctx, &db, id, Some(form), errors, None, FieldErrors::new()).await?;
            invalid(&page)
        }
    }
}

/// POST /admin/catalogo/productos/{id}/comisiones: a new rate from a date.
pub async fn add_rate(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<RateForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = form.into_inner();
    let saved = match form.validate() {
        Ok(input) => {
            let by = actor(&staff, &meta);
            save_once(&db, None, move |conn| {
                catalog::add_rate(conn, &by, id, &input)
            })
            .await?
        }
        Err(errors) => Err(errors),
    };
    match saved {
        Ok(id) => Ok(flash::redirect(
            &product_path(id),
            Flash::success(
                "Comisión añadida: se aplicará a los recibos que se cobren desde esa fecha.",
            ),
        )),
        Err(errors) => {
            let page =
                product_page(ctx, &db, id, None, FieldErrors::new(), Some(form), errors).await?;
            invalid(&page)
        }
    }
}

/// POST /admin/catalogo/productos/{id}/estado
pub async fn set_product_state(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<StateForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let by = actor(&staff, &meta);
    let said = (
        "Producto reactivado: vuelve a ofrecerse en los formularios.",
        "Producto dado de baja: ya no se ofrece en los formularios; lo ya registrado no cambia.",
    );
    set_state(&db, &form, product_path(id), said, move |conn, active| {
        catalog::set_product_active(conn, &by, id, active)
    })
    .await
}
