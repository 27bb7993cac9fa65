//! Backups with PostgreSQL's own tools: `pg_dump` in its custom format (compressed, consistent
//! — one snapshot of the whole database, documents included, since their bytes live in it) and
//! `pg_restore` back into an empty database.
//!
//! What this covers is the logical copy a small brokerage needs to survive a lost disk or a bad
//! day: one file per night, the last N kept. It is not point-in-time recovery; production adds
//! continuous WAL archiving on the cluster with an established tool (pgBackRest or WAL-G), as
//! the README says.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::{Context, bail};
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use sha2::{Digest, Sha256};

use crate::db::embedded;

/// The extension of the files `dump` writes.
pub const EXTENSION: &str = "dump";
/// The prefix of nightly files; the rest of the name is the Madrid date (`soriano-2026-12-04`).
const NIGHTLY_PREFIX: &str = "soriano-";

/// A backup file as written: where, how big, and its SHA-256 (to check a copy against).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub path: PathBuf,
    pub bytes: u64,
    pub sha256: String,
}

/// Writes a consistent dump of the database at `url` to `dest`. The file appears under its
/// final name only when complete: a crash half-way leaves a `.partial` file, never a
/// truncated backup that looks whole.
pub fn dump(url: &str, dest: &Path) -> anyhow::Result<Written> {
    if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let partial = dest.with_extension(format!("{EXTENSION}.partial"));
    let output = tool("pg_dump", url)?
        .arg("--format=custom")
        .arg("--file")
        .arg(&partial)
        .output()
        .context("cannot run pg_dump")?;
    if !output.status.success() {
        let _ = fs::remove_file(&partial);
        bail!("pg_dump failed: {}", stderr(&output));
    }
    fs::rename(&partial, dest)
        .with_context(|| format!("cannot move the backup to {}", dest.display()))?;
    let bytes = fs::metadata(dest)?.len();
    Ok(Written {
        path: dest.to_owned(),
        bytes,
        sha256: sha256_of(dest)?,
    })
}

/// Brings the dump in `file` back into the database at `url`, which must be empty (a restore
/// over live data would mix two books). All or nothing: one transaction, stopped at the first
/// error.
pub fn restore(url: &str, file: &Path) -> anyhow::Result<()> {
    if !file.is_file() {
        bail!("{} is not a backup file", file.display());
    }
    let mut conn = PgConnection::establish(url)
        .with_context(|| format!("cannot connect to PostgreSQL ({})", crate::db::redact(url)))?;
    let tables = user_tables(&mut conn)?;
    if tables > 0 {
        bail!(
            "the database is not empty ({tables} tables): restore into a new, empty database \
             (createdb) and point DATABASE_URL at it"
        );
    }
    // The portal's row-level security role belongs to the cluster, not the database: a fresh
    // cluster lacks it, and the dump's GRANTs to it would fail.
    diesel::sql_query(
        "DO $$ BEGIN \
           IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'soriano_portal') THEN \
             CREATE ROLE soriano_portal NOLOGIN; \
           END IF; \
         END $$",
    )
    .execute(&mut conn)
    .context("cannot create the portal role")?;
    drop(conn);
    let output = tool("pg_restore", url)?
        .args(["--exit-on-error", "--single-transaction", "--no-owner"])
        .arg(file)
        .output()
        .context("cannot run pg_restore")?;
    if !output.status.success() {
        bail!("pg_restore failed: {}", stderr(&output));
    }
    Ok(())
}

/// Where and how many nightly backups the worker keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nightly {
    pub dir: PathBuf,
    pub keep: usize,
}

impl Nightly {
    /// The file of the night of `day`.
    pub fn file_for(&self, day: NaiveDate) -> PathBuf {
        self.dir.join(format!(
            "{NIGHTLY_PREFIX}{}.{EXTENSION}",
            day.format("%Y-%m-%d")
        ))
    }

