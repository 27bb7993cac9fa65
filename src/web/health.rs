//! Liveness and readiness for orchestrators and load balancers.

use actix_web::{HttpResponse, web};
use diesel::RunQueryDsl;

use crate::db::{Db, DbError};

/// GET /healthz: the process answers HTTP. Does no work on purpose (it is also the P0
/// benchmark ceiling).
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok")
}

/// GET /readyz: the database answers too; 503 otherwise, so traffic goes elsewhere.
pub async fn readyz(db: web::Data<Db>) -> HttpResponse {
    let result: Result<usize, DbError> = db
        .run(|conn| {
            diesel::sql_query("SELECT 1")
                .execute(conn)
                .map_err(DbError::from)
        })
        .await;
    match result {
        Ok(_) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body("ready"),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain; charset=utf-8")
                .body("database unavailable")
        }
    }
}
