//! "Presupuestos" in e-SORI: the quotes the broker sent the client (list and detail, where an
//! option is accepted), the client's open quote requests, and the form to request a new one.
//! Thin handlers: the reads run in one `portal_transaction` (row-level security on top of the
//! queries' own customer filter); the writes are the quotes and leads domains'
//! (`quotes::client::accept_by_client`, `leads::portal::request_quote`).
//!
//! Why the writes run in a normal `db.transaction`, not under the portal role: they touch
//! tables a client must never be able to write or read through the portal role (leads and
//! their history, tasks, the domain events, the e-mail outbox, the audit log, the agents'
//! e-mail addresses, the lead rotation). Granting those to `soriano_portal` would widen what a
//! mistaken portal query could reach. Instead each write re-checks ownership inside its own
//! transaction before writing: acceptance locks the quote `WHERE id = $1 AND customer_id =
//! <session customer>` (another client's id is 404), and a request is always created for the
//! session's customer, never for an id taken from the form.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::catalog::{self, Line};
use crate::config::Config;
use crate::db::Db;
use crate::db::form_submissions;
use crate::distribution::precontract::{self, Section};
use crate::distribution::{SaleRecord, legal_texts, records};
use crate::leads::portal::{
    self as requests, CONTACT_TIMES, FORM_FIELD, OpenRequest, RequestError, RequestForm, Requested,
    Requester,
};
use crate::listing::PageNumber;
use crate::page_or_partial;
use crate::policies::{self, PERSON_BIRTH_FIELDS, PERSON_NAME_FIELDS, RiskKind};
use crate::portal::auth::CurrentClient;
use crate::quotes::QuoteError;
use crate::quotes::client::{
    self as client_quotes, Accepted, ClientAcceptance, ClientQuote, ClientQuoteRow, option_text,
};
use crate::validation::FieldErrors;
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::listing::Pager;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    pagina: String,
}

#[derive(Template)]
#[template(path = "portal/quotes.html", blocks = ["content"])]
pub struct QuotesPage {
    pub ctx: PageContext,
    pub rows: Vec<ClientQuoteRow>,
    pub pager: Pager,
    pub requests: Vec<OpenRequest>,
}

/// GET /portal/presupuestos
pub async fn list(
    ctx: PageContext,
    client: CurrentClient,
    db: web::Data<Db>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let (customer, page) = (client.customer_id(), PageNumber::parse(&query.pagina));
    let today = policies::today();
    let ((rows, more), requests) = db
        .portal_transaction(customer, move |conn| {
            Ok::<_, AppError>((
                client_quotes::sent_to_customer(conn, customer, page, today)?,
                requests::open_requests(conn, customer)?,
            ))
        })
        .await?;
    page_or_partial!(QuotesPage {
        ctx,
        rows,
        pager: Pager::numbered(page, more, "/portal/presupuestos", &[]),
        requests,
    })
}

#[derive(Template)]
#[template(path = "portal/quote.html", blocks = ["content"])]
pub struct QuotePage {
    pub ctx: PageContext,
    pub detail: ClientQuote,
    pub risk: Vec<(String, String)>,
    /// What the client asked for and what the broker recommends (RDL 3/2020), when recorded.
    pub record: Option<SaleRecord>,
    /// The pre-contract information: as delivered, or as it would be shown now.
    pub precontract: PrecontractView,
    /// The quote's documents the broker published (the quote as a PDF once sent).
    pub documents: Vec<crate::documents::Document>,
}

/// The pre-contract information on a quote's page.
pub enum PrecontractView {
    /// Delivered (when, how) with the text as it was given.
    Delivered {
        when: String,
        channel: &'static str,
        body: String,
    },
    /// Not yet: shown here, to be confirmed with the acceptance.
    ToRead(Vec<Section>),
}

impl PrecontractView {
    pub fn needs_confirmation(&self) -> bool {
        matches!(self, PrecontractView::ToRead(_))
    }
}

impl QuotePage {
    /// (instalments a year, label, amount of each) for an annual premium: the first receipt
    /// carries the cents that do not divide evenly, so these are the other ones.
    pub fn instalments(&self, total: &i64) -> Vec<(&'static str, String)> {
        [
            (2, "2 recibos semestrales"),
            (4, "4 recibos trimestrales"),
            (12, "12 recibos mensuales"),
        ]
        .into_iter()
        .map(|(n, label)| (label, crate::money::format_cents(total / n)))
        .collect()
    }

