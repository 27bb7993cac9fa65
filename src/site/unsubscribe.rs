//! The unsubscribe link of commercial e-mail (LSSI art. 21), no sign-in: `GET /baja/{token}`
//! asks for confirmation, `POST /baja/{token}` withdraws the customer's marketing consent
//! (`clients::unsubscribe`). The signed token authenticates the request, so mail providers'
//! RFC 8058 one-click POSTs, which carry no cookie, are let through the CSRF guard
//! (`web::csrf`); the page's own button posts with its CSRF token like any form.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::clients::unsubscribe::{self, Recipient};
use crate::config::Config;
use crate::db::{Db, DbError};
use crate::web::error::AppError;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

/// The e-mail the page names, masked, in pieces the template joins with `<wbr>` so that a
/// long address wraps inside the card on a 390 px phone instead of running off it.
pub struct MaskedEmail {
    pub local: String,
    /// The domain, cut after each dot or hyphen and every [`PIECE`] characters.
    pub domain: Vec<String>,
}

/// Longest unbreakable run of a domain on the page.
const PIECE: usize = 14;

impl MaskedEmail {
    fn of(recipient: &Recipient) -> Option<Self> {
        let masked = recipient.masked_email();
        let (local, domain) = masked.split_once('@')?;
        Some(Self {
            local: local.to_owned(),
            domain: pieces(domain),
        })
    }
}

fn pieces(domain: &str) -> Vec<String> {
    let mut pieces = vec![String::new()];
    for c in domain.chars() {
        let current = pieces.last_mut().expect("never empty");
        if current.chars().count() == PIECE {
            pieces.push(c.to_string());
        } else {
            current.push(c);
        }
        if matches!(c, '.' | '-') {
            pieces.push(String::new());
        }
    }
    pieces.retain(|p| !p.is_empty());
    pieces
}

/// GET /baja/{token}: the question, or the answer when the withdrawal is already recorded.
#[derive(Template)]
#[template(path = "site/unsubscribe.html")]
pub struct ConfirmPage {
    pub ctx: PageContext,
    pub email: Option<MaskedEmail>,
    pub action: String,
}

/// The answer once commercial e-mail is withdrawn.
#[derive(Template)]
#[template(path = "site/unsubscribe_done.html")]
pub struct DonePage {
    pub ctx: PageContext,
    pub email: Option<MaskedEmail>,
}

/// The customer a token names, or 404 (a forged, altered or truncated link).
fn customer_of(config: &Config, token: &str) -> Result<i64, AppError> {
    unsubscribe::verify(&unsubscribe::derive_key(&config.secret_key), token)
        .ok_or(AppError::NotFound)
}

/// The page with headers fit for a URL that holds a credential: not cached, not indexed, not
/// sent on as a referrer.
fn private_page<T: Template>(page: &T) -> Result<HttpResponse, AppError> {
    let mut response = render::html(page)?;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex, nofollow"),
    );
    Ok(response)
}

/// GET /baja/{token}
pub async fn show(
    ctx: PageContext,
    config: web::Data<Config>,
    db: web::Data<Db>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let customer_id = customer_of(&config, &token)?;
    let recipient = db
        .run(move |conn| unsubscribe::recipient(conn, customer_id).map_err(DbError::from))
        .await?
        .ok_or(AppError::NotFound)?;
    let email = MaskedEmail::of(&recipient);
    if recipient.withdrawn {
        return private_page(&DonePage { ctx, email });
    }
    private_page(&ConfirmPage {
        ctx,
        email,
        action: format!("/baja/{token}"),
    })
}

/// POST /baja/{token}: the page's button (with its CSRF token) or a mail provider's one-click
/// POST (`List-Unsubscribe=One-Click`, without one). Recording twice records once.
pub async fn confirm(
    ctx: PageContext,
    meta: RequestMeta,
    config: web::Data<Config>,
    db: web::Data<Db>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let customer_id = customer_of(&config, &path.into_inner())?;
    let ip = meta.ip;
    let (recipient, recorded) = db
        .run(move |conn| {
            let Some(recipient) = unsubscribe::recipient(conn, customer_id)? else {
                return Ok::<_, DbError>(None);
            };
            let recorded = unsubscribe::unsubscribe(conn, recipient.customer_id, Some(&ip))?;
            Ok(Some((recipient, recorded)))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    if recorded {
        tracing::info!(
            customer_id = recipient.customer_id,
            "commercial e-mail withdrawn through the unsubscribe link"
        );
    }
    private_page(&DonePage {
        ctx,
        email: MaskedEmail::of(&recipient),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_domains_are_cut_into_pieces() {
        assert_eq!(pieces("example.es"), ["example.", "es"]);
        assert_eq!(pieces("mi-correo.es"), ["mi-", "correo.", "es"]);
        assert_eq!(
            pieces("ayuntamientodesantacruz.es"),
            ["ayuntamientode", "santacruz.", "es"]
        );
        assert_eq!(pieces("").len(), 0);
    }
}
