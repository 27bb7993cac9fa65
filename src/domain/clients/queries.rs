//! What a signed-in client reads. Every function takes the customer id and filters by it,
//! and callers run them inside `Db::portal_transaction`, whose row-level policies filter a
//! second time: another client's id is simply not found (404).

use chrono::{DateTime, NaiveDate, Utc};
use diesel::dsl::sum;
use diesel::prelude::*;

use crate::claims::Claim;
use crate::claims::status::ClaimStatus;
use crate::claims::{EventRow, events_for_client};
use crate::db::schema::{
    carriers, claims, documents, lines_of_business, message_threads, policies, products,
};
use crate::documents::{Document, Entity, PgStorage, Storage};
use crate::listing::{Numbered, PageNumber, SHORT_PAGE_SIZE};
use crate::policies::model::Policy;
use crate::policies::rules::Status;

/// A policy as the client's lists show it.
#[derive(Debug, Clone, Queryable)]
pub struct PolicyRow {
    pub id: i64,
    pub number: String,
    pub status: Status,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub total_premium_cents: i64,
    pub carrier: String,
    pub line: String,
    /// The carrier's 24-hour assistance phone (empty when the catalogue has none).
    pub assistance_phone: String,
}

impl PolicyRow {
    pub fn status_label(&self) -> &'static str {
        self.status.label()
    }
}

type PolicyColumns = (
    policies::id,
    policies::number,
    policies::status,
    policies::start_date,
    policies::end_date,
    policies::total_premium_cents,
    carriers::name,
    lines_of_business::name,
    carriers::assistance_phone,
);

const POLICY_COLUMNS: PolicyColumns = (
    policies::id,
    policies::number,
    policies::status,
    policies::start_date,
    policies::end_date,
    policies::total_premium_cents,
    carriers::name,
    lines_of_business::name,
    carriers::assistance_phone,
);

/// The policies in force, soonest renewal first (Inicio).
pub fn policies_in_force(conn: &mut PgConnection, customer_id: i64) -> QueryResult<Vec<PolicyRow>> {
    policies::table
        .inner_join(carriers::table)
        .inner_join(lines_of_business::table)
        .filter(policies::customer_id.eq(customer_id))
        .filter(policies::status.eq(Status::Active.code()))
        .order((policies::end_date, policies::id))
        .limit(SHORT_PAGE_SIZE)
        .select(POLICY_COLUMNS)
        .load(conn)
}

/// Every policy of the customer, newest first.
pub fn policies(
    conn: &mut PgConnection,
    customer_id: i64,
    page: PageNumber,
) -> QueryResult<Numbered<PolicyRow>> {
    let rows = policies::table
        .inner_join(carriers::table)
        .inner_join(lines_of_business::table)
        .filter(policies::customer_id.eq(customer_id))
        .order((policies::start_date.desc(), policies::id.desc()))
        .offset(page.offset(SHORT_PAGE_SIZE))
        .limit(SHORT_PAGE_SIZE + 1)
        .select(POLICY_COLUMNS)
        .load(conn)?;
    Ok(Numbered::assemble(rows, page, SHORT_PAGE_SIZE))
}

pub struct PolicyDetail {
    pub policy: Policy,
    pub carrier: String,
    /// The carrier's claims and 24-hour assistance phones (empty when unknown).
    pub claims_phone: String,
    pub assistance_phone: String,
    pub line: String,
    pub product: String,
    pub documents: Vec<Document>,
    pub claims: Vec<ClaimRow>,
}

impl PolicyDetail {
    pub fn status_label(&self) -> &'static str {
        self.policy.status().label()
    }

    /// The insured risk as (label, value) pairs.
    pub fn risk(&self) -> Vec<(String, String)> {
        self.policy.risk().map(|r| r.summary()).unwrap_or_default()
    }

    pub fn frequency_label(&self) -> &'static str {
        self.policy.frequency().map_or("", |f| f.label())
    }
}

/// Policy `id` of the customer with its visible documents and claims; `None` when it is not
/// theirs.
pub fn policy(
    conn: &mut PgConnection,
    customer_id: i64,
    id: i64,
) -> QueryResult<Option<PolicyDetail>> {
    let found: Option<(Policy, String, String, String, String, String)> = policies::table
        .inner_join(carriers::table)
        .inner_join(lines_of_business::table)
        .inner_join(products::table)
        .filter(policies::id.eq(id))
        .filter(policies::customer_id.eq(customer_id))
        .select((
            Policy::as_select(),
            carriers::name,
            lines_of_business::name,
            products::name,
            carriers::claims_phone,
            carriers::assistance_phone,
        ))
        .first(conn)
        .optional()?;
    let Some((policy, carrier, line, product, claims_phone, assistance_phone)) = found else {
        return Ok(None);
    };
    let documents = visible_documents(conn, customer_id, Entity::Policy(id))?;
    let claims = claims::table
        .filter(claims::customer_id.eq(customer_id))
        .filter(claims::policy_id.eq(id))
        .order((claims::opened_at.desc(), claims::id.desc()))
        .limit(SHORT_PAGE_SIZE)
        .select(CLAIM_COLUMNS)
        .load(conn)?;
    Ok(Some(PolicyDetail {
        policy,
        carrier,
        claims_phone,
        assistance_phone,
        line,
        product,
        documents,
        claims,
    }))
}

