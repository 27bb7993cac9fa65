//! Backups through the `soriano` binary. The restore drill: a book with customers, policies
//! and a document → `soriano backup` → `soriano restore` into a fresh database → every table's
//! count and the document's SHA-256 are the same. Also: a restore never goes over data, and the
//! nightly backup is one file per day, the oldest pruned.

use crate::common;

use std::collections::BTreeMap;
use std::process::{Command, Output, Stdio};

use common::TestDatabase;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

fn soriano(database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_soriano"));
    command
        .env("DATABASE_URL", database_url)
        .env("SECRET_KEY", common::TEST_SECRET)
        .env("RUST_LOG", "warn")
        .env_remove("SORIANO_ENV")
        .stdin(Stdio::null());
    command
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("soriano-backup-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Rows per table of the database, every table of the public schema.
fn counts(conn: &mut PgConnection) -> BTreeMap<String, i64> {
    #[derive(QueryableByName)]
    struct Table {
        #[diesel(sql_type = Text)]
        tablename: String,
    }
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        count: i64,
    }
    let tables: Vec<Table> =
        diesel::sql_query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            .load(conn)
            .unwrap();
    tables
        .into_iter()
        .map(|t| {
            let Count { count } = diesel::sql_query(format!(
                "SELECT count(*) AS count FROM {}",
                soriano::db::quote_ident(&t.tablename)
            ))
            .get_result(conn)
            .unwrap();
            (t.tablename, count)
        })
        .collect()
}

fn document_sha256(conn: &mut PgConnection, id: i64) -> String {
    use soriano::db::schema::document_blobs;
    let bytes: Vec<u8> = document_blobs::table
        .find(id)
        .select(document_blobs::bytes)
        .first(conn)
        .unwrap();
    soriano::util::sha256_hex(&bytes)
}

#[test]
fn the_restore_drill_brings_back_every_row_and_the_documents_bytes() {
    let source = TestDatabase::new();
    let document = {
        let mut conn = source.conn();
        soriano::seed::demo(&mut conn).unwrap();
        let customer: i64 = soriano::db::schema::customers::table
            .select(soriano::db::schema::customers::id)
            .order(soriano::db::schema::customers::id)
            .first(&mut conn)
            .unwrap();
        // Bytes no text encoding could mangle unnoticed.
        let bytes: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
        soriano::documents::attach(
            &mut conn,
            &soriano::documents::PgStorage,
            soriano::documents::Entity::Customer(customer),
            Some(customer),
            &soriano::documents::Upload {
                filename: "poliza-firmada.pdf".into(),
                bytes: bytes.clone(),
                visible_to_client: true,
            },
            "application/pdf",
            None,
        )
        .unwrap();
        let id: i64 = soriano::db::schema::documents::table
            .select(soriano::db::schema::documents::id)
            .order(soriano::db::schema::documents::id.desc())
            .first(&mut conn)
            .unwrap();
        assert_eq!(
            document_sha256(&mut conn, id),
            soriano::util::sha256_hex(&bytes)
        );
        id
    };
    let before = counts(&mut source.conn());
    assert!(before["customers"] > 0 && before["policies"] > 0 && before["receipts"] > 0);

    let dir = temp_dir("drill");
    let file = dir.join("copia.dump");
    let output = soriano(&source.url)
        .args(["backup", "--output"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    let said = text(&output);
    assert!(said.contains("Backup written"), "{said}");
    let sha = soriano::backup::sha256_of(&file).unwrap();
    assert!(
        said.contains(&sha),
        "the SHA-256 of the file is reported: {said}"
    );
    assert!(
        !dir.join("copia.dump.partial").exists(),
        "no partial file is left"
    );

    let target = TestDatabase::empty();
    let output = soriano(&target.url)
        .arg("restore")
        .arg(&file)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    let mut restored = target.conn();
    assert_eq!(counts(&mut restored), before, "every table, every row");
    assert_eq!(
        document_sha256(&mut restored, document),
        document_sha256(&mut source.conn(), document),
        "the document's bytes"
    );

    // The restored database is a working Soriano: its migrations are all there, and the
    // portal's row-level security still applies.
    let output = soriano(&target.url).arg("migrate").output().unwrap();
    assert!(text(&output).contains("up to date"), "{}", text(&output));
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        count: i64,
    }
    let visible: Count = restored
        .transaction(|conn| {
            diesel::sql_query("SET LOCAL ROLE soriano_portal").execute(conn)?;
            diesel::sql_query("SELECT count(*) AS count FROM customers").get_result(conn)
        })
        .unwrap();
    assert_eq!(
        visible.count, 0,
        "no customer is set: the portal role sees none"
    );

    // Never over data: the second restore is refused and the database keeps what it had.
    let output = soriano(&target.url)
        .arg("restore")
        .arg(&file)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        text(&output).contains("the database is not empty"),
        "{}",
        text(&output)
    );
    assert!(!text(&output).contains("panicked"));
    assert_eq!(counts(&mut target.conn()), before);

    let output = soriano(&TestDatabase::empty().url)
        .arg("restore")
        .arg(dir.join("no-existe.dump"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        text(&output).contains("is not a backup file"),
        "{}",
        text(&output)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_nightly_backup_is_one_file_a_day_and_keeps_the_last_ones() {
    let source = TestDatabase::new();
    let dir = temp_dir("nightly");
    let nightly = soriano::backup::Nightly {
        dir: dir.clone(),
        keep: 2,
    };
    let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
    let first = nightly.take(&source.url, day(1)).unwrap().expect("taken");
    assert_eq!(first.path, dir.join("soriano-2026-12-01.dump"));
    assert!(first.bytes > 0);
    assert_eq!(
        nightly.take(&source.url, day(1)).unwrap(),
        None,
        "once a night, however many rounds"
    );
    nightly.take(&source.url, day(2)).unwrap().expect("taken");
    nightly.take(&source.url, day(3)).unwrap().expect("taken");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        ["soriano-2026-12-02.dump", "soriano-2026-12-03.dump"],
        "the last two kept"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
