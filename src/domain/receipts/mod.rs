//! Receipts (recibos): the premium instalments of each policy period, generated from the
//! premium and the payment frequency when a policy is issued or renewed; collected, returned
//! (devuelto: event, task and audit) or cancelled; overdue ones raise a task. No HTTP here.

pub mod commands;
pub mod model;
pub mod queries;
pub mod split;

pub use commands::*;
pub use model::*;
pub use queries::*;
pub use split::{Instalment, Period, split};
