//! e-SORI sign-in, sign-out, registration, the e-mailed password links, and the guard in
//! front of every personal page.

use std::future::{Ready, ready};

use actix_identity::{Identity, IdentityExt};
use actix_session::{Session, SessionExt};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Duration, Utc};
use diesel::prelude::*;
use serde::Deserialize;

use crate::audit::{self, Action, NewEntry};
use crate::auth::password_change::{self, NewPasswordForm};
use crate::auth::sessions::{Owner, SESSION_AGENT_KEY, SESSION_ID_KEY, SESSION_IP_KEY};
use crate::auth::sign_in::Origin;
use crate::auth::{rate_limit, staff, throttle};
use crate::clients::accounts::{self, ClientUser, Purpose, Registration, SignIn};
use crate::clients::profile::ClientActor;
use crate::config::Config;
use crate::db::schema::customers;
use crate::db::{Db, DbError};
use crate::identifiers::TaxId;
use crate::validation::FieldErrors;
use crate::web::device;
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::form::Form;
use crate::web::page::{ClientBadge, PageContext};
use crate::web::render;
use crate::web::request_meta::RequestMeta;
use crate::web::session_store;

/// Registration and reset requests allowed per IP per hour (each may send an e-mail).
const LINK_REQUESTS_PER_IP_PER_HOUR: i64 = 10;

/// The signed-in client; present on every page behind [`require_client`].
#[derive(Debug, Clone)]
pub struct CurrentClient {
    pub user: ClientUser,
    /// The customer's name as lists show it, for the header.
    pub name: String,
    /// How pages greet them: the given name of a person, the name of a company.
    pub greeting: String,
}

impl CurrentClient {
    pub fn customer_id(&self) -> i64 {
        self.user.customer_id
    }

    /// The client as the actor of a command: scope of the command and name in the audit log.
    pub fn actor(&self, meta: &RequestMeta) -> ClientActor {
        client_actor(&self.user, meta)
    }
}

/// The actor for a signed-in client user (also before the session is complete, in the second step).
pub fn client_actor(user: &ClientUser, meta: &RequestMeta) -> ClientActor {
    ClientActor {
        customer_id: user.customer_id,
        label: user.email.clone(),
        ip: meta.ip.clone(),
        user_agent: meta.user_agent.clone(),
    }
}

impl FromRequest for CurrentClient {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<CurrentClient>()
                .cloned()
                .ok_or(AppError::Forbidden),
        )
    }
}

/// Middleware of the personal pages: loads the client of the session or sends the browser
/// to the sign-in page (remembering where it was going).
pub async fn require_client(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let client_id = req
        .get_identity()
        .ok()
        .and_then(|identity| identity.id().ok())
        .and_then(|id| id.parse::<i64>().ok());
    let db = req.app_data::<web::Data<Db>>().cloned();
    // Read with the session by its store (see the back-office guard).
    let read_with_session = match session_store::owner(&req.get_session()) {
        Some(Owner::Client {
            user,
            given_name,
            display_name,
        }) => Some(current_client(user, given_name.as_deref(), display_name)),
        _ => None,
    };
    let found = match (client_id, &db) {
        (Some(id), _) if read_with_session.as_ref().is_some_and(|c| c.user.id == id) => {
            Ok(read_with_session.filter(|c| c.user.can_sign_in()))
        }
        (Some(id), Some(db)) => {
            db.run(move |conn| {
                let Some(user) = accounts::find(conn, id)?.filter(ClientUser::can_sign_in) else {
                    return Ok::<_, DbError>(None);
                };
                let (given, name): (Option<String>, String) = customers::table
                    .find(user.customer_id)
                    .select((customers::given_name, customers::display_name))
                    .first(conn)?;
                Ok(Some(current_client(user, given.as_deref(), name)))
            })
            .await
        }
        _ => Ok(None),
    };
    let found = match found {
        Ok(found) => found,
        // Answered here, as a page: an error returned from middleware would bypass the error
        // pages.
        Err(error) => return Ok(req.error_response(AppError::from(error))),
    };
    if found.is_none() && db.is_some_and(|db| db.is_down()) {
        // The session could not be read (see PgSessionStore::load): 503, not the sign-in page.
        return Ok(req.error_response(AppError::Unavailable("sessions unreadable".into())));
    }
    let Some(client) = found else {
        if let Ok(identity) = req.get_identity() {
            identity.logout();
        }
        let next_path = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/portal/inicio");
        let location = format!(
            "/portal/entrar?siguiente={}",
            url::form_urlencoded::byte_serialize(next_path.as_bytes()).collect::<String>()
        );
        let response = if req.headers().contains_key("HX-Request") {
            HttpResponse::Ok()
                .insert_header(("HX-Redirect", location))
                .finish()
        } else {
            flash::see_other(&location)
        };
        return Ok(req.into_response(response));
    };
    req.extensions_mut().insert(ClientBadge {
        name: client.name.clone(),
    });
    req.extensions_mut().insert(client);
    Ok(next.call(req).await?.map_into_boxed_body())
}

