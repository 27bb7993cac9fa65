//! The command line: `soriano serve` (default), `worker`, `migrate`, `seed --demo`,
//! `create-admin`, `backup`, `restore`, `automate`, `analytics-summary`.
//!
//! Every subcommand uses the same database as `serve`: `DATABASE_URL` when set, otherwise the
//! embedded cluster under `var/pg`, joined when it already runs, started (and stopped at the
//! end) when it does not.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use diesel::{Connection, PgConnection};

use crate::app::{self, AppState};
use crate::auth::staff::{self, Role};
use crate::config::Config;
use crate::db::{self, Db, embedded};
use crate::mail::transport::Transport;
use crate::mail::worker;

#[derive(Debug, Parser)]
#[command(
    name = "soriano",
    version,
    about = "Soriano Mediadores: back-office, e-SORI client portal, corporate site and Taxi Asegurado.",
    long_about = "Soriano Mediadores: back-office, e-SORI client portal, corporate site and Taxi Asegurado.\n\n\
        Settings come from environment variables (DATABASE_URL, BIND, BASE_URL, SECRET_KEY, SMTP_URL, MAIL_FROM, \
        RUST_LOG; see the README). Without DATABASE_URL a private PostgreSQL cluster is kept under ./var/pg."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the web application (the default). Applies pending migrations first and runs the
    /// background worker (e-mail delivery, clean-ups) in the same process.
    Serve {
        /// Load the demo data (idempotent) before serving.
        #[arg(long)]
        demo: bool,
        /// Do not run the background worker here (run `soriano worker` elsewhere instead).
        #[arg(long)]
        no_worker: bool,
    },
    /// Run only the background worker (e-mail delivery, clean-ups) until Ctrl-C or SIGTERM.
    /// Any number may run next to each other and to `serve`.
    Worker,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Run the automation rules once now (pending events, due dates, schedules), print what
    /// they did and how long it took, and exit. The worker does this by itself every few
    /// seconds; this is for operators and benchmarks.
    Automate,
    /// Bring the analytics reports' summaries up to date (every closed month not yet
    /// summarised or changed since, and each customer's policies in force over time), print
    /// what was done and how long it took, and exit.
    /// The worker does this by itself a few months at a time; this is for operators after a
    /// bulk import and for benchmarks.
    AnalyticsSummary,
    /// Benchmark: write the PDF of the demo quote with the most options COUNT times from the
    /// database (what "Enviar al cliente" does before storing it) and print the CPU time of
    /// this process per document (database reads on the client side and the PDF writing).
    BenchPdf {
        #[arg(long, default_value_t = 200)]
        count: u32,
    },
    /// Load data into the database.
    Seed {
        /// Carriers, lines of business, products with commissions and a demo admin account.
        #[arg(long)]
        demo: bool,
        /// Also load N synthetic customers at once (benchmarks: 100000).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..=10_000_000))]
        customers: Option<i64>,
    },
    /// Create a back-office administrator. The password is asked on the terminal, or read
    /// from SORIANO_ADMIN_PASSWORD for scripts.
    CreateAdmin {
        /// E-mail address the administrator signs in with.
        #[arg(long)]
        email: String,
        /// Name shown in the back-office.
        #[arg(long, default_value = "Administración")]
        name: String,
    },
    /// Write a consistent backup of the whole database (documents included) with pg_dump's
    /// custom format. The worker also takes one every night into BACKUP_DIR (default
    /// var/backups), keeping the last BACKUP_KEEP (default 14; 0 turns them off).
    Backup {
        /// The file to write (default: BACKUP_DIR/soriano-<date>-<time>.dump).
        #[arg(long, short)]
        output: Option<std::path::PathBuf>,
    },
    /// Bring a backup back into an empty database (pg_restore, all or nothing), then apply
    /// the migrations a newer version of Soriano adds.
    Restore {
        /// A file written by `soriano backup` or by the nightly backup.
        file: std::path::PathBuf,
    },
}

