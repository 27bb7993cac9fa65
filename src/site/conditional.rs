//! Conditional GET for the public pages: an ETag from the page's bytes (and a Last-Modified
//! when the content has a date), answering 304 Not Modified when the browser's copy is
//! current. The page embeds the visitor's CSRF token, so the tag is per visitor, which is
//! what a browser cache needs.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};

/// `Mon, 23 Nov 2026 10:00:00 GMT`.
fn http_date(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn parse_http_date(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(text)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// Whether the request's validators say the browser already has this version.
fn not_modified(req: &HttpRequest, etag: &str, last_modified: Option<DateTime<Utc>>) -> bool {
    if let Some(tags) = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2); compare weakly.
        let bare = etag.trim_start_matches("W/");
        return tags
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == bare || t == "*");
    }
    match (
        last_modified,
        req.headers()
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_http_date),
    ) {
        (Some(modified), Some(since)) => modified.timestamp() <= since.timestamp(),
        _ => false,
    }
}

/// An HTML (or other `content_type`) response for `body` with its validators, or 304.
pub fn respond(
    req: &HttpRequest,
    content_type: &'static str,
    body: String,
    last_modified: Option<DateTime<Utc>>,
) -> HttpResponse {
    let hash = crate::util::sha256_hex(body.as_bytes());
    let etag = format!("W/\"{}\"", &hash[..32]);
    let mut response = if not_modified(req, &etag, last_modified) {
        HttpResponse::build(StatusCode::NOT_MODIFIED).finish()
    } else {
        HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(content_type)))
            .body(body)
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    if let Some(at) = last_modified
        && let Ok(value) = HeaderValue::from_str(&http_date(at))
    {
        headers.insert(header::LAST_MODIFIED, value);
    }
    // Browsers may keep the page but must ask before reusing it.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::VARY, HeaderValue::from_static("Cookie, HX-Request"));
    response
}

/// Renders `template` and answers it conditionally.
pub fn page<T: askama::Template>(
    req: &HttpRequest,
    template: &T,
    last_modified: Option<DateTime<Utc>>,
) -> Result<HttpResponse, crate::web::error::AppError> {
    Ok(respond(
        req,
        "text/html; charset=utf-8",
        template.render()?,
        last_modified,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_round_trip() {
        let at = DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(http_date(at), "Mon, 23 Nov 2026 10:00:00 GMT");
        assert_eq!(parse_http_date(&http_date(at)), Some(at));
    }
}
