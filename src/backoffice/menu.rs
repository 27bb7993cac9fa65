//! The back-office menu: every staff page one click away, grouped by what staff do.
//!
//! Nineteen flat links filled two rows on a desktop and seven on a phone; grouped, the menu
//! is one row of a few everyday links and three drop-downs (Cartera, Comercial,
//! Administración). A link shows only to roles that may open its page: each entry names the
//! permission of its route in [`crate::backoffice::routes::ROUTES`], and a test checks that
//! they agree.

use crate::auth::permissions::Permission;
use crate::auth::staff::Role;
use crate::web::page::PageContext;

/// One entry of the table.
struct Entry {
    label: &'static str,
    href: &'static str,
    permission: Permission,
    /// Hidden from roles that hold this permission (they get another entry instead).
    unless: Option<Permission>,
    /// Paths (and everything below them) where this entry is the current page.
    current_under: &'static [&'static str],
}

const fn entry(label: &'static str, href: &'static str, permission: Permission) -> Entry {
    Entry {
        label,
        href,
        permission,
        unless: None,
        current_under: &[],
    }
}

/// Links outside the groups: what every staff member opens several times a day.
const EVERYDAY: &[Entry] = &[
    entry("Panel", "/admin", Permission::UseBackoffice),
    entry("Tareas", "/admin/tareas", Permission::UseTasks),
    entry("Mensajes", "/admin/mensajes", Permission::UseInbox),
];

const GROUPS: &[(&str, &[Entry])] = &[
    (
        "Cartera",
        &[
            entry("Clientes", "/admin/clientes", Permission::ViewPortfolio),
            entry("Pólizas", "/admin/polizas", Permission::ViewPortfolio),
            entry("Recibos", "/admin/recibos", Permission::ViewPortfolio),
            entry("Siniestros", "/admin/siniestros", Permission::ViewPortfolio),
            entry(
                "Presupuestos",
                "/admin/presupuestos",
                Permission::ViewPortfolio,
            ),
        ],
    ),
    (
        "Comercial",
        &[
            entry("Leads", "/admin/leads", Permission::UseLeads),
            entry("Landings", "/admin/landings", Permission::ManageSite),
            entry("Blog", "/admin/blog", Permission::ManageSite),
            entry("Taxi", "/admin/taxi", Permission::ViewPortfolio),
            entry("Tarifas", "/admin/tarifas", Permission::ManageTariffs),
            entry("Analítica", "/admin/analitica", Permission::ViewAnalytics),
            // An agent's own commissions are part of selling; managers settle them below.
            Entry {
                unless: Some(Permission::ManageCommissions),
                ..entry(
                    "Mis comisiones",
                    "/admin/comisiones/mias",
                    Permission::ViewCommissions,
                )
            },
        ],
    ),
    (
        "Administración",
        &[
            Entry {
                current_under: &["/admin/liquidaciones", "/admin/comisiones"],
                ..entry(
                    "Comisiones",
                    "/admin/liquidaciones",
                    Permission::ManageCommissions,
                )
            },
            entry(
                "Compañías y productos",
                "/admin/catalogo",
                Permission::ViewCatalog,
            ),
            Entry {
                current_under: &["/admin/remesas", "/admin/cobros"],
                ..entry(
                    "Remesas SEPA",
                    "/admin/remesas",
                    Permission::ManageCollections,
                )
            },
            entry("Importar datos", "/admin/importar", Permission::ImportData),
            entry("Usuarios", "/admin/usuarios", Permission::ManageUsers),
            entry("Auditoría", "/admin/auditoria", Permission::ViewAudit),
            entry("Seguridad", "/admin/seguridad", Permission::ManageSecurity),
            entry("Correos", "/admin/correos", Permission::ManageOutbox),
            entry(
                "Automatización",
                "/admin/automatizacion",
                Permission::ManageAutomation,
            ),
        ],
    ),
    (
        "Cumplimiento",
        &[
            entry(
                "Reclamaciones",
                "/admin/reclamaciones",
                Permission::HandleComplaints,
            ),
            entry(
                "Solicitudes de derechos",
                "/admin/privacidad/solicitudes",
                Permission::ManagePrivacy,
            ),
            entry(
                "Registro de accesos",
                "/admin/privacidad/accesos",
                Permission::ManagePrivacy,
            ),
            entry(
                "Conservación de datos",
                "/admin/privacidad/conservacion",
                Permission::ManagePrivacy,
            ),
            entry(
                "Registro de tratamientos",
                "/admin/privacidad/tratamientos",
                Permission::ManagePrivacy,
            ),
            entry(
                "Datos bloqueados",
                "/admin/privacidad/bloqueados",
                Permission::ViewBlockedData,
            ),
        ],
    ),
];