fn current_client(user: ClientUser, given_name: Option<&str>, name: String) -> CurrentClient {
    let greeting = crate::customers::greeting_name(given_name, &name);
    CurrentClient {
        user,
        name,
        greeting,
    }
}

/// Only personal portal pages are valid targets after sign-in (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with("/portal/")
                && !path.starts_with("/portal/entrar")
                && !path.contains("//")
                && !path.contains('\\') =>
        {
            path.to_owned()
        }
        _ => "/portal/inicio".to_owned(),
    }
}

fn client_entry<'a>(label: &'a str, meta: &'a RequestMeta, action: Action) -> NewEntry<'a> {
    NewEntry {
        actor_staff_id: None,
        actor_label: label,
        action,
        target_type: None,
        target_id: None,
        ip: &meta.ip,
        user_agent: &meta.user_agent,
        details: serde_json::json!({}),
    }
}

#[derive(Template)]
#[template(path = "portal/auth/login.html", blocks = ["content"])]
pub struct LoginPage {
    pub ctx: PageContext,
    pub email: String,
    pub next: String,
    pub errors: FieldErrors,
    pub form_error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    siguiente: Option<String>,
}

/// GET /portal/entrar
pub async fn login_form(
    ctx: PageContext,
    query: web::Query<LoginQuery>,
    identity: Option<Identity>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(query.into_inner().siguiente.as_deref());
    if identity.is_some() {
        return Ok(flash::see_other(&next));
    }
    render::html(&LoginPage {
        ctx,
        email: String::new(),
        next,
        errors: FieldErrors::new(),
        form_error: None,
    })
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    siguiente: String,
}

/// POST /portal/entrar
pub async fn login(
    req: HttpRequest,
    ctx: PageContext,
    meta: RequestMeta,
    session: Session,
    db: web::Data<Db>,
    form: Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let errors = form.text_errors(&[]);
    let LoginForm {
        email,
        password,
        siguiente,
    } = form.into_inner();
    let email = email.trim().to_owned();
    let mut page = LoginPage {
        ctx,
        email: email.clone(),
        next: safe_next(Some(&siguiente)),
        errors,
        form_error: None,
    };
    if email.is_empty() {
        page.errors.add("email", "Escriba su correo electrónico.");
    } else if !staff::is_plausible_email(&staff::normalize_email(&email)) {
        page.errors
            .add("email", "El correo electrónico no tiene un formato válido.");
    }
    if password.is_empty() {
        page.errors.add("password", "Escriba su contraseña.");
    }
    if !page.errors.is_empty() {
        return render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let origin = Origin {
        ip: meta.ip.clone(),
        device: device::CLIENT.read(&req),
    };
    let user = match accounts::attempt(&db, &email, password, origin, Utc::now()).await? {
        SignIn::Accepted(user) => user,
        SignIn::Rejected => {
            let (label, origin) = (staff::normalize_email(&email), meta.clone());
            db.run(move |conn| {
                audit::record(
                    conn,
                    &client_entry(&label, &origin, Action::ClientSignInFailed),
                )
                .map_err(DbError::from)
            })
            .await?;
            page.form_error = Some("El correo o la contraseña no son correctos.".to_owned());
            return render::html_with_status(StatusCode::UNAUTHORIZED, &page);
        }
        SignIn::Throttled(seconds) => {
            page.form_error = Some(format!(
                "Demasiados intentos fallidos. Espere {} y vuelva a intentarlo.",
                throttle::describe_wait(seconds)
            ));
            return render::html_with_status(StatusCode::TOO_MANY_REQUESTS, &page);
        }
    };
    if user.has_second_factor() {
        // Not signed in yet: the code page decides.
        return crate::portal::two_factor::begin(&session, user.id, &page.next);
    }
    complete_sign_in(&req, &session, &db, &user, &meta).await?;
    let response = flash::redirect(
        &page.next,
        Flash::success("Le damos la bienvenida a e-SORI."),
    );
    Ok(device::CLIENT.remember(&req, response, user.id))
}

/// Ends a sign-in whose every step passed: records it ("Últimos accesos", audit), gives the
/// session a new id and sets the identity.
pub(crate) async fn complete_sign_in(
    req: &HttpRequest,
    session: &Session,
    db: &Db,
    user: &ClientUser,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let (actor, origin) = (user.clone(), meta.clone());
    db.portal_transaction(user.customer_id, move |conn| {
        accounts::record_sign_in(conn, actor.id, &origin.ip, &origin.user_agent)?;
        let entry = NewEntry {
            target_type: Some(audit::target::CUSTOMER),
            target_id: Some(actor.customer_id),
            ..client_entry(&actor.email, &origin, Action::ClientSignIn)
        };
        audit::record(conn, &entry)?;
        Ok::<_, DbError>(())
    })
    .await?;
    // A new session id at sign-in: an id planted before is useless afterwards.
    session.renew();
    Identity::login(&req.extensions(), user.id.to_string())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let insert = |key: &str, value: &str| {
        session
            .insert(key, value)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
    };
    insert(SESSION_ID_KEY, &crate::util::random_token(16))?;
    insert(SESSION_IP_KEY, &meta.ip)?;
    insert(SESSION_AGENT_KEY, &meta.user_agent)?;
    Ok(())
}

/// POST /portal/salir: ends the session on the server.
pub async fn logout(identity: Option<Identity>) -> Result<HttpResponse, AppError> {
    if let Some(identity) = identity {
        identity.logout();
    }
    Ok(flash::redirect(
        "/portal/entrar",
        Flash::info("Ha cerrado la sesión."),
    ))
}

#[derive(Template)]
#[template(path = "portal/auth/register.html", blocks = ["content"])]
pub struct RegisterPage {
    pub ctx: PageContext,
    pub dni: String,
    pub poliza: String,
    pub email: String,
    pub errors: FieldErrors,
    pub sent: bool,
}

/// GET /portal/registro
pub async fn register_form(ctx: PageContext) -> Result<HttpResponse, AppError> {
    render::html(&RegisterPage {
        ctx,
        dni: String::new(),
        poliza: String::new(),
        email: String::new(),
        errors: FieldErrors::new(),
        sent: false,
    })
}

#[derive(Debug, Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    dni: String,
    #[serde(default)]
    poliza: String,
    #[serde(default)]
    email: String,
}

