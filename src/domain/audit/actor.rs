//! Who acts in a change that domain functions audit themselves: a staff member, from a request.

use crate::audit::{Action, NewEntry};
use crate::auth::staff::{Role, StaffUser};

/// The staff member behind a change and where the request came from. Domain commands take one
/// and write their audit entry inside their own transaction.
#[derive(Debug, Clone)]
pub struct Actor {
    pub staff_id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub ip: String,
    pub user_agent: String,
}

impl Actor {
    pub fn new(staff: &StaffUser, ip: &str, user_agent: &str) -> Self {
        Self {
            staff_id: staff.id,
            email: staff.email.clone(),
            name: staff.name.clone(),
            role: staff.role(),
            ip: ip.to_owned(),
            user_agent: user_agent.to_owned(),
        }
    }

    /// An entry for `action` by this actor; add target and details with struct update syntax.
    pub fn entry(&self, action: Action) -> NewEntry<'_> {
        NewEntry {
            actor_staff_id: Some(self.staff_id),
            actor_label: &self.email,
            action,
            target_type: None,
            target_id: None,
            ip: &self.ip,
            user_agent: &self.user_agent,
            details: serde_json::json!({}),
        }
    }
}
