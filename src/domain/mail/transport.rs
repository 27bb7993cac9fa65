//! How e-mails leave: SMTP when `SMTP_URL` is set, otherwise `.eml` files in `var/mail`.
//!
//! `SMTP_URL` is read by lettre's `from_url`: `smtp://host:port` is plain SMTP without any TLS
//! (a local relay, the test sink), `smtp://user:pw@host:587?tls=required` upgrades with
//! STARTTLS or fails, `smtps://user:pw@host:465` is TLS from the first byte. A path
//! (`smtp://host/ehlo.name`) sets the EHLO name.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use lettre::message::header::ContentType;
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Attachment as MimeAttachment, Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How long one SMTP conversation may take before it counts as a (transient) failure.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// A file sent with an e-mail (a stored document, read when the e-mail leaves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// The way out for e-mails, with the sender they carry. Cheap to clone.
#[derive(Clone)]
pub struct Transport {
    inner: Inner,
    from: Mailbox,
}

#[derive(Clone)]
enum Inner {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// For logs, without credentials.
        server: String,
    },
    File {
        transport: AsyncFileTransport<Tokio1Executor>,
        dir: PathBuf,
    },
}

/// Why a message did not leave.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Retrying cannot help: a malformed address, or the server refused for good (5xx).
    #[error("{0}")]
    Permanent(String),
    /// Worth another try later: connection trouble, 4xx, a full disk.
    #[error("{0}")]
    Transient(String),
}

impl SendError {
    pub fn is_permanent(&self) -> bool {
        matches!(self, SendError::Permanent(_))
    }
}

impl Transport {
    /// SMTP when `smtp_url` is set (`SMTP_URL`), otherwise files in `mail_dir` (created).
    /// Call it inside a Tokio runtime (see [`Transport::smtp`]).
    pub fn from_settings(
        smtp_url: Option<&str>,
        mail_dir: PathBuf,
        from: Mailbox,
    ) -> anyhow::Result<Self> {
        match smtp_url {
            Some(url) => Self::smtp(url, from),
            None => Self::file(mail_dir, from),
        }
    }

