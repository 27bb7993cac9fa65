//! What every page's layout needs from the request: CSRF token, flash messages, where we are,
//! who is signed in. Each page struct carries one `PageContext` as `ctx`.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use crate::auth::permissions::Permission;
use crate::auth::staff::Role;
use crate::web::flash::{Flash, IncomingFlashes};

/// The signed-in staff member as the back-office header shows them.
#[derive(Debug, Clone)]
pub struct StaffBadge {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub role_label: &'static str,
}

/// The signed-in client as e-SORI's header shows them.
#[derive(Debug, Clone)]
pub struct ClientBadge {
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct PageContext {
    pub csrf_token: String,
    pub flashes: Vec<Flash>,
    pub path: String,
    /// The request came from htmx (and not from a boosted navigation): answer with a partial.
    pub htmx: bool,
    pub request_id: String,
    pub staff: Option<StaffBadge>,
    pub client: Option<ClientBadge>,
}

impl PageContext {
    pub fn from_request_parts(req: &HttpRequest) -> Self {
        let extensions = req.extensions();
        let header = |name: &str| req.headers().get(name).is_some_and(|v| v == "true");
        Self {
            csrf_token: crate::web::csrf::token_of(&extensions),
            flashes: extensions
                .get::<IncomingFlashes>()
                .map(|f| f.0.clone())
                .unwrap_or_default(),
            path: req.path().to_owned(),
            htmx: header("HX-Request") && !header("HX-Boosted"),
            request_id: extensions
                .get::<tracing_actix_web::RequestId>()
                .map(|id| id.to_string())
                .unwrap_or_default(),
            staff: extensions.get::<StaffBadge>().cloned(),
            client: extensions.get::<ClientBadge>().cloned(),
        }
    }

    /// URL of a static asset with its content hash.
    pub fn asset(&self, path: &str) -> String {
        crate::web::assets::url(path)
    }

    /// Whether the signed-in staff member may use `permission` (templates hide the rest).
    pub fn can(&self, permission: Permission) -> bool {
        self.staff
            .as_ref()
            .is_some_and(|staff| permission.granted_to(staff.role))
    }

    /// Whether the signed-in staff member may complete or reassign a task of `assignee`: their
    /// own, or anyone's for administrators and supervisors (the rule of `tasks::may_change`).
    pub fn may_change_task(&self, assignee: i64) -> bool {
        self.staff.as_ref().is_some_and(|staff| {
            staff.id == assignee || matches!(staff.role, Role::Admin | Role::Supervisor)
        })
    }

    /// For `aria-current` in navigation: the current path is `prefix` or below it.
    pub fn is_current(&self, prefix: &str) -> bool {
        // Every menu link asks on every page: no allocation here.
        let Some(rest) = self.path.strip_prefix(prefix) else {
            return false;
        };
        if prefix == "/" || prefix == "/admin" || prefix == "/portal" {
            rest.is_empty() || rest == "/"
        } else {
            rest.is_empty() || rest.starts_with('/')
        }
    }
}

impl FromRequest for PageContext {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::from_request_parts(req)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(path: &str) -> PageContext {
        PageContext {
            csrf_token: String::new(),
            flashes: Vec::new(),
            path: path.to_owned(),
            htmx: false,
            request_id: String::new(),
            staff: None,
            client: None,
        }
    }

    #[test]
    fn a_link_is_current_on_its_path_and_below_it() {
        assert!(at("/admin/clientes").is_current("/admin/clientes"));
        assert!(at("/admin/clientes/7").is_current("/admin/clientes"));
        assert!(!at("/admin/clientesx").is_current("/admin/clientes"));
        assert!(!at("/admin/polizas").is_current("/admin/clientes"));
        // A face's home only on itself, not on every page below it.
        assert!(at("/admin").is_current("/admin"));
        assert!(at("/admin/").is_current("/admin"));
        assert!(!at("/admin/clientes").is_current("/admin"));
        assert!(at("/").is_current("/"));
        assert!(!at("/seguros").is_current("/"));
    }
}
