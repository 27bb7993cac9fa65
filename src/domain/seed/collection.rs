//! Demo premium collection: the brokerage's creditor settings, a signed mandate (with its
//! scanned paper among the customer's documents) for the demo clients and a dozen customers
//! more, and one remittance of the receipts due in the coming weeks, as already notified.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date};

use crate::audit::Actor;
use crate::collection::mandates::{self, NewMandate, Scheme};
use crate::collection::remittances::{self, Criteria};
use crate::collection::settings::{self, SettingsInput};
use crate::identifiers::Iban;
use crate::sepa::CreditorId;

/// The demo brokerage's tax id, which its creditor identifier is made from.
const DEMO_CIF: &str = "B12345674";

#[derive(QueryableByName)]
struct Debtor {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    kind: String,
}

/// Idempotent: nothing happens once the settings exist.
pub fn demo_collection(conn: &mut PgConnection) -> anyhow::Result<()> {
    conn.transaction(|conn| {
        if settings::get(conn)?.is_some() {
            return Ok(());
        }
        let by = Actor::system();
        let creditor = CreditorId::for_nif(DEMO_CIF, "000")
            .map_err(|e| anyhow::anyhow!("demo creditor id: {e}"))?;
        settings::save(
            conn,
            &by,
            &SettingsInput {
                creditor_name: "Soriano Mediadores, S.L.".into(),
                creditor_id: creditor.as_str().to_owned(),
                iban: Iban::from_parts("ES", "21000418450200051332")
                    .ok_or_else(|| anyhow::anyhow!("demo IBAN"))?
                    .as_str()
                    .to_owned(),
                bic: Some("CAIXESBBXXX".into()),
                street: "Calle de Alcalá 120".into(),
                postcode: "28009".into(),
                town: "Madrid".into(),
                version: "pain.008.001.08".into(),
                first_sequence: true,
                notice_days: 14,
            },
        )?;
        let today = crate::time::today();
        // The demo clients first, then customers with receipts due soon and a town.
        let debtors: Vec<Debtor> = diesel::sql_query(
            "SELECT c.id, c.display_name AS name, c.kind FROM customers c \
              WHERE c.city IS NOT NULL AND c.merged_into_id IS NULL AND (\
                    c.id IN (SELECT customer_id FROM client_users) \
                 OR c.id IN (SELECT customer_id FROM receipts WHERE status = 'pendiente' \
                              AND due_date BETWEEN $1 AND $2)) \
              ORDER BY (c.id IN (SELECT customer_id FROM client_users)) DESC, c.id LIMIT 15",
        )
        .bind::<Date, _>(today + Duration::days(14))
        .bind::<Date, _>(today + Duration::days(60))
        .load(conn)?;
        for (n, debtor) in debtors.iter().enumerate() {
            let document: i64 = diesel::sql_query(
                "WITH d AS (INSERT INTO documents (entity_type, entity_id, customer_id, filename, \
                 content_type, size_bytes, sha256) VALUES ('customer', $1, $1, \
                 'mandato-sepa-firmado.pdf', 'application/pdf', 8, \
                 encode(sha256('%PDF-1.4'::bytea), 'hex')) RETURNING id), \
                 b AS (INSERT INTO document_blobs (document_id, bytes) \
                       SELECT id, '%PDF-1.4'::bytea FROM d) \
                 SELECT id FROM d",
            )
            .bind::<BigInt, _>(debtor.id)
            .get_result::<Id>(conn)?
            .id;
            let account = format!("2100{:04}{:012}", 418 + n, 450_200_051_332u64 + n as u64);
            let iban = Iban::from_parts("ES", &account)
                .ok_or_else(|| anyhow::anyhow!("demo IBAN {account}"))?;
            let input = NewMandate {
                debtor_name: debtor.name.clone(),
                iban: iban.as_str().to_owned(),
                scheme: if debtor.kind == "person" {
                    Scheme::Core
                } else {
                    Scheme::B2b
                },
                signed_on: today - Duration::days(200 + 17 * n as i64),
                document_id: document,
            };
            mandates::create(conn, &by, debtor.id, &input, today)?
                .map_err(|e| anyhow::anyhow!("demo mandate: {e:?}"))?;
        }
        let criteria = Criteria {
            due_from: today + Duration::days(14),
            due_to: today + Duration::days(45),
            collection_date: today + Duration::days(14),
            carrier_id: None,
            agent_id: None,
            scheme: Scheme::Core,
        };
        let now = Utc::now().with_timezone(&crate::time::ZONE).naive_local();
        match remittances::create_as_notified(conn, &by, &criteria, now) {
            Ok(_) | Err(remittances::RemitError::Nothing) => Ok(()),
            Err(other) => Err(anyhow::anyhow!("demo remittance: {other}")),
        }
    })
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}
