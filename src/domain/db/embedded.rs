//! A private PostgreSQL cluster run from the system's binaries.
//!
//! Used when `DATABASE_URL` is not set: `serve` and the other subcommands keep one cluster under
//! `./var/pg`, the tests one per test binary in a temporary directory. The same code serves both,
//! so the tests exercise the path a newcomer takes on the first `cargo run`.
//!
//! Crates that download PostgreSQL cannot work here (no internet), and `pgtemp` shells out to
//! `sudo`; this module only needs `initdb`/`pg_ctl` and, as root, `runuser`.

use std::fs;
use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// The superuser the cluster is initialised with.
const SUPERUSER: &str = "soriano";
/// Where a cluster goes when root runs from a checkout the `postgres` user cannot enter.
pub const RELOCATION_ROOT: &str = "/var/lib/soriano";

/// Options that differ between the development cluster and throwaway test clusters.
#[derive(Debug, Clone, Default)]
pub struct ClusterOptions {
    /// Trade durability for speed (tests only): `fsync=off` and friends.
    pub ephemeral: bool,
}

/// A running cluster. Dropping it does not stop it; call [`Cluster::stop`] when this process
/// started it, so that a cluster joined from another process keeps running.
#[derive(Debug)]
pub struct Cluster {
    data_dir: PathBuf,
    bin_dir: PathBuf,
    port: u16,
    /// The directory of the server's Unix-domain socket, when it has one.
    socket_dir: Option<PathBuf>,
    password: String,
    started_here: bool,
    /// The server options it was started with (`-o` of `pg_ctl`), to start it again.
    settings: String,
}