    /// Whether option `id` is the one the client accepted.
    pub fn is_accepted(&self, id: &i64) -> bool {
        self.detail.quote.client_accepted_option_id == Some(*id)
    }

    pub fn option_label(&self, row: &crate::quotes::OptionRow) -> String {
        option_text(row)
    }
}

/// GET /portal/presupuestos/{id}: a quote the broker sent this client (a draft, or another
/// client's quote, is 404).
pub async fn show(
    ctx: PageContext,
    client: CurrentClient,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (customer, id) = (client.customer_id(), path.into_inner());
    let today = policies::today();
    let (detail, record, delivered, documents) = db
        .portal_transaction(customer, move |conn| {
            let Some(detail) = client_quotes::for_customer(conn, customer, id, today)? else {
                return Ok::<_, AppError>((None, None, None, Vec::new()));
            };
            let documents = crate::clients::queries::visible_documents(
                conn,
                customer,
                crate::documents::Entity::Quote(id),
            )?;
            let record = records::of_quote(conn, id)?;
            let delivered = match record.as_ref().and_then(|r| r.precontract.as_ref()) {
                Some(delivery) => legal_texts::find(conn, delivery.text_id)?,
                None => None,
            };
            Ok((Some(detail), record, delivered, documents))
        })
        .await?;
    let detail = detail.ok_or(AppError::NotFound)?;
    let risk = detail.quote.risk().map(|r| r.summary()).unwrap_or_default();
    let delivery = record.as_ref().and_then(|r| r.precontract.clone());
    let precontract = match (delivery, delivered) {
        (Some(delivery), Some(text)) => PrecontractView::Delivered {
            when: crate::format::madrid_datetime(delivery.delivered_at),
            channel: delivery.channel.label(),
            body: text.body,
        },
        _ => PrecontractView::ToRead(precontract::sections(&config.broker.identity())),
    };
    // Only the answers and the recommendation once recorded in full are the client's to read.
    let record = record.filter(|r| r.needs_recorded_at.is_some());
    page_or_partial!(QuotePage {
        ctx,
        detail,
        risk,
        record,
        precontract,
        documents,
    })
}

#[derive(Debug, Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    opcion: String,
    /// The box "I have read the pre-contract information" (absent when not ticked).
    #[serde(default)]
    informacion_previa: Option<String>,
}

/// POST /portal/presupuestos/{id}/aceptar: the client accepts one option.
pub async fn accept(
    client: CurrentClient,
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<AcceptForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let back = format!("/portal/presupuestos/{id}");
    let Ok(option_id) = form.opcion.trim().parse::<i64>() else {
        return Ok(flash::redirect(
            &back,
            Flash::error("Elija la opción que acepta."),
        ));
    };
    // The acceptance is signed "(e-SORI)" in the quote's history, to tell it from staff's.
    let mut by = client.actor(&meta);
    by.label = format!("{} (e-SORI)", client.user.email);
    let base_url = config.base_url.clone();
    let broker = config.broker.identity();
    let read_precontract = form.informacion_previa.is_some();
    let outcome = db
        .transaction(move |conn| {
            let input = ClientAcceptance {
                by,
                option_id,
                today: policies::today(),
                base_url: &base_url,
                read_precontract,
                broker: &broker,
            };
            client_quotes::accept_by_client(conn, id, &input)
        })
        .await;
    match outcome {
        Ok(Accepted { number, option, .. }) => Ok(flash::redirect(
            &back,
            Flash::success(format!(
                "Ha aceptado el presupuesto {number} ({option}). Su gestor emitirá la póliza y se la hará llegar."
            )),
        )),
        Err(QuoteError::NotFound) => Err(AppError::NotFound),
        Err(QuoteError::Refused(message)) => Ok(flash::redirect(&back, Flash::error(message))),
        Err(QuoteError::Invalid(errors)) => {
            let message = errors
                .iter()
                .next()
                .map(|(_, message)| message.to_owned())
                .unwrap_or_else(|| "No se ha podido aceptar.".into());
            Ok(flash::redirect(&back, Flash::error(message)))
        }
        Err(QuoteError::Transition(error)) => {
            Ok(flash::redirect(&back, Flash::error(error.to_string())))
        }
        Err(other) => Err(AppError::Internal(anyhow::anyhow!("{other}"))),
    }
}

#[derive(Template)]
#[template(path = "portal/quote_request.html", blocks = ["content"])]
pub struct RequestPage {
    pub ctx: PageContext,
    pub lines: Vec<Line>,
    /// The risk group of the chosen line; `None` until a line is chosen.
    pub kind: Option<RiskKind>,
    pub times: &'static [(&'static str, &'static str)],
    pub form: RequestForm,
    pub errors: FieldErrors,
}

