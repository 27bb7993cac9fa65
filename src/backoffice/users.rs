//! User administration (admins): list, invite, change role, disable, enable.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use crate::audit::{self, Action, NewEntry};
use crate::auth::staff::{self, Role, StaffUser};
use crate::auth::staff_admin::{self, StaffAdminError};
use crate::backoffice::{CurrentStaff, audit_entry, password_links};
use crate::commissions;
use crate::config::Config;
use crate::db::{Db, DbError};
use crate::format::madrid_datetime;
use crate::listing::PageNumber;
use crate::page_or_partial;
use crate::validation::FieldErrors;
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::listing::Pager;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

pub const ROLES: [Role; 5] = Role::ALL;

/// (value, label) pairs for the role select.
pub fn role_options() -> Vec<(&'static str, &'static str)> {
    ROLES.iter().map(|r| (r.code(), r.label())).collect()
}

pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role_label: &'static str,
    pub active: bool,
    pub awaiting_password: bool,
    pub last_login: String,
}

impl From<&StaffUser> for UserRow {
    fn from(user: &StaffUser) -> Self {
        Self {
            id: user.id,
            name: user.name.clone(),
            email: user.email.clone(),
            role_label: user.role().label(),
            active: user.active,
            awaiting_password: staff_admin::awaiting_password(user),
            last_login: user
                .last_login_at
                .map(madrid_datetime)
                .unwrap_or_else(|| "Nunca".into()),
        }
    }
}

#[derive(Template)]
#[template(path = "backoffice/users/list.html", blocks = ["content"])]
pub struct UserListPage {
    pub ctx: PageContext,
    pub search: String,
    pub pager: Pager,
    pub users: Vec<UserRow>,
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    pagina: String,
}

/// GET /admin/usuarios
pub async fn list(
    ctx: PageContext,
    db: web::Data<Db>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let ListQuery { q, pagina } = query.into_inner();
    let page = PageNumber::parse(&pagina);
    let search = q.trim().chars().take(100).collect::<String>();
    let lookup = search.clone();
    let (users, more) = db
        .run(move |conn| staff_admin::list(conn, &lookup, page).map_err(DbError::from))
        .await?;
    let pager = Pager::numbered(page, more, "/admin/usuarios", &[("q", &search)]);
    page_or_partial!(UserListPage {
        ctx,
        search,
        pager,
        users: users.iter().map(UserRow::from).collect()
    })
}

#[derive(Template)]
#[template(path = "backoffice/users/new.html", blocks = ["content"])]
pub struct NewUserPage {
    pub ctx: PageContext,
    pub name: String,
    pub email: String,
    pub role: String,
    pub roles: Vec<(&'static str, &'static str)>,
    pub errors: FieldErrors,
}

/// GET /admin/usuarios/nuevo
pub async fn new_form(ctx: PageContext) -> Result<HttpResponse, AppError> {
    render::html(&NewUserPage {
        ctx,
        name: String::new(),
        email: String::new(),
        role: Role::Agent.code().to_owned(),
        roles: role_options(),
        errors: FieldErrors::new(),
    })
}

#[derive(Debug, Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    nombre: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    rol: String,
}

/// A validated invitation.
struct NewUser {
    name: String,
    email: String,
    role: Role,
}

fn validate_new_user(form: &NewUserForm) -> Result<NewUser, FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = form.nombre.trim();
    if name.is_empty() {
        errors.add("nombre", "Escriba el nombre.");
    } else if name.chars().count() > 120 {
        errors.add("nombre", "El nombre no puede tener más de 120 caracteres.");
    }
    let email = staff::normalize_email(&form.email);
    if email.is_empty() {
        errors.add("email", "Escriba el correo electrónico.");
    } else if !staff::is_plausible_email(&email) {
        errors.add("email", "El correo electrónico no tiene un formato válido.");
    }
    let role = Role::parse(&form.rol);
    if role.is_none() {
        errors.add("rol", "Elija un perfil.");
    }
    match role {
        Some(role) if errors.is_empty() => Ok(NewUser {
            name: name.to_owned(),
            email,
            role,
        }),
        _ => Err(errors),
    }
}