/// Counts a request that may send an e-mail; false over the per-IP limit.
fn allow_link_request(conn: &mut PgConnection, bucket: &str, ip: &str) -> QueryResult<bool> {
    rate_limit::hit(
        conn,
        bucket,
        ip,
        LINK_REQUESTS_PER_IP_PER_HOUR,
        Duration::hours(1),
        Utc::now(),
    )
}

/// POST /portal/registro: format errors are shown next to the fields; past them the answer
/// is the same whether or not DNI, policy and e-mail matched a customer.
pub async fn register(
    ctx: PageContext,
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    form: crate::web::form::StrictForm<RegisterForm>,
) -> Result<HttpResponse, AppError> {
    let RegisterForm { dni, poliza, email } = form.into_inner();
    let mut errors = FieldErrors::new();
    let tax_id = TaxId::parse_person(&dni)
        .map_err(|message| errors.add("dni", message))
        .ok();
    let policy_number = poliza.trim().to_uppercase();
    if policy_number.is_empty() {
        errors.add("poliza", "Escriba el número de una de sus pólizas.");
    }
    let normalized = staff::normalize_email(&email);
    if normalized.is_empty() {
        errors.add("email", "Escriba su correo electrónico.");
    } else if !staff::is_plausible_email(&normalized) {
        errors.add("email", "El correo electrónico no tiene un formato válido.");
    }
    let (Some(tax_id), true) = (tax_id, errors.is_empty()) else {
        return render::html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &RegisterPage {
                ctx,
                dni,
                poliza,
                email,
                errors,
                sent: false,
            },
        );
    };
    let registration = Registration {
        tax_id,
        policy_number,
        email: normalized,
    };
    let base_url = config.base_url.clone();
    let ip = meta.ip.clone();
    let allowed = db
        .transaction(move |conn| {
            if !allow_link_request(conn, "portal_registration.ip", &ip)? {
                return Ok::<_, DbError>(false);
            }
            let matched = accounts::register(conn, &registration, &base_url, Utc::now())?;
            tracing::info!(matched, "portal registration request");
            Ok(true)
        })
        .await?;
    if !allowed {
        return Err(AppError::TooManyRequests);
    }
    render::html(&RegisterPage {
        ctx,
        dni: String::new(),
        poliza: String::new(),
        email: String::new(),
        errors: FieldErrors::new(),
        sent: true,
    })
}

#[derive(Template)]
#[template(path = "portal/auth/reset.html", blocks = ["content"])]
pub struct ResetPage {
    pub ctx: PageContext,
    pub email: String,
    pub errors: FieldErrors,
    pub sent: bool,
}

/// GET /portal/recuperar
pub async fn reset_form(ctx: PageContext) -> Result<HttpResponse, AppError> {
    render::html(&ResetPage {
        ctx,
        email: String::new(),
        errors: FieldErrors::new(),
        sent: false,
    })
}

