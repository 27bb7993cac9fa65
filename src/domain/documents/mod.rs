//! Files attached to customers, policies, claims and quotes: checked by content (not by
//! extension), stored with their SHA-256, reachable only within the viewer's portfolio.

pub mod pending;
mod storage;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::auth::permissions::PortfolioScope;
use crate::db::schema::{claims, customers, documents, policies, quotes};
pub use storage::{PgStorage, Storage};

/// Largest file accepted.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Customer(i64),
    Policy(i64),
    Claim(i64),
    /// A quote of a customer (a prospect's quote has no customer to file documents under).
    Quote(i64),
}

impl Entity {
    pub fn parse(kind: &str, id: i64) -> Option<Self> {
        match kind {
            "customer" => Some(Entity::Customer(id)),
            "policy" => Some(Entity::Policy(id)),
            "claim" => Some(Entity::Claim(id)),
            "quote" => Some(Entity::Quote(id)),
            _ => None,
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            Entity::Customer(_) => "customer",
            Entity::Policy(_) => "policy",
            Entity::Claim(_) => "claim",
            Entity::Quote(_) => "quote",
        }
    }

    pub fn id(self) -> i64 {
        match self {
            Entity::Customer(id) | Entity::Policy(id) | Entity::Claim(id) | Entity::Quote(id) => id,
        }
    }

    /// Where the record's own page lives in the back-office.
    pub fn back_office_path(self) -> String {
        match self {
            Entity::Customer(id) => format!("/admin/clientes/{id}"),
            Entity::Policy(id) => format!("/admin/polizas/{id}"),
            Entity::Claim(id) => format!("/admin/siniestros/{id}"),
            Entity::Quote(id) => format!("/admin/presupuestos/{id}"),
        }
    }

    /// "cliente", "póliza", "siniestro".
    pub fn label(self) -> &'static str {
        match self {
            Entity::Customer(_) => "cliente",
            Entity::Policy(_) => "póliza",
            Entity::Claim(_) => "siniestro",
            Entity::Quote(_) => "presupuesto",
        }
    }
}

/// The customer a record belongs to, if the record exists within `scope`.
pub fn customer_of(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    entity: Entity,
) -> QueryResult<Option<i64>> {
    if let Entity::Quote(id) = entity {
        // A quote's own scope (its agent or its customer's owner), filed under its customer.
        if !crate::quotes::in_scope(conn, scope, id)? {
            return Ok(None);
        }
        let customer: Option<i64> = quotes::table
            .find(id)
            .select(quotes::customer_id)
            .first::<Option<i64>>(conn)
            .optional()?
            .flatten();
        // A blocked customer's papers are sealed with the rest of their data.
        return match customer {
            Some(customer) => customers::table
                .find(customer)
                .filter(customers::blocked_at.is_null())
                .select(customers::id)
                .first(conn)
                .optional(),
            None => Ok(None),
        };
    }
    let found: Option<(i64, Option<i64>)> = match entity {
        Entity::Customer(id) => customers::table
            .find(id)
            .filter(customers::merged_into_id.is_null())
            .filter(customers::blocked_at.is_null())
            .select((customers::id, customers::owner_staff_id))
            .first(conn)
            .optional()?,
        Entity::Policy(id) => policies::table
            .inner_join(customers::table)
            .filter(policies::id.eq(id))
            .filter(customers::blocked_at.is_null())
            .select((customers::id, customers::owner_staff_id))
            .first(conn)
            .optional()?,
        Entity::Claim(id) => claims::table
            .inner_join(customers::table)
            .filter(claims::id.eq(id))
            .filter(customers::blocked_at.is_null())
            .select((customers::id, customers::owner_staff_id))
            .first(conn)
            .optional()?,
        Entity::Quote(_) => None,
    };
    Ok(found.and_then(|(customer, owner)| match scope.owner() {
        Some(me) if owner != Some(me) => None,
        _ => Some(customer),
    }))
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = documents)]
pub struct Document {
    pub id: i64,
    pub entity_type: String,
    pub entity_id: i64,
    pub customer_id: i64,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub visible_to_client: bool,
    pub uploaded_by_staff_id: Option<i64>,
    pub uploaded_at: DateTime<Utc>,
}

impl Document {
    pub fn entity(&self) -> Option<Entity> {
        Entity::parse(&self.entity_type, self.entity_id)
    }

    /// "1,2 MB", "340 KB".
    pub fn size(&self) -> String {
        let bytes = self.size_bytes as f64;
        if bytes >= 1024.0 * 1024.0 {
            format!("{:.1} MB", bytes / (1024.0 * 1024.0)).replace('.', ",")
        } else {
            format!("{} KB", (self.size_bytes + 1023) / 1024)
        }
    }
}