    /// SMTP through lettre's pooled async transport, configured from `url` (see the module
    /// documentation for the schemes). Call it inside a Tokio runtime (actix's is one): the
    /// pool spawns its clean-up task at once.
    pub fn smtp(url: &str, from: Mailbox) -> anyhow::Result<Self> {
        let parsed = url::Url::parse(url).context("SMTP_URL is not a valid URL")?;
        let server = format!(
            "{}://{}{}",
            parsed.scheme(),
            parsed.host_str().unwrap_or("?"),
            parsed.port().map(|p| format!(":{p}")).unwrap_or_default()
        );
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("SMTP_URL is not usable ({server}): {e}"))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Self {
            inner: Inner::Smtp { transport, server },
            from,
        })
    }

    /// One `.eml` file per message in `dir`, which is created if missing.
    pub fn file(dir: impl Into<PathBuf>, from: Mailbox) -> anyhow::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the mail directory {}", dir.display()))?;
        Ok(Self {
            inner: Inner::File {
                transport: AsyncFileTransport::new(&dir),
                dir,
            },
            from,
        })
    }

    /// Where messages go, for logs: `smtp://host:port` or `files in var/mail`.
    pub fn describe(&self) -> String {
        match &self.inner {
            Inner::Smtp { server, .. } => server.clone(),
            Inner::File { dir, .. } => format!("files in {}", dir.display()),
        }
    }

    /// The directory of the file transport, if that is what this is.
    pub fn mail_dir(&self) -> Option<&Path> {
        match &self.inner {
            Inner::File { dir, .. } => Some(dir),
            Inner::Smtp { .. } => None,
        }
    }

    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// Sends one multipart/alternative message (plain text first, HTML preferred), inside a
    /// multipart/mixed with the attachment when there is one.
    /// `message_id` is the left part of the `Message-ID` (the sender's domain is the right
    /// part): the same for every attempt of one e-mail, so a resend after a crash can be
    /// recognised as a duplicate by the receiving side. `list_unsubscribe`, for commercial
    /// e-mail, is the address that unsubscribes the recipient: the message then carries
    /// `List-Unsubscribe` and `List-Unsubscribe-Post` (RFC 2369, RFC 8058).
    pub async fn send(
        &self,
        message_id: &str,
        to: &str,
        subject: &str,
        (text, html): (&str, &str),
        list_unsubscribe: Option<&str>,
        attachment: Option<&Attachment>,
    ) -> Result<(), SendError> {
        let message = self.message(
            message_id,
            to,
            subject,
            (text, html),
            list_unsubscribe,
            attachment,
        )?;
        match &self.inner {
            Inner::Smtp { transport, .. } => transport.send(message).await.map(drop).map_err(|e| {
                if e.is_permanent() {
                    SendError::Permanent(format!("SMTP: {e}"))
                } else {
                    SendError::Transient(format!("SMTP: {e}"))
                }
            }),
            Inner::File { transport, .. } => transport
                .send(message)
                .await
                .map(drop)
                .map_err(|e| SendError::Transient(format!("cannot write the message: {e}"))),
        }
    }

    fn message(
        &self,
        message_id: &str,
        to: &str,
        subject: &str,
        (text, html): (&str, &str),
        list_unsubscribe: Option<&str>,
        attachment: Option<&Attachment>,
    ) -> Result<Message, SendError> {
        let to: Mailbox = to
            .parse()
            .map_err(|e| SendError::Permanent(format!("invalid recipient '{to}': {e}")))?;
        let mut builder = Message::builder()
            .message_id(Some(format!("<{message_id}@{}>", self.from.email.domain())))
            .from(self.from.clone())
            .to(to)
            .subject(subject);
        if let Some(address) = list_unsubscribe {
            // A commercial e-mail without a working way out must not leave: a bad address is
            // a permanent failure, not a message sent without the header.
            builder = builder
                .header(ListUnsubscribe::new(address)?)
                .header(ListUnsubscribePost);
        }
        let body = MultiPart::alternative_plain_html(text.to_owned(), html.to_owned());
        let body = match attachment {
            None => body,
            Some(file) => {
                let content_type = ContentType::parse(&file.content_type).map_err(|e| {
                    SendError::Permanent(format!(
                        "bad attachment type '{}': {e}",
                        file.content_type
                    ))
                })?;
                MultiPart::mixed().multipart(body).singlepart(
                    MimeAttachment::new(file.filename.clone())
                        .body(file.bytes.clone(), content_type),
                )
            }
        };
        builder
            .multipart(body)
            .map_err(|e| SendError::Permanent(format!("cannot build the message: {e}")))
    }
}

/// `List-Unsubscribe: <https://…>` (RFC 2369): where the recipient's mail program
/// unsubscribes them from commercial e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListUnsubscribe(url::Url);

impl ListUnsubscribe {
    /// The header for `address`, which must be an absolute http(s) URL (RFC 8058 one-click
    /// needs HTTPS; plain http is allowed for development and tests).
    pub fn new(address: &str) -> Result<Self, SendError> {
        match url::Url::parse(address) {
            Ok(url) if matches!(url.scheme(), "https" | "http") && url.has_host() => Ok(Self(url)),
            _ => Err(SendError::Permanent(format!(
                "invalid List-Unsubscribe address '{address}'"
            ))),
        }
    }
}

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let inner = s
            .trim()
            .strip_prefix('<')
            .and_then(|rest| rest.strip_suffix('>'))
            .ok_or("List-Unsubscribe is not a <URL>")?;
        Ok(Self::new(inner)?)
    }

    fn display(&self) -> HeaderValue {
        // A parsed URL is printable ASCII without spaces or angle brackets (the `url` crate
        // percent-encodes anything else), so the value needs no encoding and cannot inject.
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): the mail program may
/// unsubscribe with a single POST to the `List-Unsubscribe` URL, without opening the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListUnsubscribePost;

