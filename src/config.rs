//! Settings read from environment variables, with safe defaults for a developer's machine.
//!
//! Every variable is documented in the README. A bad value stops start-up with one message
//! naming the variable, what was found and what is expected.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use base64::Engine;

/// Sender of e-mails when `MAIL_FROM` is not set.
pub const DEFAULT_MAIL_FROM: &str = "Soriano Mediadores <no-reply@sorianomediadores.es>";

/// Minimum length of `SECRET_KEY`: sub-keys for cookies and CSRF are derived from it.
const MIN_SECRET_LEN: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Clone)]
pub struct Config {
    pub environment: Environment,
    /// `None`: run the embedded cluster under `var_dir/pg`.
    pub database_url: Option<String>,
    pub database_pool_size: u32,
    pub bind: SocketAddr,
    /// Public address of the site, used for links in e-mails, canonical URLs, the Origin check
    /// of CSRF and the `Secure` flag of cookies.
    pub base_url: url::Url,
    pub secret_key: Vec<u8>,
    pub smtp_url: Option<String>,
    /// Sender of every e-mail (`From:`).
    pub mail_from: lettre::message::Mailbox,
    pub var_dir: PathBuf,
    /// `Some` behind a reverse proxy: which header it writes the client's address into and
    /// how many proxies stand in front of the app (`TRUST_PROXY`, `TRUST_PROXY_HOPS`).
    pub trusted_proxy: Option<TrustedProxy>,
    /// A staff session ends after this long without a request...
    pub staff_idle_timeout: std::time::Duration,
    /// ...and this long after sign-in, whatever happens.
    pub staff_absolute_timeout: std::time::Duration,
    /// Who the brokerage is, as the pre-contract information of the taxi quoter states it.
    pub broker: BrokerInfo,
    /// Where `soriano backup` and the worker's nightly backups go (`BACKUP_DIR`).
    pub backup_dir: PathBuf,
    /// How many nightly backups the worker keeps; 0 turns them off (`BACKUP_KEEP`).
    pub backup_keep: usize,
}

/// The header a trusted reverse proxy appends the address it saw to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyHeader {
    /// `X-Forwarded-For: client, proxy1, ...` (nginx, HAProxy, most load balancers).
    XForwardedFor,
    /// `Forwarded: for=client, for=proxy1` (RFC 7239).
    Forwarded,
}

/// How far to believe the forwarding header: each proxy appends the address it received the
/// request from, so the last `hops` entries were written by our own proxies and anything to
/// their left is whatever the client chose to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedProxy {
    pub header: ProxyHeader,
    /// Proxies in front of the app (1: one reverse proxy; 2: a CDN before it...).
    pub hops: usize,
}

/// The brokerage's identity for the pre-contract information (RDL 3/2020, art. 173-175).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerInfo {
    /// `BROKER_NAME`: legal name.
    pub name: String,
    /// `BROKER_TAX_ID`: CIF.
    pub tax_id: String,
    /// `BROKER_DGSFP_KEY`: registry key in the Registro de Distribuidores de Seguros.
    pub dgsfp_key: String,
    /// `BROKER_ADDRESS`: registered address.
    pub address: String,
    /// `BROKER_COMPLAINTS_EMAIL`: the customer service (servicio de atención al cliente).
    pub complaints_email: String,
    /// `BROKER_PRIVACY_EMAIL`: where data-protection rights are exercised.
    pub privacy_email: String,
    /// Some of the legal identity is the development default, not the brokerage's: pages
    /// that show it say so, so nobody takes invented data for the real registration.
    pub example: bool,
}

/// The settings that make up the brokerage's legal identity; production refuses to start
/// without them (public pages and pre-contract information would state invented data).
const BROKER_IDENTITY: [&str; 4] = [
    "BROKER_NAME",
    "BROKER_TAX_ID",
    "BROKER_DGSFP_KEY",
    "BROKER_ADDRESS",
];

impl BrokerInfo {
    /// The identity as the legal texts state it.
    pub fn identity(&self) -> crate::distribution::precontract::BrokerIdentity {
        crate::distribution::precontract::BrokerIdentity {
            name: self.name.clone(),
            tax_id: self.tax_id.clone(),
            dgsfp_key: self.dgsfp_key.clone(),
            address: self.address.clone(),
            complaints_email: self.complaints_email.clone(),
            privacy_email: self.privacy_email.clone(),
            example: self.example,
        }
    }

    fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str, default: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .unwrap_or_else(|| default.to_owned())
        };
        let default = crate::distribution::precontract::BrokerIdentity::development();
        Self {
            name: get("BROKER_NAME", &default.name),
            tax_id: get("BROKER_TAX_ID", &default.tax_id),
            dgsfp_key: get("BROKER_DGSFP_KEY", &default.dgsfp_key),
            address: get("BROKER_ADDRESS", &default.address),
            complaints_email: get("BROKER_COMPLAINTS_EMAIL", &default.complaints_email),
            privacy_email: get("BROKER_PRIVACY_EMAIL", &default.privacy_email),
            example: BROKER_IDENTITY.iter().any(|name| lookup(name).is_none()),
        }
    }

    /// Production needs the real identity, with a CIF that passes its check digit.
    fn check_for_production(&self, lookup: &impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        let missing: Vec<&str> = BROKER_IDENTITY
            .into_iter()
            .filter(|name| lookup(name).is_none())
            .collect();
        if !missing.is_empty() {
            bail!(
                "{} required when SORIANO_ENV=production: the brokerage's legal identity is shown on \
                 the public pages and in the pre-contract information",
                missing.join(", ") + if missing.len() == 1 { " is" } else { " are" }
            );
        }
        if let Err(reason) = crate::identifiers::Cif::parse(&self.tax_id) {
            bail!(
                "BROKER_TAX_ID='{}' is not a valid CIF: {reason}",
                self.tax_id
            );
        }
        Ok(())
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("environment", &self.environment)
            .field(
                "database_url",
                &self.database_url.as_deref().map(crate::db::redact),
            )
            .field("database_pool_size", &self.database_pool_size)
            .field("bind", &self.bind)
            .field("base_url", &self.base_url.as_str())
            .field("secret_key", &"***")
            .field("smtp_url", &self.smtp_url.as_ref().map(|_| "***"))
            .field("mail_from", &self.mail_from.to_string())
            .field("var_dir", &self.var_dir)
            .field("trusted_proxy", &self.trusted_proxy)
            .field("staff_idle_timeout", &self.staff_idle_timeout)
            .field("staff_absolute_timeout", &self.staff_absolute_timeout)
            .field("broker", &self.broker)
            .field("backup_dir", &self.backup_dir)
            .field("backup_keep", &self.backup_keep)
            .finish()
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Reads settings through `lookup`, so tests can pass their own values.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let environment = match lookup("SORIANO_ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => bail!(
                "SORIANO_ENV='{other}' is not valid: expected 'development' (default) or 'production'"
            ),
        };
        let var_dir = PathBuf::from(lookup("SORIANO_VAR_DIR").unwrap_or_else(|| "var".into()));

        let bind_text = lookup("BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
        let bind: SocketAddr = bind_text.parse().map_err(|_| {
            anyhow::anyhow!(
                "BIND='{bind_text}' is not valid: expected host:port, e.g. 127.0.0.1:8080"
            )
        })?;

        let base_url_text = lookup("BASE_URL").unwrap_or_else(|| format!("http://{bind}"));
        let base_url = url::Url::parse(&base_url_text)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "BASE_URL='{base_url_text}' is not valid: expected an http(s) URL, e.g. https://www.sorianomediadores.es"
                )
            })?;
        if environment == Environment::Production && base_url.scheme() != "https" {
            bail!("BASE_URL must use https when SORIANO_ENV=production");
        }

        let database_url = lookup("DATABASE_URL");
        if let Some(url) = &database_url {
            let parsed = url::Url::parse(url).ok();
            if !matches!(
                parsed.as_ref().map(|u| u.scheme()),
                Some("postgres" | "postgresql")
            ) {
                bail!(
                    "DATABASE_URL is not valid: expected postgres://user:password@host:port/database"
                );
            }
        }
        let database_pool_size = match lookup("DATABASE_POOL_SIZE") {
            None => default_pool_size(),
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=200).contains(n))
                .ok_or_else(|| {
                    anyhow::anyhow!("DATABASE_POOL_SIZE='{text}' is not valid: expected 1 to 200")
                })?,
        };

        let secret_key = match lookup("SECRET_KEY") {
            Some(key) if key.len() >= MIN_SECRET_LEN => key.into_bytes(),
            Some(_) => bail!(
                "SECRET_KEY is too short: it needs at least {MIN_SECRET_LEN} characters (e.g. `openssl rand -base64 64`)"
            ),
            None if environment == Environment::Production => {
                bail!(
                    "SECRET_KEY is required when SORIANO_ENV=production (at least {MIN_SECRET_LEN} characters)"
                )
            }
            None => development_secret(&var_dir)?,
        };

        let smtp_url = lookup("SMTP_URL");
        if let Some(url) = &smtp_url {
            check_smtp_url(url, environment)?;
        }
        let mail_from_text = lookup("MAIL_FROM").unwrap_or_else(|| DEFAULT_MAIL_FROM.into());
        let mail_from: lettre::message::Mailbox = mail_from_text.parse().map_err(|_| {
            anyhow::anyhow!(
                "MAIL_FROM='{mail_from_text}' is not valid: expected an address such as \
                 no-reply@example.es or Name <no-reply@example.es>"
            )
        })?;

        let proxy_header = match lookup("TRUST_PROXY").as_deref() {
            None | Some("false") | Some("0") => None,
            Some("true") | Some("1") | Some("x-forwarded-for") => Some(ProxyHeader::XForwardedFor),
            Some("forwarded") => Some(ProxyHeader::Forwarded),
            Some(other) => bail!(
                "TRUST_PROXY='{other}' is not valid: expected false, true (X-Forwarded-For) or forwarded"
            ),
        };

        let number =
            |name: &str,
             default: u64,
             range: std::ops::RangeInclusive<u64>|
             -> anyhow::Result<u64> {
                match lookup(name) {
                None => Ok(default),
                Some(text) => text.parse::<u64>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
                    anyhow::anyhow!(
                        "{name}='{text}' is not valid: expected a whole number from {} to {}",
                        range.start(),
                        range.end()
                    )
                }),
            }
            };
        let staff_idle_timeout = std::time::Duration::from_secs(
            60 * number("STAFF_IDLE_TIMEOUT_MINUTES", 30, 1..=1440)?,
        );
        let staff_absolute_timeout = std::time::Duration::from_secs(
            3600 * number("STAFF_ABSOLUTE_TIMEOUT_HOURS", 10, 1..=72)?,
        );

        let trusted_proxy = match proxy_header {
            Some(header) => Some(TrustedProxy {
                header,
                hops: number("TRUST_PROXY_HOPS", 1, 1..=10)? as usize,
            }),
            None => None,
        };

        let backup_dir = lookup("BACKUP_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| var_dir.join("backups"));
        let backup_keep = number("BACKUP_KEEP", 14, 0..=3650)? as usize;

        let broker = BrokerInfo::from_lookup(&lookup);
        if environment == Environment::Production {
            broker.check_for_production(&lookup)?;
        }

        Ok(Self {
            broker,
            backup_dir,
            backup_keep,
            staff_idle_timeout,
            staff_absolute_timeout,
            trusted_proxy,
            environment,
            database_url,
            database_pool_size,
            bind,
            base_url,
            secret_key,
            smtp_url,
            mail_from,
            var_dir,
        })
    }

    /// Cookies get `Secure` when the public address is https.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    pub fn pg_dir(&self) -> PathBuf {
        self.var_dir.join("pg")
    }

    /// The worker's nightly backups, unless `BACKUP_KEEP=0` turned them off.
    pub fn nightly_backups(&self) -> Option<crate::backup::Nightly> {
        (self.backup_keep > 0).then(|| crate::backup::Nightly {
            dir: self.backup_dir.clone(),
            keep: self.backup_keep,
        })
    }

    pub fn mail_dir(&self) -> PathBuf {
        self.var_dir.join("mail")
    }
}

