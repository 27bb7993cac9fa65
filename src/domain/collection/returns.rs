//! The bank's answers to remittances: rejections before settlement (pain.002), returns and
//! refunds after it (camt.054, or the return entries of a camt.053 or Norma 43 statement).
//! Each line is matched to its receipt by the EndToEndId the remittance gave it (a whole
//! rejected file, by its message id); the receipt is returned with the ISO reason code and
//! what comes next (the commission reversed, a task for the agent, the client told, the
//! mandate stopped when the account is the problem). A line no receipt matches waits in a
//! review queue for a person. A file is read once: the same file again changes nothing.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde_json::json;

use super::reasons;
use crate::audit::{Action, Actor, target};
use crate::auth::permissions::PortfolioScope;
use crate::db::DbError;
use crate::db::schema::{bank_files, bank_return_lines, receipts, sepa_remittances};
use crate::format::date;
use crate::money::format_cents;
use crate::receipts::{GiveBack, Status};
use crate::sepa::bank_xml::{self, BankFile, ReturnKind};
use crate::sepa::norma43;
use crate::validation::FieldErrors;

/// One line of a bank's answer, whatever file it came in.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// `rejection`, `return` or `refund`.
    pub kind: &'static str,
    pub end_to_end_id: Option<String>,
    pub mandate_reference: Option<String>,
    pub amount_cents: Option<i64>,
    pub date: Option<NaiveDate>,
    /// The ISO reason code ("AM04"); empty when the bank gave none.
    pub reason: String,
    /// The whole remittance with this message id was rejected.
    pub whole_file_of: Option<String>,
}

/// A credit of a statement that may pay remitted receipts: the receipts it details by
/// EndToEndId, or the remittance it names (a remittance is usually credited in one sum).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Credit {
    pub amount_cents: i64,
    pub date: Option<NaiveDate>,
    pub end_to_end_ids: Vec<String>,
    /// A remittance's message id (`SORIANO-REM-000012`) found in the credit's references.
    pub remittance: Option<String>,
}

/// What a bank file holds for collection: its kind (as `bank_files.kind` stores it), its
/// return lines and its credits.
pub struct Read {
    pub kind: &'static str,
    pub lines: Vec<Line>,
    pub credits: Vec<Credit>,
}

/// The remittance message id (`SORIANO-REM-000012`) inside a bank's text, without the
/// payment block's suffix (`-1`).
fn remittance_in(text: &str) -> Option<String> {
    let start = text.find("SORIANO-REM-")?;
    let digits: String = text[start + "SORIANO-REM-".len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then(|| format!("SORIANO-REM-{digits}"))
}

fn kind_code(kind: &ReturnKind) -> &'static str {
    match kind {
        ReturnKind::Rejection => "rejection",
        ReturnKind::Return => "return",
        ReturnKind::Refund => "refund",
    }
}

/// Reads a bank's file: a pain.002, camt.054 or camt.053 (XML), or a Norma 43 statement.
pub fn read(bytes: &[u8]) -> Result<Read, String> {
    let text_start = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(bytes)
        .iter()
        .find(|b| !b.is_ascii_whitespace());
    if text_start != Some(&b'<') {
        return norma43_read(bytes);
    }
    Ok(match bank_xml::parse(bytes).map_err(|e| e.to_string())? {
        BankFile::Rejections(lines) => Read {
            kind: "pain.002",
            lines: lines.iter().map(from_xml).collect(),
            credits: Vec::new(),
        },
        BankFile::Returns(lines) => Read {
            kind: "camt.054",
            lines: lines.iter().map(from_xml).collect(),
            credits: Vec::new(),
        },
        BankFile::Statement(statement) => {
            let mut lines = Vec::new();
            let mut credits = Vec::new();
            for entry in &statement.entries {
                for detail in entry.details.iter().filter(|d| d.return_reason.is_some()) {
                    lines.push(Line {
                        kind: "return",
                        end_to_end_id: detail.end_to_end_id.clone(),
                        mandate_reference: detail.mandate_id.clone(),
                        amount_cents: detail.amount_cents.or(Some(entry.amount_cents.abs())),
                        date: Some(entry.booking_date),
                        reason: detail.return_reason.clone().unwrap_or_default(),
                        whole_file_of: None,
                    });
                }
                if entry.amount_cents > 0 {
                    let texts = entry
                        .batch_id
                        .iter()
                        .chain(entry.bank_reference.iter())
                        .chain(
                            entry
                                .details
                                .iter()
                                .filter_map(|d| d.remittance_info.as_ref()),
                        );
                    credits.push(Credit {
                        amount_cents: entry.amount_cents,
                        date: Some(entry.booking_date),
                        end_to_end_ids: entry
                            .details
                            .iter()
                            .filter_map(|d| d.end_to_end_id.clone())
                            .filter(|id| end_to_end_in(id).as_deref() == Some(id.as_str()))
                            .collect(),
                        remittance: texts.into_iter().find_map(|t| remittance_in(t)),
                    });
                }
            }
            Read {
                kind: "camt.053",
                lines,
                credits,
            }
        }
    })
}

