//! Customers of the brokerage (tomadores): people (DNI/NIE) and companies (CIF), with their
//! RGPD consents, interactions and the timeline of everything that happened to them.
//!
//! Every query takes a [`PortfolioScope`](crate::auth::permissions::PortfolioScope): agents
//! see only the customers they own; an id outside the scope behaves as one that does not
//! exist. Every change writes its audit entry in the same transaction.

pub mod model;
pub mod queries;
pub mod rules;
pub mod timeline;

pub use model::*;
pub use queries::*;
pub use rules::{CustomerForm, ValidCustomer, validate};
pub use timeline::{TimelineItem, timeline};

pub use crate::audit::Actor;

/// The audit entry of `action` on customer `customer_id` by `by`.
pub fn entry(
    by: &Actor,
    action: crate::audit::Action,
    customer_id: i64,
    details: serde_json::Value,
) -> crate::audit::NewEntry<'_> {
    crate::audit::NewEntry {
        target_type: Some(crate::audit::target::CUSTOMER),
        target_id: Some(customer_id),
        details,
        ..by.entry(action)
    }
}