/// `SMTP_URL` as lettre's `from_url` reads it: `smtp://host:port` is plain SMTP (no TLS at
/// all, default port 25), `smtp://...?tls=required` upgrades with STARTTLS or fails (default
/// port 587), `?tls=opportunistic` upgrades only if offered, `smtps://` is TLS from the first
/// byte (default port 465). Any other `tls` value would only fail later, at the first e-mail.
fn check_smtp_url(text: &str, environment: Environment) -> anyhow::Result<()> {
    let expected = "expected smtps://user:password@host:465, smtp://user:password@host:587?tls=required \
                    or smtp://host:25 (plain, for a local relay)";
    let Some(url) = url::Url::parse(text)
        .ok()
        .filter(|u| u.host_str().is_some())
    else {
        bail!("SMTP_URL is not valid: {expected}");
    };
    let tls = url
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    match (url.scheme(), tls.as_deref()) {
        ("smtps", None) | ("smtp", None | Some("required" | "opportunistic")) => {}
        ("smtp" | "smtps", Some(other)) => bail!(
            "SMTP_URL is not valid: tls='{other}' is not understood (smtp:// takes tls=required \
             or tls=opportunistic; smtps:// takes none)"
        ),
        _ => bail!("SMTP_URL is not valid: {expected}"),
    }
    // A password over a connection that may stay unencrypted is readable on the wire.
    if environment == Environment::Production
        && url.scheme() == "smtp"
        && url.password().is_some()
        && tls.as_deref() != Some("required")
    {
        bail!(
            "SMTP_URL sends its password unencrypted: use smtps:// or add ?tls=required when SORIANO_ENV=production"
        );
    }
    Ok(())
}

