//! Static assets compiled into the binary and served under content-hash names.
//!
//! `app.css` is served as `/static/css/app.3f9c2a1b7d.css`: the name changes whenever the
//! bytes do, so browsers may cache every asset forever (`immutable`). Templates ask
//! [`url`] for the current name and never spell a hashed name themselves.

use std::collections::HashMap;
use std::sync::LazyLock;

use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::web::error::AppError;

struct Asset {
    bytes: &'static [u8],
    content_type: &'static str,
    hashed_path: String,
    etag: String,
    /// Compressed once at the best levels (the middleware compresses on the fly at a fast
    /// level); `None` when compression does not pay (SVG icons of a few hundred bytes).
    gzip: Option<Vec<u8>>,
    brotli: Option<Vec<u8>>,
}

macro_rules! assets {
    ($(($path:literal, $type:literal)),* $(,)?) => {
        &[$(($path, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/static/", $path)) as &[u8], $type)),*]
    };
}

static FILES: &[(&str, &[u8], &str)] = assets![
    ("css/app.css", "text/css; charset=utf-8"),
    ("css/analytics.css", "text/css; charset=utf-8"),
    ("js/app.js", "text/javascript; charset=utf-8"),
    ("js/backoffice.js", "text/javascript; charset=utf-8"),
    ("js/taxi.js", "text/javascript; charset=utf-8"),
    ("vendor/htmx.min.js", "text/javascript; charset=utf-8"),
    ("vendor/htmx.LICENSE", "text/plain; charset=utf-8"),
    ("vendor/Sortable.min.js", "text/javascript; charset=utf-8"),
    ("vendor/Sortable.LICENSE", "text/plain; charset=utf-8"),
    ("js/leads-board.js", "text/javascript; charset=utf-8"),
    ("icons/logo.svg", "image/svg+xml"),
    ("icons/car.svg", "image/svg+xml"),
    ("icons/home.svg", "image/svg+xml"),
    ("icons/heart.svg", "image/svg+xml"),
    ("icons/shield.svg", "image/svg+xml"),
    ("icons/taxi.svg", "image/svg+xml"),
    ("icons/phone.svg", "image/svg+xml"),
    ("icons/user.svg", "image/svg+xml"),
    ("icons/document.svg", "image/svg+xml"),
    ("icons/check.svg", "image/svg+xml"),
];

struct Catalog {
    by_logical: HashMap<&'static str, Asset>,
    /// hashed path → logical path
    by_hashed: HashMap<String, &'static str>,
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    let mut by_logical = HashMap::new();
    let mut by_hashed = HashMap::new();
    for &(path, bytes, content_type) in FILES {
        let hash = &crate::util::sha256_hex(bytes)[..10];
        let file_name = path.rsplit('/').next().unwrap_or(path);
        let hashed_path = match file_name.rsplit_once('.') {
            Some(_) => {
                let (stem, ext) = path.rsplit_once('.').unwrap_or((path, ""));
                format!("{stem}.{hash}.{ext}")
            }
            None => format!("{path}.{hash}"),
        };
        by_hashed.insert(hashed_path.clone(), path);
        let worth_compressing = bytes.len() > 1024 && !content_type.starts_with("image/");
        by_logical.insert(
            path,
            Asset {
                bytes,
                content_type,
                etag: format!("\"{hash}\""),
                hashed_path,
                gzip: worth_compressing.then(|| gzip(bytes)),
                brotli: worth_compressing.then(|| brotli(bytes)),
            },
        );
    }
    Catalog {
        by_logical,
        by_hashed,
    }
});

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("in-memory gzip");
    encoder.finish().expect("in-memory gzip")
}

fn brotli(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut output = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut output, 4096, 11, 22);
        writer.write_all(bytes).expect("in-memory brotli");
    }
    output
}

/// Compresses every asset now rather than on the first request that asks for it.
pub fn warm_up() {
    LazyLock::force(&CATALOG);
}

/// The public URL of asset `path` (relative to `static/`), with its content hash.
///
/// Panics on an unknown name, which can only be a typo in a template: the home page test
/// renders every layout, so such a typo fails the test suite, not a user.
pub fn url(path: &str) -> String {
    match CATALOG.by_logical.get(path) {
        Some(asset) => format!("/static/{}", asset.hashed_path),
        None => panic!("unknown static asset {path:?}"),
    }
}

/// GET /static/{path}: hashed names are cached forever; a plain name (e.g. a bookmarked
/// favicon) is served too, but must be revalidated.
pub async fn serve(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let requested = path.into_inner();
    let (asset, immutable) = match CATALOG.by_hashed.get(&requested) {
        Some(logical) => (&CATALOG.by_logical[logical], true),
        None => match CATALOG.by_logical.get(requested.as_str()) {
            Some(asset) => (asset, false),
            None => return Err(AppError::NotFound),
        },
    };
    let cache = if immutable {
        CacheControl(vec![
            CacheDirective::Public,
            CacheDirective::MaxAge(31_536_000),
            CacheDirective::Extension("immutable".into(), None),
        ])
    } else {
        CacheControl(vec![CacheDirective::Public, CacheDirective::NoCache])
    };
    let not_modified = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == asset.etag));
    let mut response = if not_modified {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header(cache)
        .insert_header((header::ETAG, asset.etag.clone()))
        .insert_header((header::CONTENT_TYPE, asset.content_type));
    response.insert_header((header::VARY, "Accept-Encoding"));
    if not_modified {
        return Ok(response.finish());
    }
    let accepts = |coding: &str| {
        req.headers()
            .get_all(header::ACCEPT_ENCODING)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|item| {
                let mut parts = item.split(';');
                let name = parts.next().unwrap_or_default().trim();
                let refused = parts.any(|p| p.trim().replace(' ', "") == "q=0");
                name.eq_ignore_ascii_case(coding) && !refused
            })
    };
    // Already compressed: the Compress middleware leaves responses with Content-Encoding alone.
    if let (Some(body), true) = (&asset.brotli, accepts("br")) {
        response.insert_header((header::CONTENT_ENCODING, "br"));
        return Ok(response.body(body.as_slice()));
    }
    if let (Some(body), true) = (&asset.gzip, accepts("gzip")) {
        response.insert_header((header::CONTENT_ENCODING, "gzip"));
        return Ok(response.body(body.as_slice()));
    }
    response.insert_header((header::CONTENT_ENCODING, "identity"));
    Ok(response.body(asset.bytes))
}

/// GET /favicon.ico: browsers ask for it on their own; send them the logo.
pub async fn favicon() -> HttpResponse {
    HttpResponse::MovedPermanently()
        .insert_header((header::LOCATION, url("icons/logo.svg")))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_keep_folder_and_extension() {
        let css = url("css/app.css");
        assert!(css.starts_with("/static/css/app."), "{css}");
        assert!(css.ends_with(".css"), "{css}");
        assert_eq!(css.len(), "/static/css/app.".len() + 10 + ".css".len());
        let license = url("vendor/htmx.LICENSE");
        assert!(license.starts_with("/static/vendor/htmx."), "{license}");
    }

    #[test]
    fn every_file_has_a_distinct_hashed_name() {
        assert_eq!(CATALOG.by_hashed.len(), FILES.len());
    }
}