/// The value of `List-Unsubscribe-Post`, also the exact body of the one-click POST.
pub const ONE_CLICK: &str = "List-Unsubscribe=One-Click";

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        if s.trim() == ONE_CLICK {
            Ok(Self)
        } else {
            Err(format!("unknown List-Unsubscribe-Post value '{s}'").into())
        }
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), ONE_CLICK.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from() -> Mailbox {
        "Soriano <no-reply@example.es>".parse().unwrap()
    }

    #[test]
    fn a_malformed_recipient_is_a_permanent_failure() {
        let dir = std::env::temp_dir().join(format!(
            "soriano-mail-unit-{}",
            crate::util::random_token(6)
        ));
        let transport = Transport::file(&dir, from()).unwrap();
        let error = transport
            .message(
                "x.1",
                "not an address",
                "Asunto",
                ("texto", "<p>html</p>"),
                None,
                None,
            )
            .unwrap_err();
        assert!(error.is_permanent(), "{error}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_message_carries_both_alternatives_and_the_sender() {
        let dir = std::env::temp_dir().join(format!(
            "soriano-mail-unit-{}",
            crate::util::random_token(6)
        ));
        let transport = Transport::file(&dir, from()).unwrap();
        let message = transport
            .message(
                "x.1",
                "ana@example.es",
                "Asunto",
                ("texto plano", "<p>html</p>"),
                None,
                None,
            )
            .unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(
            raw.contains("text/plain") && raw.contains("text/html"),
            "{raw}"
        );
        assert!(raw.contains("From: Soriano <no-reply@example.es>"), "{raw}");
        assert!(raw.contains("To: ana@example.es"), "{raw}");
        assert!(raw.contains("Message-ID: <x.1@example.es>"), "{raw}");
        assert!(!raw.contains("List-Unsubscribe"), "{raw}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn an_attachment_travels_in_a_mixed_message_after_the_text() {
        let dir = std::env::temp_dir().join(format!(
            "soriano-mail-unit-{}",
            crate::util::random_token(6)
        ));
        let transport = Transport::file(&dir, from()).unwrap();
        let file = Attachment {
            filename: "Presupuesto P-2026-000001.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: b"%PDF-1.7 test".to_vec(),
        };
        let message = transport
            .message(
                "x.5",
                "ana@example.es",
                "Presupuesto",
                ("texto", "<p>html</p>"),
                None,
                Some(&file),
            )
            .unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("multipart/mixed"), "{raw}");
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("Content-Type: application/pdf"), "{raw}");
        assert!(raw.contains("attachment"), "{raw}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_commercial_message_carries_the_one_click_unsubscribe_headers() {
        let dir = std::env::temp_dir().join(format!(
            "soriano-mail-unit-{}",
            crate::util::random_token(6)
        ));
        let transport = Transport::file(&dir, from()).unwrap();
        let link = "https://www.sorianomediadores.es/baja/42.abc-_def";
        let message = transport
            .message(
                "x.2",
                "ana@example.es",
                "Ofertas",
                ("texto", "<p>html</p>"),
                Some(link),
                None,
            )
            .unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(
            raw.contains(&format!("\r\nList-Unsubscribe: <{link}>\r\n")),
            "{raw}"
        );
        assert!(
            raw.contains("\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"),
            "{raw}"
        );
        for bad in [
            "javascript:alert(1)",
            "/baja/1",
            "mailto:baja@example.es",
            "",
        ] {
            let error = transport
                .message(
                    "x.3",
                    "ana@example.es",
                    "A",
                    ("t", "<p>h</p>"),
                    Some(bad),
                    None,
                )
                .unwrap_err();
            assert!(error.is_permanent(), "{bad}: {error}");
        }
        // Line breaks cannot add a header: the URL parser drops them and escapes the rest.
        let sneaky = "https://x.es/a>\r\nBcc: x@y.es";
        let message = transport
            .message(
                "x.4",
                "ana@example.es",
                "A",
                ("t", "<p>h</p>"),
                Some(sneaky),
                None,
            )
            .unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(!raw.contains("\r\nBcc:"), "{raw}");
        assert!(
            raw.contains("\r\nList-Unsubscribe: <https://x.es/a%3EBcc:%20x@y.es>\r\n"),
            "{raw}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn plain_smtp_urls_need_no_tls() {
        let transport = Transport::smtp("smtp://127.0.0.1:2525", from()).unwrap();
        assert_eq!(transport.describe(), "smtp://127.0.0.1:2525");
        assert!(transport.mail_dir().is_none());
    }
}