/// POST /admin/usuarios: creates the account and e-mails the invitation in one transaction.
/// Submitting twice cannot create two accounts: the e-mail is unique.
pub async fn create(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    form: crate::web::form::StrictForm<NewUserForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let command = match validate_new_user(&form) {
        Ok(command) => command,
        Err(errors) => return new_user_with_errors(ctx, form, errors),
    };
    let base_url = config.base_url.clone();
    let actor = staff.0;
    let created = db
        .transaction(move |conn| {
            let invited = staff_admin::invite(
                conn,
                &command.email,
                &command.name,
                command.role,
                Utc::now(),
            );
            match invited {
                Ok((user, token)) => {
                    password_links::send_invitation(conn, &user, &token, &base_url)?;
                    let entry = NewEntry {
                        target_type: Some(audit::target::STAFF_USER),
                        target_id: Some(user.id),
                        details: serde_json::json!({ "email": user.email, "rol": user.role }),
                        ..audit_entry(&actor, &meta, Action::StaffCreated)
                    };
                    audit::record(conn, &entry)?;
                    Ok::<_, DbError>(Ok(user))
                }
                Err(StaffAdminError::Database(message)) => Err(DbError::Other(message)),
                Err(other) => Ok(Err(other)),
            }
        })
        .await?;
    match created {
        Ok(user) => Ok(flash::redirect(
            &format!("/admin/usuarios/{}", user.id),
            Flash::success(format!(
                "Cuenta creada. Hemos enviado la invitación a {}.",
                user.email
            )),
        )),
        Err(StaffAdminError::EmailTaken) => {
            let mut errors = FieldErrors::new();
            errors.add("email", "Ya existe una cuenta con ese correo electrónico.");
            new_user_with_errors(ctx, form, errors)
        }
        Err(other) => Err(AppError::Internal(anyhow::anyhow!("{other}"))),
    }
}

fn new_user_with_errors(
    ctx: PageContext,
    form: NewUserForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    render::html_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &NewUserPage {
            ctx,
            name: form.nombre,
            email: form.email,
            role: form.rol,
            roles: role_options(),
            errors,
        },
    )
}

#[derive(Template)]
#[template(path = "backoffice/users/show.html", blocks = ["content"])]
pub struct UserPage {
    pub ctx: PageContext,
    pub user: UserRow,
    pub role: String,
    pub roles: Vec<(&'static str, &'static str)>,
    pub is_self: bool,
    pub two_factor_enabled: bool,
    pub errors: FieldErrors,
    /// The share of the broker's commission, as typed or as stored ("35,00").
    pub share: String,
}

async fn user_page(
    ctx: PageContext,
    db: &Db,
    id: i64,
    me: i64,
    errors: FieldErrors,
    typed_share: Option<String>,
) -> Result<UserPage, AppError> {
    let (user, two_factor_enabled, share_bp) = db
        .run(move |conn| {
            let Ok(user) = staff_admin::get(conn, id) else {
                return Ok::<_, DbError>(None);
            };
            let enabled = crate::auth::totp::is_enabled(conn, id)?;
            let share = commissions::commands::agent_share(conn, id)?;
            Ok(Some((user, enabled, share)))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(UserPage {
        share: typed_share.unwrap_or_else(|| format!("{},{:02}", share_bp / 100, share_bp % 100)),
        ctx,
        role: user.role().code().to_owned(),
        user: UserRow::from(&user),
        roles: role_options(),
        is_self: user.id == me,
        two_factor_enabled,
        errors,
    })
}

/// GET /admin/usuarios/{id}
pub async fn show(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    page_or_partial!(
        user_page(
            ctx,
            &db,
            path.into_inner(),
            staff.0.id,
            FieldErrors::new(),
            None
        )
        .await?
    )
}

#[derive(Debug, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    rol: String,
}

/// POST /admin/usuarios/{id}/rol
pub async fn change_role(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let me = staff.0.id;
    let Some(role) = Role::parse(&form.rol) else {
        let mut errors = FieldErrors::new();
        errors.add("rol", "Elija un perfil.");
        return render::html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &user_page(ctx, &db, id, me, errors, None).await?,
        );
    };
    let actor = staff.0;
    let result = db
        .transaction(move |conn| {
            let changed = staff_admin::change_role(conn, id, role, me);
            if let Ok(previous) = changed {
                let entry = NewEntry {
                    target_type: Some(audit::target::STAFF_USER),
                    target_id: Some(id),
                    details: serde_json::json!({ "rol": { "before": previous.code(), "after": role.code() } }),
                    ..audit_entry(&actor, &meta, Action::StaffRoleChanged)
                };
                audit::record(conn, &entry)?;
            }
            Ok::<_, DbError>(changed)
        })
        .await?;
    match result {
        Ok(_) => Ok(flash::redirect(
            &format!("/admin/usuarios/{id}"),
            Flash::success(format!("Perfil cambiado a «{}».", role.label())),
        )),
        Err(StaffAdminError::NotFound) => Err(AppError::NotFound),
        Err(error @ (StaffAdminError::SelfDemotion | StaffAdminError::LastAdmin)) => {
            let mut errors = FieldErrors::new();
            errors.add("rol", capitalize(&error.to_string()));
            render::html_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &user_page(ctx, &db, id, me, errors, None).await?,
            )
        }
        Err(other) => Err(AppError::Internal(anyhow::anyhow!("{other}"))),
    }
}

