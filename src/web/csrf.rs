//! CSRF protection for every request that can change state (anything but GET/HEAD/OPTIONS).
//!
//! Signed double-submit token: a random seed lives in an HttpOnly cookie; the token that pages
//! put in forms (`csrf_token` hidden field) and in htmx's `X-CSRF-Token` header is an HMAC of
//! that seed under a server key, so a page on another site can neither read nor forge it. On top
//! of that, a present `Origin` header must be our own. The middleware checks the token before
//! any handler runs, so a handler cannot forget it.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use futures_util::StreamExt;
use std::cell::OnceCell;
use std::rc::Rc;

use crate::util::{constant_time_eq, hmac_token, random_token};
use crate::web::AppKeys;
use crate::web::error::AppError;

pub const COOKIE_NAME: &str = "sori_csrf";
pub const FIELD_NAME: &str = "csrf_token";
pub const HEADER_NAME: &str = "X-CSRF-Token";

/// Largest body buffered to look for the token: forms are small; multipart uploads are capped
/// again, per route, by the handlers that accept them.
const MAX_FORM_BODY: usize = 256 * 1024;
const MAX_MULTIPART_BODY: usize = 25 * 1024 * 1024;

/// The CSRF state of one request, in its extensions. The token is derived on first use (a
/// page that renders a form or the layout's meta tag), and a visitor without the cookie gets a
/// new seed only then: answers that hand out no token (health checks, live partials, static
/// files) cost no HMAC and set no cookie.
#[derive(Debug)]
pub struct CsrfState {
    key: Vec<u8>,
    /// The seed from the visitor's cookie, if it had a well-formed one.
    cookie_seed: Option<String>,
    new_seed: OnceCell<String>,
    token: OnceCell<String>,
}

impl CsrfState {
    fn seed(&self) -> &str {
        match &self.cookie_seed {
            Some(seed) => seed,
            None => self.new_seed.get_or_init(|| random_token(32)),
        }
    }

    /// The token forms and htmx send back with this visitor's requests.
    pub fn token(&self) -> &str {
        self.token
            .get_or_init(|| hmac_token(&self.key, self.seed().as_bytes()))
    }
}

/// The token for the current request, for templates (see `PageContext`).
pub fn token_of(extensions: &actix_web::dev::Extensions) -> String {
    extensions
        .get::<Rc<CsrfState>>()
        .map(|state| state.token().to_owned())
        .unwrap_or_default()
}

pub async fn csrf_guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let key = req
        .app_data::<web::Data<AppKeys>>()
        .map(|keys| keys.csrf.clone())
        .unwrap_or_default();
    let cookie_seed = req
        .cookie(COOKIE_NAME)
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() == 43);
    let state = Rc::new(CsrfState {
        key,
        cookie_seed,
        new_seed: OnceCell::new(),
        token: OnceCell::new(),
    });
    req.extensions_mut().insert(state.clone());

    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        let verdict = if state.cookie_seed.is_none() || !same_origin(&req) {
            Err(AppError::Csrf)
        } else {
            submitted_token(&mut req)
                .await
                .and_then(|submitted| match submitted {
                    Some(token) if constant_time_eq(token.as_bytes(), state.token().as_bytes()) => {
                        Ok(())
                    }
                    _ => Err(AppError::Csrf),
                })
        };
        if let Err(error) = verdict {
            return Ok(req.error_response(error));
        }
    }

    let secure = req.connection_info().scheme() == "https";
    let response = next.call(req).await?.map_into_boxed_body();
    with_new_seed(response, &state, secure)
}

/// Sets the cookie of a seed made during this request (a token was handed out). Error pages
/// are rendered outside this middleware (`ErrorHandlers`), after it returns, and their layout
/// carries a token too: they get the seed now.
fn with_new_seed(
    mut response: ServiceResponse<BoxBody>,
    state: &CsrfState,
    secure: bool,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if response.status().is_client_error() || response.status().is_server_error() {
        state.seed();
    }
    if let Some(seed) = state.new_seed.get() {
        let cookie = Cookie::build(COOKIE_NAME, seed.clone())
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Lax)
            .finish();
        response.response_mut().add_cookie(&cookie)?;
    }
    Ok(response)
}

/// A browser sends `Origin` on cross-site POSTs; when it is there it must be this site.
fn same_origin(req: &ServiceRequest) -> bool {
    let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return true;
    };
    let info = req.connection_info();
    let own = format!("{}://{}", info.scheme(), info.host());
    let configured = req
        .app_data::<web::Data<crate::config::Config>>()
        .map(|c| c.base_url.origin().ascii_serialization());
    origin == own || Some(origin) == configured.as_deref()
}

/// The token from the header, or from the form body (which is read and put back).
async fn submitted_token(req: &mut ServiceRequest) -> Result<Option<String>, AppError> {
    if let Some(value) = req.headers().get(HEADER_NAME).and_then(|v| v.to_str().ok()) {
        return Ok(Some(value.to_owned()));
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let limit = if content_type.starts_with("application/x-www-form-urlencoded") {
        MAX_FORM_BODY
    } else if content_type.starts_with("multipart/form-data") {
        MAX_MULTIPART_BODY
    } else {
        return Ok(None);
    };

    let mut payload = req.take_payload();
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::BadRequest(e.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(AppError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    req.set_payload(body.clone().into());

    Ok(if limit == MAX_FORM_BODY {
        url::form_urlencoded::parse(&body)
            .find(|(name, _)| name == FIELD_NAME)
            .map(|(_, value)| value.into_owned())
    } else {
        multipart_field(&body, FIELD_NAME)
    })
}

/// The value of a small text field in a multipart body. The token is ASCII and sits in its own
/// part, so a byte search for the part header is enough; files are never interpreted.
fn multipart_field(body: &[u8], name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\"");
    let start = find(body, marker.as_bytes())?;
    let rest = &body[start..];
    let value_start = find(rest, b"\r\n\r\n")? + 4;
    let value = &rest[value_start..];
    let end = find(value, b"\r\n")?;
    String::from_utf8(value[..end].to_vec()).ok()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_token_in_a_multipart_body() {
        let body = b"--b\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc123\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\n\x00\x01\r\n--b--\r\n";
        assert_eq!(
            multipart_field(body, "csrf_token").as_deref(),
            Some("abc123")
        );
        assert_eq!(multipart_field(body, "other"), None);
    }
}
