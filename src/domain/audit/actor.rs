//! Who acts in a change that domain functions audit themselves: a staff member from a request,
//! a client in e-SORI, or the application on its own (scheduled expiries). One type for every
//! area, so that every command writes its audit entry and `created_by` columns the same way.

use diesel::{PgConnection, QueryResult};

use crate::audit::{Action, NewEntry, SYSTEM_ACTOR};
use crate::auth::staff::{Role, StaffUser};

/// Who is behind a change and where the request came from. Domain commands take one and write
/// their audit entry inside their own transaction.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The staff member's id. Only meaningful for staff: commands that only staff run read it;
    /// those a client or the application may run read [`Actor::staff`] instead.
    pub staff_id: i64,
    /// What the audit log shows: the staff member's e-mail, the client's label, or "sistema".
    pub email: String,
    pub name: String,
    /// The staff member's role (a client and the application act with the least privileged).
    pub role: Role,
    pub ip: String,
    pub user_agent: String,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Staff,
    Client,
    System,
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
            kind: Kind::Staff,
        }
    }

    /// A client acting in e-SORI, known in the audit log by `label`.
    pub fn client(label: &str, ip: &str, user_agent: &str) -> Self {
        Self {
            staff_id: 0,
            email: label.to_owned(),
            name: label.to_owned(),
            role: Role::Agent,
            ip: ip.to_owned(),
            user_agent: user_agent.to_owned(),
            kind: Kind::Client,
        }
    }

    /// The application itself (scheduled expiries, housekeeping).
    pub fn system() -> Self {
        Self {
            staff_id: 0,
            email: SYSTEM_ACTOR.to_owned(),
            name: SYSTEM_ACTOR.to_owned(),
            role: Role::Agent,
            ip: String::new(),
            user_agent: String::new(),
            kind: Kind::System,
        }
    }

    /// The staff member's id; `None` for a client or the application.
    pub fn staff(&self) -> Option<i64> {
        (self.kind == Kind::Staff).then_some(self.staff_id)
    }

    /// An entry for `action` by this actor; add target and details with struct update syntax.
    pub fn entry(&self, action: Action) -> NewEntry<'_> {
        NewEntry {
            actor_staff_id: self.staff(),
            actor_label: &self.email,
            action,
            target_type: None,
            target_id: None,
            ip: &self.ip,
            user_agent: &self.user_agent,
            details: serde_json::json!({}),
        }
    }

    /// Records `action` on the record `target_type` `target_id`, with its details.
    pub fn record(
        &self,
        conn: &mut PgConnection,
        action: Action,
        target_type: &'static str,
        target_id: i64,
        details: serde_json::Value,
    ) -> QueryResult<()> {
        crate::audit::record(
            conn,
            &NewEntry {
                target_type: Some(target_type),
                target_id: Some(target_id),
                details,
                ..self.entry(action)
            },
        )
    }
}
