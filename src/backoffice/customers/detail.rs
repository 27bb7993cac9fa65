//! Detail, interactions, consents.

use super::*;

pub struct Fact {
    pub label: &'static str,
    pub value: String,
}

pub struct Related {
    pub id: i64,
    pub number: String,
    pub status: &'static str,
}

impl Related {
    fn policy(r: RelatedRecord) -> Self {
        Self {
            status: customers::timeline::policy_status_label(&r.status),
            id: r.id,
            number: r.number,
        }
    }

    fn claim(r: RelatedRecord) -> Self {
        Self {
            status: customers::timeline::claim_status_label(&r.status),
            id: r.id,
            number: r.number,
        }
    }
}

pub struct ConsentView {
    pub purpose: &'static str,
    pub label: &'static str,
    pub granted: Option<bool>,
    pub detail: String,
    /// The exact clause the customer accepted or withdrew.
    pub text: Option<String>,
}

impl From<ConsentState> for ConsentView {
    fn from(c: ConsentState) -> Self {
        ConsentView {
            purpose: c.purpose.code(),
            label: c.purpose.label(),
            granted: c.granted,
            detail: match c.recorded_at {
                Some(at) => format!(
                    "{} · texto {} · {}",
                    madrid_datetime(at),
                    c.text_version,
                    c.source
                ),
                None => "Sin registrar".to_owned(),
            },
            text: c.text,
        }
    }
}

pub struct TimelineView {
    pub when: String,
    pub kind: String,
    pub title: String,
    pub detail: String,
    pub link: Option<String>,
}

impl From<TimelineItem> for TimelineView {
    fn from(item: TimelineItem) -> Self {
        TimelineView {
            when: madrid_datetime(item.at),
            kind: item.kind,
            title: item.title,
            detail: item.detail,
            link: item.link,
        }
    }
}

/// The quick "registrar interacción" form.
pub struct InteractionFormView {
    pub customer_id: i64,
    pub kind: String,
    pub summary: String,
    pub errors: FieldErrors,
    pub kinds: Vec<(&'static str, &'static str)>,
}

impl InteractionFormView {
    fn empty(customer_id: i64) -> Self {
        Self {
            customer_id,
            kind: InteractionKind::Call.code().to_owned(),
            summary: String::new(),
            errors: FieldErrors::new(),
            kinds: InteractionKind::options(),
        }
    }
}

#[derive(Template)]
#[template(path = "backoffice/customers/show.html", blocks = ["content"])]
pub struct ShowPage {
    pub ctx: PageContext,
    pub id: i64,
    pub name: String,
    pub kind_label: &'static str,
    pub tax_id: String,
    pub facts: Vec<Fact>,
    pub tags: Vec<String>,
    pub notes: String,
    pub consents: Vec<ConsentView>,
    pub policies: Vec<Related>,
    pub claims: Vec<Related>,
    pub quotes: Vec<Related>,
    /// The customer's complaints, for those who handle them (`None` for everyone else).
    pub complaints: Option<Vec<Related>>,
    pub timeline: Vec<TimelineView>,
    pub interaction: InteractionFormView,
    pub oob: bool,
}

impl ShowPage {
    pub fn can_edit(&self) -> bool {
        self.ctx.can(Permission::EditPortfolio)
    }
}

fn facts_of(c: &Customer, owner: Option<String>) -> Vec<Fact> {
    let mut facts = Vec::new();
    let mut push = |label: &'static str, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            facts.push(Fact { label, value });
        }
    };
    push("Correo electrónico", c.email.clone());
    push(
        "Teléfono",
        c.phone
            .as_deref()
            .and_then(|p| crate::identifiers::Phone::parse(p).ok())
            .map(|p| p.formatted()),
    );
    push("Fecha de nacimiento", c.birth_date.map(date));
    push("Dirección", c.address_line.clone());
    push(
        "Localidad",
        Some(
            [c.postcode.clone(), c.city.clone(), c.province.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · "),
        ),
    );
    push(
        "IBAN",
        c.iban
            .as_deref()
            .and_then(|i| Iban::parse(i).ok())
            .map(|i| i.grouped()),
    );
    push("Segmento", Some(c.segment_label().to_owned()));
    push("Agente", owner);
    push("Alta", Some(madrid_datetime(c.created_at)));
    facts
}

