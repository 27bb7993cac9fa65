//! The bank's ISO 20022 answers to a direct-debit remittance, read into what Soriano needs to
//! settle its receipts: the payment status report (pain.002) with the debits rejected before
//! settlement, the debit/credit notification (camt.054) with the returns and refunds after it,
//! and the account statement (camt.053) to reconcile the account against.
//!
//! The message is recognised by the namespace of its root element, never by the file name. The
//! versions read are the two a Spanish bank sends since the EPC moved to the 2019 messages in
//! March 2024 and the one before it: pain.002.001.10 and .001.03, camt.05x.001.08 and .001.02.
//! Elements this module does not use are skipped, and so is anything in another namespace (a
//! bank's own extensions under `SplmtryData`), so the extra data banks add does not get in the
//! way.

use chrono::NaiveDate;
use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use thiserror::Error;

/// What a bank file says, by message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BankFile {
    /// pain.002: debits the bank refused before settlement.
    Rejections(Vec<ReturnLine>),
    /// camt.054: debits returned or refunded after settlement.
    Returns(Vec<ReturnLine>),
    /// camt.053: the account statement.
    Statement(Statement),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReturnKind {
    /// Refused before settlement (pain.002): no money moved.
    Rejection,
    /// Returned by the debtor's bank after settlement (AM04 no funds, AC04 account closed…).
    Return,
    /// Refunded at the debtor's request (MD06), up to 8 weeks after the debit.
    Refund,
}

/// One debit that did not end up collected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnLine {
    pub kind: ReturnKind,
    /// MsgId of the remittance the debit went in, when the bank gives it (always in a pain.002;
    /// in a camt.054 it is whatever the bank reports as the message reference).
    pub original_message_id: Option<String>,
    /// The debit's EndToEndId as sent (e.g. `SOR12-3456`); `None` for a whole-file rejection
    /// and when the bank gives none.
    pub end_to_end_id: Option<String>,
    pub mandate_id: Option<String>,
    /// The debit's amount, always positive. For a whole-file rejection, the file's control sum.
    pub amount_cents: Option<i64>,
    /// Requested collection date for a rejection; booking date (or else value date) for a
    /// return or refund.
    pub date: Option<NaiveDate>,
    /// ISO reason code, e.g. `AM04`; a bank's proprietary code when it gives no ISO one; empty
    /// when it gives none.
    pub reason: String,
    /// The bank rejected the whole file: every debit of `original_message_id` is rejected.
    pub whole_file: bool,
}

/// A camt.053 account statement. Only booked entries are kept, so that the opening balance plus
/// the entries gives the closing balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub id: String,
    pub iban: String,
    /// Opening booked balance (OPBD, or PRCD when the bank reports that instead), negative when
    /// overdrawn.
    pub opening_cents: Option<i64>,
    /// Closing booked balance (CLBD), negative when overdrawn.
    pub closing_cents: Option<i64>,
    pub entries: Vec<Entry>,
}

/// One booked movement of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Negative for a debit.
    pub amount_cents: i64,
    pub booking_date: NaiveDate,
    pub value_date: Option<NaiveDate>,
    /// The bank's own reference for the movement (AcctSvcrRef).
    pub bank_reference: Option<String>,
    /// For a movement that groups several transactions (the credit of a whole remittance), how
    /// many, as the bank reports it.
    pub batch_count: Option<u32>,
    /// The grouped payment block's PmtInfId (e.g. `SORIANO-REM-000012-1`), or else its MsgId.
    pub batch_id: Option<String>,
    /// The transactions inside the movement, when the bank details them.
    pub details: Vec<EntryDetail>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryDetail {
    pub end_to_end_id: Option<String>,
    pub mandate_id: Option<String>,
    /// The transaction's amount as the bank gives it, always positive: the entry's sign says
    /// which way the money went.
    pub amount_cents: Option<i64>,
    /// The unstructured remittance lines, joined by a space.
    pub remittance_info: Option<String>,
    /// The return reason (ISO code, or the bank's own) when the transaction is a return.
    pub return_reason: Option<String>,
}

/// Why a bank file cannot be read. Shown to the user as is.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BankXmlError {
    #[error(
        "El fichero no es una respuesta del banco que Soriano sepa leer (pain.002, camt.053 o camt.054)."
    )]
    NotBankFile,
    #[error(
        "El fichero es una remesa de adeudos (pain.008), la que se envía al banco, no su respuesta: suba el fichero de rechazos, devoluciones o el extracto que devuelve el banco."
    )]
    OwnRemittance,
    #[error(
        "El fichero es un {message}, una versión que Soriano no sabe leer: pida al banco pain.002.001.10 o .001.03, camt.053 o camt.054 .001.08 o .001.02."
    )]
    UnsupportedVersion { message: String },
    #[error(
        "El fichero no está en UTF-8, la codificación que exige la norma ISO 20022 (línea {line}, columna {column})."
    )]
    NotUtf8 { line: usize, column: usize },
    #[error("El fichero no es un XML válido: hay un error en la línea {line}, columna {column}.")]
    Malformed { line: usize, column: usize },
    #[error(
        "El fichero está incompleto: se corta en la línea {line}, dentro de <{element}>. Descárguelo de nuevo del banco."
    )]
    Truncated { line: usize, element: String },
    #[error("Al fichero le falta {what}.")]
    Missing { what: &'static str },
    #[error("El importe «{value}» no es válido.")]
    InvalidAmount { value: String },
    #[error(
        "El importe «{value}» tiene más de dos decimales: un importe en euros llega a céntimos."
    )]
    TooManyDecimals { value: String },
    #[error("El importe {value} {currency} no está en euros: Soriano solo trabaja con euros.")]
    NotEuro { value: String, currency: String },
    #[error("La cuenta del fichero está en {currency}: Soriano solo trabaja con cuentas en euros.")]
    AccountNotEuro { currency: String },
    #[error("La fecha «{value}» no es válida.")]
    InvalidDate { value: String },
    #[error("El valor «{value}» de {what} no es válido.")]
    InvalidValue { what: &'static str, value: String },
    #[error(
        "El fichero trae {count} extractos y Soriano los lee de uno en uno: pida al banco un fichero por cuenta y día."
    )]
    SeveralStatements { count: usize },
    #[error(
        "El banco rechaza entero el bloque de adeudos {payment_info_id} sin decir qué adeudos incluía: consulte con el banco qué recibos se rechazaron."
    )]
    BlockRejected { payment_info_id: String },
}

/// Reads a file the bank sent back after a remittance.
pub fn parse(bytes: &[u8]) -> Result<BankFile, BankXmlError> {
    let (message, document) = read_document(bytes)?;
    match message {
        Message::StatusReport => rejections(&document).map(BankFile::Rejections),
        Message::Notification => returns(&document).map(BankFile::Returns),
        Message::Statement => statement(&document).map(BankFile::Statement),
    }
}

const ISO_NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:";
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
/// ISO 20022 messages nest about fifteen levels; a deeper file is not one of them, and the limit
/// keeps a hostile file from exhausting the stack when the tree is dropped.
const MAX_DEPTH: usize = 64;
/// What the EPC has a bank write when the originator gave no EndToEndId.
const NOT_PROVIDED: &str = "NOTPROVIDED";
const REJECTED: &str = "RJCT";
const EURO: &str = "EUR";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Message {
    StatusReport,
    Notification,
    Statement,
}

/// The message a root namespace stands for, or why it is refused.
fn identify(namespace: &str) -> Result<Message, BankXmlError> {
    let Some(name) = namespace.strip_prefix(ISO_NAMESPACE) else {
        return Err(BankXmlError::NotBankFile);
    };
    match name {
        "pain.002.001.03" | "pain.002.001.10" => Ok(Message::StatusReport),
        "camt.054.001.02" | "camt.054.001.08" => Ok(Message::Notification),
        "camt.053.001.02" | "camt.053.001.08" => Ok(Message::Statement),
        _ if name.starts_with("pain.008.") => Err(BankXmlError::OwnRemittance),
        _ if ["pain.002.", "camt.053.", "camt.054."]
            .iter()
            .any(|family| name.starts_with(family)) =>
        {
            Err(BankXmlError::UnsupportedVersion {
                message: name.chars().take(32).collect(),
            })
        }
        _ => Err(BankXmlError::NotBankFile),
    }
}

