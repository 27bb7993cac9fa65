//! The client's personal pages. Thin handlers: each runs its reads in one
//! `portal_transaction` for the signed-in customer (row-level security on top of the
//! queries' own filter) and renders; a record of another client is a 404.

use actix_identity::Identity;
use actix_web::http::header::{
    CONTENT_DISPOSITION, CONTENT_TYPE, ContentDisposition, DispositionParam, DispositionType,
};
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::claims::EventRow;
use crate::clients::accounts::{self, SignInRow};
use crate::clients::queries::{self, ClaimDetail, ClaimRow, PolicyDetail, PolicyRow};
use crate::db::Db;
use crate::listing::{Numbered, PageNumber};
use crate::page_or_partial;
use crate::portal::auth::CurrentClient;
use crate::receipts::{self, ClientReceipt, Receipt};
use crate::web::error::AppError;
use crate::web::flash;
use crate::web::listing::Pager;
use crate::web::page::PageContext;

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    pagina: String,
}

impl PageQuery {
    fn page(&self) -> PageNumber {
        PageNumber::parse(&self.pagina)
    }
}

#[derive(Template)]
#[template(path = "portal/welcome.html", blocks = ["content"])]
pub struct WelcomePage {
    pub ctx: PageContext,
}

/// GET /portal: what e-SORI offers and how a client gets access; a signed-in client goes
/// straight to Inicio.
pub async fn welcome(
    ctx: PageContext,
    identity: Option<Identity>,
) -> Result<HttpResponse, AppError> {
    if identity.is_some() {
        return Ok(flash::see_other("/portal/inicio"));
    }
    page_or_partial!(WelcomePage { ctx })
}

#[derive(Template)]
#[template(path = "portal/home.html", blocks = ["content"])]
pub struct HomePage {
    pub ctx: PageContext,
    pub name: String,
    pub policies: Vec<PolicyRow>,
    pub claims: Vec<ClaimRow>,
    pub unread: i64,
    /// Pending or returned receipts, soonest due first.
    pub receipts: Vec<ClientReceipt>,
    /// Quotes sent and waiting for the client's answer.
    pub quotes_awaiting: i64,
    /// Documents of the client as a whole the broker published (a statement of receipts...).
    pub documents: Vec<crate::documents::Document>,
}

/// GET /portal/inicio
pub async fn home(
    ctx: PageContext,
    client: CurrentClient,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let customer = client.customer_id();
    let today = crate::policies::today();
    let (policies, claims, unread, receipts, quotes_awaiting, documents) = db
        .portal_transaction(customer, move |conn| {
            Ok::<_, AppError>((
                queries::policies_in_force(conn, customer)?,
                queries::open_claims(conn, customer)?,
                queries::unread_messages(conn, customer)?,
                receipts::unpaid_of_customer(conn, customer)?,
                crate::quotes::client::awaiting_answer(conn, customer, today)?,
                queries::visible_documents(
                    conn,
                    customer,
                    crate::documents::Entity::Customer(customer),
                )?,
            ))
        })
        .await?;
    page_or_partial!(HomePage {
        ctx,
        name: client.greeting,
        policies,
        claims,
        unread,
        receipts,
        quotes_awaiting,
        documents,
    })
}

#[derive(Template)]
#[template(path = "portal/policies.html", blocks = ["content"])]
pub struct PoliciesPage {
    pub ctx: PageContext,
    pub list: Numbered<PolicyRow>,
    pub pager: Pager,
}

/// GET /portal/polizas
pub async fn policies(
    ctx: PageContext,
    client: CurrentClient,
    db: web::Data<Db>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let (customer, page) = (client.customer_id(), query.page());
    let list = db
        .portal_transaction(customer, move |conn| {
            Ok::<_, AppError>(queries::policies(conn, customer, page)?)
        })
        .await?;
    let pager = Pager::of_numbered(&list, "/portal/polizas", &[]);
    page_or_partial!(PoliciesPage { ctx, list, pager })
}

#[derive(Template)]
#[template(path = "portal/policy.html", blocks = ["content"])]
pub struct PolicyPage {
    pub ctx: PageContext,
    pub detail: PolicyDetail,
    pub receipts: Vec<Receipt>,
    /// The client's SEPA mandate in force: how their receipts are paid.
    pub mandate: Option<crate::collection::mandates::Mandate>,
    /// How it was sold: the demands and needs, the advice and the pre-contract information.
    pub sale: crate::distribution::PolicySale,
}

impl PolicyPage {
    pub fn quote_href(&self, id: &i64) -> String {
        format!("/portal/presupuestos/{id}")
    }
}