    /// Takes the backup of `day` unless it exists, then keeps only the newest `keep` nightly
    /// files. Several workers may call this at once: an advisory lock lets one of them dump,
    /// the others find the file there afterwards. `None` when there was nothing to do.
    pub fn take(&self, url: &str, day: NaiveDate) -> anyhow::Result<Option<Written>> {
        let dest = self.file_for(day);
        if dest.exists() {
            return Ok(None);
        }
        let mut conn = PgConnection::establish(url).with_context(|| {
            format!("cannot connect to PostgreSQL ({})", crate::db::redact(url))
        })?;
        const LOCK_KEY: i64 = 0x4241_434b_5550; // "BACKUP"
        #[derive(QueryableByName)]
        struct Locked {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            locked: bool,
        }
        let Locked { locked } = diesel::sql_query("SELECT pg_try_advisory_lock($1) AS locked")
            .bind::<BigInt, _>(LOCK_KEY)
            .get_result(&mut conn)?;
        if !locked {
            return Ok(None);
        }
        let result = if dest.exists() {
            Ok(None)
        } else {
            dump(url, &dest).map(Some)
        };
        diesel::sql_query("SELECT pg_advisory_unlock($1)")
            .bind::<BigInt, _>(LOCK_KEY)
            .execute(&mut conn)?;
        let written = result?;
        self.prune()?;
        Ok(written)
    }

    /// Deletes all but the newest `keep` nightly files (names sort by date). Other files in
    /// the folder (a manual backup, a README) are never touched.
    pub fn prune(&self) -> anyhow::Result<Vec<PathBuf>> {
        let mut nightly: Vec<PathBuf> = fs::read_dir(&self.dir)
            .with_context(|| format!("cannot read {}", self.dir.display()))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| is_nightly(path))
            .collect();
        nightly.sort();
        let excess = nightly.len().saturating_sub(self.keep.max(1));
        let removed: Vec<PathBuf> = nightly.drain(..excess).collect();
        for path in &removed {
            fs::remove_file(path).with_context(|| format!("cannot delete {}", path.display()))?;
        }
        Ok(removed)
    }
}

fn is_nightly(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    name.strip_prefix(NIGHTLY_PREFIX)
        .and_then(|rest| rest.strip_suffix(&format!(".{EXTENSION}")))
        .is_some_and(|date| NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok())
}

/// The SHA-256 of a file, in lowercase hex, read in blocks.
pub fn sha256_of(path: &Path) -> anyhow::Result<String> {
    let mut file =
        fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(crate::util::hex(&hasher.finalize()))
}

fn user_tables(conn: &mut PgConnection) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        count: i64,
    }
    let Count { count } = diesel::sql_query(
        "SELECT count(*) AS count FROM pg_tables \
         WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
    )
    .get_result(conn)?;
    Ok(count)
}

/// A PostgreSQL client program, connected to `url`. The password travels in the environment
/// (`PGPASSWORD`), not on the command line where any user's `ps` would show it.
fn tool(program: &str, url: &str) -> anyhow::Result<Command> {
    let mut parsed = url::Url::parse(url)
        .with_context(|| format!("not a PostgreSQL URL: {}", crate::db::redact(url)))?;
    let password = parsed.password().map(|p| {
        percent_encoding::percent_decode_str(p)
            .decode_utf8_lossy()
            .into_owned()
    });
    let _ = parsed.set_password(None);
    let mut command = Command::new(program_path(program)?);
    command.arg("--dbname").arg(parsed.as_str());
    command.env_remove("PGPASSWORD");
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    Ok(command)
}

/// The client program from the same PostgreSQL installation as the server tools, else `PATH`.
fn program_path(program: &str) -> anyhow::Result<PathBuf> {
    if let Ok(dir) = embedded::find_bin_dir() {
        let path = dir.join(program);
        if path.is_file() {
            return Ok(path);
        }
    }
    Ok(PathBuf::from(program))
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_dated_nightly_files_count() {
        assert!(is_nightly(Path::new("/b/soriano-2026-12-04.dump")));
        assert!(!is_nightly(Path::new("/b/soriano-2026-12-04.dump.partial")));
        assert!(!is_nightly(Path::new("/b/soriano-antes-de-migrar.dump")));
        assert!(!is_nightly(Path::new("/b/README")));
    }

    #[test]
    fn prune_keeps_the_newest_and_leaves_other_files() {
        let dir = std::env::temp_dir().join(format!("soriano-prune-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        for name in [
            "soriano-2026-12-01.dump",
            "soriano-2026-12-03.dump",
            "soriano-2026-12-02.dump",
            "manual.dump",
        ] {
            fs::write(dir.join(name), b"x").unwrap();
        }
        let nightly = Nightly {
            dir: dir.clone(),
            keep: 2,
        };
        let removed = nightly.prune().unwrap();
        assert_eq!(removed, vec![dir.join("soriano-2026-12-01.dump")]);
        assert!(dir.join("manual.dump").exists());
        assert!(dir.join("soriano-2026-12-03.dump").exists());
        let _ = fs::remove_dir_all(&dir);
    }
}
