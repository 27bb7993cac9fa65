//! The record of one sale, kept with its quote (`quote_sale_records`), and what a policy was
//! issued on: that record, or the reason recorded for issuing it without one.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::needs::Answer;
use crate::db::schema::{
    carriers, legal_texts, policies, quote_options, quote_sale_records, quotes,
};

/// How the pre-contract information reached the client (`precontract_channel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Portal,
    Web,
    Paper,
    InPerson,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Channel::Email,
        Channel::Portal,
        Channel::Web,
        Channel::Paper,
        Channel::InPerson,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Portal => "portal",
            Channel::Web => "web",
            Channel::Paper => "paper",
            Channel::InPerson => "in_person",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Channel::Email => "Correo electrónico",
            Channel::Portal => "Área de clientes e-SORI",
            Channel::Web => "Pantalla del cotizador web",
            Channel::Paper => "Papel firmado por el cliente",
            Channel::InPerson => "En mano, en la oficina",
        }
    }

    pub fn parse(code: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.code() == code)
    }

    /// The channels staff record by hand (the others are recorded by what delivers them).
    pub fn by_hand() -> [Channel; 2] {
        [Channel::Paper, Channel::InPerson]
    }
}

/// The pre-contract information as delivered.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub text_id: i64,
    pub version: String,
    pub channel: Channel,
    pub delivered_at: DateTime<Utc>,
    pub proof: String,
}

/// The demands-and-needs record of a quote.
#[derive(Debug, Clone)]
pub struct SaleRecord {
    pub quote_id: i64,
    pub needs: Vec<Answer>,
    pub needs_recorded_at: Option<DateTime<Utc>>,
    pub needs_recorded_by: Option<String>,
    pub recommended_option_id: Option<i64>,
    /// The carrier of the recommended option.
    pub recommended_carrier: Option<String>,
    pub advice_basis: String,
    pub precontract: Option<Delivery>,
}

impl SaleRecord {
    /// What is still missing before the sale may close, in Spanish; empty when complete.
    pub fn missing(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if self.needs.is_empty() || self.needs_recorded_at.is_none() {
            missing.push("las exigencias y necesidades del cliente");
        }
        if self.recommended_option_id.is_none() || self.advice_basis.trim().is_empty() {
            missing.push("la opción recomendada y el motivo");
        }
        if self.precontract.is_none() {
            missing.push("la entrega de la información previa");
        }
        missing
    }

    pub fn is_complete(&self) -> bool {
        self.missing().is_empty()
    }

    /// `missing` for a quote with no record at all.
    pub fn nothing_recorded() -> Vec<&'static str> {
        vec![
            "las exigencias y necesidades del cliente",
            "la opción recomendada y el motivo",
            "la entrega de la información previa",
        ]
    }
}

type RecordRow = (
    i64,
    serde_json::Value,
    Option<DateTime<Utc>>,
    Option<String>,
    Option<i64>,
    Option<String>,
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<DateTime<Utc>>,
    Option<String>,
);

