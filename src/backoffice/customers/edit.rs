//! Create and edit.

use super::*;

#[derive(Template)]
#[template(path = "backoffice/customers/form.html", blocks = ["content"])]
pub struct FormPage {
    pub ctx: PageContext,
    /// `None` when creating.
    pub customer_id: Option<i64>,
    pub form: CustomerForm,
    pub errors: FieldErrors,
    pub segments: Vec<(&'static str, &'static str)>,
    /// Empty for agents: their customers are theirs.
    pub owners: Vec<(String, String)>,
    pub duplicate: Option<ExistingView>,
    pub warnings: Vec<ExistingView>,
}

/// A customer a duplicate check found, as this user may see it: its name and link only when
/// they may open it; otherwise whose portfolio it is in and whom to ask (an agent's link to
/// another portfolio would be a 404, and the name is not theirs to read).
pub struct ExistingView {
    pub link: Option<(i64, String)>,
    /// Says whose portfolio it is in and whom to ask, when there is no link.
    pub elsewhere: String,
    /// What the customers share, for the possible duplicates.
    pub reason: &'static str,
}

impl ExistingView {
    pub fn of(customer: ExistingCustomer, reason: &'static str, scope: PortfolioScope) -> Self {
        let elsewhere = match &customer.owner_name {
            Some(owner) => format!("Está en la cartera de {owner}: pregunte a {owner}."),
            None => {
                "No tiene agente asignado: pregunte a un administrador o supervisor.".to_owned()
            }
        };
        Self {
            link: customer
                .open_to(scope)
                .then_some((customer.id, customer.display_name)),
            elsewhere,
            reason,
        }
    }

    fn hints(hints: Vec<DuplicateHint>, scope: PortfolioScope) -> Vec<Self> {
        hints
            .into_iter()
            .map(|hint| Self::of(hint.customer, hint.reason, scope))
            .collect()
    }
}

impl FormPage {
    pub fn action(&self) -> String {
        match self.customer_id {
            Some(id) => format!("/admin/clientes/{id}"),
            None => "/admin/clientes".to_owned(),
        }
    }

    pub fn is_company(&self) -> bool {
        self.form.tipo == "company"
    }

    pub fn checked(value: &Option<String>) -> bool {
        value.as_deref().is_some_and(|v| !v.is_empty())
    }
}

fn owner_select(options: Vec<(i64, String)>) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), "Sin asignar".to_owned())];
    out.extend(options.into_iter().map(|(id, name)| (id.to_string(), name)));
    out
}

async fn owners_for(db: &Db, scope: PortfolioScope) -> Result<Vec<(String, String)>, AppError> {
    if scope != PortfolioScope::All {
        return Ok(Vec::new());
    }
    let options = db
        .run(|conn| customers::owner_options(conn).map_err(DbError::from))
        .await?;
    Ok(owner_select(options))
}

/// GET /admin/clientes/nuevo
pub async fn new_form(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let scope = scope_of(&staff.0);
    let owners = owners_for(&db, scope).await?;
    render::html(&FormPage {
        ctx,
        customer_id: None,
        form: CustomerForm {
            tipo: "person".into(),
            segmento: Segment::Individual.code().into(),
            agente: staff.0.id.to_string(),
            ..CustomerForm::default()
        },
        errors: FieldErrors::new(),
        segments: Segment::options(),
        owners,
        duplicate: None,
        warnings: Vec::new(),
    })
}

/// Validates the form and settles the owner: an agent's customers are theirs; others choose
/// among the staff who can own customers.
async fn validate_with_owner(
    db: &Db,
    staff: &StaffUser,
    form: &CustomerForm,
    current_owner: Option<i64>,
) -> Result<Result<ValidCustomer, FieldErrors>, AppError> {
    let scope = scope_of(staff);
    let mut result = customers::validate(form);
    match scope {
        PortfolioScope::OwnedBy(me) => {
            if let Ok(valid) = &mut result {
                valid.owner_staff_id = Some(current_owner.unwrap_or(me));
            }
        }
        PortfolioScope::All => {
            let chosen = match &result {
                Ok(valid) => valid.owner_staff_id,
                Err(_) => form.agente.trim().parse::<i64>().ok(),
            };
            if let Some(owner) = chosen {
                let options = db
                    .run(|conn| customers::owner_options(conn).map_err(DbError::from))
                    .await?;
                if !options.iter().any(|(id, _)| *id == owner) {
                    let mut errors = match result {
                        Ok(_) => FieldErrors::new(),
                        Err(errors) => errors,
                    };
                    errors.add("agente", "Elija un agente de la lista.");
                    result = Err(errors);
                }
            }
        }
    }
    Ok(result)
}

#[allow(clippy::too_many_arguments)]
async fn form_with_errors(
    ctx: PageContext,
    db: &Db,
    staff: &StaffUser,
    customer_id: Option<i64>,
    form: CustomerForm,
    errors: FieldErrors,
    duplicate: Option<ExistingView>,
    warnings: Vec<ExistingView>,
) -> Result<HttpResponse, AppError> {
    let owners = owners_for(db, scope_of(staff)).await?;
    render::html_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &FormPage {
            ctx,
            customer_id,
            form,
            errors,
            segments: Segment::options(),
            owners,
            duplicate,
            warnings,
        },
    )
}