pub fn main() -> ExitCode {
    crate::emails::install();
    let cli = Cli::parse();
    if let Err(error) = init_tracing() {
        eprintln!("error: {error:#}");
        return ExitCode::from(2);
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() -> anyhow::Result<()> {
    use tracing_subscriber::EnvFilter;
    let filter = match std::env::var("RUST_LOG") {
        Ok(value) if !value.trim().is_empty() => EnvFilter::try_new(&value)
            .map_err(|e| anyhow::anyhow!("RUST_LOG='{value}' is not valid: {e}"))?,
        _ => EnvFilter::new("info,actix_server=warn"),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    if std::env::var("LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
    Ok(())
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let command = cli.command.unwrap_or(Command::Serve {
        demo: false,
        no_worker: false,
    });
    let database = Database::open(&config)?;
    let result = match command {
        Command::Serve { demo, no_worker } => serve(config, &database, demo, !no_worker),
        Command::Worker => migrate(&database).and_then(|_| run_worker(config, &database)),
        Command::Automate => migrate(&database).and_then(|_| automate(&config, &database)),
        Command::AnalyticsSummary => migrate(&database).and_then(|_| analytics_summary(&database)),
        Command::BenchPdf { count } => {
            migrate(&database).and_then(|_| bench_pdf(&config, &database, count))
        }
        Command::Migrate => migrate(&database).map(|applied| {
            if applied.is_empty() {
                println!("The database is up to date.");
            } else {
                println!(
                    "Applied {} migration(s): {}",
                    applied.len(),
                    applied.join(", ")
                );
            }
        }),
        Command::Seed {
            demo: false,
            customers: None,
        } => Err(anyhow::anyhow!(
            "nothing to load: pass --demo to load the demo data or --customers N"
        )),
        Command::Seed { demo, customers } => migrate(&database).and_then(|_| {
            if demo {
                seed_demo(&database)?;
            }
            match customers {
                Some(count) => seed_bulk_customers(&database, count),
                None => Ok(()),
            }
        }),
        Command::CreateAdmin { email, name } => {
            migrate(&database).and_then(|_| create_admin(&database, &email, &name))
        }
        Command::Backup { output } => backup(&config, &database, output),
        Command::Restore { file } => restore(&database, &file),
    };
    database.close();
    result
}

/// The database every subcommand talks to, and the embedded cluster behind it, if any.
struct Database {
    url: String,
    cluster: Option<embedded::Cluster>,
}

impl Database {
    fn open(config: &Config) -> anyhow::Result<Self> {
        if let Some(url) = &config.database_url {
            return Ok(Self {
                url: url.clone(),
                cluster: None,
            });
        }
        let cluster = embedded::Cluster::start_or_join(
            &config.pg_dir(),
            &embedded::ClusterOptions::default(),
        )?;
        let opened = db::create_database_if_missing(&cluster.url("postgres"), "soriano");
        if let Err(error) = opened {
            cluster.stop();
            return Err(error);
        }
        Ok(Self {
            url: cluster.url("soriano"),
            cluster: Some(cluster),
        })
    }

    fn close(&self) {
        if let Some(cluster) = &self.cluster {
            cluster.stop();
        }
    }
}

fn migrate(database: &Database) -> anyhow::Result<Vec<String>> {
    db::migrate(&database.url)
}

/// `soriano automate`: one engine round, timed.
fn automate(config: &Config, database: &Database) -> anyhow::Result<()> {
    let mut conn = PgConnection::establish(&database.url)
        .with_context(|| format!("cannot connect to {}", db::redact(&database.url)))?;
    let context = automation_context(config);
    let started = std::time::Instant::now();
    let report = crate::automation::engine::run(&mut conn, &context, chrono::Utc::now())?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "Automation round: {} events read, {} rule runs, {} failures, {} parked, in {:.3} s ({:.0} events/s).",
        report.events,
        report.runs,
        report.failures,
        report.parked,
        seconds,
        report.events as f64 / seconds.max(1e-9)
    );
    Ok(())
}

fn analytics_summary(database: &Database) -> anyhow::Result<()> {
    let mut conn = PgConnection::establish(&database.url)
        .with_context(|| format!("cannot connect to {}", db::redact(&database.url)))?;
    let started = std::time::Instant::now();
    // No time budget: the whole backlog in one run.
    let refreshed = crate::analytics::summary::refresh(&mut conn, std::time::Duration::MAX)?;
    println!(
        "Analytics summary: {} customer(s) with their policies held over time and {} month(s) summarised in {:.3} s.",
        refreshed.customers,
        refreshed.months,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn bench_pdf(config: &Config, database: &Database, count: u32) -> anyhow::Result<()> {
    use crate::documents::Entity;
    use crate::documents::generated::{self, Kind, Request};
    use diesel::prelude::*;
    let mut conn = PgConnection::establish(&database.url)
        .with_context(|| format!("cannot connect to {}", db::redact(&database.url)))?;
    let quote: i64 = diesel::sql_query(
        "SELECT q.id FROM quotes q JOIN quote_options o ON o.quote_id = q.id \
          WHERE q.customer_id IS NOT NULL GROUP BY q.id ORDER BY count(*) DESC, q.id LIMIT 1",
    )
    .get_result::<QuoteId>(&mut conn)
    .optional()?
    .map(|row| row.id)
    .ok_or_else(|| anyhow::anyhow!("no quote with options: run `soriano seed --demo` first"))?;
    let broker = config.broker.identity();
    let request = Request {
        kind: Kind::Quote,
        entity: Entity::Quote(quote),
        subject: None,
        today: crate::policies::today(),
    };
    // One warm-up document (fonts parsed, statements prepared), then the measured ones.
    let first = generated::write(&mut conn, &request, &broker)?;
    let (cpu_before, wall) = (cpu_seconds(), std::time::Instant::now());
    for _ in 0..count {
        generated::write(&mut conn, &request, &broker)?;
    }
    let cpu = cpu_seconds() - cpu_before;
    let wall = wall.elapsed().as_secs_f64();
    println!(
        "Quote PDF ({} bytes): {count} documents, {:.2} ms of CPU each, {:.2} ms wall each.",
        first.bytes.len(),
        cpu * 1000.0 / f64::from(count.max(1)),
        wall * 1000.0 / f64::from(count.max(1)),
    );
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct QuoteId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// User and system CPU time of this process so far, in seconds.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// What the automation engine needs from the settings.
pub(crate) fn automation_context(config: &Config) -> crate::automation::Context {
    crate::automation::Context {
        base_url: config.base_url.clone(),
        unsubscribe_key: crate::clients::unsubscribe::derive_key(&config.secret_key),
        broker: config.broker.identity(),
    }
}

fn seed_demo(database: &Database) -> anyhow::Result<()> {
    let mut conn = PgConnection::establish(&database.url)
        .with_context(|| format!("cannot connect to {}", db::redact(&database.url)))?;
    let report = crate::seed::demo(&mut conn)?;
    println!("Demo data loaded (carriers, lines of business, products).");
    if report.admin_created {
        println!(
            "Demo administrator: {} / {}",
            crate::seed::DEMO_ADMIN_EMAIL,
            crate::seed::DEMO_ADMIN_PASSWORD
        );
    }
    Ok(())
}

fn seed_bulk_customers(database: &Database, count: i64) -> anyhow::Result<()> {
    let mut conn = PgConnection::establish(&database.url)
        .with_context(|| format!("cannot connect to {}", db::redact(&database.url)))?;
    let inserted = crate::seed::bulk_customers(&mut conn, count)?;
    println!("Loaded {inserted} synthetic customers.");
    Ok(())
}

fn create_admin(database: &Database, email: &str, name: &str) -> anyhow::Result<()> {
    let password = match std::env::var("SORIANO_ADMIN_PASSWORD") {
        Ok(password) if !password.is_empty() => password,
        _ => {
            if !std::io::stdin().is_terminal() {
                bail!("no terminal to ask for the password: set SORIANO_ADMIN_PASSWORD");
            }
            let first = rpassword::prompt_password("Password (12 to 128 characters): ")?;
            let second = rpassword::prompt_password("Repeat the password: ")?;
            if first != second {
                bail!("the passwords do not match");
            }
            first
        }
    };
    let mut conn = PgConnection::establish(&database.url)
        .with_context(|| format!("cannot connect to {}", db::redact(&database.url)))?;
    let user = staff::create(&mut conn, email, name, Role::Admin, &password)
        .map_err(|e| anyhow::anyhow!("cannot create the administrator: {e}"))?;
    println!("Administrator {} created (id {}).", user.email, user.id);
    Ok(())
}

/// How long `serve` waits, once the HTTP server has stopped, for the worker to finish the
/// e-mail it is sending.
const WORKER_STOP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

fn serve(config: Config, database: &Database, demo: bool, with_worker: bool) -> anyhow::Result<()> {
    let applied = migrate(database)?;
    if !applied.is_empty() {
        tracing::info!(count = applied.len(), "applied migrations");
    }
    if demo {
        seed_demo(database)?;
    }
    let db = Db::connect(&database.url, config.database_pool_size)?;
    #[cfg(feature = "bench")]
    {
        let mut conn = PgConnection::establish(&database.url)?;
        crate::bench::prepare(&mut conn)?;
    }
    let state = AppState::new(config, db)?;
    let database_url = database.url.clone();
    let bind = state.config.bind;
    let base_url = state.config.base_url.clone();
    actix_web::rt::System::new().block_on(async move {
        // Built inside the runtime: lettre's SMTP pool spawns a task at once.
        let worker = if with_worker {
            let transport = Transport::from_settings(
                state.config.smtp_url.as_deref(),
                state.config.mail_dir(),
                state.config.mail_from.clone(),
            )?;
            let identity = worker::WorkerId::persistent(&state.config.var_dir)?;
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let task = actix_web::rt::spawn(
                background_worker(
                    &state.config,
                    &database_url,
                    state.db.clone(),
                    transport,
                    identity,
                )
                .run_forever(async move {
                    let _ = stopped.await;
                }),
            );
            Some((stop, task))
        } else {
            None
        };
        let (stop_visits, visits_stopped) = tokio::sync::oneshot::channel::<()>();
        let visits = actix_web::rt::spawn(crate::landings::visits::flush_forever(
            state.landing_visits.clone(),
            state.db.clone(),
            async move {
                let _ = visits_stopped.await;
            },
        ));
        let server = actix_web::HttpServer::new(move || app::build(state.clone()))
            .bind(bind)
            .map_err(|e| {
                anyhow::anyhow!("cannot listen on {bind}: {e} (set BIND to a free address)")
            })?
            .shutdown_timeout(10)
            .run();
        tracing::info!(%bind, %base_url, "Soriano is serving; Ctrl-C to stop");
        let served = server.await.context("the HTTP server failed");
        // The last views of landings are written before the process ends.
        let _ = stop_visits.send(());
        let _ = visits.await;
        if let Some((stop, task)) = worker {
            let _ = stop.send(());
            if tokio::time::timeout(WORKER_STOP_TIMEOUT, task)
                .await
                .is_err()
            {
                tracing::warn!(
                    "the e-mail worker did not stop in time; its claims expire by themselves"
                );
            }
        }
        served
    })
}

/// `soriano worker`: the background worker alone, stopped by Ctrl-C or SIGTERM.
fn run_worker(config: Config, database: &Database) -> anyhow::Result<()> {
    // A round uses one connection at a time; a few are plenty.
    let db = Db::connect(&database.url, config.database_pool_size.min(4))?;
    actix_web::rt::System::new().block_on(async move {
        let transport = Transport::from_settings(
            config.smtp_url.as_deref(),
            config.mail_dir(),
            config.mail_from.clone(),
        )?;
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .context("cannot listen for SIGTERM")?;
        let shutdown = async move {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            tracing::info!("stopping the worker after the current round");
        };
        let identity = worker::WorkerId::persistent(&config.var_dir)?;
        background_worker(&config, &database.url, db, transport, identity)
            .run_forever(shutdown)
            .await;
        Ok(())
    })
}

/// The worker `serve` and `worker` run: automation rules, e-mail, housekeeping and the nightly
/// backup.
fn background_worker(
    config: &Config,
    database_url: &str,
    db: Db,
    transport: Transport,
    identity: worker::WorkerId,
) -> worker::Worker {
    let worker =
        worker::Worker::new(db, transport, identity).with_automation(automation_context(config));
    match config.nightly_backups() {
        Some(nightly) => worker.with_backups(database_url.to_owned(), nightly),
        None => worker,
    }
}

/// `soriano backup [--output FILE]`.
fn backup(
    config: &Config,
    database: &Database,
    output: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    let dest = output.unwrap_or_else(|| {
        let now = chrono::Utc::now().with_timezone(&crate::time::ZONE);
        config.backup_dir.join(format!(
            "soriano-{}.{}",
            now.format("%Y-%m-%d-%H%M%S"),
            crate::backup::EXTENSION
        ))
    });
    let written = crate::backup::dump(&database.url, &dest)?;
    println!(
        "Backup written: {} ({} bytes, SHA-256 {})",
        written.path.display(),
        written.bytes,
        written.sha256
    );
    Ok(())
}

/// `soriano restore FILE`: into an empty database only, then migrated to this version.
fn restore(database: &Database, file: &std::path::Path) -> anyhow::Result<()> {
    crate::backup::restore(&database.url, file)?;
    let applied = migrate(database)?;
    println!(
        "Restored {} ({} newer migration(s) applied).",
        file.display(),
        applied.len()
    );
    Ok(())
}