impl Cluster {
    /// Joins the cluster in `data_dir` if it is running, otherwise initialises it (first time)
    /// and starts it on a free local port.
    pub fn start_or_join(data_dir: &Path, options: &ClusterOptions) -> anyhow::Result<Self> {
        let bin_dir = find_bin_dir()?;
        let data_dir = reachable_data_dir(data_dir)?;
        let password_file = data_dir.with_extension("password");

        if !data_dir.join("PG_VERSION").exists() {
            init_cluster(&bin_dir, &data_dir, &password_file)?;
        }
        let password = fs::read_to_string(&password_file)
            .with_context(|| {
                format!(
                    "the cluster password is missing from {}",
                    password_file.display()
                )
            })?
            .trim()
            .to_owned();

        if let Some((port, socket_dir)) = running_server(&data_dir) {
            tracing::info!(port, dir = %data_dir.display(), "joining running PostgreSQL cluster");
            let cluster = Self {
                data_dir,
                bin_dir,
                port,
                socket_dir,
                password,
                started_here: false,
                settings: String::new(),
            };
            cluster.wait_until_ready(Duration::from_secs(30))?;
            return Ok(cluster);
        }

        let port = free_port()?;
        // The app talks to its cluster over a Unix-domain socket in the data directory: no TCP
        // stack on either side of each of a request's round trips (pgbench -S, one client:
        // 25 → 22 µs a round trip on this machine). TCP on 127.0.0.1 stays for the tools.
        let socket_dir = socket_dir_for(&data_dir, port);
        // random_page_cost as for data in memory or on SSD: with the default (4, for spinning
        // disks) the planner would rather read the 200,000 policies whole and hash them than
        // look up the few thousand an analytics report needs for the current month by index
        // (62 → 45 ms per report statement at analytics volume).
        let mut settings = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories='{}' \
             -c max_connections=200 -c random_page_cost=1.1",
            socket_dir
                .as_deref()
                .map(|dir| dir.display().to_string())
                .unwrap_or_default()
        );
        if options.ephemeral {
            settings.push_str(
                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=64MB",
            );
        } else {
            // Group commit: under load (four or more other transactions open), a commit waits
            // up to 200 µs so that the commits arriving meanwhile share one WAL flush. Every
            // commit is still on disk before it is acknowledged; only the number of fsyncs
            // changes (a landing form's lead survives `kill -9` as before).
            settings.push_str(" -c commit_delay=200 -c commit_siblings=4");
        }
        let cluster = Self {
            data_dir,
            bin_dir,
            port,
            socket_dir,
            password,
            started_here: true,
            settings,
        };
        cluster.pg_ctl_start()?;
        tracing::info!(port, dir = %cluster.data_dir.display(), "started embedded PostgreSQL");
        Ok(cluster)
    }

    /// `pg_ctl start` with this cluster's settings, then waits until it accepts connections.
    fn pg_ctl_start(&self) -> anyhow::Result<()> {
        let log_file = self.data_dir.join("server.log");
        let output = as_postgres(&self.bin_dir.join("pg_ctl"))
            .arg("-D")
            .arg(&self.data_dir)
            .arg("-o")
            .arg(&self.settings)
            .arg("-l")
            .arg(&log_file)
            .args(["-w", "-t", "60", "start"])
            .stdin(Stdio::null())
            .output()
            .context("cannot run pg_ctl")?;
        if !output.status.success() {
            let log = fs::read_to_string(&log_file).unwrap_or_default();
            bail!(
                "PostgreSQL did not start in {}: {}\n{}",
                self.data_dir.display(),
                String::from_utf8_lossy(&output.stderr).trim(),
                tail(&log, 20)
            );
        }
        self.wait_until_ready(Duration::from_secs(30))
    }

    /// Kills the server at once, as a crash or a pulled plug would (`pg_ctl stop -m
    /// immediate`); [`Cluster::start_again`] brings it back on the same port. For tests of
    /// how the app lives through a database outage; only for a cluster this process started.
    pub fn stop_immediately(&self) -> anyhow::Result<()> {
        if !self.started_here {
            bail!("this cluster was joined, not started here: not stopping it");
        }
        let status = as_postgres(&self.bin_dir.join("pg_ctl"))
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-m", "immediate", "-w", "stop"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .context("cannot run pg_ctl")?;
        if !status.success() {
            bail!("pg_ctl stop failed: {status}");
        }
        Ok(())
    }

    /// Starts again a cluster stopped by [`Cluster::stop_immediately`] (crash recovery runs).
    pub fn start_again(&self) -> anyhow::Result<()> {
        if !self.started_here {
            bail!("this cluster was joined, not started here: not starting it");
        }
        self.pg_ctl_start()
    }

    /// URL of the given database on this cluster: through its Unix-domain socket when it has
    /// one (libpq takes the `host` parameter over the address before it; the address keeps
    /// the URL readable by tools that expect one).
    pub fn url(&self, database: &str) -> String {
        let socket = self
            .socket_dir
            .as_deref()
            .map(|dir| format!("?host={}", dir.display()))
            .unwrap_or_default();
        format!(
            "postgres://{SUPERUSER}:{}@127.0.0.1:{}/{database}{socket}",
            self.password, self.port
        )
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether this process started the cluster (and so should stop it).
    pub fn started_here(&self) -> bool {
        self.started_here
    }

    /// Stops the cluster if this process started it (fast shutdown: open sessions are ended).
    pub fn stop(&self) {
        if !self.started_here {
            return;
        }
        let result = as_postgres(&self.bin_dir.join("pg_ctl"))
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-m", "fast", "-w", "stop"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        match result {
            Ok(status) if status.success() => tracing::info!("stopped embedded PostgreSQL"),
            Ok(status) => tracing::warn!(%status, "pg_ctl stop failed"),
            Err(error) => tracing::warn!(%error, "pg_ctl stop could not run"),
        }
    }

    /// Starts a detached watchdog that stops the cluster (and removes `remove_dir`, if given)
    /// once process `pid` is gone, however it ended: a test binary has no exit hook, and a
    /// killed server must not leave a cluster behind.
    pub fn stop_when_process_exits(
        &self,
        pid: u32,
        remove_dir: Option<&Path>,
    ) -> anyhow::Result<()> {
        let pg_ctl = self.bin_dir.join("pg_ctl");
        let run_as = if is_root() {
            "runuser -u postgres -- "
        } else {
            ""
        };
        // A relocated throwaway cluster goes too (the link in `remove_dir` is not its data).
        let cleanup = remove_dir
            .map(|dir| {
                let relocated = relocation_home(&self.data_dir)
                    .map(|home| format!(" '{}'", home.display()))
                    .unwrap_or_default();
                format!("; rm -rf '{}'{relocated}", dir.display())
            })
            .unwrap_or_default();
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; \
             {run_as}'{}' -D '{}' -m immediate -w stop >/dev/null 2>&1{cleanup}",
            pg_ctl.display(),
            self.data_dir.display()
        );
        Command::new("setsid")
            .args(["sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start the cluster watchdog")?;
        Ok(())
    }

    fn wait_until_ready(&self, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        let pg_isready = self.bin_dir.join("pg_isready");
        loop {
            let ready = Command::new(&pg_isready)
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q"])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if ready {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "PostgreSQL does not accept connections on port {}",
                    self.port
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The cluster directory for `requested`, created and canonical: `requested` itself, unless
/// this process runs as root (the server then runs as `postgres`) and the `postgres` user
/// cannot enter its parent, as with a checkout cloned by root into `/root` (mode 700). Then the
/// cluster lives in `RELOCATION_ROOT/<hash of requested>/pg`, owned by `postgres` with mode
/// 700, and `requested` becomes a symbolic link to it, so every later run (and anyone looking
/// under `var/`) finds it there.
fn reachable_data_dir(requested: &Path) -> anyhow::Result<PathBuf> {
    let parent = match requested.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let parent = parent
        .canonicalize()
        .with_context(|| format!("invalid path: {}", parent.display()))?;
    let name = requested
        .file_name()
        .with_context(|| format!("not a directory name: {}", requested.display()))?;
    let requested = parent.join(name);
    // A link left by an earlier run resolves like any directory; an existing cluster stays.
    let relocate = is_root()
        && !requested.join("PG_VERSION").exists()
        && !fs::symlink_metadata(&requested).is_ok_and(|m| m.file_type().is_symlink())
        && !postgres_can_enter(&parent)?;
    if relocate {
        let key = crate::util::sha256_hex(requested.to_string_lossy().as_bytes());
        let home = Path::new(RELOCATION_ROOT).join(&key[..16]);
        fs::create_dir_all(&home).with_context(|| format!("cannot create {}", home.display()))?;
        chown_to_postgres(&home)?;
        fs::set_permissions(&home, fs::Permissions::from_mode(0o700))?;
        let target = home.join("pg");
        fs::create_dir_all(&target)
            .with_context(|| format!("cannot create {}", target.display()))?;
        if requested.is_dir() {
            // Only an empty directory (a failed first run) is replaced by the link.
            fs::remove_dir(&requested).with_context(|| {
                format!(
                    "{} is not empty and the postgres user cannot reach it",
                    requested.display()
                )
            })?;
        }
        std::os::unix::fs::symlink(&target, &requested).with_context(|| {
            format!(
                "cannot link {} to {}",
                requested.display(),
                target.display()
            )
        })?;
        tracing::warn!(
            requested = %requested.display(),
            cluster = %target.display(),
            "the postgres user cannot enter the checkout: the cluster lives outside it"
        );
    }
    fs::create_dir_all(&requested)
        .with_context(|| format!("cannot create {}", requested.display()))?;
    requested
        .canonicalize()
        .with_context(|| format!("invalid path: {}", requested.display()))
}

/// Whether the `postgres` user can reach (search) `dir`, every directory above it included.
fn postgres_can_enter(dir: &Path) -> anyhow::Result<bool> {
    let status = Command::new("runuser")
        .args(["-u", "postgres", "--", "test", "-x"])
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .context("cannot run runuser")?;
    Ok(status.success())
}

/// The directory made by [`reachable_data_dir`] for a relocated cluster, if `data_dir` is one.
fn relocation_home(data_dir: &Path) -> Option<&Path> {
    data_dir
        .starts_with(RELOCATION_ROOT)
        .then(|| data_dir.parent())
        .flatten()
}

fn init_cluster(bin_dir: &Path, data_dir: &Path, password_file: &Path) -> anyhow::Result<()> {
    let password = crate::util::random_token(24);
    write_private(password_file, &password)?;
    // initdb reads the password from a file that the postgres user must be able to read: next
    // to the data directory, which it can reach (the temporary directory may be private).
    let pwfile = data_dir
        .parent()
        .unwrap_or(data_dir)
        .join(format!(".soriano-pw-{}", std::process::id()));
    write_private(&pwfile, &password)?;
    if is_root() {
        chown_to_postgres(&pwfile)?;
        chown_to_postgres(data_dir)?;
    }
    fs::set_permissions(data_dir, fs::Permissions::from_mode(0o700))?;
    let output = as_postgres(&bin_dir.join("initdb"))
        .arg("-D")
        .arg(data_dir)
        .args([
            "-U",
            SUPERUSER,
            "--auth=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ])
        .arg(format!("--pwfile={}", pwfile.display()))
        .stdin(Stdio::null())
        .output()
        .context("cannot run initdb");
    let _ = fs::remove_file(&pwfile);
    let output = output?;
    if !output.status.success() {
        bail!(
            "initdb failed in {}: {}",
            data_dir.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// The port of the postmaster recorded in `postmaster.pid`, if that process is alive.
fn running_server(data_dir: &Path) -> Option<(u16, Option<PathBuf>)> {
    let pid_file = fs::read_to_string(data_dir.join("postmaster.pid")).ok()?;
    let mut lines = pid_file.lines();
    let pid: i32 = lines.next()?.trim().parse().ok()?;
    let port: u16 = lines.nth(2)?.trim().parse().ok()?;
    // The fifth line names the first socket directory (empty when it has none).
    let socket_dir = lines
        .next()
        .map(str::trim)
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from);
    // SAFETY: kill with signal 0 only checks that the process exists.
    let alive = unsafe { libc::kill(pid, 0) } == 0;
    alive.then_some((port, socket_dir))
}

/// The data directory as the socket's directory, when the socket's path fits a Unix-domain
/// address (107 bytes) and the directory's name needs no quoting in the server's options.
fn socket_dir_for(data_dir: &Path, port: u16) -> Option<PathBuf> {
    let dir = data_dir.canonicalize().ok()?;
    let text = dir.to_str()?;
    let plain = text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-".contains(&b));
    let fits = text.len() + format!("/.s.PGSQL.{port}").len() <= 107;
    (plain && fits).then_some(dir)
}

/// Where `initdb` and `pg_ctl` live: `pg_config --bindir`, else Debian's versioned folders.
pub fn find_bin_dir() -> anyhow::Result<PathBuf> {
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output()
        && output.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if has_tools(&dir) {
            return Ok(dir);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse().ok()?;
            let dir = entry.path().join("bin");
            has_tools(&dir).then_some((version, dir))
        })
        .collect();
    versions.sort();
    if let Some((_, dir)) = versions.pop() {
        return Ok(dir);
    }
    bail!(
        "PostgreSQL's programs (initdb, pg_ctl) were not found. Install them \
         (Debian: apt-get install postgresql) or point DATABASE_URL at an existing database."
    )
}

fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn chown_to_postgres(path: &Path) -> anyhow::Result<()> {
    let status = Command::new("chown")
        .arg("postgres:postgres")
        .arg(path)
        .status()
        .context("cannot run chown")?;
    if !status.success() {
        bail!(
            "cannot give {} to the postgres user (does it exist? apt-get install postgresql)",
            path.display()
        );
    }
    Ok(())
}

fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    let mut file =
        fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    file.set_permissions(fs::Permissions::from_mode(0o600))?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}

fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("no free local port")?;
    Ok(listener.local_addr()?.port())
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::prelude::*;

    #[test]
    fn the_cluster_starts_under_a_directory_the_postgres_user_cannot_enter() {
        // A checkout cloned by root into a private home: mode 700, owned by root.
        let private =
            std::env::temp_dir().join(format!("soriano-private-{}", crate::util::random_token(6)));
        fs::create_dir_all(&private).unwrap();
        fs::set_permissions(&private, fs::Permissions::from_mode(0o700)).unwrap();
        let requested = private.join("checkout/var/pg");
        let options = ClusterOptions { ephemeral: true };

        let cluster = Cluster::start_or_join(&requested, &options).expect("the cluster starts");
        cluster
            .stop_when_process_exits(std::process::id(), Some(&private))
            .unwrap();
        let mut conn = PgConnection::establish(&cluster.url("postgres")).unwrap();
        let one: i32 = diesel::select(1.into_sql::<diesel::sql_types::Integer>())
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(one, 1);
        // Through the socket when it has one: a Unix-domain connection has no server address.
        let over_socket: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "inet_server_addr() IS NULL",
        ))
        .get_result(&mut conn)
        .unwrap();
        assert!(
            cluster.socket_dir.is_some(),
            "{}",
            cluster.data_dir.display()
        );
        assert!(over_socket, "{}", cluster.url("postgres"));
        if is_root() {
            assert!(
                cluster.data_dir.starts_with(RELOCATION_ROOT),
                "{}",
                cluster.data_dir.display()
            );
            let mode = fs::metadata(cluster.data_dir.parent().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700);
        }

        // The next run finds it through the same path, and joins it.
        let again = Cluster::start_or_join(&requested, &options).unwrap();
        assert_eq!(again.port(), cluster.port());
        assert_eq!(again.url("postgres"), cluster.url("postgres"));
        assert!(!again.started_here());
        drop(conn);
        cluster.stop();
        let home = relocation_home(&cluster.data_dir).map(Path::to_owned);
        let _ = fs::remove_dir_all(&private);
        if let Some(home) = home {
            let _ = fs::remove_dir_all(home);
        }
    }

    #[test]
    fn the_socket_stays_out_of_directories_it_would_not_fit_or_need_quoting() {
        let base =
            std::env::temp_dir().join(format!("soriano-socket-{}", crate::util::random_token(6)));
        let plain = base.join("pg");
        let spaced = base.join("con espacio");
        let long = base.join("x".repeat(100));
        for dir in [&plain, &spaced, &long] {
            fs::create_dir_all(dir).unwrap();
        }
        assert_eq!(socket_dir_for(&plain, 5432), plain.canonicalize().ok());
        assert_eq!(socket_dir_for(&spaced, 5432), None);
        assert_eq!(socket_dir_for(&long, 5432), None);
        fs::remove_dir_all(&base).unwrap();
    }
}
