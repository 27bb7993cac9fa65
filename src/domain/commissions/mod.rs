//! Commissions (comisiones) and carrier settlements (liquidaciones): the broker's share of the
//! net premium of every collected receipt, at the product's new-business or renewal rate; a
//! negative line when a collected receipt is returned; the monthly statement with each
//! carrier (borrador → emitida → cobrada); and each agent's share. No HTTP here.
//!
//! Lines are written by the receipts commands in their own transaction ([`on_collected`],
//! [`on_returned`]); [`backfill`] gives receipts collected before this existed their line.

pub mod commands;
pub mod model;
pub mod queries;
pub mod rules;
pub mod settlements;

pub use commands::{backfill, on_collected, on_returned};
pub use model::*;
pub use queries::*;
pub use settlements::*;
