//! Who is on the other end of a request, for throttling and the audit log: the client's IP
//! address and user agent.
//!
//! The IP is the socket's peer address. Behind a reverse proxy (`TRUST_PROXY`) it is the
//! address our own proxy saw, read from the header it appends to: each proxy adds the address
//! it received the request from at the right end, so only the last `TRUST_PROXY_HOPS` entries
//! were written by proxies we run. Everything to their left came from the client, who could
//! write anything there and walk around the per-IP sign-in limit; it is never believed.
//! Only the configured header is read (a proxy that sets `X-Forwarded-For` passes a
//! client's `Forwarded` through untouched, and the other way round).

use std::future::{Ready, ready};
use std::net::IpAddr;

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{FromRequest, HttpRequest, web};

use crate::config::{Config, ProxyHeader, TrustedProxy};

/// Longest user agent kept (they can be arbitrarily long).
const MAX_USER_AGENT: usize = 300;

#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: String,
    pub user_agent: String,
}

impl RequestMeta {
    pub fn from_request_parts(req: &HttpRequest) -> Self {
        let proxy = req
            .app_data::<web::Data<Config>>()
            .and_then(|c| c.trusted_proxy);
        let peer = req.peer_addr().map(|a| a.ip());
        let ip = client_ip(peer, req.headers(), proxy)
            .map(|ip| ip.to_string())
            .unwrap_or_default();
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

/// The client's address: the peer's, or behind trusted proxies the one the outermost of them
/// saw. A forwarding header that is missing, empty or unreadable at that position leaves the
/// peer address (the proxy's own), never a value the client could have chosen.
pub fn client_ip(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    proxy: Option<TrustedProxy>,
) -> Option<IpAddr> {
    let peer = peer.map(|ip| ip.to_canonical());
    let Some(proxy) = proxy else {
        return peer;
    };
    let name = match proxy.header {
        ProxyHeader::XForwardedFor => header::X_FORWARDED_FOR,
        ProxyHeader::Forwarded => header::FORWARDED,
    };
    // Several header lines are one list, in order (RFC 9110 §5.3).
    let mut entries: Vec<&str> = Vec::new();
    for value in headers.get_all(name) {
        let Ok(text) = value.to_str() else {
            return peer;
        };
        entries.extend(split_outside_quotes(text, ','));
    }
    if entries.is_empty() {
        return peer;
    }
    // Fewer entries than proxies: all of them were written by our proxies (a client can only
    // add entries on the left), so the leftmost is the farthest address known.
    let chosen = entries[entries.len().saturating_sub(proxy.hops)];
    let address = match proxy.header {
        ProxyHeader::XForwardedFor => Some(chosen),
        ProxyHeader::Forwarded => forwarded_for(chosen),
    };
    address.and_then(parse_address).or(peer)
}

/// The `for` parameter of one `Forwarded` element (`for=1.2.3.4;proto=https`).
fn forwarded_for(element: &str) -> Option<&str> {
    split_outside_quotes(element, ';')
        .into_iter()
        .find_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            name.trim().eq_ignore_ascii_case("for").then_some(value)
        })
}

/// Splits on `separator` except inside double quotes (a quoted `Forwarded` value may hold
/// anything).
fn split_outside_quotes(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (at, c) in text.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c == separator && !quoted {
            parts.push(&text[start..at]);
            start = at + c.len_utf8();
        }
    }
    parts.push(&text[start..]);
    parts
}

/// "1.2.3.4", "1.2.3.4:5678", "[2001:db8::1]:443", "2001:db8::1", optionally in quotes, to
/// an address written one way only (the same client must not count as two by spelling).
/// Anything else ("unknown", an obfuscated RFC 7239 name, garbage) is `None`.
fn parse_address(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    let entry = entry
        .strip_prefix('"')
        .and_then(|e| e.strip_suffix('"'))
        .unwrap_or(entry);
    let host = if let Some(rest) = entry.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        if !(after.is_empty() || after.strip_prefix(':').is_some_and(is_port)) {
            return None;
        }
        host
    } else {
        match entry.rsplit_once(':') {
            Some((host, port)) if !host.contains(':') && is_port(port) => host,
            _ => entry,
        }
    };
    host.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

