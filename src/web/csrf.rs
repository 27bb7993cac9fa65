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
        let one_click = match one_click_unsubscribe(&mut req).await {
            Ok(one_click) => one_click,
            Err(error) => return Ok(req.error_response(error)),
        };
        let verdict = if one_click {
            Ok(())
        } else if state.cookie_seed.is_none() || !same_origin(&req) {
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

/// Where the public unsubscribe links of commercial e-mail point (`site::unsubscribe`).
const UNSUBSCRIBE_PREFIX: &str = "/baja/";
/// The one field, and its value, of an RFC 8058 one-click unsubscribe POST.
const ONE_CLICK_FIELD: &str = "List-Unsubscribe";
const ONE_CLICK_VALUE: &str = "One-Click";

/// Whether this is an RFC 8058 one-click unsubscribe: a POST to `/baja/{token}` whose body is
/// exactly the form field `List-Unsubscribe=One-Click`. Mail providers send it from their
/// servers, with no cookie, no CSRF token and no page: it is exempt from the CSRF check. That
/// is safe because what authenticates it is the signed token in the URL, which only the
/// recipient's e-mail holds, and all it can do is what that link does anyway (withdraw that
/// customer's commercial consent). Any other POST under `/baja/` (the page's own button) and
/// any other path still need the token. The body is read and put back.
async fn one_click_unsubscribe(req: &mut ServiceRequest) -> Result<bool, AppError> {
    if *req.method() != Method::POST || !req.path().starts_with(UNSUBSCRIBE_PREFIX) {
        return Ok(false);
    }
    let Some((body, multipart)) = form_body(req).await? else {
        return Ok(false);
    };
    Ok(if multipart {
        // The one part, named `List-Unsubscribe`, holding `One-Click`.
        count_ignoring_case(&body, b"content-disposition") == 1
            && multipart_field(&body, ONE_CLICK_FIELD).as_deref() == Some(ONE_CLICK_VALUE)
    } else {
        let body = body.trim_ascii_end();
        let mut fields = url::form_urlencoded::parse(body);
        let first = fields.next();
        fields.next().is_none()
            && first
                .is_some_and(|(name, value)| name == ONE_CLICK_FIELD && value == ONE_CLICK_VALUE)
    })
}

/// The body of a form POST (`application/x-www-form-urlencoded` or `multipart/form-data`),
/// read whole and put back for the handler, and whether it is multipart; `None` for other
/// content types.
async fn form_body(req: &mut ServiceRequest) -> Result<Option<(web::Bytes, bool)>, AppError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let (limit, multipart) = if content_type.starts_with("application/x-www-form-urlencoded") {
        (MAX_FORM_BODY, false)
    } else if content_type.starts_with("multipart/form-data") {
        (MAX_MULTIPART_BODY, true)
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
    Ok(Some((body, multipart)))
}

/// The token from the header, or from the form body (which is read and put back).
async fn submitted_token(req: &mut ServiceRequest) -> Result<Option<String>, AppError> {
    if let Some(value) = req.headers().get(HEADER_NAME).and_then(|v| v.to_str().ok()) {
        return Ok(Some(value.to_owned()));
    }
    let Some((body, multipart)) = form_body(req).await? else {
        return Ok(None);
    };

    Ok(if !multipart {
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

/// How many times `needle` occurs in `haystack`, ignoring ASCII case (header names).
fn count_ignoring_case(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| w.eq_ignore_ascii_case(needle))
        .count()
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

    #[test]
    fn counts_header_names_in_any_case() {
        let body = b"content-disposition: a\r\nContent-Disposition: b\r\nCONTENT-DISPOSITION";
        assert_eq!(count_ignoring_case(body, b"content-disposition"), 3);
        assert_eq!(count_ignoring_case(b"", b"content-disposition"), 0);
    }
}