// ---------------------------------------------------------------------------------------------
// The document as a small tree.
//
// Bank answers are small (a statement of a busy month is a few megabytes), and the fields needed
// sit at different depths of each message, so the pull reader builds a tree of the elements in
// the message's namespace and the readers below look things up by path.

#[derive(Debug, Default)]
struct Element {
    /// Local name: the prefix, if the bank uses one, says nothing once the namespace is checked.
    name: String,
    /// The `Ccy` attribute, the only attribute these messages carry that matters here.
    currency: Option<String>,
    text: String,
    children: Vec<Element>,
}

impl Element {
    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|child| child.name == name)
    }

    fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |child| child.name == name)
    }

    /// The first element along `path`.
    fn find(&self, path: &[&str]) -> Option<&Element> {
        path.iter()
            .try_fold(self, |element, name| element.child(name))
    }

    /// Every element along `path`, where each step may match several children.
    fn find_all<'a>(&'a self, path: &[&'a str]) -> Vec<&'a Element> {
        let mut found = vec![self];
        for &name in path {
            found = found
                .into_iter()
                .flat_map(|element| element.children(name))
                .collect();
        }
        found
    }

    /// The text, without surrounding white space; `None` when there is none.
    fn text(&self) -> Option<&str> {
        let text = self.text.trim();
        (!text.is_empty()).then_some(text)
    }

    fn text_at(&self, path: &[&str]) -> Option<&str> {
        self.find(path)?.text()
    }

    fn string_at(&self, path: &[&str]) -> Option<String> {
        self.text_at(path).map(str::to_owned)
    }
}

/// Builds the tree of the message's elements as the reader goes.
struct TreeBuilder {
    namespace: Option<String>,
    message: Option<Message>,
    /// The elements open in the message's namespace, root first.
    open: Vec<Element>,
    /// Local names of every open element, for the message about a cut file.
    names: Vec<String>,
    /// How deep the reader is inside an element of another namespace, whose content is skipped.
    foreign_depth: usize,
    root: Option<Element>,
}

/// Why reading stopped, before it becomes an error with a line and column for the user.
enum Stop {
    NotBankFile,
    Malformed,
    Refused(BankXmlError),
    Reader(quick_xml::Error),
}

impl TreeBuilder {
    fn start(&mut self, namespace: ResolveResult<'_>, start: &BytesStart<'_>) -> Result<(), Stop> {
        if self.root.is_some() {
            // A second root element: not well-formed XML.
            return Err(Stop::Malformed);
        }
        if self.names.len() >= MAX_DEPTH {
            return Err(Stop::NotBankFile);
        }
        let local = start.local_name();
        let local: &str = local.as_ref();
        self.names.push(local.to_owned());
        let namespace = match namespace {
            ResolveResult::Bound(namespace) => Some(namespace.0),
            ResolveResult::Unbound => None,
            ResolveResult::Unknown(_) => return Err(Stop::Malformed),
        };
        let Some(expected) = self.namespace.as_deref() else {
            // The root element: it says which message this is.
            let namespace = namespace.ok_or(Stop::NotBankFile)?;
            let message = identify(namespace).map_err(Stop::Refused)?;
            if local != "Document" {
                return Err(Stop::NotBankFile);
            }
            self.namespace = Some(namespace.to_owned());
            self.message = Some(message);
            self.open.push(new_element(local, start)?);
            return Ok(());
        };
        if self.foreign_depth > 0 || namespace != Some(expected) {
            self.foreign_depth += 1;
        } else {
            self.open.push(new_element(local, start)?);
        }
        Ok(())
    }

    fn end(&mut self) {
        self.names.pop();
        if self.foreign_depth > 0 {
            self.foreign_depth -= 1;
            return;
        }
        let Some(done) = self.open.pop() else {
            return;
        };
        match self.open.last_mut() {
            Some(parent) => parent.children.push(done),
            None => self.root = Some(done),
        }
    }

    fn text(&mut self, text: &str) -> Result<(), Stop> {
        if self.foreign_depth > 0 {
            return Ok(());
        }
        match self.open.last_mut() {
            Some(element) => element.text.push_str(text),
            // Only white space may stand outside the root element.
            None if text.trim().is_empty() => {}
            None if self.root.is_some() => return Err(Stop::Malformed),
            None => return Err(Stop::NotBankFile),
        }
        Ok(())
    }
}

fn new_element(local: &str, start: &BytesStart<'_>) -> Result<Element, Stop> {
    let mut currency = None;
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|_| Stop::Malformed)?;
        let key: &str = attribute.key.as_ref();
        if key == "Ccy" {
            let value = attribute
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|_| Stop::Malformed)?;
            currency = Some(value.trim().to_owned());
        }
    }
    Ok(Element {
        name: local.to_owned(),
        currency,
        ..Element::default()
    })
}

/// Reads the whole document into a tree, checking the message on the way in.
fn read_document(bytes: &[u8]) -> Result<(Message, Element), BankXmlError> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        // UTF-16, which ISO 20022 does not allow.
        return Err(BankXmlError::NotUtf8 { line: 1, column: 1 });
    }
    // Some Windows tools write a byte order mark before the declaration; it is not content.
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let mut reader = NsReader::from_reader(bytes);
    let mut tree = TreeBuilder {
        namespace: None,
        message: None,
        open: Vec::new(),
        names: Vec::new(),
        foreign_depth: 0,
        root: None,
    };
    loop {
        // The event borrows the reader, so positions are asked for once it is gone.
        let step = match reader.read_resolved_event() {
            Ok((namespace, Event::Start(start))) => tree.start(namespace, &start),
            Ok((namespace, Event::Empty(start))) => {
                tree.start(namespace, &start).map(|()| tree.end())
            }
            Ok((_, Event::End(_))) => {
                tree.end();
                Ok(())
            }
            Ok((_, Event::Text(text))) => tree.text(&text.xml10_content()),
            Ok((_, Event::CData(data))) => tree.text(&data.xml10_content()),
            Ok((_, Event::GeneralRef(reference))) => match resolve_reference(&reference) {
                Some(resolved) => tree.text(&resolved),
                None => Err(Stop::Malformed),
            },
            Ok((_, Event::Eof)) => break,
            // Declaration, comments, processing instructions, DOCTYPE: nothing to read.
            Ok(_) => Ok(()),
            Err(error) => Err(Stop::Reader(error)),
        };
        if let Err(stop) = step {
            let position = match stop {
                Stop::Reader(_) => reader.error_position(),
                _ => reader.buffer_position(),
            };
            return Err(stopped(bytes, position, stop, &tree));
        }
    }
    if let Some(open) = tree.names.last() {
        // The root element is open, so the message was recognised: the file was cut.
        let (line, _) = line_and_column(bytes, bytes.len() as u64);
        return Err(BankXmlError::Truncated {
            line,
            element: open.clone(),
        });
    }
    match (tree.message, tree.root) {
        (Some(message), Some(root)) => Ok((message, root)),
        _ => Err(BankXmlError::NotBankFile),
    }
}

