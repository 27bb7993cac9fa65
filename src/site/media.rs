//! Images uploaded for the site (blog covers), served by content hash: the URL names the bytes,
//! so browsers and proxies keep them for a year without asking again.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::db::{Db, DbError};
use crate::web::error::AppError;

/// GET /media/{sha256}.{ext}
pub async fn image(
    request: HttpRequest,
    db: web::Data<Db>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let name = path.into_inner();
    let etag = format!("\"{}\"", name.split('.').next().unwrap_or_default());
    let cache = (CACHE_CONTROL, "public, max-age=31536000, immutable");
    let unchanged = request
        .headers()
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag);
    if unchanged {
        return Ok(HttpResponse::NotModified()
            .insert_header(cache)
            .insert_header((ETAG, etag))
            .finish());
    }
    let (content_type, bytes) = db
        .run(move |conn| crate::blog::image(conn, &name).map_err(DbError::from))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, content_type))
        .insert_header(cache)
        .insert_header((ETAG, etag))
        .body(bytes))
}