fn is_port(text: &str) -> bool {
    !text.is_empty() && text.len() <= 5 && text.chars().all(|c| c.is_ascii_digit())
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
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    const PEER: &str = "10.0.0.2";

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    fn seen(proxy: Option<TrustedProxy>, headers: &[(&str, &str)]) -> Option<IpAddr> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        client_ip(ip(PEER), &map, proxy)
    }

    fn xff(hops: usize) -> Option<TrustedProxy> {
        Some(TrustedProxy {
            header: ProxyHeader::XForwardedFor,
            hops,
        })
    }

    fn forwarded(hops: usize) -> Option<TrustedProxy> {
        Some(TrustedProxy {
            header: ProxyHeader::Forwarded,
            hops,
        })
    }

    #[test]
    fn without_a_trusted_proxy_the_headers_are_ignored() {
        let headers = [
            ("X-Forwarded-For", "203.0.113.9"),
            ("Forwarded", "for=203.0.113.9"),
        ];
        assert_eq!(seen(None, &headers), ip(PEER));
    }

    #[test]
    fn a_single_entry_is_the_client() {
        assert_eq!(
            seen(xff(1), &[("X-Forwarded-For", "203.0.113.9")]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn entries_a_client_wrote_on_the_left_are_not_believed() {
        // The client sent "X-Forwarded-For: 1.1.1.1"; our proxy appended what it saw.
        let headers = [("X-Forwarded-For", "1.1.1.1, 203.0.113.9")];
        assert_eq!(seen(xff(1), &headers), ip("203.0.113.9"));
        // Split over two header lines, the order still counts.
        let headers = [
            ("X-Forwarded-For", "1.1.1.1, 2.2.2.2"),
            ("X-Forwarded-For", "203.0.113.9"),
        ];
        assert_eq!(seen(xff(1), &headers), ip("203.0.113.9"));
    }

    #[test]
    fn with_two_proxies_the_second_entry_from_the_right_is_the_client() {
        // client → CDN (writes the client) → load balancer (writes the CDN) → app.
        let headers = [("X-Forwarded-For", "1.1.1.1, 203.0.113.9, 198.51.100.7")];
        assert_eq!(seen(xff(2), &headers), ip("203.0.113.9"));
        // Fewer entries than proxies: all were written by ours; the leftmost is the farthest.
        let headers = [("X-Forwarded-For", "203.0.113.9")];
        assert_eq!(seen(xff(2), &headers), ip("203.0.113.9"));
    }

    #[test]
    fn the_forwarded_header_is_read_the_same_way() {
        let headers = [(
            "Forwarded",
            "for=1.1.1.1;proto=https, for=\"[2001:db8:cafe::17]:4711\";proto=https",
        )];
        assert_eq!(seen(forwarded(1), &headers), ip("2001:db8:cafe::17"));
        let headers = [("Forwarded", "For=203.0.113.9:8443;by=10.0.0.2")];
        assert_eq!(seen(forwarded(1), &headers), ip("203.0.113.9"));
    }

    #[test]
    fn only_the_configured_header_is_read() {
        // A proxy that sets X-Forwarded-For passes a client's own Forwarded header through.
        let headers = [
            ("Forwarded", "for=1.1.1.1"),
            ("X-Forwarded-For", "203.0.113.9"),
        ];
        assert_eq!(seen(xff(1), &headers), ip("203.0.113.9"));
        assert_eq!(seen(forwarded(1), &headers), ip("1.1.1.1"));
        assert_eq!(
            seen(forwarded(1), &[("X-Forwarded-For", "203.0.113.9")]),
            ip(PEER)
        );
    }

    #[test]
    fn malformed_or_missing_values_leave_the_peer_address() {
        for value in [
            "",
            "   ",
            "unknown",
            "1.1.1.1, not-an-address",
            "1.1.1.1,",
            "999.1.1.1",
            "01.02.03.04",
            "[2001:db8::1",
            "[2001:db8::1]:port",
            "1.2.3.4:99999999",
        ] {
            assert_eq!(
                seen(xff(1), &[("X-Forwarded-For", value)]),
                ip(PEER),
                "{value:?}"
            );
        }
        for value in ["for=unknown", "for=_hidden", "proto=https", "for=\"[::1\""] {
            assert_eq!(
                seen(forwarded(1), &[("Forwarded", value)]),
                ip(PEER),
                "{value:?}"
            );
        }
        assert_eq!(seen(xff(1), &[]), ip(PEER));
    }

    #[test]
    fn one_address_is_written_one_way() {
        assert_eq!(parse_address("10.0.0.1:4321"), ip("10.0.0.1"));
        assert_eq!(parse_address("[2001:db8::1]:443"), ip("2001:db8::1"));
        assert_eq!(parse_address("2001:DB8:0::1"), ip("2001:db8::1"));
        assert_eq!(parse_address("::ffff:192.0.2.1"), ip("192.0.2.1"));
        assert_eq!(parse_address("\"10.0.0.1\""), ip("10.0.0.1"));
        assert_eq!(
            client_ip(ip("::ffff:127.0.0.1"), &HeaderMap::new(), None),
            ip("127.0.0.1")
        );
    }
}
