//! Who may do what in the back-office: the one place that decides.
//!
//! Every staff page is registered through `backoffice::routes::staff_routes!` with the
//! permission it needs, and the check runs before the handler; there is no other way to mount
//! a back-office page. Templates ask the same table (`ctx.can(...)`) to hide what a role may
//! not use. `tests/backoffice_permissions.rs` walks every route with every role.

use crate::auth::staff::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// The staff home page and one's own account: every active staff member.
    UseBackoffice,
    /// Carriers, lines of business, products and commission rates (read).
    ViewCatalog,
    /// Staff accounts: create, change role, disable, reset 2FA.
    ManageUsers,
    /// Site-wide security settings, such as requiring two-factor authentication of everyone.
    ManageSecurity,
    /// The security audit log.
    ViewAudit,
    /// The e-mail outbox: see deliveries, retry failures.
    ManageOutbox,
}

impl Permission {
    pub const ALL: &'static [Permission] = &[
        Permission::UseBackoffice,
        Permission::ViewCatalog,
        Permission::ManageUsers,
        Permission::ManageSecurity,
        Permission::ViewAudit,
        Permission::ManageOutbox,
    ];

    pub fn granted_to(self, role: Role) -> bool {
        use Role::*;
        match self {
            Permission::UseBackoffice | Permission::ViewCatalog => true,
            Permission::ManageUsers | Permission::ManageSecurity | Permission::ManageOutbox => {
                role == Admin
            }
            Permission::ViewAudit => matches!(role, Admin | Supervisor),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admins_manage_users_and_the_outbox() {
        for role in [Role::Supervisor, Role::Agent, Role::Claims] {
            assert!(!Permission::ManageUsers.granted_to(role));
            assert!(!Permission::ManageOutbox.granted_to(role));
        }
        assert!(Permission::ManageUsers.granted_to(Role::Admin));
    }

    #[test]
    fn only_admins_manage_security_settings() {
        assert!(Permission::ManageSecurity.granted_to(Role::Admin));
        for role in [Role::Supervisor, Role::Agent, Role::Claims] {
            assert!(!Permission::ManageSecurity.granted_to(role), "{role:?}");
        }
        assert!(Permission::ALL.contains(&Permission::ManageSecurity));
    }

    #[test]
    fn supervisors_read_the_audit_log_agents_do_not() {
        assert!(Permission::ViewAudit.granted_to(Role::Supervisor));
        assert!(!Permission::ViewAudit.granted_to(Role::Agent));
        assert!(!Permission::ViewAudit.granted_to(Role::Claims));
    }

    #[test]
    fn every_role_uses_the_back_office() {
        for role in [Role::Admin, Role::Supervisor, Role::Agent, Role::Claims] {
            assert!(Permission::UseBackoffice.granted_to(role));
        }
    }
}
