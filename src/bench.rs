//! Reference endpoints for the benchmark (cargo feature `bench`, never in production builds):
//! P1, one indexed query through our pool; P2, TechEmpower's "Fortunes" through our pool and
//! Askama. See docs/benchmarks.md.

use actix_web::{HttpResponse, web};
use askama::Template;
use diesel::prelude::*;

use crate::db::{Db, DbError};
use crate::web::error::AppError;

diesel::table! {
    bench_fortunes (id) {
        id -> Int4,
        message -> Text,
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/bench/db", web::get().to(one_query))
        .route("/bench/fortunes", web::get().to(fortunes));
}

/// Creates and fills the fortunes table (the benchmark's own, outside the migrations).
pub fn prepare(conn: &mut PgConnection) -> anyhow::Result<()> {
    diesel::sql_query(
        "CREATE TABLE IF NOT EXISTS bench_fortunes (id INTEGER PRIMARY KEY, message TEXT NOT NULL)",
    )
    .execute(conn)?;
    let messages = [
        "fortune: No such file or directory",
        "A computer scientist is someone who fixes things that aren't broken.",
        "After enough decimal places, nobody gives a damn.",
        "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
        "A computer program does what you tell it to do, not what you want it to do.",
        "Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen",
        "Any program that runs right is obsolete.",
        "A list is only as strong as its weakest link. — Donald Knuth",
        "Feature: A bug with seniority.",
        "Computers make very fast, very accurate mistakes.",
        "<script>alert(\"This should not be displayed in a browser alert box.\");</script>",
        "フレームワークのベンチマーク",
    ];
    for (index, message) in messages.iter().enumerate() {
        diesel::insert_into(bench_fortunes::table)
            .values((
                bench_fortunes::id.eq(index as i32 + 1),
                bench_fortunes::message.eq(message),
            ))
            .on_conflict(bench_fortunes::id)
            .do_nothing()
            .execute(conn)?;
    }
    Ok(())
}

/// GET /bench/db?id=N: one SELECT by primary key.
async fn one_query(
    db: web::Data<Db>,
    query: web::Query<std::collections::HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let id: i32 = query
        .get("id")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .clamp(1, 12);
    let message: String = db
        .run(move |conn| {
            bench_fortunes::table
                .find(id)
                .select(bench_fortunes::message)
                .first(conn)
                .map_err(DbError::from)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(message))
}

#[derive(Template)]
#[template(
    source = "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>{% for f in fortunes %}<tr><td>{{ f.0 }}</td><td>{{ f.1 }}</td></tr>{% endfor %}</table></body></html>",
    ext = "html"
)]
struct FortunesPage {
    fortunes: Vec<(i32, String)>,
}

/// GET /bench/fortunes: read all rows, add one, sort by message, render escaped HTML.
async fn fortunes(db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    let mut fortunes: Vec<(i32, String)> = db
        .run(|conn| {
            bench_fortunes::table
                .select((bench_fortunes::id, bench_fortunes::message))
                .load(conn)
                .map_err(DbError::from)
        })
        .await?;
    fortunes.push((0, "Additional fortune added at request time.".to_owned()));
    fortunes.sort_by(|a, b| a.1.cmp(&b.1));
    crate::web::render::html(&FortunesPage { fortunes })
}