/// POST /admin/clientes
pub async fn create(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<CustomerForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let valid = match validate_with_owner(&db, &staff.0, &form, None).await? {
        Ok(valid) => valid,
        Err(errors) => {
            return form_with_errors(ctx, &db, &staff.0, None, form, errors, None, Vec::new())
                .await;
        }
    };
    let consents = [
        (
            ConsentPurpose::Privacy,
            FormPage::checked(&form.consentimiento_privacidad),
        ),
        (
            ConsentPurpose::Marketing,
            FormPage::checked(&form.consentimiento_comercial),
        ),
    ];
    let confirmed = FormPage::checked(&form.confirmar_duplicado);
    let user = staff.0.clone();
    let outcome = db
        .transaction(move |conn| {
            customers::create(conn, &actor(&user, &meta), &valid, &consents, confirmed)
                .map_err(DbError::from)
        })
        .await?;
    match outcome {
        CreateOutcome::Created(customer) => Ok(flash::redirect(
            &format!("/admin/clientes/{}", customer.id),
            Flash::success(format!("Cliente {} creado.", customer.display_name)),
        )),
        CreateOutcome::DuplicateTaxId(existing) => {
            let mut errors = FieldErrors::new();
            errors.add("nif", "Ya existe un cliente con este DNI, NIE o CIF.");
            let scope = scope_of(&staff.0);
            form_with_errors(
                ctx,
                &db,
                &staff.0,
                None,
                form,
                errors,
                Some(ExistingView::of(existing, "DNI, NIE o CIF", scope)),
                Vec::new(),
            )
            .await
        }
        CreateOutcome::PossibleDuplicates(hints) => {
            let warnings = ExistingView::hints(hints, scope_of(&staff.0));
            form_with_errors(
                ctx,
                &db,
                &staff.0,
                None,
                form,
                FieldErrors::new(),
                None,
                warnings,
            )
            .await
        }
    }
}

fn form_of(c: &Customer) -> CustomerForm {
    CustomerForm::of(c)
}

/// Loads a customer in scope, or 404.
pub(super) async fn load(db: &Db, scope: PortfolioScope, id: i64) -> Result<Customer, AppError> {
    db.run(move |conn| customers::get(conn, scope, id).map_err(DbError::from))
        .await?
        .ok_or(AppError::NotFound)
}

/// [`load`] for a change: a blocked customer's record takes none (its data are sealed).
pub(super) async fn load_for_change(
    db: &Db,
    scope: PortfolioScope,
    id: i64,
) -> Result<Customer, AppError> {
    let customer = load(db, scope, id).await?;
    if customer.blocked_at.is_some() {
        return Err(AppError::NotFound);
    }
    Ok(customer)
}

/// GET /admin/clientes/{id}/editar
pub async fn edit_form(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let scope = scope_of(&staff.0);
    let customer = load_for_change(&db, scope, id).await?;
    if let Some(survivor) = customer.merged_into_id {
        return Ok(flash::see_other(&format!(
            "/admin/clientes/{survivor}/editar"
        )));
    }
    let owners = owners_for(&db, scope).await?;
    render::html(&FormPage {
        ctx,
        customer_id: Some(id),
        form: form_of(&customer),
        errors: FieldErrors::new(),
        segments: Segment::options(),
        owners,
        duplicate: None,
        warnings: Vec::new(),
    })
}

/// POST /admin/clientes/{id}
pub async fn update(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
    form: crate::web::form::StrictForm<CustomerForm>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let scope = scope_of(&staff.0);
    let current = load_for_change(&db, scope, id).await?;
    if current.merged_into_id.is_some() {
        return Err(AppError::NotFound);
    }
    let form = form.into_inner();
    let valid = match validate_with_owner(&db, &staff.0, &form, current.owner_staff_id).await? {
        Ok(valid) => valid,
        Err(errors) => {
            return form_with_errors(ctx, &db, &staff.0, Some(id), form, errors, None, Vec::new())
                .await;
        }
    };
    let user = staff.0.clone();
    let outcome = db
        .transaction(move |conn| {
            customers::update(conn, &actor(&user, &meta), scope, id, &valid).map_err(DbError::from)
        })
        .await?;
    match outcome {
        UpdateOutcome::Updated(customer) => Ok(flash::redirect(
            &format!("/admin/clientes/{id}"),
            Flash::success(format!("Datos de {} guardados.", customer.display_name)),
        )),
        UpdateOutcome::NotFound => Err(AppError::NotFound),
        UpdateOutcome::DuplicateTaxId(existing) => {
            let mut errors = FieldErrors::new();
            errors.add("nif", "Ya existe otro cliente con este DNI, NIE o CIF.");
            form_with_errors(
                ctx,
                &db,
                &staff.0,
                Some(id),
                form,
                errors,
                Some(ExistingView::of(existing, "DNI, NIE o CIF", scope)),
                Vec::new(),
            )
            .await
        }
    }
}
