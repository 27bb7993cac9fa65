//! The `soriano` binary: subcommands, configuration errors, and the embedded PostgreSQL's
//! life cycle (started, joined, stopped on SIGTERM).

use crate::common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::TestDatabase;
use diesel::prelude::*;

const SECRET: &str = common::TEST_SECRET;

fn soriano() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_soriano"));
    command
        .env_remove("DATABASE_URL")
        .env_remove("SORIANO_ADMIN_PASSWORD")
        .env_remove("SORIANO_ENV")
        .env("SECRET_KEY", SECRET)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    command
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn temp_var_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("soriano-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn cluster_running(pg_dir: &Path) -> bool {
    std::fs::read_to_string(pg_dir.join("postmaster.pid"))
        .ok()
        .and_then(|text| {
            text.lines()
                .next()
                .and_then(|pid| pid.trim().parse::<i32>().ok())
        })
        // SAFETY: kill with signal 0 only checks that the process exists.
        .is_some_and(|pid| unsafe { libc::kill(pid, 0) } == 0)
}

#[test]
fn help_explains_every_subcommand() {
    let output = soriano().arg("--help").output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for command in [
        "serve",
        "worker",
        "migrate",
        "seed",
        "create-admin",
        "backup",
        "restore",
    ] {
        assert!(text.contains(command), "--help lists {command}: {text}");
    }
    let output = soriano().args(["create-admin", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&output.stdout).contains("SORIANO_ADMIN_PASSWORD"));
}

#[test]
fn bad_settings_stop_start_up_with_one_clear_message() {
    let cases: &[(&str, &str, &str)] = &[
        ("BIND", "nowhere", "BIND='nowhere' is not valid"),
        ("BASE_URL", "ftp://x", "BASE_URL='ftp://x' is not valid"),
        (
            "DATABASE_URL",
            "mysql://localhost/x",
            "DATABASE_URL is not valid",
        ),
        ("SMTP_URL", "http://mail", "SMTP_URL is not valid"),
        ("RUST_LOG", "info,[[[", "RUST_LOG='info,[[[' is not valid"),
        ("SECRET_KEY", "short", "SECRET_KEY is too short"),
    ];
    for (name, value, message) in cases {
        let output = soriano().arg("migrate").env(name, value).output().unwrap();
        assert!(!output.status.success(), "{name}={value} must fail");
        let err = stderr(&output);
        assert!(err.contains(message), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
    let output = soriano()
        .arg("migrate")
        .env("SORIANO_ENV", "production")
        .env("BASE_URL", "https://www.example.es")
        .env_remove("SECRET_KEY")
        .output()
        .unwrap();
    assert!(stderr(&output).contains("SECRET_KEY is required"));
    let output = soriano()
        .arg("migrate")
        .env("SORIANO_ENV", "production")
        .env("BASE_URL", "https://www.example.es")
        .env("SECRET_KEY", "k".repeat(64))
        .env_remove("BROKER_TAX_ID")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("BROKER_TAX_ID"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_unreachable_database_is_reported_not_panicked() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = soriano()
        .arg("migrate")
        .env(
            "DATABASE_URL",
            format!("postgres://nobody:secret@127.0.0.1:{port}/none"),
        )
        .output()
        .unwrap();
    assert!(!output.status.success());
    let err = stderr(&output);
    assert!(err.contains("cannot connect to PostgreSQL"), "{err}");
    assert!(err.contains("nobody:***@"), "password redacted: {err}");
    assert!(
        !err.contains("secret") && !err.contains("panicked"),
        "{err}"
    );
}

#[test]
fn migrate_seed_and_create_admin_against_database_url() {
    let db = TestDatabase::new();
    let run = |args: &[&str], password: Option<&str>| {
        let mut command = soriano();
        command.args(args).env("DATABASE_URL", &db.url);
        if let Some(password) = password {
            command.env("SORIANO_ADMIN_PASSWORD", password);
        }
        command.output().unwrap()
    };
    let output = run(&["migrate"], None);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("up to date"));

    let output = run(&["seed"], None);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("pass --demo"));

    let output = run(&["seed", "--demo"], None);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = run(&["seed", "--demo"], None);
    assert!(
        output.status.success(),
        "seeding twice is harmless: {}",
        stderr(&output)
    );

    let output = run(
        &[
            "create-admin",
            "--email",
            "Jefa@Soriano.es",
            "--name",
            "Jefa",
        ],
        Some("password1234"),
    );
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("demasiado común"),
        "{}",
        stderr(&output)
    );

    let output = run(
        &[
            "create-admin",
            "--email",
            "Jefa@Soriano.es",
            "--name",
            "Jefa",
        ],
        None,
    );
    assert!(!output.status.success());
    assert!(stderr(&output).contains("set SORIANO_ADMIN_PASSWORD"));

    let output = run(
        &[
            "create-admin",
            "--email",
            "Jefa@Soriano.es",
            "--name",
            "Jefa",
        ],
        Some("una clave bien larga"),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let output = run(
        &["create-admin", "--email", "jefa@soriano.es"],
        Some("una clave bien larga"),
    );
    assert!(stderr(&output).contains("already exists"));

    use soriano::db::schema::{carriers, staff_users};
    let mut conn = db.conn();
    let role: String = staff_users::table
        .filter(staff_users::email.eq("jefa@soriano.es"))
        .select(staff_users::role)
        .first(&mut conn)
        .unwrap();
    assert_eq!(role, "admin");
    let carriers: i64 = carriers::table.count().get_result(&mut conn).unwrap();
    assert!(carriers >= 6);
}

#[test]
fn a_port_in_use_is_reported() {
    let db = TestDatabase::new();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap();
    let output = soriano()
        .arg("serve")
        .env("DATABASE_URL", &db.url)
        .env("BIND", address.to_string())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains(&format!("cannot listen on {address}")),
        "{}",
        stderr(&output)
    );
}

/// The embedded default end to end: `migrate` starts the cluster and stops it again; `serve`
/// starts it, a second command joins it without stopping it, and SIGTERM stops both cleanly.
#[test]
fn embedded_postgres_is_started_joined_and_stopped() {
    let var = temp_var_dir("embedded");
    let pg_dir = var.join("pg");

    let output = soriano()
        .arg("migrate")
        .env("SORIANO_VAR_DIR", &var)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("Applied"));
    assert!(pg_dir.join("PG_VERSION").exists());
    assert!(
        !cluster_running(&pg_dir),
        "migrate stops the cluster it started"
    );

    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = soriano()
        .args(["serve", "--demo"])
        .env("SORIANO_VAR_DIR", &var)
        .env("BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let ready = loop {
        let answer = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
        if answer || Instant::now() > deadline {
            break answer;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(ready, "serve did not start listening");
    assert!(cluster_running(&pg_dir));

    // A second command joins the running cluster and leaves it running.
    let output = soriano()
        .arg("migrate")
        .env("SORIANO_VAR_DIR", &var)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(cluster_running(&pg_dir), "a joined cluster is not stopped");

    // SAFETY: sending SIGTERM to our own child process.
    unsafe { libc::kill(server.id() as i32, libc::SIGTERM) };
    let status = server.wait().unwrap();
    assert!(status.success(), "serve exits cleanly on SIGTERM: {status}");
    assert!(
        !cluster_running(&pg_dir),
        "serve stops the cluster it started"
    );
    let _ = std::fs::remove_dir_all(&var);
}
