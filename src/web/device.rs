//! Known devices: a signed cookie that a browser receives when an account signs in on it,
//! and shows again at the next sign-in of that account.
//!
//! The sign-in throttle counts the failures of such a browser apart, per device, instead of
//! per account: someone who only knows an e-mail address can make that account wait for
//! every unknown browser, but not for the ones its owner already used (see
//! `auth::throttle::reserve`). The cookie proves nothing else and opens nothing by itself:
//! the password is still checked, and a cookie of another account counts as no cookie.

use actix_web::cookie::{Cookie, CookieJar, SameSite, time};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::auth::sign_in::KnownDevice;
use crate::config::Config;
use crate::web::AppKeys;

/// How long a browser stays known without signing in again.
const LIFETIME_DAYS: i64 = 365;

/// The device cookie of one face, scoped to its path.
#[derive(Debug, Clone, Copy)]
pub struct DeviceCookie {
    name: &'static str,
    path: &'static str,
}

pub const STAFF: DeviceCookie = DeviceCookie {
    name: "sori_admin_device",
    path: "/admin",
};

pub const CLIENT: DeviceCookie = DeviceCookie {
    name: "sori_portal_device",
    path: "/portal",
};

impl DeviceCookie {
    /// The known device this request comes from, if its cookie is there and genuine.
    pub fn read(&self, req: &HttpRequest) -> Option<KnownDevice> {
        let key = req.app_data::<web::Data<AppKeys>>()?.cookie.clone();
        let mut jar = CookieJar::new();
        jar.add_original(req.cookie(self.name)?);
        let verified = jar.signed(&key).get(self.name)?;
        let (account, token) = verified.value().split_once('.')?;
        Some(KnownDevice {
            account_id: account.parse().ok()?,
            token: token.to_owned(),
        })
    }

    /// Marks the browser of `req` as a known device of `account_id` on `response` (after a
    /// completed sign-in). A browser already known for that account keeps its token, so its
    /// failures keep counting where they did.
    pub fn remember(
        &self,
        req: &HttpRequest,
        mut response: HttpResponse,
        account_id: i64,
    ) -> HttpResponse {
        let Some(key) = req
            .app_data::<web::Data<AppKeys>>()
            .map(|keys| keys.cookie.clone())
        else {
            return response;
        };
        let token = self
            .read(req)
            .filter(|known| known.account_id == account_id)
            .map_or_else(|| crate::util::random_token(16), |known| known.token);
        let secure = req
            .app_data::<web::Data<Config>>()
            .is_some_and(|config| config.secure_cookies());
        let mut jar = CookieJar::new();
        jar.signed_mut(&key).add(
            Cookie::build(self.name, format!("{account_id}.{token}"))
                .path(self.path)
                .http_only(true)
                .secure(secure)
                .same_site(SameSite::Lax)
                .max_age(time::Duration::days(LIFETIME_DAYS))
                .finish(),
        );
        if let Some(cookie) = jar.get(self.name)
            && let Err(e) = response.add_cookie(cookie)
        {
            // Signing in still worked; the browser is simply not remembered.
            tracing::warn!(error = %e, "device cookie not set");
        }
        response
    }
}
