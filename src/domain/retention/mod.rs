//! The retention schedule (RGPD art. 5.1.e): for each category of personal data the
//! application keeps only for a while, its period, and the purge that applies it every night
//! (`purge`). Staff with the data-protection permission change the periods; the categories
//! are the ones the purge knows how to remove, fixed in code and in the table's CHECK.

pub mod purge;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::audit::{self, Action, Actor, NewEntry};
use crate::db::schema::{retention_rules, staff_users};
use crate::validation::FieldErrors;

/// The longest period a category may be given (ten years): beyond it the figure is a typo.
pub const MAX_DAYS: i32 = 3650;

crate::text_enum!(Category);

/// A kind of data the purge removes or anonymises when it is older than its period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    UnconvertedLeads,
    FormTokens,
    RateLimitHits,
    LoginAttempts,
    Sessions,
    SignInHistory,
    UsedTokens,
    OutboxEmails,
    AccessLog,
}

impl Category {
    pub const ALL: [Category; 9] = [
        Category::UnconvertedLeads,
        Category::FormTokens,
        Category::RateLimitHits,
        Category::LoginAttempts,
        Category::Sessions,
        Category::SignInHistory,
        Category::UsedTokens,
        Category::OutboxEmails,
        Category::AccessLog,
    ];

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::UnconvertedLeads => "unconverted_leads",
            Self::FormTokens => "form_tokens",
            Self::RateLimitHits => "rate_limit_hits",
            Self::LoginAttempts => "login_attempts",
            Self::Sessions => "sessions",
            Self::SignInHistory => "sign_in_history",
            Self::UsedTokens => "used_tokens",
            Self::OutboxEmails => "outbox_emails",
            Self::AccessLog => "access_log",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::UnconvertedLeads => "Solicitudes (leads) que no llegan a contratar",
            Self::FormTokens => "Marcas de formularios enviados",
            Self::RateLimitHits => "Registros de límite de envíos",
            Self::LoginAttempts => "Intentos de acceso",
            Self::Sessions => "Sesiones abiertas",
            Self::SignInHistory => "Historial de accesos de clientes a e-SORI",
            Self::UsedTokens => "Enlaces de un solo uso caducados",
            Self::OutboxEmails => "Correos enviados (bandeja de salida)",
            Self::AccessLog => "Registro de accesos a datos de clientes",
        }
    }

    /// What the purge does with a record past its period, counted from when.
    pub fn treatment(self) -> &'static str {
        match self {
            Self::UnconvertedLeads => {
                "Desde su último cambio, si no se hizo cliente: se borran sus envíos y consentimientos, y nombre, contacto, NIF y notas se anonimizan (la solicitud sigue contando en las cifras por origen y campaña)."
            }
            Self::FormTokens => {
                "Desde el envío: se borra la marca que evita duplicar un formulario enviado dos veces."
            }
            Self::RateLimitHits => "Desde el envío: se borra la dirección IP o el correo anotados.",
            Self::LoginAttempts => "Desde el intento: se borran correo, IP y dispositivo.",
            Self::Sessions => {
                "Desde que se abrió: la sesión se cierra y se borran su IP y su navegador, aunque siga en uso."
            }
            Self::SignInHistory => "Desde el acceso: se borran fecha, IP y navegador.",
            Self::UsedTokens => {
                "Desde su caducidad: se borran los enlaces de acceso, de contraseña y de cambio de correo."
            }
            Self::OutboxEmails => {
                "Desde que se escribió: se borran los correos ya enviados o fallidos (nunca los pendientes)."
            }
            Self::AccessLog => {
                "Desde el acceso: se borra quién consultó, descargó o exportó datos de un cliente, cuándo y desde dónde."
            }
        }
    }
}

/// One category's period, as the schedule page shows it.
#[derive(Debug, Clone)]
pub struct Rule {
    pub category: Category,
    pub period_days: i32,
    pub updated_at: DateTime<Utc>,
    /// Who changed it last; `None` for the period the application came with.
    pub updated_by: Option<String>,
}

/// The schedule, in the order of [`Category::ALL`].
pub fn rules(conn: &mut PgConnection) -> QueryResult<Vec<Rule>> {
    let rows: Vec<(Category, i32, DateTime<Utc>, Option<String>)> = retention_rules::table
        .left_join(
            staff_users::table.on(staff_users::id
                .nullable()
                .eq(retention_rules::updated_by_staff_id)),
        )
        .select((
            retention_rules::category,
            retention_rules::period_days,
            retention_rules::updated_at,
            staff_users::name.nullable(),
        ))
        .load(conn)?;
    let mut rules: Vec<Rule> = rows
        .into_iter()
        .map(|(category, period_days, updated_at, updated_by)| Rule {
            category,
            period_days,
            updated_at,
            updated_by,
        })
        .collect();
    rules.sort_by_key(|r| Category::ALL.iter().position(|c| *c == r.category));
    Ok(rules)
}

/// The period typed for `category` (field `dias_<code>`), checked: whole days, 1 to
/// [`MAX_DAYS`].
pub fn parse_period(category: Category, typed: &str, errors: &mut FieldErrors) -> Option<i32> {
    let field = format!("dias_{}", category.code());
    match typed.trim().parse::<i32>() {
        Ok(days) if (1..=MAX_DAYS).contains(&days) => Some(days),
        Ok(_) => {
            errors.add_named(
                &field,
                format!("Escriba un número de días entre 1 y {MAX_DAYS}."),
            );
            None
        }
        Err(_) => {
            errors.add_named(&field, "Escriba el plazo en días, solo con cifras.");
            None
        }
    }
}

/// Sets the periods that changed, each with its audit entry (before and after). Call inside
/// one transaction. Returns how many changed.
pub fn update(
    conn: &mut PgConnection,
    periods: &[(Category, i32)],
    by: &Actor,
) -> QueryResult<usize> {
    let current = rules(conn)?;
    let mut changed = 0;
    for (category, days) in periods {
        let Some(before) = current.iter().find(|r| r.category == *category) else {
            continue;
        };
        if before.period_days == *days {
            continue;
        }
        diesel::update(retention_rules::table.find(category.code()))
            .set((
                retention_rules::period_days.eq(days),
                retention_rules::updated_at.eq(diesel::dsl::now),
                retention_rules::updated_by_staff_id.eq(by.staff()),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            &NewEntry {
                details: serde_json::json!({
                    "categoria": category.label(),
                    "dias": { "before": before.period_days, "after": days },
                }),
                ..by.entry(Action::RetentionPeriodChanged)
            },
        )?;
        changed += 1;
    }
    Ok(changed)
}
