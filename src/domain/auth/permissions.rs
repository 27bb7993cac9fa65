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
    /// Carriers, lines of business, products and commission rates: create, edit, deactivate.
    ManageCatalog,
    /// Staff accounts: create, change role, disable, reset 2FA.
    ManageUsers,
    /// Site-wide security settings, such as requiring two-factor authentication of everyone.
    ManageSecurity,
    /// The security audit log.
    ViewAudit,
    /// The e-mail outbox: see deliveries, retry failures.
    ManageOutbox,
    /// Customers, policies, claims, tasks: reading. Agents see only their own portfolio
    /// (enforced in the queries, see `backoffice::scope`); everyone else sees everything.
    ViewPortfolio,
    /// Customers and policies: create, edit, change state, log interactions.
    EditPortfolio,
    /// Claims: open, move through their states, record amounts and notes.
    HandleClaims,
    /// Claims: open one for a policy in one's portfolio (clients phone their agent to report
    /// a claim; handling it stays with the claims team).
    ReportClaims,
    /// Tasks: one's own list, create, complete, reassign.
    UseTasks,
    /// The leads pipeline: board, list, move between stages, convert. Agents see their own.
    UseLeads,
    /// Corporate site content: landing pages (with A/B variants), blog posts.
    ManageSite,
    /// Taxi tariffs: edit and publish versions.
    ManageTariffs,
    /// The inbox of portal messages: read and answer clients.
    UseInbox,
    /// Commission lines and one's own month by month ("Mis comisiones"). Agents see only the
    /// lines they earn (enforced in the queries).
    ViewCommissions,
    /// Carrier settlements (draft, issue, record payment, export) and the per-agent report.
    ManageCommissions,
    /// Bringing the book in from another system (customers today): upload, dry run, apply.
    ImportData,
    /// Premium collection by SEPA direct debit: the creditor settings and the remittances.
    ManageCollections,
    /// Automation rules and the e-mail templates they send: create, edit, enable, dry run,
    /// retry what failed.
    ManageAutomation,
    /// The complaints register of the customer service department (SAC): record, assign,
    /// answer, escalate, and the annual report.
    HandleComplaints,
    /// Data protection: rights requests (access, rectification, erasure, objection,
    /// portability), the staff access log, the retention schedule and the record of
    /// processing activities.
    ManagePrivacy,
    /// Blocked data (LOPDGDD art. 32): customers whose erasure was accepted, kept only for
    /// the legal periods and shown to no one else.
    ViewBlockedData,
    /// The brokerage's figures (portfolio, production, retention, loss ratio, receipts) with
    /// their charts and exports. Agents see the figures of their own book only (enforced in
    /// the queries); claims handlers and compliance do not sell and do not see them.
    ViewAnalytics,
}

