//! Who is on the other end of a request, for throttling and the audit log: the client's IP
//! address and user agent.
//!
//! The IP is the socket's peer address. `X-Forwarded-For` is only believed when `TRUST_PROXY`
//! says the app runs behind a proxy that sets it; otherwise anyone could pick their own IP
//! and walk around the sign-in throttle.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use crate::config::Config;

/// Longest user agent kept (they can be arbitrarily long).
const MAX_USER_AGENT: usize = 300;

#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: String,
    pub user_agent: String,
}

impl RequestMeta {
    pub fn from_request_parts(req: &HttpRequest) -> Self {
        let trust_proxy = req
            .app_data::<web::Data<Config>>()
            .is_some_and(|c| c.trust_proxy);
        let info = req.connection_info();
        let ip = if trust_proxy {
            info.realip_remote_addr().map(strip_port)
        } else {
            info.peer_addr().map(strip_port)
        }
        .unwrap_or_default()
        .to_owned();
        let user_agent: String = req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .chars()
            .take(MAX_USER_AGENT)
            .collect();
        Self { ip, user_agent }
    }
}

/// "1.2.3.4:5678" → "1.2.3.4"; "[::1]:80" → "::1"; a bare address is returned as is.
fn strip_port(address: &str) -> &str {
    if let Some(rest) = address.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match address.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => {
            host
        }
        _ => address,
    }
}

impl FromRequest for RequestMeta {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::from_request_parts(req)))
    }
}

#[cfg(test)]
mod tests {
    use super::strip_port;

    #[test]
    fn ports_are_stripped_from_v4_and_v6_addresses() {
        assert_eq!(strip_port("10.0.0.1:4321"), "10.0.0.1");
        assert_eq!(strip_port("[2001:db8::1]:443"), "2001:db8::1");
        assert_eq!(strip_port("2001:db8::1"), "2001:db8::1");
        assert_eq!(strip_port("10.0.0.1"), "10.0.0.1");
    }
}