/// The record of quote `quote_id`, if anything was recorded.
pub fn of_quote(conn: &mut PgConnection, quote_id: i64) -> QueryResult<Option<SaleRecord>> {
    let row: Option<RecordRow> = quote_sale_records::table
        .left_join(
            quote_options::table.on(quote_options::id
                .nullable()
                .eq(quote_sale_records::recommended_option_id)),
        )
        .left_join(carriers::table.on(carriers::id.eq(quote_options::carrier_id)))
        .left_join(legal_texts::table)
        .filter(quote_sale_records::quote_id.eq(quote_id))
        .select((
            quote_sale_records::quote_id,
            quote_sale_records::needs,
            quote_sale_records::needs_recorded_at,
            quote_sale_records::needs_recorded_by,
            quote_sale_records::recommended_option_id,
            carriers::name.nullable(),
            quote_sale_records::advice_basis,
            quote_sale_records::precontract_text_id,
            legal_texts::version.nullable(),
            quote_sale_records::precontract_channel,
            quote_sale_records::precontract_delivered_at,
            quote_sale_records::precontract_proof,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(
        |(
            quote_id,
            needs,
            needs_recorded_at,
            needs_recorded_by,
            recommended_option_id,
            recommended_carrier,
            advice_basis,
            text_id,
            version,
            channel,
            delivered_at,
            proof,
        )| {
            let precontract = match (
                text_id,
                channel.as_deref().and_then(Channel::parse),
                delivered_at,
            ) {
                (Some(text_id), Some(channel), Some(delivered_at)) => Some(Delivery {
                    text_id,
                    version: version.unwrap_or_default(),
                    channel,
                    delivered_at,
                    proof: proof.unwrap_or_default(),
                }),
                _ => None,
            };
            SaleRecord {
                quote_id,
                needs: serde_json::from_value(needs).unwrap_or_default(),
                needs_recorded_at,
                needs_recorded_by,
                recommended_option_id,
                recommended_carrier,
                advice_basis,
                precontract,
            }
        },
    ))
}

/// Records (or replaces) the demands and needs, the recommended option and the advice basis.
/// The caller has checked them and locked the quote.
pub fn save_needs(
    conn: &mut PgConnection,
    quote_id: i64,
    needs: &[Answer],
    recommended_option_id: i64,
    advice_basis: &str,
    recorded_by: &str,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    let needs = serde_json::to_value(needs).unwrap_or_else(|_| serde_json::json!([]));
    diesel::insert_into(quote_sale_records::table)
        .values((
            quote_sale_records::quote_id.eq(quote_id),
            quote_sale_records::needs.eq(&needs),
            quote_sale_records::needs_recorded_at.eq(at),
            quote_sale_records::needs_recorded_by.eq(recorded_by),
            quote_sale_records::recommended_option_id.eq(recommended_option_id),
            quote_sale_records::advice_basis.eq(advice_basis),
            quote_sale_records::updated_at.eq(at),
        ))
        .on_conflict(quote_sale_records::quote_id)
        .do_update()
        .set((
            quote_sale_records::needs.eq(&needs),
            quote_sale_records::needs_recorded_at.eq(at),
            quote_sale_records::needs_recorded_by.eq(recorded_by),
            quote_sale_records::recommended_option_id.eq(recommended_option_id),
            quote_sale_records::advice_basis.eq(advice_basis),
            quote_sale_records::updated_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Records the delivery of the pre-contract text `text_id` (the latest delivery is the one
/// kept; the audit log keeps every one).
pub fn save_delivery(
    conn: &mut PgConnection,
    quote_id: i64,
    text_id: i64,
    channel: Channel,
    proof: &str,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(quote_sale_records::table)
        .values((
            quote_sale_records::quote_id.eq(quote_id),
            quote_sale_records::precontract_text_id.eq(text_id),
            quote_sale_records::precontract_channel.eq(channel.code()),
            quote_sale_records::precontract_delivered_at.eq(at),
            quote_sale_records::precontract_proof.eq(proof),
            quote_sale_records::updated_at.eq(at),
        ))
        .on_conflict(quote_sale_records::quote_id)
        .do_update()
        .set((
            quote_sale_records::precontract_text_id.eq(text_id),
            quote_sale_records::precontract_channel.eq(channel.code()),
            quote_sale_records::precontract_delivered_at.eq(at),
            quote_sale_records::precontract_proof.eq(proof),
            quote_sale_records::updated_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// What a policy was sold on.
#[derive(Debug, Clone)]
pub enum PolicySale {
    /// Issued from quote `quote_id` (`number`), with its record.
    Quote {
        quote_id: i64,
        number: String,
        record: Option<Box<SaleRecord>>,
        /// Why it was issued although the record was incomplete, when it was.
        exemption: Option<String>,
    },
    /// Issued without a quote, for this reason.
    Exemption(String),
    /// Neither (a policy from before the records were kept, not marked as such).
    Unknown,
}

/// What policy `policy_id` was sold on (the caller has checked the policy is in scope).
pub fn of_policy(conn: &mut PgConnection, policy_id: i64) -> QueryResult<PolicySale> {
    let found: Option<(Option<String>, Option<i64>, Option<String>)> = policies::table
        .left_join(quotes::table.on(quotes::policy_id.eq(policies::id.nullable())))
        .filter(policies::id.eq(policy_id))
        .select((
            policies::sale_exemption,
            quotes::id.nullable(),
            quotes::number.nullable(),
        ))
        .order(quotes::id.desc())
        .first(conn)
        .optional()?;
    let Some((exemption, quote_id, number)) = found else {
        return Ok(PolicySale::Unknown);
    };
    Ok(match (quote_id, number, exemption) {
        (Some(quote_id), Some(number), exemption) => PolicySale::Quote {
            quote_id,
            number,
            record: of_quote(conn, quote_id)?.map(Box::new),
            exemption,
        },
        (_, _, Some(reason)) => PolicySale::Exemption(reason),
        _ => PolicySale::Unknown,
    })
}

/// Sets the reason a policy was issued without a complete record.
pub fn set_exemption(conn: &mut PgConnection, policy_id: i64, reason: &str) -> QueryResult<()> {
    diesel::update(policies::table.find(policy_id))
        .set(policies::sale_exemption.eq(reason))
        .execute(conn)
        .map(|_| ())
}