/// What a file really is, from its first bytes; the name's extension only has to agree.
/// Returns the content type to serve it with, or the Spanish message for the form.
pub fn sniff(bytes: &[u8], filename: &str) -> Result<&'static str, &'static str> {
    let extension = filename
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    let detected = if bytes.starts_with(b"%PDF-") {
        Some(("application/pdf", &["pdf"][..]))
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("image/jpeg", &["jpg", "jpeg"][..]))
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", &["png"][..]))
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(("image/webp", &["webp"][..]))
    } else if bytes.len() > 12
        && &bytes[4..8] == b"ftyp"
        && matches!(&bytes[8..12], b"heic" | b"heix" | b"mif1")
    {
        Some(("image/heic", &["heic", "heif"][..]))
    } else if bytes.starts_with(b"PK\x03\x04") {
        // Office Open XML and OpenDocument files are zip archives; trust the zip, name the type
        // by the extension among those we accept.
        match extension.as_str() {
            "docx" => Some((
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                &["docx"][..],
            )),
            "xlsx" => Some((
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                &["xlsx"][..],
            )),
            "odt" => Some(("application/vnd.oasis.opendocument.text", &["odt"][..])),
            _ => None,
        }
    } else {
        None
    };
    match detected {
        Some((content_type, extensions)) if extensions.contains(&extension.as_str()) => {
            Ok(content_type)
        }
        Some(_) => Err("La extensión del archivo no corresponde a su contenido."),
        None => Err(
            "Tipo de archivo no admitido: suba un PDF, una foto (JPG, PNG, WebP, HEIC) o un documento de Word, Excel u OpenDocument.",
        ),
    }
}

/// A file name safe to store and to send back: no paths, no control characters.
pub fn clean_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(200)
        .collect();
    if cleaned.trim().is_empty() {
        "documento".to_owned()
    } else {
        cleaned.trim().to_owned()
    }
}

pub struct Upload {
    pub filename: String,
    pub bytes: Vec<u8>,
    pub visible_to_client: bool,
}

/// Stores an upload on `entity` (already known to be in scope, belonging to `customer_id`).
pub fn attach(
    conn: &mut PgConnection,
    storage: &dyn Storage,
    entity: Entity,
    customer_id: i64,
    upload: &Upload,
    content_type: &str,
    by: Option<i64>,
) -> QueryResult<Document> {
    let document: Document = diesel::insert_into(documents::table)
        .values((
            documents::entity_type.eq(entity.kind()),
            documents::entity_id.eq(entity.id()),
            documents::customer_id.eq(customer_id),
            documents::filename.eq(&upload.filename),
            documents::content_type.eq(content_type),
            documents::size_bytes.eq(upload.bytes.len() as i64),
            documents::sha256.eq(crate::util::sha256_hex(&upload.bytes)),
            documents::visible_to_client.eq(upload.visible_to_client),
            documents::uploaded_by_staff_id.eq(by),
        ))
        .returning(Document::as_returning())
        .get_result(conn)?;
    storage.put(conn, document.id, &upload.bytes)?;
    Ok(document)
}

/// The documents of one record, newest first (bounded).
pub fn list_for(conn: &mut PgConnection, entity: Entity) -> QueryResult<Vec<Document>> {
    documents::table
        .filter(documents::entity_type.eq(entity.kind()))
        .filter(documents::entity_id.eq(entity.id()))
        .order((documents::uploaded_at.desc(), documents::id.desc()))
        .limit(200)
        .select(Document::as_select())
        .load(conn)
}

/// One document within `scope`, or `None` (unknown, or another agent's customer).
pub fn get(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
) -> QueryResult<Option<Document>> {
    let mut query = documents::table
        .inner_join(customers::table)
        .filter(documents::id.eq(id))
        .filter(customers::blocked_at.is_null())
        .select(Document::as_select())
        .into_boxed();
    if let Some(owner) = scope.owner() {
        query = query.filter(customers::owner_staff_id.eq(owner));
    }
    query.first(conn).optional()
}

pub fn set_visibility(conn: &mut PgConnection, id: i64, visible: bool) -> QueryResult<usize> {
    diesel::update(documents::table.find(id))
        .set(documents::visible_to_client.eq(visible))
        .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_recognised_by_content_not_name() {
        assert_eq!(sniff(b"%PDF-1.7 ...", "poliza.pdf"), Ok("application/pdf"));
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0], "foto.JPG"),
            Ok("image/jpeg")
        );
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n....", "x.png"), Ok("image/png"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 ", "x.webp"), Ok("image/webp"));
        assert!(
            sniff(b"MZ\x90\0 executable", "factura.pdf").is_err(),
            "a program named .pdf"
        );
        assert!(
            sniff(b"%PDF-1.7", "poliza.exe").is_err(),
            "a PDF named .exe"
        );
        assert!(sniff(b"<html><script>", "x.html").is_err());
        assert_eq!(
            sniff(b"PK\x03\x04....", "parte.docx"),
            Ok("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        );
        assert!(sniff(b"PK\x03\x04....", "malware.zip").is_err());
    }

    #[test]
    fn file_names_lose_paths_and_quotes() {
        assert_eq!(
            clean_filename("C:\\fotos\\coche \"rojo\".jpg"),
            "coche rojo.jpg"
        );
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("   "), "documento");
    }
}