/// POST /admin/usuarios/{id}/desactivar and /activar
async fn set_active(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    id: i64,
    active: bool,
) -> Result<HttpResponse, AppError> {
    let actor = staff.0;
    let result = db
        .transaction(move |conn| {
            let changed = staff_admin::set_active(conn, id, active, actor.id);
            if changed.is_ok() {
                let action = if active {
                    Action::StaffEnabled
                } else {
                    Action::StaffDisabled
                };
                let entry = NewEntry {
                    target_type: Some(audit::target::STAFF_USER),
                    target_id: Some(id),
                    ..audit_entry(&actor, &meta, action)
                };
                audit::record(conn, &entry)?;
            }
            Ok::<_, DbError>(changed)
        })
        .await?;
    let back = format!("/admin/usuarios/{id}");
    match result {
        Ok(()) if active => Ok(flash::redirect(&back, Flash::success("Cuenta activada."))),
        Ok(()) => Ok(flash::redirect(
            &back,
            Flash::success("Cuenta desactivada. Sus sesiones se han cerrado."),
        )),
        Err(StaffAdminError::NotFound) => Err(AppError::NotFound),
        Err(error @ (StaffAdminError::SelfDemotion | StaffAdminError::LastAdmin)) => Ok(
            flash::redirect(&back, Flash::error(capitalize(&error.to_string()))),
        ),
        Err(other) => Err(AppError::Internal(anyhow::anyhow!("{other}"))),
    }
}

pub async fn disable(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    set_active(staff, meta, db, path.into_inner(), false).await
}

pub async fn enable(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    set_active(staff, meta, db, path.into_inner(), true).await
}

/// POST /admin/usuarios/{id}/invitacion: a new link for an account still without password.
pub async fn reinvite(
    _staff: CurrentStaff,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let base_url = config.base_url.clone();
    let sent = db
        .transaction(move |conn| {
            let user = match staff_admin::get(conn, id) {
                Ok(user) => user,
                Err(_) => return Ok::<_, DbError>(None),
            };
            if !staff_admin::awaiting_password(&user) {
                return Ok(Some(false));
            }
            let (user, token) =
                staff_admin::reinvite(conn, id, Utc::now()).map_err(DbError::other)?;
            password_links::send_invitation(conn, &user, &token, &base_url)?;
            Ok(Some(true))
        })
        .await?;
    let back = format!("/admin/usuarios/{id}");
    match sent {
        None => Err(AppError::NotFound),
        Some(true) => Ok(flash::redirect(
            &back,
            Flash::success("Invitación enviada de nuevo."),
        )),
        Some(false) => Ok(flash::redirect(
            &back,
            Flash::warning("Esta cuenta ya tiene contraseña; no necesita invitación."),
        )),
    }
}

/// POST /admin/usuarios/{id}/dos-pasos/restablecer: for a colleague who lost their phone;
/// they will enrol again at their next sign-in if the policy requires it.
pub async fn reset_two_factor(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = staff.0;
    let found = db
        .transaction(move |conn| {
            if staff_admin::get(conn, id).is_err() {
                return Ok::<_, DbError>(false);
            }
            crate::auth::totp::reset(conn, id)?;
            let entry = NewEntry {
                target_type: Some(audit::target::STAFF_USER),
                target_id: Some(id),
                ..audit_entry(&actor, &meta, Action::StaffTotpReset)
            };
            audit::record(conn, &entry)?;
            Ok(true)
        })
        .await?;
    if !found {
        return Err(AppError::NotFound);
    }
    Ok(flash::redirect(
        &format!("/admin/usuarios/{id}"),
        Flash::success("Verificación en dos pasos restablecida: tendrá que configurarla de nuevo."),
    ))
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str() + ".",
        None => String::new(),
    }
}

#[derive(Debug, Deserialize)]
pub struct ShareForm {
    #[serde(default)]
    participacion: String,
}

/// POST /admin/usuarios/{id}/comision: the agent's share of the broker's commission, for
/// receipts collected from now on.
pub async fn set_agent_share(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<ShareForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let typed = form.into_inner().participacion;
    let share_bp = match commissions::rules::parse_share(&typed) {
        Ok(bp) => bp,
        Err(message) => {
            let mut errors = FieldErrors::new();
            errors.add("participacion", message);
            let page = user_page(ctx, &db, id, staff.0.id, errors, Some(typed)).await?;
            return render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let actor = staff.0;
    let previous = db
        .transaction(move |conn| {
            let previous = commissions::commands::set_agent_share(conn, id, share_bp)?;
            if let Some(before) = previous.filter(|before| *before != share_bp) {
                let entry = NewEntry {
                    target_type: Some(audit::target::STAFF_USER),
                    target_id: Some(id),
                    details: serde_json::json!({ "participacion": { "before": before, "after": share_bp } }),
                    ..audit_entry(&actor, &meta, Action::AgentShareChanged)
                };
                audit::record(conn, &entry)?;
            }
            Ok::<_, DbError>(previous)
        })
        .await?;
    if previous.is_none() {
        return Err(AppError::NotFound);
    }
    Ok(flash::redirect(
        &format!("/admin/usuarios/{id}"),
        Flash::success(format!(
            "Participación en comisiones: {},{:02} %. Se aplica a los recibos que se cobren desde ahora.",
            share_bp / 100,
            share_bp % 100
        )),
    ))
}
