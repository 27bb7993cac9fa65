//! Complaints in e-SORI: a client files a complaint or claim with the customer service
//! department about their own affairs, follows its deadline, reads the answer, and can ask at
//! any time that a person deal with it. Everything runs in the client's portal transaction,
//! so row-level security keeps them to their own complaints.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use diesel::prelude::*;

use crate::clients::queries::{self, PolicyRow};
use crate::complaints::form::{MULTILINE, Typist};
use crate::complaints::{self, Complaint, ComplaintForm, Kind, Outcome, Source, Status};
use crate::db::form_submissions::{self, Claimed};
use crate::db::schema::customers;
use crate::db::{Db, DbError};
use crate::listing::PageNumber;
use crate::portal::auth::CurrentClient;
use crate::validation::FieldErrors;
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::form::Form;
use crate::web::page::PageContext;
use crate::web::render;

const PATH: &str = "/portal/reclamaciones";

/// A complaint as the client's list and page show it.
pub struct ComplaintView {
    pub id: i64,
    pub reference: String,
    pub kind: &'static str,
    pub subject: String,
    pub description: String,
    pub received: String,
    pub due: String,
    pub state: &'static str,
    pub state_class: &'static str,
    pub answer: Option<String>,
    pub escalation: Option<String>,
    pub wants_human: bool,
    pub is_open: bool,
}

impl ComplaintView {
    fn new(c: Complaint) -> Self {
        let (state, state_class) = match (c.status, c.outcome) {
            (Status::Open, _) => ("En trámite", "badge badge-warn"),
            (_, Some(outcome @ (Outcome::InFavour | Outcome::Partly))) => {
                (outcome.label(), "badge badge-ok")
            }
            (_, Some(outcome)) => (outcome.label(), "badge badge-muted"),
            (status, None) => (status.label(), "badge badge-muted"),
        };
        Self {
            id: c.id,
            reference: c.reference,
            kind: c.kind.label(),
            subject: c.subject,
            description: c.description,
            received: crate::format::date(c.received_on),
            due: crate::format::date(c.due_on),
            state,
            state_class,
            answer: c.answer,
            escalation: c.escalated_to.map(|to| {
                format!(
                    "{}, referencia {}",
                    to.label(),
                    c.escalation_reference.unwrap_or_default()
                )
            }),
            wants_human: c.wants_human,
            is_open: c.status == Status::Open,
        }
    }
}

#[derive(Template)]
#[template(path = "portal/complaints.html", blocks = ["content"])]
pub struct ListPage {
    pub ctx: PageContext,
    pub complaints: Vec<ComplaintView>,
}

/// GET /portal/reclamaciones
pub async fn list(
    ctx: PageContext,
    client: CurrentClient,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let customer = client.customer_id();
    let rows = db
        .portal_transaction(customer, move |conn| {
            Ok::<_, AppError>(complaints::of_customer(conn, customer)?)
        })
        .await?;
    crate::page_or_partial!(ListPage {
        ctx,
        complaints: rows.into_iter().map(ComplaintView::new).collect(),
    })
}

