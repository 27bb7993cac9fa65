//! Prometheus metrics: request counts and latency histograms per route (from
//! `actix-web-prom`, labelled by route pattern so that ids in URLs do not explode the label
//! set), plus the connection pool's occupancy, read when `/metrics` is scraped.

use actix_web::{HttpResponse, web};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use prometheus::{Encoder, IntGauge, Registry, TextEncoder};

use crate::db::Db;

#[derive(Clone)]
pub struct Metrics {
    pub http: PrometheusMetrics,
    registry: Registry,
    pool_connections: IntGauge,
    pool_idle: IntGauge,
    pool_max: IntGauge,
}

impl Metrics {
    pub fn new() -> anyhow::Result<Self> {
        let registry = Registry::new();
        let http = PrometheusMetricsBuilder::new("soriano")
            .registry(registry.clone())
            .exclude("/metrics")
            .mask_unmatched_patterns("UNMATCHED")
            .buckets(&[
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ])
            .build()
            .map_err(|e| anyhow::anyhow!("cannot build HTTP metrics: {e}"))?;
        let gauge = |name: &str, help: &str| -> anyhow::Result<IntGauge> {
            let gauge = IntGauge::new(name, help)?;
            registry.register(Box::new(gauge.clone()))?;
            Ok(gauge)
        };
        Ok(Self {
            pool_connections: gauge("soriano_db_pool_connections", "Open database connections")?,
            pool_idle: gauge(
                "soriano_db_pool_idle_connections",
                "Idle database connections",
            )?,
            pool_max: gauge("soriano_db_pool_max_connections", "Pool size limit")?,
            http,
            registry,
        })
    }

    fn render(&self, db: &Db) -> String {
        let (connections, idle, max) = db.state();
        self.pool_connections.set(i64::from(connections));
        self.pool_idle.set(i64::from(idle));
        self.pool_max.set(i64::from(max));
        let mut buffer = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&self.registry.gather(), &mut buffer) {
            tracing::error!(%error, "cannot encode metrics");
        }
        String::from_utf8(buffer).unwrap_or_default()
    }
}

/// GET /metrics in Prometheus text format.
pub async fn metrics(metrics: web::Data<Metrics>, db: web::Data<Db>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics.render(&db))
}