/// A link as the layout renders it.
pub struct MenuLink {
    pub label: &'static str,
    pub href: &'static str,
    pub current: bool,
}

/// A drop-down of links; `current` when the page shown is one of them.
pub struct MenuGroup {
    pub label: &'static str,
    pub links: Vec<MenuLink>,
    pub current: bool,
}

/// The menu of one page for the signed-in staff member (empty when nobody is signed in).
pub struct Menu {
    pub everyday: Vec<MenuLink>,
    pub groups: Vec<MenuGroup>,
}

impl Menu {
    pub fn of(ctx: &PageContext) -> Self {
        let Some(role) = ctx.staff.as_ref().map(|staff| staff.role) else {
            return Self {
                everyday: Vec::new(),
                groups: Vec::new(),
            };
        };
        let links = |entries: &[Entry]| -> Vec<MenuLink> {
            visible(entries, role)
                .map(|entry| MenuLink {
                    label: entry.label,
                    href: entry.href,
                    current: if entry.current_under.is_empty() {
                        ctx.is_current(entry.href)
                    } else {
                        entry.current_under.iter().any(|path| ctx.is_current(path))
                    },
                })
                .collect()
        };
        Self {
            everyday: links(EVERYDAY),
            groups: GROUPS
                .iter()
                .map(|(label, entries)| {
                    let links = links(entries);
                    MenuGroup {
                        label,
                        current: links.iter().any(|link| link.current),
                        links,
                    }
                })
                .filter(|group| !group.links.is_empty())
                .collect(),
        }
    }
}

fn visible(entries: &[Entry], role: Role) -> impl Iterator<Item = &Entry> {
    entries.iter().filter(move |entry| {
        entry.permission.granted_to(role) && !entry.unless.is_some_and(|p| p.granted_to(role))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backoffice::routes::ROUTES;

    fn all_entries() -> impl Iterator<Item = &'static Entry> {
        EVERYDAY
            .iter()
            .chain(GROUPS.iter().flat_map(|(_, entries)| entries.iter()))
    }

    #[test]
    fn every_link_needs_the_permission_of_its_page() {
        for entry in all_entries() {
            let path = entry.href.strip_prefix("/admin").unwrap();
            let route = ROUTES
                .iter()
                .find(|route| route.method == "GET" && route.path == path)
                .unwrap_or_else(|| panic!("{} is not a back-office page", entry.href));
            assert_eq!(
                route.permission, entry.permission,
                "{}: the menu would show a link to a 403 page, or hide a page from its users",
                entry.href
            );
        }
    }

    #[test]
    fn every_role_sees_exactly_the_pages_it_may_open() {
        for role in Role::ALL {
            let shown: Vec<&str> = visible(EVERYDAY, role)
                .chain(
                    GROUPS
                        .iter()
                        .flat_map(|(_, entries)| visible(entries, role)),
                )
                .map(|entry| entry.label)
                .collect();
            for entry in all_entries() {
                if !entry.permission.granted_to(role) {
                    assert!(!shown.contains(&entry.label), "{role:?}: {}", entry.label);
                }
            }
            // Exactly one way to the commissions for those who may see them.
            let commissions = shown.iter().filter(|l| l.contains("omisiones")).count();
            let expected = usize::from(Permission::ViewCommissions.granted_to(role));
            assert_eq!(commissions, expected, "{role:?}: {shown:?}");
        }
        let agent: Vec<&str> = visible(GROUPS[1].1, Role::Agent).map(|e| e.label).collect();
        assert_eq!(agent, ["Leads", "Taxi", "Analítica", "Mis comisiones"]);
    }
}