/// The text an entity or character reference stands for; `None` for an entity XML does not
/// define (these messages never declare their own).
fn resolve_reference(reference: &str) -> Option<String> {
    if let Some(number) = reference.strip_prefix('#') {
        let code = match number.strip_prefix('x') {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        return char::from_u32(code)
            .filter(|&c| c != '\0')
            .map(String::from);
    }
    resolve_predefined_entity(reference).map(str::to_owned)
}

fn stopped(bytes: &[u8], position: u64, stop: Stop, tree: &TreeBuilder) -> BankXmlError {
    match stop {
        Stop::Refused(error) => error,
        // Before the root element there is nothing to say the file was ever a bank's.
        Stop::NotBankFile => BankXmlError::NotBankFile,
        Stop::Malformed if tree.message.is_none() => BankXmlError::NotBankFile,
        Stop::Malformed => {
            let (line, column) = line_and_column(bytes, position);
            BankXmlError::Malformed { line, column }
        }
        Stop::Reader(error) => reader_error(bytes, position, &error, tree),
    }
}

fn reader_error(
    bytes: &[u8],
    position: u64,
    error: &quick_xml::Error,
    tree: &TreeBuilder,
) -> BankXmlError {
    use quick_xml::errors::SyntaxError;

    let (line, column) = line_and_column(bytes, position);
    match error {
        // Before the root element there is nothing to say the file was ever a bank's (a PDF,
        // a spreadsheet).
        _ if tree.message.is_none() => BankXmlError::NotBankFile,
        quick_xml::Error::Encoding(_) => {
            // The reader does not say where; the first byte that is not UTF-8 is where.
            let at = std::str::from_utf8(bytes)
                .err()
                .map_or(position, |error| error.valid_up_to() as u64);
            let (line, column) = line_and_column(bytes, at);
            BankXmlError::NotUtf8 { line, column }
        }
        // A tag, comment or section left open at the end of the file: the file was cut.
        quick_xml::Error::Syntax(
            SyntaxError::UnclosedTag
            | SyntaxError::UnclosedComment
            | SyntaxError::UnclosedCData
            | SyntaxError::UnclosedPI
            | SyntaxError::UnclosedDoctype
            | SyntaxError::UnclosedXmlDecl
            | SyntaxError::UnclosedSingleQuotedAttributeValue
            | SyntaxError::UnclosedDoubleQuotedAttributeValue,
        ) => {
            let (line, _) = line_and_column(bytes, bytes.len() as u64);
            BankXmlError::Truncated {
                line,
                element: tree.names.last().cloned().unwrap_or_default(),
            }
        }
        _ => BankXmlError::Malformed { line, column },
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_and_column(bytes: &[u8], position: u64) -> (usize, usize) {
    let end = usize::try_from(position)
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    let before = &bytes[..end];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |newline| newline + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

// ---------------------------------------------------------------------------------------------
// Values.

/// Cents from an ISO decimal amount (`123.4`, `1200`, `87.09`), exactly: no floating point.
/// Trailing zeros past the cents are accepted (`12.300` is valid XML for 12,30); any other
/// third decimal is refused, as euros have no fractions of a cent.
fn cents(text: &str) -> Result<i64, BankXmlError> {
    let value = text.trim();
    let invalid = || BankXmlError::InvalidAmount {
        value: value.to_owned(),
    };
    let (units, fraction) = value.split_once('.').unwrap_or((value, ""));
    let digits_only = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if (units.is_empty() && fraction.is_empty()) || !digits_only(units) || !digits_only(fraction) {
        return Err(invalid());
    }
    if fraction.trim_end_matches('0').len() > 2 {
        return Err(BankXmlError::TooManyDecimals {
            value: value.to_owned(),
        });
    }
    let cent_digits = fraction.bytes().chain(std::iter::repeat(b'0')).take(2);
    units
        .bytes()
        .chain(cent_digits)
        .try_fold(0_i64, |total, digit| {
            total
                .checked_mul(10)
                .and_then(|total| total.checked_add(i64::from(digit - b'0')))
                .ok_or_else(invalid)
        })
}

/// The cents of an amount element, refusing any currency but the euro.
fn amount(element: &Element) -> Result<i64, BankXmlError> {
    let value = element.text().unwrap_or_default();
    if let Some(currency) = &element.currency
        && currency != EURO
    {
        return Err(BankXmlError::NotEuro {
            value: value.to_owned(),
            currency: currency.clone(),
        });
    }
    cents(value)
}

/// The calendar day of an ISO date or date-time. A zone or a time after it is dropped rather
/// than converted: the day as the bank wrote it is the day it booked.
fn date(text: &str) -> Result<NaiveDate, BankXmlError> {
    let value = text.trim();
    let day = value
        .get(..10)
        .filter(|_| value.len() == 10 || matches!(value.as_bytes()[10], b'T' | b'Z' | b'+' | b'-'));
    day.and_then(|day| NaiveDate::parse_from_str(day, "%Y-%m-%d").ok())
        .ok_or_else(|| BankXmlError::InvalidDate {
            value: value.to_owned(),
        })
}

/// A date that is either a choice of `<Dt>` and `<DtTm>` (booking and value dates, balance
/// dates) or a bare date (`ReqdColltnDt`).
fn date_of(element: &Element) -> Result<Option<NaiveDate>, BankXmlError> {
    element
        .text_at(&["Dt"])
        .or_else(|| element.text_at(&["DtTm"]))
        .or_else(|| element.text())
        .map(date)
        .transpose()
}

fn date_at(parent: &Element, name: &str) -> Result<Option<NaiveDate>, BankXmlError> {
    Ok(match parent.child(name) {
        Some(element) => date_of(element)?,
        None => None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Credit,
    Debit,
}

impl Direction {
    /// The `CdtDbtInd` child of `parent`, if it has one.
    fn of(parent: &Element) -> Result<Option<Direction>, BankXmlError> {
        match parent.text_at(&["CdtDbtInd"]) {
            None => Ok(None),
            Some("CRDT") => Ok(Some(Direction::Credit)),
            Some("DBIT") => Ok(Some(Direction::Debit)),
            Some(other) => Err(BankXmlError::InvalidValue {
                what: "el indicador de abono o cargo (CdtDbtInd)",
                value: other.to_owned(),
            }),
        }
    }

    fn signed(self, cents: i64) -> i64 {
        match self {
            Direction::Credit => cents,
            Direction::Debit => -cents,
        }
    }
}

/// An `Amt` and its `CdtDbtInd`, both required (entries, balances): the direction and the
/// signed cents.
fn signed_amount(
    parent: &Element,
    missing: &'static str,
) -> Result<(Direction, i64), BankXmlError> {
    let amount_element = parent
        .child("Amt")
        .ok_or(BankXmlError::Missing { what: missing })?;
    let cents = amount(amount_element)?;
    let direction = Direction::of(parent)?.ok_or(BankXmlError::Missing {
        what: "el indicador de abono o cargo de un importe (CdtDbtInd)",
    })?;
    Ok((direction, direction.signed(cents)))
}

/// A reason given as `<Cd>` (ISO) or `<Prtry>` (the bank's own).
fn reason_code(reason: &Element) -> Option<String> {
    reason
        .text_at(&["Cd"])
        .or_else(|| reason.text_at(&["Prtry"]))
        .map(str::to_owned)
}

/// The first reason among the `StsRsnInf` of a pain.002 level.
fn status_reason(level: &Element) -> Option<String> {
    level
        .children("StsRsnInf")
        .find_map(|info| reason_code(info.child("Rsn")?))
}

/// An EndToEndId, or `None` when the bank says there was none.
fn end_to_end_id(text: Option<&str>) -> Option<String> {
    text.filter(|id| *id != NOT_PROVIDED).map(str::to_owned)
}

fn check_account_currency(account: &Element) -> Result<(), BankXmlError> {
    match account.text_at(&["Ccy"]) {
        Some(currency) if currency != EURO => Err(BankXmlError::AccountNotEuro {
            currency: currency.to_owned(),
        }),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// pain.002: the payment status report.

/// The rejected debits of a status report. A status left out at one level is the one of the
/// level above (transaction, then payment block, then file), and so is a reason.
fn rejections(document: &Element) -> Result<Vec<ReturnLine>, BankXmlError> {
    let report = document
        .child("CstmrPmtStsRpt")
        .ok_or(BankXmlError::Missing {
            what: "el informe de estado de la remesa (CstmrPmtStsRpt)",
        })?;
    let group = report
        .child("OrgnlGrpInfAndSts")
        .ok_or(BankXmlError::Missing {
            what: "la referencia de la remesa original (OrgnlGrpInfAndSts)",
        })?;
    let message_id = group.string_at(&["OrgnlMsgId"]);
    let group_status = group.text_at(&["GrpSts"]);
    let group_reason = status_reason(group);
    let blocks: Vec<&Element> = report.children("OrgnlPmtInfAndSts").collect();
    let any_listed = blocks
        .iter()
        .any(|block| block.child("TxInfAndSts").is_some());

    if group_status == Some(REJECTED) && !any_listed {
        // The bank refused the file as such (format, creditor identifier, duplicate MsgId…)
        // and lists no debit: every debit in it is rejected for the file's reason.
        let amount_cents = match group.child("OrgnlCtrlSum") {
            Some(sum) => Some(amount(sum)?),
            None => None,
        };
        return Ok(vec![ReturnLine {
            kind: ReturnKind::Rejection,
            original_message_id: message_id,
            end_to_end_id: None,
            mandate_id: None,
            amount_cents,
            date: None,
            reason: group_reason.unwrap_or_default(),
            whole_file: true,
        }]);
    }

    let mut lines = Vec::new();
    for block in blocks {
        let block_status = block.text_at(&["PmtInfSts"]).or(group_status);
        let block_reason = status_reason(block).or_else(|| group_reason.clone());
        let mut transactions = block.children("TxInfAndSts").peekable();
        if transactions.peek().is_none() {
            if block_status == Some(REJECTED) {
                // The lines carry no payment block, so which receipts these were cannot be
                // said; better to stop than to leave them as collected.
                return Err(BankXmlError::BlockRejected {
                    payment_info_id: block.string_at(&["OrgnlPmtInfId"]).unwrap_or_default(),
                });
            }
            continue;
        }
        for transaction in transactions {
            if transaction.text_at(&["TxSts"]).or(block_status) != Some(REJECTED) {
                continue;
            }
            lines.push(rejected_transaction(
                transaction,
                message_id.as_deref(),
                block_reason.as_deref(),
            )?);
        }
    }
    Ok(lines)
}

fn rejected_transaction(
    transaction: &Element,
    message_id: Option<&str>,
    block_reason: Option<&str>,
) -> Result<ReturnLine, BankXmlError> {
    let original = transaction.child("OrgnlTxRef");
    let amount_element = original.and_then(|original| {
        original
            .find(&["Amt", "InstdAmt"])
            .or_else(|| original.child("IntrBkSttlmAmt"))
    });
    let amount_cents = match amount_element {
        Some(element) => Some(amount(element)?),
        None => None,
    };
    let date = match original {
        Some(original) => date_at(original, "ReqdColltnDt")?,
        None => None,
    };
    Ok(ReturnLine {
        kind: ReturnKind::Rejection,
        original_message_id: message_id.map(str::to_owned),
        end_to_end_id: end_to_end_id(transaction.text_at(&["OrgnlEndToEndId"])),
        mandate_id: original.and_then(|original| original.string_at(&["MndtRltdInf", "MndtId"])),
        amount_cents,
        date,
        reason: status_reason(transaction)
            .or_else(|| block_reason.map(str::to_owned))
            .unwrap_or_default(),
        whole_file: false,
    })
}

// ---------------------------------------------------------------------------------------------
// Entries, as camt.053 and camt.054 share them.

/// The bank transaction code's domain, family and sub-family (e.g. PMNT / IDDT / UPDD).
#[derive(Debug, Clone, PartialEq, Eq)]
struct TransactionCode {
    domain: String,
    family: String,
    sub_family: String,
}

impl TransactionCode {
    fn of(parent: &Element) -> Option<TransactionCode> {
        let domain = parent.find(&["BkTxCd", "Domn"])?;
        Some(TransactionCode {
            domain: domain.string_at(&["Cd"])?,
            family: domain.string_at(&["Fmly", "Cd"])?,
            sub_family: domain.string_at(&["Fmly", "SubFmlyCd"])?,
        })
    }

    /// A direct debit coming back: UPDD (returned or unpaid) or PRDD (refunded), in the family
    /// of issued direct debits (IDDT, the creditor's side) or received ones (RDDT, which some
    /// banks use on both sides).
    fn is_direct_debit_return(&self) -> bool {
        self.domain == "PMNT"
            && matches!(self.family.as_str(), "IDDT" | "RDDT")
            && matches!(self.sub_family.as_str(), "UPDD" | "PRDD")
    }

    fn is_refund(&self) -> bool {
        self.is_direct_debit_return() && self.sub_family == "PRDD"
    }
}

/// An `Ntry` with everything either message needs from it.
struct ParsedEntry {
    /// Signed: negative for a debit.
    amount_cents: i64,
    direction: Direction,
    reversal: bool,
    booked: bool,
    booking_date: Option<NaiveDate>,
    value_date: Option<NaiveDate>,
    bank_reference: Option<String>,
    code: Option<TransactionCode>,
    batch_count: Option<u32>,
    batch_payment_id: Option<String>,
    batch_message_id: Option<String>,
    details: Vec<ParsedDetail>,
}

struct ParsedDetail {
    message_id: Option<String>,
    end_to_end_id: Option<String>,
    mandate_id: Option<String>,
    /// Positive, as the bank gives it.
    amount_cents: Option<i64>,
    remittance_info: Option<String>,
    return_reason: Option<String>,
    has_return_info: bool,
    code: Option<TransactionCode>,
}

fn parse_entry(entry: &Element) -> Result<ParsedEntry, BankXmlError> {
    let (direction, amount_cents) = signed_amount(entry, "el importe de un apunte (Ntry/Amt)")?;
    // Status is a bare code in .001.02 (`<Sts>BOOK</Sts>`) and a choice in .001.08.
    let status = entry.child("Sts").and_then(|status| {
        status
            .text_at(&["Cd"])
            .or_else(|| status.text_at(&["Prtry"]))
            .or_else(|| status.text())
    });
    let reversal = matches!(entry.text_at(&["RvslInd"]), Some("true" | "1"));
    let batch = entry
        .children("NtryDtls")
        .find_map(|details| details.child("Btch"));
    let batch_count = match batch.and_then(|batch| batch.text_at(&["NbOfTxs"])) {
        Some(count) => Some(count.parse().map_err(|_| BankXmlError::InvalidValue {
            what: "el número de operaciones de un apunte agrupado (NbOfTxs)",
            value: count.to_owned(),
        })?),
        None => None,
    };
    let details = entry
        .find_all(&["NtryDtls", "TxDtls"])
        .into_iter()
        .map(parse_detail)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ParsedEntry {
        amount_cents,
        direction,
        reversal,
        booked: status.is_none_or(|status| status == "BOOK"),
        booking_date: date_at(entry, "BookgDt")?,
        value_date: date_at(entry, "ValDt")?,
        bank_reference: entry.string_at(&["AcctSvcrRef"]),
        code: TransactionCode::of(entry),
        batch_count,
        batch_payment_id: batch.and_then(|batch| batch.string_at(&["PmtInfId"])),
        batch_message_id: batch.and_then(|batch| batch.string_at(&["MsgId"])),
        details,
    })
}

fn parse_detail(transaction: &Element) -> Result<ParsedDetail, BankXmlError> {
    let remittance: Vec<&str> = transaction
        .find_all(&["RmtInf", "Ustrd"])
        .into_iter()
        .filter_map(Element::text)
        .collect();
    let return_info = transaction.child("RtrInf");
    Ok(ParsedDetail {
        message_id: transaction.string_at(&["Refs", "MsgId"]),
        end_to_end_id: end_to_end_id(transaction.text_at(&["Refs", "EndToEndId"])),
        mandate_id: transaction.string_at(&["Refs", "MndtId"]),
        amount_cents: detail_amount(transaction)?,
        remittance_info: (!remittance.is_empty()).then(|| remittance.join(" ")),
        return_reason: return_info
            .and_then(|info| info.child("Rsn"))
            .and_then(reason_code),
        has_return_info: return_info.is_some(),
        code: TransactionCode::of(transaction),
    })
}

/// A transaction's amount: its own `Amt` (.001.08), or else the amount details (.001.02 has no
/// `Amt` there): the transaction amount, then the instructed one. Those two may be in the
/// currency of a foreign payment converted into the account's, so one not in euros is passed
/// over rather than refused.
fn detail_amount(transaction: &Element) -> Result<Option<i64>, BankXmlError> {
    if let Some(own) = transaction.child("Amt") {
        return amount(own).map(Some);
    }
    for kind in ["TxAmt", "InstdAmt"] {
        if let Some(element) = transaction.find(&["AmtDtls", kind, "Amt"])
            && element
                .currency
                .as_deref()
                .is_none_or(|currency| currency == EURO)
        {
            return amount(element).map(Some);
        }
    }
    Ok(None)
}

// ---------------------------------------------------------------------------------------------
// camt.054: the debit/credit notification.

/// The direct debits coming back in a notification. An entry counts when it takes money from
/// the account and is marked as a reversal, has a direct-debit return code, or carries return
/// information; the collections themselves and any other movement are left out.
fn returns(document: &Element) -> Result<Vec<ReturnLine>, BankXmlError> {
    let report = document
        .child("BkToCstmrDbtCdtNtfctn")
        .ok_or(BankXmlError::Missing {
            what: "la notificación de movimientos (BkToCstmrDbtCdtNtfctn)",
        })?;
    let mut lines = Vec::new();
    for notification in report.children("Ntfctn") {
        if let Some(account) = notification.child("Acct") {
            check_account_currency(account)?;
        }
        for element in notification.children("Ntry") {
            let entry = parse_entry(element)?;
            if !is_direct_debit_return(&entry) {
                continue;
            }
            let date = entry.booking_date.or(entry.value_date);
            let whole = entry.amount_cents.abs();
            if entry.details.is_empty() {
                lines.push(ReturnLine {
                    kind: return_kind(&entry, None),
                    original_message_id: entry.batch_message_id.clone(),
                    end_to_end_id: None,
                    mandate_id: None,
                    amount_cents: Some(whole),
                    date,
                    reason: String::new(),
                    whole_file: false,
                });
            }
            // With one transaction the entry's amount is that transaction's; with several it
            // is their sum, which says nothing about each.
            let single = entry.details.len() == 1;
            for detail in &entry.details {
                lines.push(ReturnLine {
                    kind: return_kind(&entry, Some(detail)),
                    original_message_id: detail
                        .message_id
                        .clone()
                        .or_else(|| entry.batch_message_id.clone()),
                    end_to_end_id: detail.end_to_end_id.clone(),
                    mandate_id: detail.mandate_id.clone(),
                    amount_cents: detail.amount_cents.or(single.then_some(whole)),
                    date,
                    reason: detail.return_reason.clone().unwrap_or_default(),
                    whole_file: false,
                });
            }
        }
    }
    Ok(lines)
}

fn is_direct_debit_return(entry: &ParsedEntry) -> bool {
    entry.direction == Direction::Debit
        && (entry.reversal
            || entry
                .code
                .as_ref()
                .is_some_and(TransactionCode::is_direct_debit_return)
            || entry.details.iter().any(|detail| {
                detail.has_return_info
                    || detail
                        .code
                        .as_ref()
                        .is_some_and(TransactionCode::is_direct_debit_return)
            }))
}

/// MD06 is the reason the EPC reserves for a refund the debtor asked for; PRDD is the
/// transaction code some banks give it instead.
fn return_kind(entry: &ParsedEntry, detail: Option<&ParsedDetail>) -> ReturnKind {
    let refund_code =
        |code: &Option<TransactionCode>| code.as_ref().is_some_and(TransactionCode::is_refund);
    let refund = refund_code(&entry.code)
        || detail.is_some_and(|detail| {
            detail.return_reason.as_deref() == Some("MD06") || refund_code(&detail.code)
        });
    if refund {
        ReturnKind::Refund
    } else {
        ReturnKind::Return
    }
}

// ---------------------------------------------------------------------------------------------
// camt.053: the statement.

fn statement(document: &Element) -> Result<Statement, BankXmlError> {
    let report = document
        .child("BkToCstmrStmt")
        .ok_or(BankXmlError::Missing {
            what: "el extracto (BkToCstmrStmt)",
        })?;
    let statements: Vec<&Element> = report.children("Stmt").collect();
    let statement = match statements.as_slice() {
        [one] => *one,
        [] => {
            return Err(BankXmlError::Missing {
                what: "el extracto de la cuenta (Stmt)",
            });
        }
        several => {
            // Statements of several accounts or days cannot be told apart in one Statement,
            // and merging them would break the balances.
            return Err(BankXmlError::SeveralStatements {
                count: several.len(),
            });
        }
    };
    let id = statement.string_at(&["Id"]).ok_or(BankXmlError::Missing {
        what: "el identificador del extracto (Stmt/Id)",
    })?;
    let account = statement.child("Acct").ok_or(BankXmlError::Missing {
        what: "la cuenta del extracto (Stmt/Acct)",
    })?;
    check_account_currency(account)?;
    let iban = account
        .text_at(&["Id", "IBAN"])
        .or_else(|| account.text_at(&["Id", "Othr", "Id"]))
        .ok_or(BankXmlError::Missing {
            what: "el IBAN de la cuenta del extracto (Stmt/Acct/Id/IBAN)",
        })?
        .to_owned();

    let mut opening = None;
    let mut previous_closing = None;
    let mut closing = None;
    for balance in statement.children("Bal") {
        let slot = match balance.text_at(&["Tp", "CdOrPrtry", "Cd"]) {
            Some("OPBD") => &mut opening,
            Some("PRCD") => &mut previous_closing,
            Some("CLBD") => &mut closing,
            _ => continue,
        };
        if slot.is_none() {
            let (_, cents) =
                signed_amount(balance, "el importe de un saldo del extracto (Bal/Amt)")?;
            *slot = Some(cents);
        }
    }

    let mut entries = Vec::new();
    for element in statement.children("Ntry") {
        let entry = parse_entry(element)?;
        // A pending or informative entry has not moved the balance.
        if !entry.booked {
            continue;
        }
        let booking_date = entry.booking_date.ok_or(BankXmlError::Missing {
            what: "la fecha contable de un apunte (Ntry/BookgDt)",
        })?;
        entries.push(Entry {
            amount_cents: entry.amount_cents,
            booking_date,
            value_date: entry.value_date,
            bank_reference: entry.bank_reference,
            batch_count: entry.batch_count,
            batch_id: entry.batch_payment_id.or(entry.batch_message_id),
            details: entry
                .details
                .into_iter()
                .map(|detail| EntryDetail {
                    end_to_end_id: detail.end_to_end_id,
                    mandate_id: detail.mandate_id,
                    amount_cents: detail.amount_cents,
                    remittance_info: detail.remittance_info,
                    return_reason: detail.return_reason,
                })
                .collect(),
        });
    }

    Ok(Statement {
        id,
        iban,
        opening_cents: opening.or(previous_closing),
        closing_cents: closing,
        entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const REJECTIONS_V10: &[u8] = include_bytes!("testdata/bank_xml/pain.002.001.10-rechazos.xml");
    const FILE_REJECTED_V03: &[u8] =
        include_bytes!("testdata/bank_xml/pain.002.001.03-fichero-rechazado.xml");
    const RETURNS_V08: &[u8] = include_bytes!("testdata/bank_xml/camt.054.001.08-devoluciones.xml");
    const RETURNS_V02_BOM: &[u8] = include_bytes!("testdata/bank_xml/camt.054.001.02-bom.xml");
    const STATEMENT_V08: &[u8] = include_bytes!("testdata/bank_xml/camt.053.001.08-extracto.xml");
    const STATEMENT_V02: &[u8] = include_bytes!("testdata/bank_xml/camt.053.001.02-extracto.xml");
    const STATEMENT_CUT: &[u8] = include_bytes!("testdata/bank_xml/camt.053.001.08-cortado.xml");
    const OTHER_MESSAGE: &[u8] =
        include_bytes!("testdata/bank_xml/camt.052.001.08-otro-mensaje.xml");
    const DOLLARS: &[u8] = include_bytes!("testdata/bank_xml/camt.054.001.08-dolares.xml");
    const OWN_REMITTANCE: &[u8] = include_bytes!("testdata/pain.008.001.08.xml");

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn some(text: &str) -> Option<String> {
        Some(text.to_owned())
    }

    fn rejections_of(bytes: &[u8]) -> Vec<ReturnLine> {
        match parse(bytes) {
            Ok(BankFile::Rejections(lines)) => lines,
            other => panic!("expected rejections, got {other:?}"),
        }
    }

    fn returns_of(bytes: &[u8]) -> Vec<ReturnLine> {
        match parse(bytes) {
            Ok(BankFile::Returns(lines)) => lines,
            other => panic!("expected returns, got {other:?}"),
        }
    }

    fn statement_of(bytes: &[u8]) -> Statement {
        match parse(bytes) {
            Ok(BankFile::Statement(statement)) => statement,
            other => panic!("expected a statement, got {other:?}"),
        }
    }

    fn error_of(bytes: &[u8]) -> BankXmlError {
        match parse(bytes) {
            Err(error) => error,
            Ok(file) => panic!("expected an error, got {file:?}"),
        }
    }

    // --- pain.002 -------------------------------------------------------------------------

    #[test]
    fn status_report_lists_the_rejected_debits_and_leaves_the_accepted_out() {
        let expected = vec![
            ReturnLine {
                kind: ReturnKind::Rejection,
                original_message_id: some("SORIANO-REM-000012"),
                end_to_end_id: some("SOR12-3456"),
                mandate_id: some("SORIANO-1042-1"),
                amount_cents: Some(8709),
                date: Some(day(2026, 12, 15)),
                reason: "AC04".to_owned(),
                whole_file: false,
            },
            ReturnLine {
                kind: ReturnKind::Rejection,
                original_message_id: some("SORIANO-REM-000012"),
                end_to_end_id: some("SOR12-3457"),
                mandate_id: some("SORIANO-1043-2"),
                // Written as "1200", without decimals.
                amount_cents: Some(120_000),
                date: Some(day(2026, 12, 15)),
                reason: "MS03".to_owned(),
                whole_file: false,
            },
        ];
        assert_eq!(rejections_of(REJECTIONS_V10), expected);
    }

    #[test]
    fn status_report_rejecting_the_whole_file_is_one_whole_file_line() {
        let expected = vec![ReturnLine {
            kind: ReturnKind::Rejection,
            original_message_id: some("SORIANO-REM-000013"),
            end_to_end_id: None,
            mandate_id: None,
            // OrgnlCtrlSum "5310.8".
            amount_cents: Some(531_080),
            date: None,
            reason: "FF01".to_owned(),
            whole_file: true,
        }];
        assert_eq!(rejections_of(FILE_REJECTED_V03), expected);
    }

    fn status_report(body: &str) -> Vec<u8> {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>
<GrpHdr><MsgId>PSR-1</MsgId><CreDtTm>2026-12-16T07:00:00</CreDtTm></GrpHdr>
{body}
</CstmrPmtStsRpt></Document>"#
        )
        .into_bytes()
    }

    #[test]
    fn status_and_reason_left_out_are_the_payment_blocks() {
        let xml = status_report(
            r#"<OrgnlGrpInfAndSts><OrgnlMsgId>SORIANO-REM-000020</OrgnlMsgId>
<OrgnlMsgNmId>pain.008.001.08</OrgnlMsgNmId><GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>SORIANO-REM-000020-1</OrgnlPmtInfId><PmtInfSts>RJCT</PmtInfSts>
<StsRsnInf><Rsn><Cd>FF05</Cd></Rsn></StsRsnInf>
<TxInfAndSts><OrgnlEndToEndId>SOR20-1</OrgnlEndToEndId><OrgnlTxRef>
<Amt><InstdAmt Ccy="EUR">10.5</InstdAmt></Amt><ReqdColltnDt>2026-12-20</ReqdColltnDt>
</OrgnlTxRef></TxInfAndSts>
<TxInfAndSts><OrgnlEndToEndId>SOR20-2</OrgnlEndToEndId>
<StsRsnInf><Rsn><Prtry>0102</Prtry></Rsn></StsRsnInf></TxInfAndSts>
</OrgnlPmtInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>SORIANO-REM-000020-2</OrgnlPmtInfId>
<TxInfAndSts><OrgnlEndToEndId>SOR20-3</OrgnlEndToEndId></TxInfAndSts>
</OrgnlPmtInfAndSts>"#,
        );
        let lines = rejections_of(&xml);
        let summary: Vec<_> = lines
            .iter()
            .map(|l| {
                (
                    l.end_to_end_id.as_deref(),
                    l.reason.as_str(),
                    l.amount_cents,
                    l.date,
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (Some("SOR20-1"), "FF05", Some(1050), Some(day(2026, 12, 20))),
                // A proprietary reason is kept when there is no ISO one.
                (Some("SOR20-2"), "0102", None, None),
            ]
        );
        assert!(lines.iter().all(|l| !l.whole_file));
    }

    #[test]
    fn a_payment_block_rejected_without_its_debits_is_refused() {
        let xml = status_report(
            r#"<OrgnlGrpInfAndSts><OrgnlMsgId>SORIANO-REM-000021</OrgnlMsgId>
<OrgnlMsgNmId>pain.008.001.08</OrgnlMsgNmId><GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>SORIANO-REM-000021-1</OrgnlPmtInfId><PmtInfSts>ACCP</PmtInfSts>
</OrgnlPmtInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>SORIANO-REM-000021-2</OrgnlPmtInfId><PmtInfSts>RJCT</PmtInfSts>
<StsRsnInf><Rsn><Cd>BE05</Cd></Rsn></StsRsnInf></OrgnlPmtInfAndSts>"#,
        );
        assert_eq!(
            error_of(&xml),
            BankXmlError::BlockRejected {
                payment_info_id: "SORIANO-REM-000021-2".to_owned()
            }
        );
    }

    #[test]
    fn an_accepted_file_has_no_rejections_and_a_bare_rejection_no_reason() {
        let accepted = status_report(
            r#"<OrgnlGrpInfAndSts><OrgnlMsgId>SORIANO-REM-000022</OrgnlMsgId>
<OrgnlMsgNmId>pain.008.001.08</OrgnlMsgNmId><GrpSts>ACCP</GrpSts></OrgnlGrpInfAndSts>"#,
        );
        assert_eq!(rejections_of(&accepted), vec![]);

        let rejected = status_report(
            r#"<OrgnlGrpInfAndSts><OrgnlMsgId>SORIANO-REM-000023</OrgnlMsgId>
<OrgnlMsgNmId>pain.008.001.08</OrgnlMsgNmId><GrpSts>RJCT</GrpSts></OrgnlGrpInfAndSts>"#,
        );
        let lines = rejections_of(&rejected);
        assert_eq!(lines.len(), 1);
        assert!(lines[0].whole_file);
        assert_eq!(lines[0].original_message_id, some("SORIANO-REM-000023"));
        assert_eq!(lines[0].reason, "");
        assert_eq!(lines[0].amount_cents, None);
    }

    // --- camt.054 -------------------------------------------------------------------------

    #[test]
    fn notification_gives_returns_and_refunds_and_leaves_other_movements_out() {
        let expected = vec![
            ReturnLine {
                kind: ReturnKind::Return,
                original_message_id: some("SORIANO-REM-000011"),
                end_to_end_id: some("SOR11-3401"),
                mandate_id: some("SORIANO-1007-1"),
                amount_cents: Some(6430),
                date: Some(day(2026, 12, 19)),
                reason: "AM04".to_owned(),
                whole_file: false,
            },
            ReturnLine {
                kind: ReturnKind::Refund,
                original_message_id: None,
                end_to_end_id: some("SOR9-3120"),
                mandate_id: some("SORIANO-988-1"),
                amount_cents: Some(21_275),
                // Booked at 2026-12-19T10:42:11+01:00, value date the 18th.
                date: Some(day(2026, 12, 19)),
                reason: "MD06".to_owned(),
                whole_file: false,
            },
            // Not the remittance's credit (IDDT/ESDD), nor a transfer of Soriano's that came
            // back (a credit, with return information of its own).
        ];
        assert_eq!(returns_of(RETURNS_V08), expected);
    }

    #[test]
    fn notification_v02_with_a_byte_order_mark() {
        assert!(
            RETURNS_V02_BOM.starts_with(UTF8_BOM),
            "the sample must keep its BOM"
        );
        let expected = vec![
            // A reversal of a SEPA Core debit (RvslInd), its amount in AmtDtls as .001.02 has
            // no Amt in TxDtls.
            ReturnLine {
                kind: ReturnKind::Return,
                original_message_id: None,
                end_to_end_id: some("SOR12-3458"),
                mandate_id: some("SORIANO-1044-1"),
                amount_cents: Some(15_955),
                date: Some(day(2026, 12, 22)),
                reason: "MS02".to_owned(),
                whole_file: false,
            },
            // A return the bank does not detail: the entry's amount, no reference, no reason.
            ReturnLine {
                kind: ReturnKind::Return,
                original_message_id: None,
                end_to_end_id: None,
                mandate_id: None,
                amount_cents: Some(3000),
                date: Some(day(2026, 12, 22)),
                reason: String::new(),
                whole_file: false,
            },
        ];
        assert_eq!(returns_of(RETURNS_V02_BOM), expected);
        assert_eq!(returns_of(&RETURNS_V02_BOM[UTF8_BOM.len()..]), expected);
    }

    #[test]
    fn md06_is_a_refund_whatever_the_code_and_a_lone_debit_takes_the_entry_amount() {
        let xml = r#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>N</MsgId><CreDtTm>2026-12-22T06:00:00</CreDtTm></GrpHdr>
<Ntfctn><Id>N-1</Id><Acct><Id><IBAN>ES5200491500061234567890</IBAN></Id></Acct>
<Ntry><Amt Ccy="EUR">48.20</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<ValDt><Dt>2026-12-21</Dt></ValDt>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>IDDT</Cd><SubFmlyCd>UPDD</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><Btch><MsgId>SORIANO-REM-000009</MsgId></Btch>
<TxDtls><Refs><EndToEndId>SOR9-3001</EndToEndId></Refs>
<RtrInf><Rsn><Cd>MD06</Cd></Rsn></RtrInf></TxDtls></NtryDtls></Ntry>
</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"#;
        assert_eq!(
            returns_of(xml.as_bytes()),
            vec![ReturnLine {
                kind: ReturnKind::Refund,
                original_message_id: some("SORIANO-REM-000009"),
                end_to_end_id: some("SOR9-3001"),
                mandate_id: None,
                amount_cents: Some(4820),
                // No booking date: the value date.
                date: Some(day(2026, 12, 21)),
                reason: "MD06".to_owned(),
                whole_file: false,
            }]
        );
    }

    #[test]
    fn prefixes_do_not_matter_and_other_namespaces_are_skipped() {
        let plain = String::from_utf8(RETURNS_V08.to_vec()).unwrap();
        let prefixed = plain
            .replace("</", "\u{1}")
            .replace('<', "<c:")
            .replace('\u{1}', "</c:")
            .replace("<c:?xml", "<?xml")
            .replace("xmlns=", "xmlns:c=");
        assert!(prefixed.contains("<c:Ntry>"));
        assert_eq!(returns_of(prefixed.as_bytes()), returns_of(RETURNS_V08));

        // A bank's extension in its own namespace, with names that clash with ISO ones and a
        // currency that would be refused: none of it is read.
        let extended = plain.replacen(
            "<Ntry>",
            r#"<ext:Ntry xmlns:ext="urn:example:bank:ext"><ext:Amt Ccy="USD">1.234</ext:Amt>
<Ntry><Amt Ccy="USD">9</Amt></Ntry></ext:Ntry>
<Ntry>"#,
            1,
        );
        assert_eq!(returns_of(extended.as_bytes()), returns_of(RETURNS_V08));
    }

    // --- camt.053 -------------------------------------------------------------------------

    fn expected_statement() -> Statement {
        Statement {
            id: "ES5200491500061234567890-20261219".to_owned(),
            iban: "ES5200491500061234567890".to_owned(),
            opening_cents: Some(1_234_567),
            closing_cents: Some(1_401_722),
            entries: vec![
                Entry {
                    amount_cents: 144_664,
                    booking_date: day(2026, 12, 15),
                    value_date: Some(day(2026, 12, 15)),
                    bank_reference: some("0049202612150000123"),
                    batch_count: Some(3),
                    batch_id: some("SORIANO-REM-000012-1"),
                    details: vec![],
                },
                Entry {
                    amount_cents: -8709,
                    booking_date: day(2026, 12, 18),
                    value_date: Some(day(2026, 12, 18)),
                    bank_reference: some("0049202612180000871"),
                    batch_count: None,
                    batch_id: None,
                    details: vec![EntryDetail {
                        end_to_end_id: some("SOR12-3456"),
                        mandate_id: some("SORIANO-1042-1"),
                        amount_cents: Some(8709),
                        remittance_info: some("Recibo poliza AUT-778812 vencimiento 15/12/2026"),
                        return_reason: some("AM04"),
                    }],
                },
                Entry {
                    amount_cents: 31_200,
                    booking_date: day(2026, 12, 19),
                    value_date: Some(day(2026, 12, 19)),
                    bank_reference: some("0049202612190002214"),
                    batch_count: None,
                    batch_id: None,
                    details: vec![EntryDetail {
                        // "NOTPROVIDED" is no reference.
                        end_to_end_id: None,
                        mandate_id: None,
                        amount_cents: Some(31_200),
                        remittance_info: some("Pago pólizas HOG-2231 & HOG-2232 segundo semestre"),
                        return_reason: None,
                    }],
                },
            ],
        }
    }

    #[test]
    fn statement_v08() {
        assert_eq!(statement_of(STATEMENT_V08), expected_statement());
    }

    #[test]
    fn statement_v02_reads_the_same() {
        assert_eq!(statement_of(STATEMENT_V02), expected_statement());
    }

    #[test]
    fn statement_entries_add_up_to_the_closing_balance() {
        for bytes in [STATEMENT_V08, STATEMENT_V02] {
            let statement = statement_of(bytes);
            let moved: i64 = statement.entries.iter().map(|e| e.amount_cents).sum();
            assert_eq!(
                statement.opening_cents.unwrap() + moved,
                statement.closing_cents.unwrap()
            );
        }
    }

    fn statement_xml(body: &str) -> Vec<u8> {
        format!(
            r#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>S</MsgId><CreDtTm>2026-12-20T04:00:00</CreDtTm></GrpHdr>
{body}
</BkToCstmrStmt></Document>"#
        )
        .into_bytes()
    }

    const ACCOUNT: &str =
        "<Id>ST-1</Id><Acct><Id><IBAN>ES5200491500061234567890</IBAN></Id></Acct>";

    fn balance(code: &str, amount: &str, direction: &str) -> String {
        format!(
            r#"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{amount}</Amt>
<CdtDbtInd>{direction}</CdtDbtInd><Dt><Dt>2026-12-19</Dt></Dt></Bal>"#
        )
    }

    fn entry(amount: &str, direction: &str, status: &str, booking: &str) -> String {
        format!(
            r#"<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{direction}</CdtDbtInd>
<Sts><Cd>{status}</Cd></Sts>{booking}<BkTxCd/></Ntry>"#
        )
    }

    #[test]
    fn pending_entries_are_left_out_and_overdrawn_balances_are_negative() {
        let booked = "<BookgDt><Dt>2026-12-19</Dt></BookgDt>";
        let xml = statement_xml(&format!(
            "<Stmt>{ACCOUNT}{}{}{}{}</Stmt>",
            // PRCD stands for the opening balance when there is no OPBD.
            balance("PRCD", "10.00", "CRDT"),
            balance("CLBD", "15.50", "DBIT"),
            entry("25.50", "DBIT", "BOOK", booked),
            entry("99.00", "DBIT", "PDNG", ""),
        ));
        let statement = statement_of(&xml);
        assert_eq!(statement.opening_cents, Some(1000));
        assert_eq!(statement.closing_cents, Some(-1550));
        assert_eq!(statement.entries.len(), 1);
        assert_eq!(statement.entries[0].amount_cents, -2550);
        assert_eq!(statement.entries[0].booking_date, day(2026, 12, 19));
        assert_eq!(statement.entries[0].value_date, None);
    }

    #[test]
    fn statements_that_cannot_be_one_statement_are_refused() {
        let one = format!("<Stmt>{ACCOUNT}{}</Stmt>", balance("OPBD", "1", "CRDT"));
        assert_eq!(
            error_of(&statement_xml(&format!("{one}{one}"))),
            BankXmlError::SeveralStatements { count: 2 }
        );
        assert_eq!(
            error_of(&statement_xml(&format!(
                "<Stmt>{ACCOUNT}{}</Stmt>",
                entry("1.00", "CRDT", "BOOK", "")
            ))),
            BankXmlError::Missing {
                what: "la fecha contable de un apunte (Ntry/BookgDt)"
            }
        );
        assert_eq!(
            error_of(&statement_xml(&format!(
                "<Stmt>{ACCOUNT}{}</Stmt>",
                entry("1.00", "CREDIT", "BOOK", "")
            ))),
            BankXmlError::InvalidValue {
                what: "el indicador de abono o cargo (CdtDbtInd)",
                value: "CREDIT".to_owned()
            }
        );
        let dollars = statement_xml(
            "<Stmt><Id>ST-2</Id><Acct><Id><IBAN>ES5200491500061234567890</IBAN></Id>\
             <Ccy>USD</Ccy></Acct></Stmt>",
        );
        assert_eq!(
            error_of(&dollars),
            BankXmlError::AccountNotEuro {
                currency: "USD".to_owned()
            }
        );
    }

    // --- What is refused -------------------------------------------------------------------

    #[test]
    fn another_message_is_refused() {
        let error = error_of(OTHER_MESSAGE);
        assert_eq!(error, BankXmlError::NotBankFile);
        assert_eq!(
            error.to_string(),
            "El fichero no es una respuesta del banco que Soriano sepa leer (pain.002, camt.053 o camt.054)."
        );
    }

    #[test]
    fn the_remittance_itself_is_refused() {
        assert_eq!(error_of(OWN_REMITTANCE), BankXmlError::OwnRemittance);
        assert!(error_of(OWN_REMITTANCE).to_string().contains("pain.008"));
    }

    #[test]
    fn other_versions_are_refused_by_name() {
        for (version, root) in [
            ("pain.002.001.05", "CstmrPmtStsRpt"),
            ("camt.053.001.04", "BkToCstmrStmt"),
            ("camt.054.001.13", "BkToCstmrDbtCdtNtfctn"),
        ] {
            let xml = format!(
                r#"<Document xmlns="urn:iso:std:iso:20022:tech:xsd:{version}"><{root}/></Document>"#
            );
            let error = error_of(xml.as_bytes());
            assert_eq!(
                error,
                BankXmlError::UnsupportedVersion {
                    message: version.to_owned()
                }
            );
            assert!(error.to_string().contains(version));
        }
    }

    #[test]
    fn what_is_not_a_bank_xml_file_is_refused() {
        let norma43 =
            b"1100811234567890123426121526121920000000012345678978SORIANO MEDIADORES SL  \n";
        for bytes in [
            &b""[..],
            b"   \n",
            b"hola",
            norma43,
            b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj",
            b"PK\x03\x04\x14\x00\x06\x00",
            b"{\"kind\": \"camt.053\"}",
            b"<html><body>Sesi\xC3\xB3n caducada</body></html>",
            br#"<Document xmlns="urn:example:other"><Stmt/></Document>"#,
            br#"<Statement xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"/>"#,
            b"\xFF\xFE<\x00D\x00",
        ] {
            let error = error_of(bytes);
            assert!(
                matches!(
                    error,
                    BankXmlError::NotBankFile | BankXmlError::NotUtf8 { .. }
                ),
                "{:?}: {error:?}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn a_cut_file_is_refused_as_incomplete() {
        // Cut in the text of the third entry's amount, on line 165.
        assert_eq!(
            error_of(STATEMENT_CUT),
            BankXmlError::Truncated {
                line: 165,
                element: "Amt".to_owned()
            }
        );
        assert!(STATEMENT_V08.starts_with(STATEMENT_CUT));

        // Cut inside a tag.
        let text = std::str::from_utf8(STATEMENT_V08).unwrap();
        let cut = &text[..text.find("<NtryRef>2").unwrap() + 4];
        assert!(matches!(
            error_of(cut.as_bytes()),
            BankXmlError::Truncated { element, .. } if element == "Ntry"
        ));
        assert!(
            error_of(STATEMENT_CUT)
                .to_string()
                .starts_with("El fichero está incompleto")
        );
    }

    #[test]
    fn malformed_xml_is_refused_with_its_position() {
        let xml = "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\">\n\
                   <BkToCstmrStmt>\n  <GrpHdr><MsgId>S</MsgId></GrpHdrr>\n</BkToCstmrStmt></Document>";
        let error = error_of(xml.as_bytes());
        assert!(
            matches!(error, BankXmlError::Malformed { line: 3, .. }),
            "{error:?}"
        );
        assert!(error.to_string().contains("línea 3"));

        let entity = "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\">\n\
                      <BkToCstmrStmt>&nbsp;</BkToCstmrStmt></Document>";
        assert!(matches!(
            error_of(entity.as_bytes()),
            BankXmlError::Malformed { line: 2, .. }
        ));

        let two_roots = format!("{}<Document/>", String::from_utf8_lossy(FILE_REJECTED_V03));
        assert!(matches!(
            error_of(two_roots.as_bytes()),
            BankXmlError::Malformed { .. }
        ));
    }

    #[test]
    fn latin1_text_is_refused_as_not_utf8() {
        let mut bytes = STATEMENT_V08.to_vec();
        let at = bytes.windows(6).position(|w| w == b"Recibo").unwrap();
        bytes[at + 1] = 0xE9; // "R\xE9cibo": an ISO-8859-1 é
        assert_eq!(
            error_of(&bytes),
            BankXmlError::NotUtf8 {
                line: 152,
                column: 23
            }
        );
    }

    #[test]
    fn amounts_not_in_euros_are_refused() {
        let error = error_of(DOLLARS);
        assert_eq!(
            error,
            BankXmlError::NotEuro {
                value: "64.30".to_owned(),
                currency: "USD".to_owned()
            }
        );
        assert_eq!(
            error.to_string(),
            "El importe 64.30 USD no está en euros: Soriano solo trabaja con euros."
        );
    }

    #[test]
    fn an_amount_with_fractions_of_a_cent_is_refused() {
        let text = String::from_utf8(REJECTIONS_V10.to_vec())
            .unwrap()
            .replace(">87.09<", ">87.095<");
        assert_eq!(
            error_of(text.as_bytes()),
            BankXmlError::TooManyDecimals {
                value: "87.095".to_owned()
            }
        );
    }

    // --- Values ------------------------------------------------------------------------------

    #[test]
    fn decimal_amounts_become_exact_cents() {
        for (text, expected) in [
            ("123.4", 12_340),
            ("87.09", 8709),
            ("0.01", 1),
            ("1200", 120_000),
            ("1.", 100),
            (".5", 50),
            ("007.50", 750),
            ("12.300", 1230),
            (" 5.00\n", 500),
            ("0", 0),
            ("99999999999.99", 9_999_999_999_999),
        ] {
            assert_eq!(cents(text), Ok(expected), "{text:?}");
        }
        for text in [
            "",
            ".",
            "-1.00",
            "+1",
            "1,50",
            "1.2.3",
            "1e3",
            "abc",
            "1 000",
            "99999999999999999999",
        ] {
            assert!(
                matches!(cents(text), Err(BankXmlError::InvalidAmount { .. })),
                "{text:?}"
            );
        }
        for text in ["1.234", "0.001", "10.5001"] {
            assert!(
                matches!(cents(text), Err(BankXmlError::TooManyDecimals { .. })),
                "{text:?}"
            );
        }
    }

    #[test]
    fn dates_and_date_times_give_the_day_as_written() {
        assert_eq!(date("2026-12-15"), Ok(day(2026, 12, 15)));
        assert_eq!(date("2026-12-15+01:00"), Ok(day(2026, 12, 15)));
        assert_eq!(date("2026-12-15Z"), Ok(day(2026, 12, 15)));
        assert_eq!(date("2026-12-31T23:30:00-05:00"), Ok(day(2026, 12, 31)));
        for text in ["2026-02-30", "15/12/2026", "2026-12-1", "2026-12-150", ""] {
            assert!(date(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn error_messages_are_in_spanish() {
        let messages = [
            BankXmlError::Malformed { line: 3, column: 7 }.to_string(),
            BankXmlError::TooManyDecimals {
                value: "1.234".to_owned(),
            }
            .to_string(),
            BankXmlError::BlockRejected {
                payment_info_id: "SORIANO-REM-000021-2".to_owned(),
            }
            .to_string(),
        ];
        assert_eq!(
            messages[0],
            "El fichero no es un XML válido: hay un error en la línea 3, columna 7."
        );
        assert!(messages[1].contains("más de dos decimales"));
        assert!(messages[2].contains("SORIANO-REM-000021-2"));
    }

    proptest! {
        #[test]
        fn amounts_written_as_decimal_text_read_back_as_the_same_cents(
            value in 0_i64..=99_999_999_999_999,
            zeros in 0_usize..4,
            leading in 0_usize..3,
        ) {
            let units = value / 100;
            let fraction = value % 100;
            let pad = "0".repeat(leading);
            let extra = "0".repeat(zeros);
            // Every way a bank may write the same amount.
            let mut texts = vec![
                format!("{pad}{units}.{fraction:02}{extra}"),
            ];
            if fraction % 10 == 0 {
                texts.push(format!("{pad}{units}.{}", fraction / 10));
            }
            if fraction == 0 {
                texts.push(format!("{pad}{units}"));
                texts.push(format!("{units}."));
            }
            if units == 0 {
                texts.push(format!(".{fraction:02}"));
            }
            for text in texts {
                prop_assert_eq!(cents(&text), Ok(value), "{}", text);
            }
        }
    }
}
