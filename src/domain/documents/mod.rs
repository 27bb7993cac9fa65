//! Files attached to customers, policies, claims and quotes: checked by content (not by
//! extension), stored with their SHA-256, reachable only within the viewer's portfolio.

pub mod delivery;
pub mod generated;
pub mod pending;
mod storage;
pub mod versions;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::auth::permissions::{Permission, PortfolioScope};
use crate::auth::staff::Role;
use crate::db::schema::{
    carrier_settlements, claims, complaints, customers, documents, policies, quotes,
};
pub use storage::{PgStorage, Storage};

/// Largest file accepted.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Customer(i64),
    Policy(i64),
    Claim(i64),
    /// A quote (of a customer or of a prospect).
    Quote(i64),
    /// A complaint to the customer service department (its complainant may be no customer).
    Complaint(i64),
    /// A carrier settlement (no customer).
    Settlement(i64),
}

impl Entity {
    pub fn parse(kind: &str, id: i64) -> Option<Self> {
        match kind {
            "customer" => Some(Entity::Customer(id)),
            "policy" => Some(Entity::Policy(id)),
            "claim" => Some(Entity::Claim(id)),
            "quote" => Some(Entity::Quote(id)),
            "complaint" => Some(Entity::Complaint(id)),
            "settlement" => Some(Entity::Settlement(id)),
            _ => None,
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            Entity::Customer(_) => "customer",
            Entity::Policy(_) => "policy",
            Entity::Claim(_) => "claim",
            Entity::Quote(_) => "quote",
            Entity::Complaint(_) => "complaint",
            Entity::Settlement(_) => "settlement",
        }
    }

    pub fn id(self) -> i64 {
        match self {
            Entity::Customer(id)
            | Entity::Policy(id)
            | Entity::Claim(id)
            | Entity::Quote(id)
            | Entity::Complaint(id)
            | Entity::Settlement(id) => id,
        }
    }

    /// Where the record's own page lives in the back-office.
    pub fn back_office_path(self) -> String {
        match self {
            Entity::Customer(id) => format!("/admin/clientes/{id}"),
            Entity::Policy(id) => format!("/admin/polizas/{id}"),
            Entity::Claim(id) => format!("/admin/siniestros/{id}"),
            Entity::Quote(id) => format!("/admin/presupuestos/{id}"),
            Entity::Complaint(id) => format!("/admin/reclamaciones/{id}"),
            Entity::Settlement(id) => format!("/admin/liquidaciones/{id}"),
        }
    }

    /// Whether e-SORI shows this record's documents to the client (a complaint's or a
    /// settlement's go by e-mail).
    pub fn shown_in_portal(self) -> bool {
        !matches!(self, Entity::Complaint(_) | Entity::Settlement(_))
    }

    /// "del cliente", "de la póliza": the record after "Documentos".
    pub fn of_label(self) -> String {
        match self {
            Entity::Policy(_) | Entity::Complaint(_) | Entity::Settlement(_) => {
                format!("de la {}", self.label())
            }
            _ => format!("del {}", self.label()),
        }
    }

    /// "cliente", "póliza", "siniestro"...
    pub fn label(self) -> &'static str {
        match self {
            Entity::Customer(_) => "cliente",
            Entity::Policy(_) => "póliza",
            Entity::Claim(_) => "siniestro",
            Entity::Quote(_) => "presupuesto",
            Entity::Complaint(_) => "reclamación",
            Entity::Settlement(_) => "liquidación",
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
        // Reached by the permission of their own area, not by a portfolio.
        Entity::Quote(_) | Entity::Complaint(_) | Entity::Settlement(_) => None,
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
    /// `None` for a prospect's quote, a complaint or a carrier settlement.
    pub customer_id: Option<i64>,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub visible_to_client: bool,
    pub uploaded_by_staff_id: Option<i64>,
    pub uploaded_at: DateTime<Utc>,
    /// What a generated document is (see [`generated::Kind`]); `None` for an uploaded file.
    pub kind: Option<String>,
    pub subject_key: Option<String>,
    /// The first version's id: every version of this document shares it.
    pub series_id: i64,
    pub version: i32,
    pub superseded_at: Option<DateTime<Utc>>,
    pub template_version: Option<String>,
    /// Why this version was made.
    pub version_note: Option<String>,
}

impl Document {
    /// The generated kind, if the document was generated.
    pub fn generated_kind(&self) -> Option<generated::Kind> {
        self.kind.as_deref().and_then(generated::Kind::parse)
    }

    pub fn is_current(&self) -> bool {
        self.superseded_at.is_none()
    }

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
    customer_id: Option<i64>,
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

/// The documents of one record (their current versions), newest first (bounded).
pub fn list_for(conn: &mut PgConnection, entity: Entity) -> QueryResult<Vec<Document>> {
    documents::table
        .filter(documents::entity_type.eq(entity.kind()))
        .filter(documents::entity_id.eq(entity.id()))
        .filter(documents::superseded_at.is_null())
        .order((documents::uploaded_at.desc(), documents::id.desc()))
        .limit(200)
        .select(Document::as_select())
        .load(conn)
}

/// Whether a staff member of `role` within `scope` reaches the documents of `entity`: `None`
/// when not (unknown record, another agent's customer, a blocked customer, or an area the role
/// does not work in), otherwise `Some` of the record's customer, if it has one.
pub fn reach(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    role: Role,
    entity: Entity,
) -> QueryResult<Option<Option<i64>>> {
    match entity {
        Entity::Complaint(id) => {
            if !Permission::HandleComplaints.granted_to(role) {
                return Ok(None);
            }
            complaints::table
                .find(id)
                .select(complaints::customer_id)
                .first::<Option<i64>>(conn)
                .optional()
        }
        Entity::Settlement(id) => {
            if !Permission::ManageCommissions.granted_to(role) {
                return Ok(None);
            }
            let found = carrier_settlements::table
                .find(id)
                .select(carrier_settlements::id)
                .first::<i64>(conn)
                .optional()?;
            Ok(found.map(|_| None))
        }
        Entity::Quote(id) => {
            let customer: Option<Option<i64>> = quotes::table
                .find(id)
                .select(quotes::customer_id)
                .first(conn)
                .optional()?;
            match customer {
                // A prospect's quote: its own scope.
                Some(None) => Ok(crate::quotes::in_scope(conn, scope, id)?.then_some(None)),
                Some(Some(_)) => Ok(customer_of(conn, scope, entity)?.map(Some)),
                None => Ok(None),
            }
        }
        _ => Ok(customer_of(conn, scope, entity)?.map(Some)),
    }
}

/// One document its viewer reaches (see [`reach`]), or `None`.
pub fn get(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    role: Role,
    id: i64,
) -> QueryResult<Option<Document>> {
    let document: Option<Document> = documents::table
        .find(id)
        .select(Document::as_select())
        .first(conn)
        .optional()?;
    let Some(document) = document else {
        return Ok(None);
    };
    let Some(entity) = document.entity() else {
        return Ok(None);
    };
    Ok(reach(conn, scope, role, entity)?.map(|_| document))
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
