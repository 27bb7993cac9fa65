//! Staff accounts of the back-office.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::staff_users;

crate::text_enum!(Role);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Supervisor,
    Agent,
    Claims,
    /// The customer service department (SAC) and data protection: complaints, rights
    /// requests, and the only role that sees blocked data (legal hold). Kept apart from
    /// selling, as Orden ECO/734/2004 asks of the department.
    Compliance,
}

impl<'de> serde::Deserialize<'de> for Role {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Role::parse(&code).ok_or_else(|| serde::de::Error::custom(format!("unknown role {code:?}")))
    }
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Supervisor,
        Role::Agent,
        Role::Claims,
        Role::Compliance,
    ];

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "admin" => Some(Self::Admin),
            "supervisor" => Some(Self::Supervisor),
            "agent" => Some(Self::Agent),
            "claims" => Some(Self::Claims),
            "compliance" => Some(Self::Compliance),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Supervisor => "supervisor",
            Self::Agent => "agent",
            Self::Claims => "claims",
            Self::Compliance => "compliance",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Admin => "Administración",
            Self::Supervisor => "Supervisión",
            Self::Agent => "Comercial",
            Self::Claims => "Tramitación de siniestros",
            Self::Compliance => "Atención al cliente y cumplimiento",
        }
    }
}

/// Serialisable so that the session store can hand the row it read with the session to the
/// back-office guard (see `auth::sessions::load_with_owner`).
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize, serde::Deserialize)]
#[diesel(table_name = staff_users)]
pub struct StaffUser {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

impl StaffUser {
    pub fn role(&self) -> Role {
        self.role
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = staff_users)]
pub struct NewStaffUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub password_hash: &'a str,
}

/// E-mail addresses are compared case-insensitively and stored in lower case.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A plausible e-mail address: one `@`, something on both sides, a dot in the domain.
pub fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.contains(char::is_whitespace)
        && !domain.contains('@')
        && email.len() <= 254
}

pub fn find_by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Option<StaffUser>> {
    staff_users::table
        .filter(staff_users::email.eq(normalize_email(email)))
        .select(StaffUser::as_select())
        .first(conn)
        .optional()
}

pub fn find_active(conn: &mut PgConnection, id: i64) -> QueryResult<Option<StaffUser>> {
    staff_users::table
        .find(id)
        .filter(staff_users::active.eq(true))
        .select(StaffUser::as_select())
        .first(conn)
        .optional()
}

pub fn set_password_hash(conn: &mut PgConnection, id: i64, hash: &str) -> QueryResult<()> {
    diesel::update(staff_users::table.find(id))
        .set(staff_users::password_hash.eq(hash))
        .execute(conn)?;
    Ok(())
}

pub fn record_login(conn: &mut PgConnection, id: i64) -> QueryResult<()> {
    diesel::update(staff_users::table.find(id))
        .set(staff_users::last_login_at.eq(diesel::dsl::now))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum CreateStaffError {
    #[error("the e-mail address is not valid")]
    InvalidEmail,
    #[error("{0}")]
    WeakPassword(&'static str),
    #[error("an account with that e-mail already exists")]
    EmailTaken,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Creates a staff account after checking the e-mail and the password policy.
pub fn create(
    conn: &mut PgConnection,
    email: &str,
    name: &str,
    role: Role,
    password: &str,
) -> Result<StaffUser, CreateStaffError> {
    let email = normalize_email(email);
    if !is_plausible_email(&email) {
        return Err(CreateStaffError::InvalidEmail);
    }
    crate::auth::password::check_policy(password).map_err(CreateStaffError::WeakPassword)?;
    let password_hash = crate::auth::password::hash(password)?;
    let inserted = diesel::insert_into(staff_users::table)
        .values(NewStaffUser {
            email: &email,
            name: name.trim(),
            role: role.code(),
            password_hash: &password_hash,
        })
        .returning(StaffUser::as_returning())
        .get_result(conn);
    match inserted {
        Ok(user) => Ok(user),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Err(CreateStaffError::EmailTaken),
        Err(other) => Err(CreateStaffError::Other(other.into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(normalize_email("  Ana@Soriano.ES "), "ana@soriano.es");
        assert!(is_plausible_email("ana@soriano.es"));
        assert!(!is_plausible_email("ana@soriano"));
        assert!(!is_plausible_email("ana soriano@x.es"));
        assert!(!is_plausible_email("@x.es"));
    }

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.code()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