/// GET /admin/clientes/{id}
pub async fn show(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: crate::web::request_meta::RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let scope = scope_of(&staff.0);
    let by = crate::audit::Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let sees_complaints = Permission::HandleComplaints.granted_to(staff.0.role);
    // The customer and everything the page shows, in one trip to the pool.
    let found = db
        .run(move |conn| {
            let Some(customer) = customers::get(conn, scope, id)? else {
                return Ok::<_, DbError>(None);
            };
            let blocked = customer.blocked_at.is_some() && customer.blocked_until.is_some();
            if customer.merged_into_id.is_some() || blocked {
                return Ok(Some(Err(customer)));
            }
            // Every view of a customer's record is logged (RGPD: who saw whose data).
            crate::access_log::record(
                conn,
                &by,
                crate::access_log::Kind::CustomerViewed,
                Some(id),
                "Ficha del cliente",
            )?;
            let owner = match customer.owner_staff_id {
                Some(owner) => customers::staff_name(conn, owner)?,
                None => None,
            };
            Ok(Some(Ok((
                owner,
                customers::current_consents(conn, id)?,
                customers::policies_of(conn, id)?,
                customers::claims_of(conn, id)?,
                crate::quotes::of_customer(conn, id)?,
                customers::timeline(conn, id)?,
                if sees_complaints {
                    Some(crate::complaints::of_customer(conn, id)?)
                } else {
                    None
                },
                customer,
            ))))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    let (owner, consents, policies, claims, quotes, timeline, complaints, customer) = match found {
        Ok(page) => page,
        Err(customer) => {
            if let Some(survivor) = customer.merged_into_id {
                return Ok(flash::redirect(
                    &format!("/admin/clientes/{survivor}"),
                    Flash::info("Ese cliente se fusionó con este."),
                ));
            }
            // Nothing of the person is left here; the sealed copy is the legal-hold role's.
            return render::html(&crate::backoffice::blocked::NoticePage {
                ctx,
                id,
                name: customer.display_name,
                since: customer.blocked_at.map(madrid_datetime).unwrap_or_default(),
                until: customer
                    .blocked_until
                    .map(crate::format::date)
                    .unwrap_or_default(),
            });
        }
    };
    page_or_partial!(ShowPage {
        ctx,
        id,
        kind_label: if customer.is_company() {
            "Empresa"
        } else {
            "Persona"
        },
        facts: facts_of(&customer, owner),
        name: customer.display_name,
        tax_id: customer.tax_id,
        tags: customer.tags,
        notes: customer.notes,
        consents: consents.into_iter().map(ConsentView::from).collect(),
        policies: policies.into_iter().map(Related::policy).collect(),
        claims: claims.into_iter().map(Related::claim).collect(),
        complaints: complaints.map(|rows| {
            rows.into_iter()
                .map(|c| Related {
                    id: c.id,
                    status: match c.outcome {
                        Some(outcome) => outcome.label(),
                        None => c.status.label(),
                    },
                    number: format!("{} · {}", c.reference, c.subject),
                })
                .collect()
        }),
        quotes: quotes
            .into_iter()
            .map(|q| Related {
                status: q.status_label(),
                id: q.id,
                number: format!("{} · {}", q.number, q.line_name),
            })
            .collect(),
        timeline: timeline.into_iter().map(TimelineView::from).collect(),
        interaction: InteractionFormView::empty(id),
        oob: false,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InteractionInput {
    tipo: String,
    resumen: String,
}

/// The new timeline item and a fresh form (out of band), for htmx.
#[derive(Template)]
#[template(path = "backoffice/customers/_interaction_logged.html")]
pub struct InteractionLogged {
    pub ctx: PageContext,
    pub item: Option<TimelineView>,
    pub interaction: InteractionFormView,
    pub oob: bool,
}

/// POST /admin/clientes/{id}/interacciones
pub async fn log_interaction(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
    input: crate::web::form::StrictForm<InteractionInput>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let scope = scope_of(&staff.0);
    let customer = load_for_change(&db, scope, id).await?;
    if customer.merged_into_id.is_some() {
        return Err(AppError::NotFound);
    }
    let input = input.into_inner();
    let mut errors = FieldErrors::new();
    let kind = InteractionKind::parse(input.tipo.trim());
    if kind.is_none() {
        errors.add("tipo", "Elija el tipo de interacción.");
    }
    let summary = input.resumen.trim().to_owned();
    if summary.is_empty() {
        errors.add("resumen", "Escriba un resumen.");
    } else if summary.chars().count() > 4000 {
        errors.add("resumen", "Como mucho 4000 caracteres.");
    }
    let Some(kind) = kind.filter(|_| errors.is_empty()) else {
        let form = InteractionFormView {
            customer_id: id,
            kind: input.tipo,
            summary: input.resumen,
            errors,
            kinds: InteractionKind::options(),
        };
        if ctx.htmx {
            let body = InteractionLogged {
                ctx,
                item: None,
                interaction: form,
                oob: false,
            }
            .render()?;
            return Ok(HttpResponse::UnprocessableEntity()
                .content_type("text/html; charset=utf-8")
                .insert_header(("Vary", "HX-Request"))
                .insert_header(("HX-Retarget", "#interaction-form"))
                .insert_header(("HX-Reswap", "outerHTML"))
                .body(body));
        }
        return Ok(flash::redirect(
            &format!("/admin/clientes/{id}"),
            Flash::error(
                form.errors
                    .get("resumen")
                    .or(form.errors.get("tipo"))
                    .unwrap_or("Revise la interacción.")
                    .to_owned(),
            ),
        ));
    };
    let user = staff.0.clone();
    let logged = db
        .transaction(move |conn| {
            customers::log_interaction(conn, &actor(&user, &meta), id, kind, &summary)
                .map_err(DbError::from)
        })
        .await?;
    if ctx.htmx {
        return render::html(&InteractionLogged {
            ctx,
            item: Some(TimelineView {
                when: madrid_datetime(logged.occurred_at),
                kind: logged.kind.label().to_owned(),
                title: logged.summary,
                detail: logged.staff_name,
                link: None,
            }),
            interaction: InteractionFormView::empty(id),
            oob: true,
        });
    }
    Ok(flash::redirect(
        &format!("/admin/clientes/{id}"),
        Flash::success("Interacción registrada."),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConsentInput {
    finalidad: String,
    /// "si" to grant, "no" to withdraw.
    otorgado: String,
}

/// POST /admin/clientes/{id}/consentimientos
pub async fn record_consent(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
    input: crate::web::form::StrictForm<ConsentInput>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let scope = scope_of(&staff.0);
    let customer = load_for_change(&db, scope, id).await?;
    if customer.merged_into_id.is_some() {
        return Err(AppError::NotFound);
    }
    let Some(purpose) = ConsentPurpose::parse(input.finalidad.trim()) else {
        return Err(AppError::BadRequest(
            "Finalidad de consentimiento desconocida.".into(),
        ));
    };
    let granted = match input.otorgado.trim() {
        "si" => true,
        "no" => false,
        _ => {
            return Err(AppError::BadRequest(
                "Indique si otorga o retira el consentimiento.".into(),
            ));
        }
    };
    let user = staff.0.clone();
    db.transaction(move |conn| {
        customers::record_consent(
            conn,
            &actor(&user, &meta),
            id,
            purpose,
            granted,
            customers::CONSENT_TEXT_VERSION,
            customers::CONSENT_SOURCE_BACKOFFICE,
        )
        .map_err(DbError::from)
    })
    .await?;
    Ok(flash::redirect(
        &format!("/admin/clientes/{id}"),
        Flash::success(format!(
            "{}: consentimiento {}.",
            purpose.label(),
            if granted { "otorgado" } else { "retirado" }
        )),
    ))
}
