//! One-shot messages shown on the next page ("Cliente guardado"), carried in a signed cookie
//! across the redirect that follows a successful POST.
//!
//! A handler answers with [`redirect`], which leaves the message in the response's extensions;
//! the middleware signs it into the cookie, reads it back on the next request into
//! [`IncomingFlashes`] for the layout, and removes the cookie once a page has shown it.

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, CookieJar, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::web::AppKeys;

pub const COOKIE_NAME: &str = "sori_flash";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FlashLevel {
    Success,
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    pub level: FlashLevel,
    pub message: String,
}

impl Flash {
    pub fn success(message: impl Into<String>) -> Self {
        Self {
            level: FlashLevel::Success,
            message: message.into(),
        }
    }
    pub fn info(message: impl Into<String>) -> Self {
        Self {
            level: FlashLevel::Info,
            message: message.into(),
        }
    }
    pub fn warning(message: impl Into<String>) -> Self {
        Self {
            level: FlashLevel::Warning,
            message: message.into(),
        }
    }
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            level: FlashLevel::Error,
            message: message.into(),
        }
    }

    /// CSS modifier of `.flash-item`.
    pub fn css_class(&self) -> &'static str {
        match self.level {
            FlashLevel::Success => "flash-success",
            FlashLevel::Info => "flash-info",
            FlashLevel::Warning => "flash-warning",
            FlashLevel::Error => "flash-error",
        }
    }
}

/// Messages that arrived with this request, for the layout.
#[derive(Debug, Clone, Default)]
pub struct IncomingFlashes(pub Vec<Flash>);

/// Messages a handler wants shown on the next page.
#[derive(Debug, Clone)]
struct OutgoingFlashes(Vec<Flash>);

/// 303 See Other to `location`, showing `flash` there.
pub fn redirect(location: &str, flash: Flash) -> HttpResponse {
    let mut response = see_other(location);
    response
        .extensions_mut()
        .insert(OutgoingFlashes(vec![flash]));
    response
}

/// 303 See Other without a message.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .finish()
}

pub async fn flash_messages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let key = req
        .app_data::<web::Data<AppKeys>>()
        .map(|keys| keys.cookie.clone());
    let Some(key) = key else {
        return next.call(req).await;
    };

    let incoming = req.cookie(COOKIE_NAME).and_then(|cookie| {
        let mut jar = CookieJar::new();
        jar.add_original(cookie);
        let verified = jar.signed(&key).get(COOKIE_NAME)?;
        let json = URL_SAFE_NO_PAD.decode(verified.value()).ok()?;
        serde_json::from_slice::<Vec<Flash>>(&json).ok()
    });
    let had_cookie = req.cookie(COOKIE_NAME).is_some();
    req.extensions_mut()
        .insert(IncomingFlashes(incoming.unwrap_or_default()));
    let secure = req.connection_info().scheme() == "https";

    let mut res = next.call(req).await?;
    let outgoing = res
        .response()
        .extensions()
        .get::<OutgoingFlashes>()
        .cloned();
    let is_redirect = res.status().is_redirection();
    if let Some(OutgoingFlashes(messages)) = outgoing {
        let mut jar = CookieJar::new();
        // Base64 so that any text (";", quotes, accents) survives the cookie syntax.
        let value = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&messages).unwrap_or_default());
        jar.signed_mut(&key).add(
            Cookie::build(COOKIE_NAME, value)
                .path("/")
                .http_only(true)
                .secure(secure)
                .same_site(SameSite::Lax)
                .finish(),
        );
        if let Some(cookie) = jar.get(COOKIE_NAME) {
            res.response_mut().add_cookie(cookie)?;
        }
    } else if had_cookie && !is_redirect {
        // Shown now (or dropped as forged): do not show it again.
        let mut removal = Cookie::build(COOKIE_NAME, "").path("/").finish();
        removal.make_removal();
        res.response_mut().add_cookie(&removal)?;
    }
    Ok(res)
}
