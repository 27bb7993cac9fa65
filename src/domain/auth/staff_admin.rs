//! Administration of staff accounts: list, invite, change role, disable and enable.
//! Callers run each command in one transaction together with its audit entry and e-mail.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::auth::staff::{self, Role, StaffUser};
use crate::auth::tokens::{self, Purpose};
use crate::db::schema::staff_users;
use crate::listing::{self, PAGE_SIZE, PageNumber};

/// Marks an account that has no password yet (invited, link not used): no PHC string, so no
/// password can ever match it.
pub const NO_PASSWORD: &str = "!invited";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StaffAdminError {
    #[error("ya existe una cuenta con ese correo electrónico")]
    EmailTaken,
    #[error(
        "no puede quitarse a sí mismo el perfil de administración ni desactivar su propia cuenta"
    )]
    SelfDemotion,
    #[error("debe quedar al menos una persona con perfil de administración activa")]
    LastAdmin,
    #[error("cuenta no encontrada")]
    NotFound,
    #[error("error de base de datos: {0}")]
    Database(String),
}

impl From<diesel::result::Error> for StaffAdminError {
    fn from(error: diesel::result::Error) -> Self {
        match error {
            diesel::result::Error::NotFound => StaffAdminError::NotFound,
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => StaffAdminError::EmailTaken,
            other => StaffAdminError::Database(other.to_string()),
        }
    }
}

/// One page of staff, ordered by name, optionally searched by name or e-mail.
pub fn list(
    conn: &mut PgConnection,
    search: &str,
    page: PageNumber,
) -> QueryResult<(Vec<StaffUser>, bool)> {
    let mut query = staff_users::table
        .select(StaffUser::as_select())
        .into_boxed();
    let search = search.trim().to_lowercase();
    if !search.is_empty() {
        let pattern = listing::contains(&search);
        query = query.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(name) LIKE ")
                .bind::<diesel::sql_types::Text, _>(pattern.clone())
                .or(staff_users::email.like(pattern)),
        );
    }
    let mut rows: Vec<StaffUser> = query
        .order((staff_users::name, staff_users::id))
        .offset(page.offset(PAGE_SIZE))
        .limit(PAGE_SIZE + 1)
        .load(conn)?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    Ok((rows, more))
}

pub fn get(conn: &mut PgConnection, id: i64) -> Result<StaffUser, StaffAdminError> {
    Ok(staff_users::table
        .find(id)
        .select(StaffUser::as_select())
        .first(conn)?)
}

/// Creates an account without a password and issues its invitation token (72 h).
pub fn invite(
    conn: &mut PgConnection,
    email: &str,
    name: &str,
    role: Role,
    now: DateTime<Utc>,
) -> Result<(StaffUser, String), StaffAdminError> {
    let email = staff::normalize_email(email);
    let user = diesel::insert_into(staff_users::table)
        .values(staff::NewStaffUser {
            email: &email,
            name: name.trim(),
            role: role.code(),
            password_hash: NO_PASSWORD,
        })
        .returning(StaffUser::as_returning())
        .get_result(conn)?;
    let token = tokens::issue(conn, user.id, Purpose::Invitation, now)?;
    Ok((user, token))
}

/// A fresh invitation link for an account that never chose a password.
pub fn reinvite(
    conn: &mut PgConnection,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(StaffUser, String), StaffAdminError> {
    let user = get(conn, id)?;
    let token = tokens::issue(conn, user.id, Purpose::Invitation, now)?;
    Ok((user, token))
}

fn active_admins(conn: &mut PgConnection) -> QueryResult<i64> {
    staff_users::table
        .filter(staff_users::role.eq(Role::Admin.code()))
        .filter(staff_users::active.eq(true))
        .count()
        .get_result(conn)
}

/// Changes the role of `id`, done by `by`. Returns the previous role.
pub fn change_role(
    conn: &mut PgConnection,
    id: i64,
    role: Role,
    by: i64,
) -> Result<Role, StaffAdminError> {
    let user = get(conn, id)?;
    let previous = user.role();
    if previous == Role::Admin && role != Role::Admin {
        if id == by {
            return Err(StaffAdminError::SelfDemotion);
        }
        if user.active && active_admins(conn)? <= 1 {
            return Err(StaffAdminError::LastAdmin);
        }
    }
    diesel::update(staff_users::table.find(id))
        .set(staff_users::role.eq(role.code()))
        .execute(conn)?;
    Ok(previous)
}

/// Disables or enables `id`, done by `by`. Disabling ends every session of the account at once.
pub fn set_active(
    conn: &mut PgConnection,
    id: i64,
    active: bool,
    by: i64,
) -> Result<(), StaffAdminError> {
    let user = get(conn, id)?;
    if !active {
        if id == by {
            return Err(StaffAdminError::SelfDemotion);
        }
        if user.role() == Role::Admin && user.active && active_admins(conn)? <= 1 {
            return Err(StaffAdminError::LastAdmin);
        }
    }
    diesel::update(staff_users::table.find(id))
        .set(staff_users::active.eq(active))
        .execute(conn)?;
    if !active {
        crate::auth::sessions::end_all_for_user(conn, id)?;
    }
    Ok(())
}

/// Whether the account still waits for its first password.
pub fn awaiting_password(user: &StaffUser) -> bool {
    user.password_hash == NO_PASSWORD
}