/// The documents of a record the broker marked visible to the client (current versions).
pub fn visible_documents(
    conn: &mut PgConnection,
    customer_id: i64,
    entity: Entity,
) -> QueryResult<Vec<Document>> {
    documents::table
        .filter(documents::customer_id.eq(customer_id))
        .filter(documents::visible_to_client.eq(true))
        .filter(documents::superseded_at.is_null())
        .filter(documents::entity_type.eq(entity.kind()))
        .filter(documents::entity_id.eq(entity.id()))
        .order((documents::uploaded_at.desc(), documents::id.desc()))
        .limit(100)
        .select(Document::as_select())
        .load(conn)
}

/// A visible document of the customer with its bytes, for download.
pub fn document_file(
    conn: &mut PgConnection,
    customer_id: i64,
    id: i64,
) -> QueryResult<Option<(Document, Vec<u8>)>> {
    let document: Option<Document> = documents::table
        .filter(documents::id.eq(id))
        .filter(documents::customer_id.eq(customer_id))
        .filter(documents::visible_to_client.eq(true))
        .filter(documents::superseded_at.is_null())
        .select(Document::as_select())
        .first(conn)
        .optional()?;
    let Some(document) = document else {
        return Ok(None);
    };
    let bytes = PgStorage.get(conn, document.id)?;
    Ok(Some((document, bytes)))
}

/// A claim as the client's lists show it.
#[derive(Debug, Clone, Queryable)]
pub struct ClaimRow {
    pub id: i64,
    pub number: String,
    pub incident_date: NaiveDate,
    pub status: ClaimStatus,
    pub opened_at: DateTime<Utc>,
}

impl ClaimRow {
    pub fn status(&self) -> ClaimStatus {
        self.status
    }
}

type ClaimColumns = (
    claims::id,
    claims::number,
    claims::incident_date,
    claims::status,
    claims::opened_at,
);

const CLAIM_COLUMNS: ClaimColumns = (
    claims::id,
    claims::number,
    claims::incident_date,
    claims::status,
    claims::opened_at,
);

/// Claims not yet closed (Inicio).
pub fn open_claims(conn: &mut PgConnection, customer_id: i64) -> QueryResult<Vec<ClaimRow>> {
    claims::table
        .filter(claims::customer_id.eq(customer_id))
        .filter(claims::status.ne(ClaimStatus::Closed.code()))
        .order((claims::opened_at.desc(), claims::id.desc()))
        .limit(SHORT_PAGE_SIZE)
        .select(CLAIM_COLUMNS)
        .load(conn)
}

pub fn claims(
    conn: &mut PgConnection,
    customer_id: i64,
    page: PageNumber,
) -> QueryResult<Numbered<ClaimRow>> {
    let rows = claims::table
        .filter(claims::customer_id.eq(customer_id))
        .order((claims::opened_at.desc(), claims::id.desc()))
        .offset(page.offset(SHORT_PAGE_SIZE))
        .limit(SHORT_PAGE_SIZE + 1)
        .select(CLAIM_COLUMNS)
        .load(conn)?;
    Ok(Numbered::assemble(rows, page, SHORT_PAGE_SIZE))
}

pub struct ClaimDetail {
    pub claim: Claim,
    pub policy_number: String,
    pub timeline: Vec<EventRow>,
    pub documents: Vec<Document>,
}

/// Claim `id` of the customer with its timeline; `None` when it is not theirs.
pub fn claim(
    conn: &mut PgConnection,
    customer_id: i64,
    id: i64,
) -> QueryResult<Option<ClaimDetail>> {
    let found: Option<(Claim, String)> = claims::table
        .inner_join(policies::table)
        .filter(claims::id.eq(id))
        .filter(claims::customer_id.eq(customer_id))
        .select((Claim::as_select(), policies::number))
        .first(conn)
        .optional()?;
    let Some((claim, policy_number)) = found else {
        return Ok(None);
    };
    let timeline = events_for_client(conn, claim.id)?;
    let documents = visible_documents(conn, customer_id, Entity::Claim(id))?;
    Ok(Some(ClaimDetail {
        claim,
        policy_number,
        timeline,
        documents,
    }))
}

/// Messages from the brokerage the client has not read yet.
pub fn unread_messages(conn: &mut PgConnection, customer_id: i64) -> QueryResult<i64> {
    let total: Option<i64> = message_threads::table
        .filter(message_threads::customer_id.eq(customer_id))
        .select(sum(message_threads::unread_by_client))
        .first(conn)?;
    Ok(total.unwrap_or(0))
}
