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

/// Who makes a change, for its audit entry.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub staff_id: i64,
    pub label: &'a str,
    pub ip: &'a str,
    pub user_agent: &'a str,
}

impl<'a> Actor<'a> {
    pub fn entry(
        &self,
        action: crate::audit::Action,
        customer_id: i64,
        details: serde_json::Value,
    ) -> crate::audit::NewEntry<'a> {
        crate::audit::NewEntry {
            actor_staff_id: Some(self.staff_id),
            actor_label: self.label,
            action,
            target_type: Some(crate::audit::target::CUSTOMER),
            target_id: Some(customer_id),
            ip: self.ip,
            user_agent: self.user_agent,
            details,
        }
    }
}