/// The return entries (concepto común 14) and the credits of a Norma 43 statement: the
/// EndToEndId, the remittance and the reason code are looked for in the movement's
/// references and concept lines, where banks write them.
fn norma43_read(bytes: &[u8]) -> Result<Read, String> {
    let statement = norma43::parse(bytes).map_err(|e| e.to_string())?;
    let mut lines = Vec::new();
    let mut credits = Vec::new();
    for m in statement.accounts.iter().flat_map(|a| a.movements.iter()) {
        let texts: Vec<&str> = [m.reference1.as_str(), m.reference2.as_str()]
            .into_iter()
            .chain(m.concepts.iter().map(String::as_str))
            .collect();
        if m.is_return() {
            lines.push(Line {
                kind: "return",
                end_to_end_id: texts.iter().find_map(|t| end_to_end_in(t)),
                mandate_reference: None,
                amount_cents: Some(m.amount_cents.abs()),
                date: Some(m.operation_date),
                reason: texts.iter().find_map(|t| reason_in(t)).unwrap_or_default(),
                whole_file_of: None,
            });
        } else if m.amount_cents > 0 {
            credits.push(Credit {
                amount_cents: m.amount_cents,
                date: Some(m.value_date),
                end_to_end_ids: texts.iter().filter_map(|t| end_to_end_in(t)).collect(),
                remittance: texts.iter().find_map(|t| remittance_in(t)),
            });
        }
    }
    Ok(Read {
        kind: "norma43",
        lines,
        credits,
    })
}

fn from_xml(line: &bank_xml::ReturnLine) -> Line {
    Line {
        kind: kind_code(&line.kind),
        end_to_end_id: line.end_to_end_id.clone(),
        mandate_reference: line.mandate_id.clone(),
        amount_cents: line.amount_cents,
        date: line.date,
        reason: line.reason.clone(),
        whole_file_of: line
            .whole_file
            .then(|| line.original_message_id.clone())
            .flatten(),
    }
}

/// The EndToEndId Soriano gave a receipt (`SOR<remittance>-<receipt>`) inside a bank's text.
fn end_to_end_in(text: &str) -> Option<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .find(|word| {
            word.strip_prefix("SOR").is_some_and(|rest| {
                let mut parts = rest.split('-');
                matches!(
                    (parts.next(), parts.next(), parts.next()),
                    (Some(a), Some(b), None)
                        if !a.is_empty() && !b.is_empty()
                            && a.bytes().all(|c| c.is_ascii_digit())
                            && b.bytes().all(|c| c.is_ascii_digit())
                )
            })
        })
        .map(str::to_owned)
}

/// A known ISO reason code ("AM04") inside a bank's text.
fn reason_in(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .find(|word| word.len() == 4 && reasons::is_known(word))
        .map(str::to_owned)
}

/// What importing a file did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub file_id: i64,
    /// Remitted receipts a credit of the statement paid.
    pub collected: i32,
    pub returned: i32,
    pub unchanged: i32,
    pub unmatched: i32,
}

