//! Policies (pólizas): creation with the insured risk of each line, the status life cycle
//! (suspend, reactivate, cancel, expire), renewals as new periods, endorsements, and the
//! portfolio lists, all scoped by [`PortfolioScope`](crate::auth::permissions::PortfolioScope).

pub mod model;
pub mod queries;
pub mod rules;
pub mod taxi;

pub use model::*;
pub use queries::*;
pub use rules::*;