impl Permission {
    pub const ALL: &'static [Permission] = &[
        Permission::UseBackoffice,
        Permission::ViewCatalog,
        Permission::ManageCatalog,
        Permission::ManageUsers,
        Permission::ManageSecurity,
        Permission::ViewAudit,
        Permission::ManageOutbox,
        Permission::ViewPortfolio,
        Permission::EditPortfolio,
        Permission::HandleClaims,
        Permission::ReportClaims,
        Permission::UseTasks,
        Permission::UseLeads,
        Permission::ManageSite,
        Permission::ManageTariffs,
        Permission::UseInbox,
        Permission::ViewCommissions,
        Permission::ManageCommissions,
        Permission::ImportData,
        Permission::ManageCollections,
        Permission::ManageAutomation,
        Permission::HandleComplaints,
        Permission::ManagePrivacy,
        Permission::ViewBlockedData,
        Permission::ViewAnalytics,
    ];

    pub fn granted_to(self, role: Role) -> bool {
        use Role::*;
        match self {
            Permission::UseBackoffice
            | Permission::ViewCatalog
            | Permission::ViewPortfolio
            | Permission::UseTasks
            | Permission::UseInbox => true,
            // Claims handlers read customers and policies (to handle claims), but do not sell.
            Permission::EditPortfolio => matches!(role, Admin | Supervisor | Agent),
            Permission::HandleClaims => matches!(role, Admin | Supervisor | Claims),
            Permission::ReportClaims => matches!(role, Admin | Supervisor | Claims | Agent),
            Permission::ManageUsers
            | Permission::ManageSecurity
            | Permission::ManageOutbox
            | Permission::ManageAutomation => role == Admin,
            Permission::ViewAudit => matches!(role, Admin | Supervisor | Compliance),
            Permission::UseLeads => matches!(role, Admin | Supervisor | Agent),
            Permission::ManageSite
            | Permission::ManageTariffs
            | Permission::ManageCommissions
            | Permission::ManageCatalog
            | Permission::ImportData
            | Permission::ManageCollections => {
                matches!(role, Admin | Supervisor)
            }
            Permission::ViewCommissions => matches!(role, Admin | Supervisor | Agent),
            Permission::HandleComplaints => matches!(role, Admin | Supervisor | Compliance),
            Permission::ManagePrivacy => matches!(role, Admin | Compliance),
            Permission::ViewBlockedData => role == Compliance,
            Permission::ViewAnalytics => matches!(role, Admin | Supervisor | Agent),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_handlers_handle_claims_but_do_not_sell() {
        assert!(Permission::HandleClaims.granted_to(Role::Claims));
        assert!(!Permission::EditPortfolio.granted_to(Role::Claims));
        assert!(Permission::ViewPortfolio.granted_to(Role::Claims));
        assert!(Permission::EditPortfolio.granted_to(Role::Agent));
        assert!(!Permission::HandleClaims.granted_to(Role::Agent));
        assert!(Permission::ReportClaims.granted_to(Role::Agent));
    }

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
    fn agents_see_commissions_but_only_managers_settle_them() {
        for role in [Role::Admin, Role::Supervisor] {
            assert!(Permission::ManageCommissions.granted_to(role));
            assert!(Permission::ViewCommissions.granted_to(role));
        }
        assert!(Permission::ViewCommissions.granted_to(Role::Agent));
        assert!(!Permission::ManageCommissions.granted_to(Role::Agent));
        assert!(!Permission::ViewCommissions.granted_to(Role::Claims));
        assert!(!Permission::ManageCommissions.granted_to(Role::Claims));
    }

    #[test]
    fn only_compliance_sees_blocked_data_and_sellers_do_not_handle_complaints() {
        for role in Role::ALL {
            assert_eq!(
                Permission::ViewBlockedData.granted_to(role),
                role == Role::Compliance,
                "{role:?}"
            );
        }
        assert!(Permission::HandleComplaints.granted_to(Role::Compliance));
        assert!(!Permission::HandleComplaints.granted_to(Role::Agent));
        assert!(!Permission::HandleComplaints.granted_to(Role::Claims));
        assert!(Permission::ManagePrivacy.granted_to(Role::Compliance));
        assert!(!Permission::ManagePrivacy.granted_to(Role::Supervisor));
        assert!(!Permission::EditPortfolio.granted_to(Role::Compliance));
    }

    #[test]
    fn sellers_and_managers_see_the_figures_claims_and_compliance_do_not() {
        for role in [Role::Admin, Role::Supervisor, Role::Agent] {
            assert!(Permission::ViewAnalytics.granted_to(role), "{role:?}");
        }
        for role in [Role::Claims, Role::Compliance] {
            assert!(!Permission::ViewAnalytics.granted_to(role), "{role:?}");
        }
    }

    #[test]
    fn every_role_uses_the_back_office() {
        for role in Role::ALL {
            assert!(Permission::UseBackoffice.granted_to(role));
        }
    }
}

/// Which customers (and their policies, claims, tasks) a staff member may see: an agent
/// works their own portfolio, every other role sees all of it. Queries apply it; an id outside
/// the scope answers 404 like an id that does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortfolioScope {
    All,
    OwnedBy(i64),
}

impl PortfolioScope {
    pub fn of(staff_id: i64, role: Role) -> Self {
        match role {
            Role::Agent => PortfolioScope::OwnedBy(staff_id),
            Role::Admin | Role::Supervisor | Role::Claims | Role::Compliance => PortfolioScope::All,
        }
    }

    /// The owner to filter on, if any.
    pub fn owner(self) -> Option<i64> {
        match self {
            PortfolioScope::All => None,
            PortfolioScope::OwnedBy(id) => Some(id),
        }
    }
}