#[derive(Debug, Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    email: String,
}

/// POST /portal/recuperar: the same answer whether or not the account exists.
pub async fn request_reset(
    ctx: PageContext,
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    form: crate::web::form::StrictForm<ResetForm>,
) -> Result<HttpResponse, AppError> {
    let email = match password_change::link_request_email(&form.email) {
        Ok(email) => email,
        Err(errors) => {
            return render::html_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ResetPage {
                    ctx,
                    email: form.email.clone(),
                    errors,
                    sent: false,
                },
            );
        }
    };
    let base_url = config.base_url.clone();
    let (ip, lookup) = (meta.ip.clone(), email.clone());
    let allowed = db
        .transaction(move |conn| {
            if !allow_link_request(conn, "portal_reset.ip", &ip)? {
                return Ok::<_, DbError>(false);
            }
            accounts::request_reset(conn, &lookup, &base_url, Utc::now())?;
            Ok(true)
        })
        .await?;
    if !allowed {
        return Err(AppError::TooManyRequests);
    }
    render::html(&ResetPage {
        ctx,
        email,
        errors: FieldErrors::new(),
        sent: true,
    })
}

#[derive(Template)]
#[template(path = "portal/auth/set_password.html", blocks = ["content"])]
pub struct SetPasswordPage {
    pub ctx: PageContext,
    pub token: String,
    pub valid: bool,
    pub first: bool,
    pub name: String,
    pub errors: FieldErrors,
}

async fn link_owner(db: &Db, token: String) -> Result<Option<(String, Purpose)>, AppError> {
    Ok(db
        .run(move |conn| {
            let Some((user, purpose)) = accounts::peek_token(conn, &token, Utc::now())? else {
                return Ok::<_, DbError>(None);
            };
            let name = crate::customers::greeting_name_of(conn, user.customer_id)?;
            Ok(Some((name, purpose)))
        })
        .await?)
}

fn invalid_link(ctx: PageContext, token: String) -> Result<HttpResponse, AppError> {
    let page = SetPasswordPage {
        ctx,
        token,
        valid: false,
        first: false,
        name: String::new(),
        errors: FieldErrors::new(),
    };
    render::html_with_status(StatusCode::GONE, &page)
}

/// GET /portal/contrasena/{token}
pub async fn set_form(
    ctx: PageContext,
    db: web::Data<Db>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let Some((name, purpose)) = link_owner(&db, token.clone()).await? else {
        return invalid_link(ctx, token);
    };
    render::html(&SetPasswordPage {
        ctx,
        token,
        valid: true,
        first: purpose != Purpose::PasswordReset,
        name,
        errors: FieldErrors::new(),
    })
}

/// POST /portal/contrasena/{token}: single use; confirms the address and ends every session
/// of the account.
pub async fn set_password(
    ctx: PageContext,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
    form: crate::web::form::StrictForm<NewPasswordForm>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let Some((name, purpose)) = link_owner(&db, token.clone()).await? else {
        return invalid_link(ctx, token);
    };
    let hash = match password_change::check_new(form.into_inner()).await? {
        Ok(hash) => hash,
        Err(errors) => {
            let page = SetPasswordPage {
                ctx,
                token,
                valid: true,
                first: purpose != Purpose::PasswordReset,
                name,
                errors,
            };
            return render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let done = db
        .transaction(move |conn| {
            let Some((user, purpose)) =
                accounts::set_password_with_token(conn, &token, &hash, Utc::now())?
            else {
                return Ok::<_, DbError>(false);
            };
            let entry = NewEntry {
                target_type: Some(audit::target::CUSTOMER),
                target_id: Some(user.customer_id),
                details: serde_json::json!({ "enlace": purpose.code() }),
                ..client_entry(&user.email, &meta, Action::ClientPasswordSet)
            };
            audit::record(conn, &entry)?;
            Ok(true)
        })
        .await?;
    if !done {
        // Used by a concurrent request in the meantime.
        return Err(AppError::NotFound);
    }
    Ok(flash::redirect(
        "/portal/entrar",
        Flash::success("Contraseña guardada. Ya puede entrar con su correo y su contraseña."),
    ))
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_inside_the_portal() {
        assert_eq!(safe_next(Some("/portal/polizas/3")), "/portal/polizas/3");
        assert_eq!(safe_next(Some("/admin")), "/portal/inicio");
        assert_eq!(safe_next(Some("https://evil.example")), "/portal/inicio");
        assert_eq!(safe_next(Some("/portal//evil.example")), "/portal/inicio");
        assert_eq!(safe_next(Some("/portal/entrar")), "/portal/inicio");
        assert_eq!(safe_next(None), "/portal/inicio");
    }
}