fn default_pool_size() -> u32 {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2) as u32;
    (cores * 4).clamp(4, 32)
}

/// A development key generated once and kept under `var/`, so sessions survive restarts.
fn development_secret(var_dir: &Path) -> anyhow::Result<Vec<u8>> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;

    let path = var_dir.join("secret_key");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim();
        if existing.len() >= MIN_SECRET_LEN {
            return Ok(existing.as_bytes().to_vec());
        }
    }
    std::fs::create_dir_all(var_dir)
        .with_context(|| format!("cannot create {}", var_dir.display()))?;
    let key =
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(crate::util::random_bytes(64));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(key.as_bytes())?;
    Ok(key.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> anyhow::Result<Config> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn defaults_are_safe_for_development() {
        let c = config(&[("SECRET_KEY", KEY)]).unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.base_url.as_str(), "http://127.0.0.1:8080/");
        assert!(c.database_url.is_none());
        assert!(!c.secure_cookies());
        assert_eq!(
            c.trusted_proxy, None,
            "forwarding headers are ignored by default"
        );
    }

    #[test]
    fn the_proxy_header_and_its_hops_are_chosen_explicitly() {
        let proxy = |pairs: &[(&str, &str)]| {
            let mut all = vec![("SECRET_KEY", KEY)];
            all.extend_from_slice(pairs);
            config(&all).map(|c| c.trusted_proxy)
        };
        assert_eq!(
            proxy(&[("TRUST_PROXY", "true")]).unwrap(),
            Some(TrustedProxy {
                header: ProxyHeader::XForwardedFor,
                hops: 1
            })
        );
        assert_eq!(
            proxy(&[("TRUST_PROXY", "forwarded"), ("TRUST_PROXY_HOPS", "2")]).unwrap(),
            Some(TrustedProxy {
                header: ProxyHeader::Forwarded,
                hops: 2
            })
        );
        assert_eq!(
            proxy(&[("TRUST_PROXY", "false"), ("TRUST_PROXY_HOPS", "2")]).unwrap(),
            None
        );
        let err = proxy(&[("TRUST_PROXY", "true"), ("TRUST_PROXY_HOPS", "0")]).unwrap_err();
        assert!(err.to_string().contains("TRUST_PROXY_HOPS"), "{err}");
        let err = proxy(&[("TRUST_PROXY", "yes")]).unwrap_err();
        assert!(err.to_string().contains("TRUST_PROXY='yes'"), "{err}");
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = config(&[("BIND", "nowhere"), ("SECRET_KEY", KEY)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("BIND='nowhere'"), "{err}");
        let err = config(&[("DATABASE_URL", "mysql://x"), ("SECRET_KEY", KEY)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("DATABASE_URL"), "{err}");
        let err = config(&[("STAFF_IDLE_TIMEOUT_MINUTES", "0"), ("SECRET_KEY", KEY)])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("STAFF_IDLE_TIMEOUT_MINUTES='0' is not valid"),
            "{err}"
        );
        let err = config(&[("SECRET_KEY", "short")]).unwrap_err().to_string();
        assert!(err.contains("SECRET_KEY is too short"), "{err}");
        let err = config(&[("SORIANO_ENV", "production"), ("BASE_URL", "https://x.es")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("SECRET_KEY is required"), "{err}");
    }

    #[test]
    fn mail_from_defaults_to_the_brokerage_and_accepts_a_mailbox() {
        let c = config(&[("SECRET_KEY", KEY)]).unwrap();
        assert_eq!(
            c.mail_from.email.to_string(),
            "no-reply@sorianomediadores.es"
        );
        assert_eq!(c.mail_from.name.as_deref(), Some("Soriano Mediadores"));
        let c = config(&[
            ("SECRET_KEY", KEY),
            ("MAIL_FROM", "Oficina <oficina@example.es>"),
        ])
        .unwrap();
        assert_eq!(c.mail_from.email.to_string(), "oficina@example.es");
        let err = config(&[("SECRET_KEY", KEY), ("MAIL_FROM", "no es un correo")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("MAIL_FROM='no es un correo'"), "{err}");
    }

    #[test]
    fn smtp_url_takes_what_lettre_understands() {
        for ok in [
            "smtp://127.0.0.1:2525",
            "smtp://user:pw@mail.example.es:587?tls=required",
            "smtp://mail.example.es?tls=opportunistic",
            "smtps://user:pw@mail.example.es:465",
        ] {
            assert!(
                config(&[("SECRET_KEY", KEY), ("SMTP_URL", ok)]).is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "http://mail.example.es",
            "smtp://mail.example.es?tls=yes",
            "smtps://mail.example.es?tls=required",
            "not a url",
        ] {
            let err = config(&[("SECRET_KEY", KEY), ("SMTP_URL", bad)])
                .unwrap_err()
                .to_string();
            assert!(err.contains("SMTP_URL is not valid"), "{bad}: {err}");
        }
        let err = config(&[
            ("SORIANO_ENV", "production"),
            ("BASE_URL", "https://x.es"),
            ("SECRET_KEY", KEY),
            ("SMTP_URL", "smtp://user:pw@mail.example.es:587"),
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("unencrypted"), "{err}");
    }

    #[test]
    fn production_refuses_to_start_without_the_brokers_legal_identity() {
        let production = [
            ("SORIANO_ENV", "production"),
            ("BASE_URL", "https://x.es"),
            ("SECRET_KEY", KEY),
        ];
        let err = config(&production).unwrap_err().to_string();
        assert!(
            err.contains(
                "BROKER_NAME, BROKER_TAX_ID, BROKER_DGSFP_KEY, BROKER_ADDRESS are required"
            ),
            "{err}"
        );
        let identity = [
            ("BROKER_NAME", "Correduría Ejemplo, S.L."),
            ("BROKER_DGSFP_KEY", "J1234"),
            ("BROKER_ADDRESS", "Calle Alcalá 10, 28014 Madrid"),
        ];
        let mut pairs = [&production[..], &identity[..]].concat();
        pairs.push(("BROKER_TAX_ID", "B12345678"));
        let err = config(&pairs).unwrap_err().to_string();
        assert!(
            err.contains("BROKER_TAX_ID='B12345678' is not a valid CIF"),
            "{err}"
        );
        pairs.pop();
        pairs.push(("BROKER_TAX_ID", "B12345674"));
        let c = config(&pairs).unwrap();
        assert!(!c.broker.example);
        assert_eq!(c.broker.tax_id, "B12345674");
    }

    #[test]
    fn development_marks_the_default_identity_as_example_data() {
        let c = config(&[("SECRET_KEY", KEY)]).unwrap();
        assert!(c.broker.example);
    }

    #[test]
    fn https_base_url_means_secure_cookies() {
        let c = config(&[("BASE_URL", "https://example.es"), ("SECRET_KEY", KEY)]).unwrap();
        assert!(c.secure_cookies());
    }
}
