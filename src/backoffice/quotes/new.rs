//! New quote.

use super::*;

/// One option row of the form, with its field names and values.
pub struct SlotView {
    pub number: usize,
    pub carrier_field: &'static str,
    pub product_field: &'static str,
    pub net_field: &'static str,
    pub total_field: &'static str,
    pub summary_field: &'static str,
    pub input: OptionInput,
}

#[derive(Template)]
#[template(path = "backoffice/quotes/new.html", blocks = ["content"])]
pub struct NewQuotePage {
    pub ctx: PageContext,
    pub form: QuoteForm,
    pub errors: FieldErrors,
    /// The customer chosen before opening the form (`?cliente=`), shown fixed.
    pub customer: Option<CustomerRef>,
    /// Customers found by the picker's search (empty until something is typed).
    pub customers: Vec<CustomerHit>,
    /// Where the picker's search goes (this form's own page).
    pub picker_action: &'static str,
    /// Whether «no customer» is a choice (a quote may be for a prospect).
    pub picker_allows_none: bool,
    pub lines: Vec<(String, String)>,
    pub carriers: Vec<(String, String)>,
    pub products: Vec<ProductOption>,
    /// The risk group of the chosen line; `None` shows every group.
    pub risk_kind: Option<RiskKind>,
}

impl NewQuotePage {
    pub fn slots(&self) -> Vec<SlotView> {
        self.form
            .slots()
            .into_iter()
            .zip(quotes::SLOT_FIELDS.iter())
            .enumerate()
            .map(|(n, (input, fields))| SlotView {
                number: n + 1,
                carrier_field: fields.carrier,
                product_field: fields.product,
                net_field: fields.net,
                total_field: fields.total,
                summary_field: fields.summary,
                input,
            })
            .take(OPTION_SLOTS)
            .collect()
    }

    /// Products grouped by carrier, for `<optgroup>`s.
    pub fn product_groups(&self) -> Vec<(&str, Vec<&ProductOption>)> {
        product_groups(&self.products)
    }

    /// Whether the risk group `code` is shown.
    pub fn shows(&self, code: &str) -> bool {
        self.risk_kind.is_none_or(|kind| kind.code() == code)
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

pub(super) fn product_groups(products: &[ProductOption]) -> Vec<(&str, Vec<&ProductOption>)> {
    let mut groups: Vec<(&str, Vec<&ProductOption>)> = Vec::new();
    for product in products {
        match groups.last_mut() {
            Some((carrier, items)) if *carrier == product.carrier_name.as_str() => {
                items.push(product)
            }
            _ => groups.push((&product.carrier_name, vec![product])),
        }
    }
    groups
}

async fn new_quote_page(
    ctx: PageContext,
    db: &Db,
    scope: PortfolioScope,
    form: QuoteForm,
    errors: FieldErrors,
) -> Result<NewQuotePage, AppError> {
    let customer_id = optional_id(&form.cliente);
    let search = form.buscar.clone();
    let line_id = optional_id(&form.ramo);
    let (customer, customers, lines, carriers, products) = db
        .run(move |conn| {
            let customer = match customer_id {
                Some(id) => policies::customer_in_scope(conn, scope, id)?,
                None => None,
            };
            let customers = if customer.is_some() {
                Vec::new()
            } else {
                policies::customer_matches(conn, scope, &search)?
            };
            Ok::<_, DbError>((
                customer,
                customers,
                catalog::lines(conn)?,
                catalog::active_carriers(conn)?,
                policies::product_options(conn)?,
            ))
        })
        .await?;
    let risk_kind = line_id.and_then(|id| {
        lines
            .iter()
            .find(|l| l.id == id)
            .map(|l| RiskKind::for_line(&l.code))
    });
    Ok(NewQuotePage {
        ctx,
        form,
        errors,
        customer,
        customers,
        picker_action: "/admin/presupuestos/nuevo",
        picker_allows_none: true,
        lines: with_all("Elija el ramo", lines.into_iter().map(|l| (l.id, l.name))),
        carriers: with_all(
            "Elija una compañía",
            carriers.into_iter().map(|c| (c.id, c.name)),
        ),
        products,
        risk_kind,
    })
}

/// GET /admin/presupuestos/nuevo?cliente={id}; with htmx (line changed), the same form with
/// the values sent, from which the page keeps the risk fieldset of the line.
pub async fn new_form(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: web::Query<QuoteForm>,
) -> Result<HttpResponse, AppError> {
    let mut form = query.into_inner();
    if !form_submissions::is_well_formed(form.token.trim()) {
        form.token = form_submissions::new_token();
    }
    if form.validez.trim().is_empty() {
        form.validez = (policies::today() + Days::new(quotes::DEFAULT_VALIDITY_DAYS))
            .format("%Y-%m-%d")
            .to_string();
    }
    page_or_partial!(new_quote_page(ctx, &db, scope_of(&staff), form, FieldErrors::new()).await?)
}

enum Created {
    New(i64, String),
    Repeated(Option<i64>),
}

/// POST /admin/presupuestos: validates the form and creates the quote with its options in one
/// transaction with the form's one-time token, so that a double submit creates one quote.
pub async fn create(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<QuoteForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let scope = scope_of(&staff);
    if !form_submissions::is_well_formed(form.token.trim()) {
        let mut errors = FieldErrors::new();
        errors.add(
            "formulario",
            "El formulario ha caducado: revise los datos y envíelo de nuevo.",
        );
        let mut form = form;
        form.token = form_submissions::new_token();
        let page = new_quote_page(ctx, &db, scope, form, errors).await?;
        return render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let submitted = form.clone();
    let outcome = db
        .transaction(move |conn| {
            let token = submitted.token.trim().to_owned();
            if let Claimed::Repeated(created) = form_submissions::claim(conn, &token)? {
                return Ok(Created::Repeated(
                    created
                        .filter(|(kind, _)| kind == quotes::AUDIT_TARGET)
                        .map(|(_, id)| id),
                ));
            }
            let today = policies::today();
            let (new, options) =
                quotes::validate_form(conn, scope, &submitted, by.staff_id, today)?;
            let quote = quotes::create(conn, new, options, &by)?;
            form_submissions::attach(conn, &token, quotes::AUDIT_TARGET, quote.id)?;
            Ok::<_, QuoteError>(Created::New(quote.id, quote.number))
        })
        .await;
    match outcome {
        Ok(Created::New(id, number)) => Ok(flash::redirect(
            &format!("/admin/presupuestos/{id}"),
            Flash::success(format!("Presupuesto {number} creado.")),
        )),
        Ok(Created::Repeated(Some(id))) => Ok(flash::redirect(
            &format!("/admin/presupuestos/{id}"),
            Flash::info("Este formulario ya se había enviado: este es el presupuesto creado."),
        )),
        Ok(Created::Repeated(None)) => Ok(flash::see_other("/admin/presupuestos")),
        Err(QuoteError::Invalid(errors)) => {
            let page = new_quote_page(ctx, &db, scope, form, errors).await?;
            render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(other) => Err(AppError::from(other)),
    }
}
