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
        fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create {}", data_dir.display()))?;
        let data_dir = data_dir
            .canonicalize()
            .with_context(|| format!("invalid path: {}", data_dir.display()))?;
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

        if let Some(port) = running_port(&data_dir) {
            tracing::info!(port, dir = %data_dir.display(), "joining running PostgreSQL cluster");
            let cluster = Self {
                data_dir,
                bin_dir,
                port,
                password,
                started_here: false,
                settings: String::new(),
            };
            cluster.wait_until_ready(Duration::from_secs(30))?;
            return Ok(cluster);
        }

        let port = free_port()?;
        let mut settings = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories='' -c max_connections=200"
        );
        if options.ephemeral {
            settings.push_str(
                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=64MB",
            );
        }
        let cluster = Self {
            data_dir,
            bin_dir,
            port,
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

    /// URL of the given database on this cluster.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}:{}@127.0.0.1:{}/{database}",
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
        let cleanup = remove_dir
            .map(|dir| format!("; rm -rf '{}'", dir.display()))
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

fn init_cluster(bin_dir: &Path, data_dir: &Path, password_file: &Path) -> anyhow::Result<()> {
    let password = crate::util::random_token(24);
    write_private(password_file, &password)?;
    // initdb reads the password from a file that the postgres user must be able to read.
    let pwfile = std::env::temp_dir().join(format!("soriano-pw-{}", std::process::id()));
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
fn running_port(data_dir: &Path) -> Option<u16> {
    let pid_file = fs::read_to_string(data_dir.join("postmaster.pid")).ok()?;
    let mut lines = pid_file.lines();
    let pid: i32 = lines.next()?.trim().parse().ok()?;
    let port: u16 = lines.nth(2)?.trim().parse().ok()?;
    // SAFETY: kill with signal 0 only checks that the process exists.
    let alive = unsafe { libc::kill(pid, 0) } == 0;
    alive.then_some(port)
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