/// GET /portal/polizas/{id}
pub async fn policy(
    ctx: PageContext,
    client: CurrentClient,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (customer, id) = (client.customer_id(), path.into_inner());
    let (detail, receipts, mandate, sale) = db
        .portal_transaction(customer, move |conn| {
            let Some(detail) = queries::policy(conn, customer, id)? else {
                return Ok::<_, AppError>(None);
            };
            Ok(Some((
                detail,
                receipts::of_customer_policy(conn, customer, id)?,
                crate::collection::mandates::in_force(conn, customer)?,
                crate::distribution::records::of_policy(conn, id)?,
            )))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    page_or_partial!(PolicyPage {
        ctx,
        detail,
        receipts,
        mandate,
        sale,
    })
}

/// GET /portal/documentos/{id}: a document the broker marked visible, as an attachment.
pub async fn document(
    client: CurrentClient,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (customer, id) = (client.customer_id(), path.into_inner());
    let (document, bytes) = db
        .portal_transaction(customer, move |conn| {
            Ok::<_, AppError>(queries::document_file(conn, customer, id)?)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![DispositionParam::Filename(document.filename.clone())],
    };
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, document.content_type.clone()))
        .insert_header((CONTENT_DISPOSITION, disposition))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes))
}

#[derive(Template)]
#[template(path = "portal/claims.html", blocks = ["content"])]
pub struct ClaimsPage {
    pub ctx: PageContext,
    pub list: Numbered<ClaimRow>,
    pub pager: Pager,
}

/// GET /portal/siniestros
pub async fn claims(
    ctx: PageContext,
    client: CurrentClient,
    db: web::Data<Db>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let (customer, page) = (client.customer_id(), query.page());
    let list = db
        .portal_transaction(customer, move |conn| {
            Ok::<_, AppError>(queries::claims(conn, customer, page)?)
        })
        .await?;
    let pager = Pager::of_numbered(&list, "/portal/siniestros", &[]);
    page_or_partial!(ClaimsPage { ctx, list, pager })
}

#[derive(Template)]
#[template(path = "portal/claim.html", blocks = ["content"])]
pub struct ClaimPage {
    pub ctx: PageContext,
    pub detail: ClaimDetail,
}

impl ClaimPage {
    /// The timeline newest first, as the client reads it.
    pub fn timeline(&self) -> Vec<&EventRow> {
        self.detail.timeline.iter().rev().collect()
    }
}

/// GET /portal/siniestros/{id}
pub async fn claim(
    ctx: PageContext,
    client: CurrentClient,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (customer, id) = (client.customer_id(), path.into_inner());
    let detail = db
        .portal_transaction(customer, move |conn| {
            Ok::<_, AppError>(queries::claim(conn, customer, id)?)
        })
        .await?
        .ok_or(AppError::NotFound)?;
    page_or_partial!(ClaimPage { ctx, detail })
}

#[derive(Template)]
#[template(path = "portal/sign_ins.html", blocks = ["content"])]
pub struct SignInsPage {
    pub ctx: PageContext,
    pub rows: Vec<SignInRow>,
}

/// GET /portal/accesos: "Últimos accesos".
pub async fn sign_ins(
    ctx: PageContext,
    client: CurrentClient,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let (customer, account) = (client.customer_id(), client.user.id);
    let rows = db
        .portal_transaction(customer, move |conn| {
            Ok::<_, AppError>(accounts::recent_sign_ins(conn, account)?)
        })
        .await?;
    page_or_partial!(SignInsPage { ctx, rows })
}

#[derive(Template)]
#[template(path = "portal/data_access.html", blocks = ["content"])]
pub struct DataAccessPage {
    pub ctx: PageContext,
    /// (when, who, what, detail)
    pub entries: Vec<(String, String, &'static str, String)>,
    pub pager: Pager,
}

/// GET /portal/datos/consultas: who at the brokerage looked at the client's record,
/// downloaded their documents (RGPD art. 15: the client may ask who accessed their data).
pub async fn data_access(
    ctx: PageContext,
    client: CurrentClient,
    db: web::Data<Db>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let (customer, page) = (client.customer_id(), query.page());
    let list = db
        .portal_transaction(customer, move |conn| {
            Ok::<_, AppError>(crate::access_log::about_customer(conn, customer, page)?)
        })
        .await?;
    let pager = Pager::of_numbered(&list, "/portal/datos/consultas", &[]);
    page_or_partial!(DataAccessPage {
        ctx,
        entries: list
            .rows
            .into_iter()
            .map(|e| {
                (
                    crate::portal::fmt::when(&e.at),
                    e.staff_name,
                    e.kind.label(),
                    e.subject,
                )
            })
            .collect(),
        pager,
    })
}