#[derive(Template)]
#[template(path = "portal/complaint_new.html", blocks = ["content"])]
pub struct NewPage {
    pub ctx: PageContext,
    pub form: ComplaintForm,
    pub errors: FieldErrors,
    pub kinds: Vec<(&'static str, &'static str, &'static str)>,
    pub policies: Vec<(String, String)>,
    pub deadline_days: i32,
}

async fn new_page(
    ctx: PageContext,
    db: &Db,
    customer: i64,
    form: ComplaintForm,
    errors: FieldErrors,
) -> Result<NewPage, AppError> {
    let (policies, settings) = db
        .portal_transaction(customer, move |conn| {
            Ok::<_, AppError>((
                queries::policies(conn, customer, PageNumber::FIRST)?.rows,
                complaints::settings(conn)?,
            ))
        })
        .await?;
    let mut options = vec![(String::new(), "Ninguna en concreto".to_owned())];
    options.extend(policies.into_iter().map(|p: PolicyRow| {
        (
            p.id.to_string(),
            format!("{} · {} · {}", p.number, p.line, p.carrier),
        )
    }));
    Ok(NewPage {
        ctx,
        form,
        errors,
        kinds: Kind::ALL
            .iter()
            .map(|k| (k.code(), k.label(), k.hint()))
            .collect(),
        policies: options,
        deadline_days: settings.deadline_days,
    })
}

/// GET /portal/reclamaciones/nueva
pub async fn new_form(
    ctx: PageContext,
    client: CurrentClient,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let form = ComplaintForm {
        token: form_submissions::new_token(),
        ..ComplaintForm::default()
    };
    let page = new_page(ctx, &db, client.customer_id(), form, FieldErrors::new()).await?;
    render::html(&page)
}

enum Filed {
    Done(i64),
    BadPolicy,
}

/// POST /portal/reclamaciones
pub async fn create(
    ctx: PageContext,
    client: CurrentClient,
    db: web::Data<Db>,
    form: Form<ComplaintForm>,
) -> Result<HttpResponse, AppError> {
    let today = crate::time::today();
    let customer = client.customer_id();
    let checked = form.validated(&MULTILINE, form.validate(Typist::Client, today));
    let typed = form.into_inner();
    let mut draft = match checked {
        Ok(draft) => draft,
        Err(errors) => {
            let page = new_page(ctx, &db, customer, typed, errors).await?;
            return render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    if !form_submissions::is_well_formed(&typed.token) {
        return Err(AppError::BadRequest("Petición no válida.".into()));
    }
    let token = typed.token.clone();
    let policy = typed.poliza.trim().to_owned();
    // The acknowledgement goes to the address the client signs in with (confirmed).
    let login_email = client.user.email.clone();
    let filed = db
        .portal_transaction(customer, move |conn| {
            if !policy.is_empty() {
                let owned = policy.parse::<i64>().ok().filter(|id| {
                    queries::policies(conn, customer, PageNumber::FIRST)
                        .map(|page| page.rows.iter().any(|p| p.id == *id))
                        .unwrap_or(false)
                });
                match owned {
                    Some(id) => draft.policy_id = Some(id),
                    None => return Ok::<_, DbError>(Filed::BadPolicy),
                }
            }
            // Claimed after the checks: a form sent back to be corrected keeps its token.
            if let Claimed::Repeated(previous) = form_submissions::claim(conn, &token)? {
                return Ok(Filed::Done(previous.map(|(_, id)| id).unwrap_or(0)));
            }
            // Who is complaining is the client: their name and phone as the brokerage has them.
            let (name, phone, tax_id): (String, Option<String>, String) = customers::table
                .find(customer)
                .select((customers::display_name, customers::phone, customers::tax_id))
                .first(conn)?;
            draft.name = name;
            draft.email = Some(login_email);
            draft.phone = phone;
            draft.tax_id = Some(tax_id);
            let filed = complaints::file(
                conn,
                &draft,
                Source::Portal {
                    customer_id: customer,
                },
                today,
            )?;
            form_submissions::attach(conn, &token, "complaint", filed.id)?;
            Ok(Filed::Done(filed.id))
        })
        .await?;
    match filed {
        Filed::Done(0) => Ok(flash::see_other(PATH)),
        Filed::Done(id) => Ok(flash::redirect(
            &format!("{PATH}/{id}"),
            Flash::success(
                "Hemos recibido su reclamación. Le hemos enviado el acuse de recibo por correo.",
            ),
        )),
        Filed::BadPolicy => {
            let mut errors = FieldErrors::new();
            errors.add("poliza", "Elija una de sus pólizas.");
            let page = new_page(ctx, &db, customer, typed, errors).await?;
            render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

#[derive(Template)]
#[template(path = "portal/complaint.html", blocks = ["content"])]
pub struct ShowPage {
    pub ctx: PageContext,
    pub complaint: ComplaintView,
    pub policy_number: Option<String>,
}

/// GET /portal/reclamaciones/{id}: another client's complaint is not found (row-level
/// security hides it).
pub async fn show(
    ctx: PageContext,
    client: CurrentClient,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (customer, id) = (client.customer_id(), path.into_inner());
    let detail = db
        .portal_transaction(customer, move |conn| {
            Ok::<_, AppError>(complaints::find(conn, id)?)
        })
        .await?
        .filter(|d| d.complaint.customer_id == Some(customer))
        .ok_or(AppError::NotFound)?;
    crate::page_or_partial!(ShowPage {
        ctx,
        policy_number: detail.policy_number,
        complaint: ComplaintView::new(detail.complaint),
    })
}

/// POST /portal/reclamaciones/{id}/persona: "I want a person to deal with this".
pub async fn request_human(
    client: CurrentClient,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (customer, id) = (client.customer_id(), path.into_inner());
    let found = db
        .portal_transaction(customer, move |conn| {
            let mine = complaints::find(conn, id)?
                .is_some_and(|d| d.complaint.customer_id == Some(customer));
            if mine {
                complaints::request_human(conn, id)?;
            }
            Ok::<_, AppError>(mine)
        })
        .await?;
    if !found {
        return Err(AppError::NotFound);
    }
    Ok(flash::redirect(
        &format!("{PATH}/{id}"),
        Flash::success(
            "Anotado: una persona del servicio de atención al cliente se pondrá en contacto con usted.",
        ),
    ))
}
