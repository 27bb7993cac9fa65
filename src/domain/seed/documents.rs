//! Demo documents: the PDFs the brokerage would have sent (each quote sent, a few policy
//! certificates, the complaints' acknowledgements and answers, a settlement statement).
//! Idempotent: generating again with the same data returns the document already stored.

use diesel::prelude::*;

use crate::db::schema::{carrier_settlements, complaints, policies, quotes};
use crate::distribution::precontract::BrokerIdentity;
use crate::documents::Entity;
use crate::documents::generated::{self, Kind, Request};

pub fn demo_documents(conn: &mut PgConnection) -> anyhow::Result<()> {
    let broker = BrokerIdentity::development();
    let today = crate::policies::today();
    let mut requests = Vec::new();
    let sent: Vec<i64> = quotes::table
        .filter(quotes::sent_at.is_not_null())
        .order(quotes::id)
        .select(quotes::id)
        .load(conn)?;
    requests.extend(
        sent.into_iter()
            .map(|id| (Kind::Quote, Entity::Quote(id), true)),
    );
    let certified: Vec<i64> = policies::table
        .filter(policies::status.eq("active"))
        .order(policies::id)
        .limit(3)
        .select(policies::id)
        .load(conn)?;
    requests.extend(
        certified
            .into_iter()
            .map(|id| (Kind::PolicyCertificate, Entity::Policy(id), true)),
    );
    let complaints: Vec<(i64, Option<String>)> = complaints::table
        .order(complaints::id)
        .select((complaints::id, complaints::answer))
        .load(conn)?;
    for (id, answer) in complaints {
        requests.push((Kind::ComplaintAcknowledgement, Entity::Complaint(id), false));
        if answer.is_some() {
            requests.push((Kind::ComplaintAnswer, Entity::Complaint(id), false));
        }
    }
    let settlement: Option<i64> = carrier_settlements::table
        .order(carrier_settlements::id)
        .select(carrier_settlements::id)
        .first(conn)
        .optional()?;
    if let Some(id) = settlement {
        requests.push((Kind::SettlementStatement, Entity::Settlement(id), false));
    }
    conn.transaction(|conn| {
        for (kind, entity, visible) in requests {
            let request = Request {
                kind,
                entity,
                subject: None,
                today,
            };
            match generated::generate(
                conn,
                &request,
                &broker,
                visible,
                "Datos de demostración",
                None,
            ) {
                Ok(_) | Err(generated::GenerateError::NotFound) => {}
                Err(generated::GenerateError::NotReady(_)) => {}
                Err(other) => return Err(anyhow::anyhow!("demo document: {other}")),
            }
        }
        Ok(())
    })
}