impl Imported {
    /// "1 recibo devuelto, 2 líneas por revisar": what the file did, as staff read it.
    pub fn summary(&self) -> String {
        let count =
            |n: i32, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        [
            count(self.collected, "recibo cobrado", "recibos cobrados"),
            count(self.returned, "devuelto", "devueltos"),
            count(self.unchanged, "sin cambios", "sin cambios"),
            count(self.unmatched, "línea por revisar", "líneas por revisar"),
        ]
        .join(", ")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The same file (by its SHA-256) was imported before.
    #[error("already imported")]
    AlreadyImported(i64),
    /// Not a file Soriano can read; the Spanish reason.
    #[error("{0}")]
    Unreadable(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for ImportError {
    fn from(error: diesel::result::Error) -> Self {
        ImportError::Db(error.into())
    }
}

/// Imports the bank's file: every line applied to its receipt or queued for review, the file
/// recorded once, audited. Call inside a transaction.
pub fn import(
    conn: &mut PgConnection,
    by: &Actor,
    filename: &str,
    bytes: &[u8],
    today: NaiveDate,
) -> Result<Imported, ImportError> {
    let sha256 = crate::util::sha256_hex(bytes);
    let known: Option<i64> = bank_files::table
        .filter(bank_files::sha256.eq(&sha256))
        .select(bank_files::id)
        .first(conn)
        .optional()?;
    if let Some(id) = known {
        return Err(ImportError::AlreadyImported(id));
    }
    let Read {
        kind,
        lines,
        credits,
    } = read(bytes).map_err(ImportError::Unreadable)?;
    let file_id: i64 = diesel::insert_into(bank_files::table)
        .values((
            bank_files::kind.eq(kind),
            bank_files::filename.eq(filename.chars().take(200).collect::<String>()),
            bank_files::sha256.eq(&sha256),
            bank_files::line_count.eq((lines.len() + credits.len()) as i32),
            bank_files::returned_count.eq(0),
            bank_files::unchanged_count.eq(0),
            bank_files::unmatched_count.eq(0),
            bank_files::uploaded_by_staff_id.eq(by.staff()),
        ))
        .returning(bank_files::id)
        .get_result(conn)?;
    let (mut returned, mut unchanged, mut unmatched) = (0, 0, 0);
    for (position, line) in lines.iter().enumerate() {
        let targets = receipts_of(conn, line)?;
        if targets.is_empty() {
            diesel::insert_into(bank_return_lines::table)
                .values((
                    bank_return_lines::bank_file_id.eq(file_id),
                    bank_return_lines::position.eq(position as i32 + 1),
                    bank_return_lines::kind.eq(line.kind),
                    bank_return_lines::end_to_end_id.eq(&line.end_to_end_id),
                    bank_return_lines::mandate_reference.eq(&line.mandate_reference),
                    bank_return_lines::amount_cents.eq(line.amount_cents),
                    bank_return_lines::occurred_on.eq(line.date),
                    bank_return_lines::reason.eq(&line.reason),
                ))
                .execute(conn)?;
            unmatched += 1;
            continue;
        }
        for receipt in targets {
            if apply(conn, by, receipt, line, today)? {
                returned += 1;
            } else {
                unchanged += 1;
            }
        }
    }
    let mut collected = 0;
    for (n, credit) in credits.iter().enumerate() {
        match settle(conn, by, credit, today)? {
            Some(count) => collected += count,
            // A credit naming one of our remittances that does not add up: for a person.
            None if credit.remittance.is_some() || !credit.end_to_end_ids.is_empty() => {
                diesel::insert_into(bank_return_lines::table)
                    .values((
                        bank_return_lines::bank_file_id.eq(file_id),
                        bank_return_lines::position.eq((lines.len() + n) as i32 + 1),
                        bank_return_lines::kind.eq("credit"),
                        bank_return_lines::end_to_end_id.eq(credit
                            .remittance
                            .clone()
                            .or_else(|| credit.end_to_end_ids.first().cloned())),
                        bank_return_lines::amount_cents.eq(credit.amount_cents),
                        bank_return_lines::occurred_on.eq(credit.date),
                        bank_return_lines::reason.eq(""),
                    ))
                    .execute(conn)?;
                unmatched += 1;
            }
            None => {}
        }
    }
    diesel::update(bank_files::table.find(file_id))
        .set((
            bank_files::collected_count.eq(collected),
            bank_files::returned_count.eq(returned),
            bank_files::unchanged_count.eq(unchanged),
            bank_files::unmatched_count.eq(unmatched),
        ))
        .execute(conn)?;
    by.record(
        conn,
        Action::BankFileImported,
        target::BANK_FILE,
        file_id,
        json!({
            "fichero": filename,
            "tipo": kind,
            "sha256": sha256,
            "cobrados": collected,
            "devueltos": returned,
            "sin_cambios": unchanged,
            "por_revisar": unmatched,
        }),
    )?;
    Ok(Imported {
        file_id,
        collected,
        returned,
        unchanged,
        unmatched,
    })
}

/// Collects the remitted receipts a credit pays: those it details by EndToEndId, or all the
/// receipts of the remittance it names still waiting when their sum is the credit's. `None`:
/// the credit pays nothing of ours as it stands.
fn settle(
    conn: &mut PgConnection,
    by: &Actor,
    credit: &Credit,
    today: NaiveDate,
) -> Result<Option<i32>, DbError> {
    let waiting: Vec<(i64, i64)> = if !credit.end_to_end_ids.is_empty() {
        receipts::table
            .filter(receipts::end_to_end_id.eq_any(&credit.end_to_end_ids))
            .filter(receipts::status.eq(Status::Remitted.code()))
            .select((receipts::id, receipts::amount_cents))
            .load(conn)?
    } else if let Some(reference) = &credit.remittance {
        receipts::table
            .inner_join(sepa_remittances::table)
            .filter(sepa_remittances::reference.eq(reference))
            .filter(receipts::status.eq(Status::Remitted.code()))
            .select((receipts::id, receipts::amount_cents))
            .load(conn)?
    } else {
        return Ok(None);
    };
    let sum: i64 = waiting.iter().map(|(_, cents)| cents).sum();
    if waiting.is_empty() || sum != credit.amount_cents {
        return Ok(None);
    }
    let on = credit.date.unwrap_or(today).min(today);
    for (id, _) in &waiting {
        collect(conn, by, *id, on)?;
    }
    Ok(Some(waiting.len() as i32))
}

fn collect(conn: &mut PgConnection, by: &Actor, id: i64, on: NaiveDate) -> Result<(), DbError> {
    crate::receipts::collect(
        conn,
        PortfolioScope::All,
        id,
        Ok(crate::receipts::Collect { on }),
        by,
    )
    .map(drop)
    .map_err(|e| match e {
        crate::receipts::ReceiptError::Database(db) => db,
        other => DbError::other(other),
    })
}

/// The receipts a line is about: the one with its EndToEndId, or every receipt still remitted
/// in a remittance rejected whole.
fn receipts_of(conn: &mut PgConnection, line: &Line) -> QueryResult<Vec<i64>> {
    if let Some(message) = &line.whole_file_of {
        let remittance: Option<i64> = sepa_remittances::table
            .filter(sepa_remittances::reference.eq(message))
            .select(sepa_remittances::id)
            .first(conn)
            .optional()?;
        if let Some(remittance) = remittance {
            return receipts::table
                .filter(receipts::remittance_id.eq(remittance))
                .filter(receipts::status.eq(Status::Remitted.code()))
                .order(receipts::id)
                .select(receipts::id)
                .load(conn);
        }
    }
    match &line.end_to_end_id {
        Some(id) => receipts::table
            .filter(receipts::end_to_end_id.eq(id))
            .select(receipts::id)
            .load(conn),
        None => Ok(Vec::new()),
    }
}

/// Returns receipt `id` for `line`. `Ok(false)`: nothing to do (already returned with this
/// code, or in a state a return does not apply to).
fn apply(
    conn: &mut PgConnection,
    by: &Actor,
    id: i64,
    line: &Line,
    today: NaiveDate,
) -> Result<bool, DbError> {
    let (status, code, mandate, customer): (Status, Option<String>, Option<i64>, i64) =
        receipts::table
            .find(id)
            .select((
                receipts::status,
                receipts::return_code,
                receipts::mandate_id,
                receipts::customer_id,
            ))
            .for_update()
            .first(conn)?;
    let reason = reasons::reason(&line.reason);
    if status == Status::Returned && code.as_deref() == Some(reason.code) {
        return Ok(false);
    }
    if !status.returnable() {
        return Ok(false);
    }
    let on = line.date.unwrap_or(today).min(today);
    crate::receipts::return_receipt(
        conn,
        PortfolioScope::All,
        id,
        Ok(GiveBack {
            reason: reason.describe(),
            on,
            code: Some(reason.code.to_owned()),
        }),
        by,
        today,
    )
    .map_err(|e| match e {
        crate::receipts::ReceiptError::Database(db) => db,
        other => DbError::other(other),
    })?;
    if reason.ends_mandate()
        && let Some(mandate) = mandate
    {
        match super::mandates::revoke(conn, by, customer, mandate, today) {
            Ok(()) | Err(diesel::result::Error::NotFound) => {}
            Err(other) => return Err(other.into()),
        }
    }
    // The client hears from the default rule on receipt.returned (its «siguiente paso»
    // follows the reason code).
    Ok(true)
}

/// A line waiting for a person.
#[derive(Debug, Clone, Queryable)]
pub struct PendingLine {
    pub id: i64,
    pub filename: String,
    pub kind: String,
    pub end_to_end_id: Option<String>,
    pub mandate_reference: Option<String>,
    pub amount_cents: Option<i64>,
    pub occurred_on: Option<NaiveDate>,
    pub reason: String,
}

impl PendingLine {
    pub fn reason_text(&self) -> String {
        if self.kind == "credit" {
            "Abono que no cuadra con la remesa: diga qué recibo paga".to_owned()
        } else if self.reason.is_empty() {
            "Sin motivo".to_owned()
        } else {
            let reason = reasons::reason(&self.reason);
            format!("{} · {}", self.reason, reason.text)
        }
    }

    pub fn when(&self) -> String {
        self.occurred_on.map(date).unwrap_or_default()
    }

    pub fn amount(&self) -> String {
        self.amount_cents.map(format_cents).unwrap_or_default()
    }
}

/// The review queue, oldest first (at most 200).
pub fn pending(conn: &mut PgConnection) -> QueryResult<Vec<PendingLine>> {
    bank_return_lines::table
        .inner_join(bank_files::table)
        .filter(bank_return_lines::status.eq("pending"))
        .order(bank_return_lines::id)
        .select((
            bank_return_lines::id,
            bank_files::filename,
            bank_return_lines::kind,
            bank_return_lines::end_to_end_id,
            bank_return_lines::mandate_reference,
            bank_return_lines::amount_cents,
            bank_return_lines::occurred_on,
            bank_return_lines::reason,
        ))
        .limit(200)
        .load(conn)
}

/// A file read, as the history lists it.
#[derive(Debug, Clone, Queryable)]
pub struct FileRow {
    pub id: i64,
    pub kind: String,
    pub filename: String,
    pub line_count: i32,
    pub collected_count: i32,
    pub returned_count: i32,
    pub unchanged_count: i32,
    pub unmatched_count: i32,
    pub uploaded_at: chrono::DateTime<chrono::Utc>,
}

/// The last files read (20).
pub fn files(conn: &mut PgConnection) -> QueryResult<Vec<FileRow>> {
    bank_files::table
        .order((bank_files::uploaded_at.desc(), bank_files::id.desc()))
        .select((
            bank_files::id,
            bank_files::kind,
            bank_files::filename,
            bank_files::line_count,
            bank_files::collected_count,
            bank_files::returned_count,
            bank_files::unchanged_count,
            bank_files::unmatched_count,
            bank_files::uploaded_at,
        ))
        .limit(20)
        .load(conn)
}

/// Matches a queued line to the receipt numbered `number` by hand and returns it. `Ok(Err)`:
/// the field's message. `NotFound`: no such pending line.
pub fn assign(
    conn: &mut PgConnection,
    by: &Actor,
    line_id: i64,
    number: &str,
    today: NaiveDate,
) -> Result<Result<(), FieldErrors>, DbError> {
    type Queued = (
        String,
        Option<String>,
        Option<i64>,
        Option<NaiveDate>,
        String,
    );
    let (kind, end_to_end_id, amount_cents, date, reason): Queued = bank_return_lines::table
        .filter(bank_return_lines::id.eq(line_id))
        .filter(bank_return_lines::status.eq("pending"))
        .select((
            bank_return_lines::kind,
            bank_return_lines::end_to_end_id,
            bank_return_lines::amount_cents,
            bank_return_lines::occurred_on,
            bank_return_lines::reason,
        ))
        .for_update()
        .first(conn)?;
    let mut errors = FieldErrors::new();
    let receipt: Option<(i64, Status)> = receipts::table
        .filter(receipts::number.eq(number.trim()))
        .select((receipts::id, receipts::status))
        .first(conn)
        .optional()?;
    let Some((receipt, status)) = receipt else {
        errors.add("recibo", "No hay ningún recibo con ese número.");
        return Ok(Err(errors));
    };
    if kind == "credit" {
        // A credit that did not add up: the person says which receipt it paid.
        if status != Status::Remitted {
            errors.add(
                "recibo",
                format!(
                    "Ese recibo está {}: un abono solo se asigna a un recibo remesado.",
                    status.label().to_lowercase()
                ),
            );
            return Ok(Err(errors));
        }
        collect(conn, by, receipt, date.unwrap_or(today).min(today))?;
    } else if !status.returnable() {
        errors.add(
            "recibo",
            format!(
                "Ese recibo está {}: no se puede devolver.",
                status.label().to_lowercase()
            ),
        );
        return Ok(Err(errors));
    }
    let line = Line {
        kind: match kind.as_str() {
            "rejection" => "rejection",
            "refund" => "refund",
            _ => "return",
        },
        end_to_end_id,
        mandate_reference: None,
        amount_cents,
        date,
        reason,
        whole_file_of: None,
    };
    if kind != "credit" {
        apply(conn, by, receipt, &line, today)?;
    }
    diesel::update(bank_return_lines::table.find(line_id))
        .set((
            bank_return_lines::status.eq("matched"),
            bank_return_lines::receipt_id.eq(receipt),
            bank_return_lines::resolved_at.eq(diesel::dsl::now),
            bank_return_lines::resolved_by_staff_id.eq(by.staff()),
        ))
        .execute(conn)?;
    Ok(Ok(()))
}

/// Takes a queued line out of the queue (not about a receipt of ours). `NotFound` when it is
/// not pending.
pub fn dismiss(conn: &mut PgConnection, by: &Actor, line_id: i64) -> QueryResult<()> {
    let updated = diesel::update(
        bank_return_lines::table
            .filter(bank_return_lines::id.eq(line_id))
            .filter(bank_return_lines::status.eq("pending")),
    )
    .set((
        bank_return_lines::status.eq("dismissed"),
        bank_return_lines::resolved_at.eq(diesel::dsl::now),
        bank_return_lines::resolved_by_staff_id.eq(by.staff()),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(diesel::result::Error::NotFound);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soriano_references_are_found_in_a_banks_text() {
        assert_eq!(
            end_to_end_in("DEVOL. SOR12-3456 RECIBO").as_deref(),
            Some("SOR12-3456")
        );
        assert_eq!(end_to_end_in("SORIANO-REM-000012"), None);
        assert_eq!(end_to_end_in("SOR12-"), None);
        assert_eq!(reason_in("MOTIVO AM04 FONDOS").as_deref(), Some("AM04"));
        assert_eq!(reason_in("MOTIVO XX99"), None);
        assert_eq!(
            remittance_in("ABONO REMESA SORIANO-REM-000012-1").as_deref(),
            Some("SORIANO-REM-000012")
        );
        assert_eq!(remittance_in("SORIANO-REM-"), None);
    }
}
