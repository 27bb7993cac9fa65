//! New policy.

use super::*;

#[derive(Template)]
#[template(path = "backoffice/policies/new.html", blocks = ["content"])]
pub struct NewPolicyPage {
    pub ctx: PageContext,
    pub form: PolicyForm,
    pub errors: FieldErrors,
    /// The customer chosen before opening the form (`?cliente=`), shown fixed.
    pub customer: Option<CustomerRef>,
    /// Customers found by the picker's search (empty until something is typed).
    pub customers: Vec<CustomerHit>,
    /// Where the picker's search goes (this form's own page).
    pub picker_action: &'static str,
    /// Whether «no customer» is a choice (a quote may be for a prospect).
    pub picker_allows_none: bool,
    pub carriers: Vec<(String, String)>,
    pub products: Vec<ProductOption>,
    pub agents: Vec<(String, String)>,
    pub frequencies: Vec<(String, String)>,
    /// The risk group of the chosen product's line; `None` shows every group.
    pub risk_kind: Option<RiskKind>,
}

impl NewPolicyPage {
    /// Products grouped by carrier, for `<optgroup>`s.
    pub fn product_groups(&self) -> Vec<(&str, Vec<&ProductOption>)> {
        let mut groups: Vec<(&str, Vec<&ProductOption>)> = Vec::new();
        for product in &self.products {
            match groups.last_mut() {
                Some((carrier, items)) if *carrier == product.carrier_name.as_str() => {
                    items.push(product)
                }
                _ => groups.push((&product.carrier_name, vec![product])),
            }
        }
        groups
    }

    pub fn is_selected_product(&self, id: &i64) -> bool {
        self.form.producto.trim() == id.to_string()
    }

    /// Whether the risk group `code` is shown.
    pub fn shows(&self, code: &str) -> bool {
        self.risk_kind.is_none_or(|kind| kind.code() == code)
    }

    /// The line of the chosen product.
    pub fn line_name(&self) -> String {
        self.products
            .iter()
            .find(|p| self.is_selected_product(&p.id))
            .map(|p| p.line_name.clone())
            .unwrap_or_else(|| "Se deduce del producto".into())
    }

    /// (name field, birth field, name label, birth label, name, birth) of each slot.
    pub fn person_fields(&self) -> Vec<(&'static str, &'static str, String, String, &str, &str)> {
        let r = &self.form.risk;
        let values = [
            (&r.asegurado1_nombre, &r.asegurado1_nacimiento),
            (&r.asegurado2_nombre, &r.asegurado2_nacimiento),
            (&r.asegurado3_nombre, &r.asegurado3_nacimiento),
        ];
        values
            .into_iter()
            .enumerate()
            .map(|(slot, (name, birth))| {
                (
                    policies::PERSON_NAME_FIELDS[slot],
                    policies::PERSON_BIRTH_FIELDS[slot],
                    format!("Nombre y apellidos del asegurado {}", slot + 1),
                    format!("Fecha de nacimiento del asegurado {}", slot + 1),
                    name.as_str(),
                    birth.as_str(),
                )
            })
            .collect()
    }
}

struct FormOptions {
    customer: Option<CustomerRef>,
    customers: Vec<CustomerHit>,
    carriers: Vec<Carrier>,
    products: Vec<ProductOption>,
    agents: Vec<NamedOption>,
    line_code: Option<String>,
}

async fn form_options(
    db: &Db,
    scope: PortfolioScope,
    form: &PolicyForm,
) -> Result<FormOptions, AppError> {
    let customer_id = optional_id(&form.cliente);
    let search = form.buscar.clone();
    let product_id = optional_id(&form.producto);
    Ok(db
        .run(move |conn| {
            let customer = match customer_id {
                Some(id) => policies::customer_in_scope(conn, scope, id)?,
                None => None,
            };
            let line_code = match product_id {
                Some(id) => policies::line_code_of_product(conn, id)?,
                None => None,
            };
            Ok::<_, DbError>(FormOptions {
                customers: if customer.is_some() {
                    Vec::new()
                } else {
                    policies::customer_matches(conn, scope, &search)?
                },
                customer,
                carriers: catalog::active_carriers(conn)?,
                products: policies::product_options(conn)?,
                agents: policies::agent_options(conn)?,
                line_code,
            })
        })
        .await?)
}

fn new_policy_page(
    ctx: PageContext,
    form: PolicyForm,
    errors: FieldErrors,
    options: FormOptions,
) -> NewPolicyPage {
    NewPolicyPage {
        ctx,
        form,
        errors,
        customer: options.customer,
        customers: options.customers,
        picker_action: "/admin/polizas/nueva",
        picker_allows_none: false,
        carriers: with_all(
            "Elija una compañía",
            options.carriers.into_iter().map(|c| (c.id, c.name)),
        ),
        products: options.products,
        agents: with_all(
            "El comercial del cliente",
            options.agents.into_iter().map(|a| (a.id, a.name)),
        ),
        frequencies: Frequency::ALL
            .iter()
            .map(|f| (f.code().to_owned(), f.label().to_owned()))
            .collect(),
        risk_kind: options.line_code.as_deref().map(RiskKind::for_line),
    }
}

/// GET /admin/polizas/nueva?cliente={id}; with htmx (product changed), the same form with the
/// values sent, from which the page keeps the risk fieldset of the product's line.
pub async fn new_form(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: web::Query<PolicyForm>,
) -> Result<HttpResponse, AppError> {
    let mut form = query.into_inner();
    if form.efecto.trim().is_empty() {
        form.efecto = policies::today().format("%Y-%m-%d").to_string();
    }
    if form.forma_pago.trim().is_empty() {
        form.forma_pago = Frequency::Annual.code().to_owned();
    }
    let options = form_options(&db, scope_of(&staff), &form).await?;
    page_or_partial!(new_policy_page(ctx, form, FieldErrors::new(), options))
}

/// POST /admin/polizas
pub async fn create(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<PolicyForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let scope = scope_of(&staff);
    let submitted = form.clone();
    let actor_staff = staff.0.clone();
    let outcome = db
        .transaction(move |conn| {
            let by = Actor::new(&actor_staff, &meta.ip, &meta.user_agent);
            policies::create(conn, scope, &submitted, &by, policies::today())
        })
        .await;
    match outcome {
        Ok(id) => Ok(flash::redirect(
            &format!("/admin/polizas/{id}"),
            Flash::success("Póliza dada de alta."),
        )),
        Err(PolicyError::Invalid(errors)) => {
            let options = form_options(&db, scope, &form).await?;
            render::html_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &new_policy_page(ctx, form, errors, options),
            )
        }
        Err(PolicyError::Refused(message)) => {
            let mut errors = FieldErrors::new();
            errors.add("numero", message);
            let options = form_options(&db, scope, &form).await?;
            render::html_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &new_policy_page(ctx, form, errors, options),
            )
        }
        Err(other) => Err(other.into()),
    }
}