impl RequestPage {
    pub fn shows(&self, code: &str) -> bool {
        self.kind.is_some_and(|kind| kind.code() == code)
    }

    pub fn is_line(&self, id: &i64) -> bool {
        self.form.ramo.trim() == id.to_string()
    }

    pub fn line_name(&self) -> String {
        self.lines
            .iter()
            .find(|l| self.is_line(&l.id))
            .map(|l| l.name.clone())
            .unwrap_or_default()
    }

    /// (name field, birth field, name label, birth label, name, birth) of each insured slot.
    pub fn person_fields(&self) -> Vec<(&'static str, &'static str, String, String, &str, &str)> {
        let r = &self.form.risk;
        [
            (&r.asegurado1_nombre, &r.asegurado1_nacimiento),
            (&r.asegurado2_nombre, &r.asegurado2_nacimiento),
            (&r.asegurado3_nombre, &r.asegurado3_nacimiento),
        ]
        .into_iter()
        .enumerate()
        .map(|(slot, (name, birth))| {
            let optional = if slot == 0 { "" } else { " (opcional)" };
            (
                PERSON_NAME_FIELDS[slot],
                PERSON_BIRTH_FIELDS[slot],
                format!("Nombre y apellidos de la persona {}{optional}", slot + 1),
                format!("Fecha de nacimiento de la persona {}{optional}", slot + 1),
                name.as_str(),
                birth.as_str(),
            )
        })
        .collect()
    }
}

async fn request_page(
    ctx: PageContext,
    db: &Db,
    customer: i64,
    form: RequestForm,
    errors: FieldErrors,
) -> Result<RequestPage, AppError> {
    let lines = db
        .portal_transaction(customer, move |conn| {
            Ok::<_, AppError>(catalog::lines(conn)?)
        })
        .await?;
    let kind = lines
        .iter()
        .find(|l| form.ramo.trim() == l.id.to_string())
        .map(|l| RiskKind::for_line(&l.code));
    Ok(RequestPage {
        ctx,
        lines,
        kind,
        times: CONTACT_TIMES,
        form,
        errors,
    })
}

#[derive(Debug, Deserialize)]
pub struct RequestQuery {
    ramo: Option<String>,
}

/// GET /portal/presupuestos/solicitar[?ramo=ID]: the line picker, then that line's questions
/// (htmx swaps them in when the line changes; without JavaScript, "Continuar" reloads).
pub async fn request_form(
    ctx: PageContext,
    client: CurrentClient,
    db: web::Data<Db>,
    query: web::Query<RequestQuery>,
) -> Result<HttpResponse, AppError> {
    let form = RequestForm {
        token: form_submissions::new_token(),
        ramo: query.into_inner().ramo.unwrap_or_default(),
        ..RequestForm::default()
    };
    let page = request_page(ctx, &db, client.customer_id(), form, FieldErrors::new()).await?;
    page_or_partial!(page)
}

/// POST /portal/presupuestos/solicitar: the request becomes a lead for the client's agent; a
/// second submit of the same form creates nothing more.
pub async fn request(
    ctx: PageContext,
    client: CurrentClient,
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    form: crate::web::form::StrictForm<RequestForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let customer = client.customer_id();
    let by = client.actor(&meta);
    let base_url = config.base_url.clone();
    let typed = form.clone();
    let outcome = db
        .transaction(move |conn| {
            let by = Requester {
                by,
                base_url: &base_url,
            };
            requests::request_quote(conn, &typed, &by, policies::today())
        })
        .await;
    match outcome {
        Ok(Requested::Created { line_name, .. }) => Ok(flash::redirect(
            "/portal/presupuestos",
            Flash::success(format!(
                "Hemos recibido su solicitud de presupuesto de {line_name}. Su gestor la estudiará y le enviará el presupuesto aquí."
            )),
        )),
        Ok(Requested::Repeated) => Ok(flash::redirect(
            "/portal/presupuestos",
            Flash::info("Este formulario ya se había enviado: su solicitud está en estudio."),
        )),
        Err(RequestError::Invalid(errors)) => {
            let mut form = form;
            if errors.has(FORM_FIELD) {
                form.token = form_submissions::new_token();
            }
            let page = request_page(ctx, &db, customer, form, errors).await?;
            render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(RequestError::Database(error)) => Err(AppError::Internal(anyhow::anyhow!("{error}"))),
    }
}
