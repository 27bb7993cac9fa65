//! Converting a won lead into a customer, or linking it to the existing one.

use super::*;

// ---------------------------------------------------------------------------------------------
// Conversion

#[derive(Template)]
#[template(path = "backoffice/leads/convert.html", blocks = ["content"])]
pub struct ConvertPage {
    pub ctx: PageContext,
    pub id: i64,
    pub name: String,
    pub form: CustomerForm,
    pub errors: FieldErrors,
    /// The customer with the lead's DNI or e-mail, offered for linking.
    pub existing: Option<(i64, String)>,
    pub error: Option<String>,
}

/// Splits "Ana García López" into given name and family names (first word, the rest): a
/// starting point the agent corrects on the form.
fn split_name(full: &str) -> (String, String) {
    let mut words = full.split_whitespace();
    let given = words.next().unwrap_or_default().to_owned();
    (given, words.collect::<Vec<_>>().join(" "))
}

async fn convert_page(
    ctx: PageContext,
    db: &Db,
    staff: &CurrentStaff,
    id: i64,
    form: Option<CustomerForm>,
) -> Result<Result<ConvertPage, HttpResponse>, AppError> {
    let scope = scope_of(staff);
    let (detail, existing) = db
        .run(move |conn| {
            let detail = leads::get(conn, scope, id)?;
            let existing = leads::customer_match(
                conn,
                detail.lead.tax_id.as_deref(),
                detail.lead.email.as_deref(),
            )?;
            Ok::<_, LeadError>((detail, existing))
        })
        .await
        .map_err(AppError::from)?;
    let lead = detail.lead;
    if let Some(customer_id) = lead.customer_id {
        return Ok(Err(flash::redirect(
            &format!("/admin/clientes/{customer_id}"),
            Flash::info("Este lead ya es cliente."),
        )));
    }
    if lead.stage() != Stage::Won {
        return Ok(Err(flash::redirect(
            &format!("/admin/leads/{id}"),
            Flash::warning(LeadError::NotWon.to_string()),
        )));
    }
    let form = form.unwrap_or_else(|| {
        let (given, family) = split_name(&lead.full_name);
        CustomerForm {
            tipo: "person".to_owned(),
            nombre: given,
            apellidos: family,
            nif: lead.tax_id.clone().unwrap_or_default(),
            email: lead.email.clone().unwrap_or_default(),
            telefono: lead.phone.clone().unwrap_or_default(),
            codigo_postal: lead.postcode.clone().unwrap_or_default(),
            segmento: "individual".to_owned(),
            notas: lead.notes.clone(),
            ..CustomerForm::default()
        }
    });
    Ok(Ok(ConvertPage {
        ctx,
        id,
        name: lead.full_name,
        form,
        errors: FieldErrors::new(),
        existing,
        error: None,
    }))
}

/// GET /admin/leads/{id}/convertir: the customer form prefilled from the lead, and the
/// existing customer with the same DNI or e-mail when there is one.
pub async fn convert_form(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    match convert_page(ctx, &db, &staff, path.into_inner(), None).await? {
        Ok(page) => page_or_partial!(page),
        Err(redirect) => Ok(redirect),
    }
}

#[derive(Debug, Deserialize)]
pub struct ConvertForm {
    /// Set to link to this existing customer instead of creating one.
    #[serde(default)]
    cliente_existente: String,
    #[serde(flatten)]
    customer: CustomerForm,
}

/// POST /admin/leads/{id}/convertir: creates the customer (or links the existing one) in one
/// transaction. The lead row is locked, so a double submit converts once and both answers
/// lead to the same customer.
pub async fn convert(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<ConvertForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let scope = scope_of(&staff);
    let form = form.into_inner();
    let target = if !form.cliente_existente.trim().is_empty() {
        match form.cliente_existente.trim().parse::<i64>() {
            Ok(customer_id) => Ok(ConvertTarget::Existing(customer_id)),
            Err(_) => return Err(AppError::NotFound),
        }
    } else {
        customers::validate(&form.customer).map(|valid| ConvertTarget::New(Box::new(valid)))
    };
    let target = match target {
        Ok(target) => target,
        Err(errors) => {
            return match convert_page(ctx, &db, &staff, id, Some(form.customer)).await? {
                Ok(mut page) => {
                    page.errors = errors;
                    render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
                }
                Err(redirect) => Ok(redirect),
            };
        }
    };
    let by = actor(&staff, &meta);
    let result = db
        .transaction(move |conn| leads::convert(conn, scope, id, target, &by))
        .await;
    match result {
        Ok(outcome) => {
            let message = match outcome {
                ConvertOutcome::Created(_) => "Lead convertido en cliente.",
                ConvertOutcome::Linked(_) => "Lead vinculado al cliente existente.",
                ConvertOutcome::Already(_) => "Este lead ya era cliente.",
            };
            Ok(flash::redirect(
                &format!("/admin/clientes/{}", outcome.customer_id()),
                Flash::success(message),
            ))
        }
        Err(error @ (LeadError::NotWon | LeadError::CustomerMismatch | LeadError::Customer(_))) => {
            match convert_page(ctx, &db, &staff, id, Some(form.customer)).await? {
                Ok(mut page) => {
                    page.error = Some(error.to_string());
                    render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
                }
                Err(redirect) => Ok(redirect),
            }
        }
        Err(other) => Err(AppError::from(other)),
    }
}
