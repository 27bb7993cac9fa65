//! Account statements in the AEB's Norma 43 (cuaderno 43, "Información normalizada de cuenta
//! corriente"): the file a Spanish bank lets its customers download with an account's
//! movements. Returned direct debits show up in it under concepto común 14, which is how a
//! return reaches us when the bank sends no camt file. See "Norma 43" in DOMAIN.md.
//!
//! [`parse`] takes the file as banks really send it (ISO-8859-1 or UTF-8, any line ending,
//! trailing spaces trimmed, day-first dates at some banks, several accounts, end records
//! sometimes missing) and refuses, naming the line, whatever does not add up.

use std::borrow::Cow;

use chrono::NaiveDate;
use encoding_rs::WINDOWS_1252;
use thiserror::Error;

use crate::format::{date as day_text, thousands};
use crate::identifiers::Iban;

/// Concepto común of "devoluciones e impagados": returned debits and unpaid bills.
pub const RETURNS_CONCEPT: &str = "14";

/// A statement file: one or more accounts, in the order of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub accounts: Vec<Account>,
    /// What the file lacks but could be read without (a missing record 33 or 88, a date out of
    /// the statement's period), in Spanish, for the user who imports it.
    pub warnings: Vec<String>,
}

/// One account's statement: its record 11, the movements and its record 33.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// Entity code (4 digits), e.g. `2100`.
    pub bank: String,
    /// Branch code (4 digits).
    pub branch: String,
    /// The 10-digit account number, without the CCC's two control digits.
    pub number: String,
    /// The Spanish IBAN of the account, unspaced (`ES91 2100 …` is [`Iban::grouped`]); `None`
    /// when bank, branch and number are not all digits.
    pub iban: Option<String>,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// Negative when the account was overdrawn.
    pub opening_cents: i64,
    /// From record 33; computed from the movements when the file has none (see the warnings).
    pub closing_cents: i64,
    /// ISO 4217 numeric code as written in the file: `978` is the euro.
    pub currency: String,
    /// The holder's abbreviated name, as the bank writes it.
    pub name: String,
    pub movements: Vec<Movement>,
}

/// One movement (record 22) with its complementary records 23 and 24.
#[derive(Debug, Clone, PartialEq)]
pub struct Movement {
    /// Line of the record 22 in the file, counting from 1 (blank lines included).
    pub line: usize,
    pub operation_date: NaiveDate,
    pub value_date: NaiveDate,
    /// Concepto común (2 digits, the same for every bank): `14` is a return.
    pub common_concept: String,
    /// Concepto propio (3 characters, each bank's own).
    pub own_concept: String,
    /// Negative for a debit (money out of the account).
    pub amount_cents: i64,
    pub document: String,
    pub reference1: String,
    pub reference2: String,
    /// The texts of the records 23, trimmed, empty ones dropped.
    pub concepts: Vec<String>,
    /// Record 24, when the movement was made in another currency.
    pub equivalence: Option<Equivalence>,
}

/// The amount of a movement in the currency it was made in (record 24, no accounting value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Equivalence {
    /// ISO 4217 numeric code, e.g. `840` for the US dollar.
    pub currency: String,
    /// With the sign of the movement.
    pub amount_cents: i64,
}

/// How many movements of one kind an account has and what they add up to (always positive).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub count: usize,
    pub cents: i64,
}

impl Movement {
    /// A returned direct debit or an unpaid bill (concepto común 14).
    pub fn is_return(&self) -> bool {
        self.common_concept == RETURNS_CONCEPT
    }
}

impl Account {
    /// Movements with a negative amount and their sum, as a positive number.
    pub fn debits(&self) -> Totals {
        self.totals(|cents| cents < 0)
    }

    /// Movements with a zero or positive amount and their sum. A zero-amount movement is
    /// counted here whatever its debit/credit key, because the amount no longer carries it.
    pub fn credits(&self) -> Totals {
        self.totals(|cents| cents >= 0)
    }

    fn totals(&self, keep: impl Fn(i64) -> bool) -> Totals {
        self.movements
            .iter()
            .filter(|m| keep(m.amount_cents))
            .fold(Totals::default(), |t, m| Totals {
                count: t.count + 1,
                cents: t.cents.saturating_add(m.amount_cents.saturating_abs()),
            })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Norma43Error {
    #[error(
        "El fichero no trae ningún extracto de Norma 43: no hay ningún registro de cabecera de cuenta (11)."
    )]
    Empty,
    #[error(
        "Línea {line}: tiene {length} caracteres, y los registros de la Norma 43 tienen 80. El fichero no tiene el formato del cuaderno 43."
    )]
    TooLong { line: usize, length: usize },
    #[error(
        "Línea {line}: «{code}» no es un tipo de registro de la Norma 43 (11, 22, 23, 24, 33 u 88)."
    )]
    UnknownRecord { line: usize, code: String },
    #[error(
        "Línea {line}: el registro {code} no está dentro de ninguna cuenta; falta antes su registro de cabecera de cuenta (11)."
    )]
    OutsideAccount { line: usize, code: &'static str },
    #[error(
        "Línea {line}: el registro {code} completa un movimiento, pero no va detrás de ningún registro de movimiento (22)."
    )]
    WithoutMovement { line: usize, code: &'static str },
    #[error("Línea {line}: el movimiento trae más de un registro de equivalencia de divisa (24).")]
    DuplicateEquivalence { line: usize },
    #[error("Línea {line}: el campo «{field}» debe llevar solo cifras y trae «{value}».")]
    NotDigits {
        line: usize,
        field: &'static str,
        value: String,
    },
    #[error("Línea {line}: el campo «{field}» debe ser 1 (debe) o 2 (haber) y trae «{value}».")]
    BadKey {
        line: usize,
        field: &'static str,
        value: String,
    },
    #[error("Línea {line}: «{value}» no es una fecha válida en el campo «{field}».")]
    BadDate {
        line: usize,
        field: &'static str,
        value: String,
    },
    #[error(
        "Línea {line}: la fecha final del extracto ({}) es anterior a la inicial ({}).",
        day_of(.end),
        day_of(.start)
    )]
    BadPeriod {
        line: usize,
        start: NaiveDate,
        end: NaiveDate,
    },
    #[error(
        "Línea {line}: el registro final de cuenta (33) es de la cuenta {found}, pero la cuenta abierta en la línea {header_line} es la {expected}."
    )]
    AccountMismatch {
        line: usize,
        header_line: usize,
        expected: String,
        found: String,
    },
    #[error(
        "Línea {line}: el registro final de cuenta (33) declara en el {side} {declared_count} apuntes por un total de {}, pero los movimientos de la cuenta dan {count} por {}.",
        amount_text(.declared_cents),
        amount_text(.cents)
    )]
    Totals {
        line: usize,
        /// `debe` (debits) or `haber` (credits).
        side: &'static str,
        declared_count: u64,
        declared_cents: i64,
        count: usize,
        cents: i64,
    },
    #[error(
        "Línea {line}: el saldo final no cuadra: saldo inicial {} + abonos {} − cargos {} = {}, pero el registro final de cuenta (33) declara {}.",
        amount_text(.opening),
        amount_text(.credits),
        amount_text(.debits),
        amount_text(.expected),
        amount_text(.closing)
    )]
    Unbalanced {
        line: usize,
        opening: i64,
        credits: i64,
        debits: i64,
        expected: i64,
        closing: i64,
    },
    #[error(
        "Línea {line}: el registro de fin de fichero (88) declara {declared} registros, pero antes de él hay {counted} ({movements} sin contar las cabeceras y los finales de cuenta)."
    )]
    RecordCount {
        line: usize,
        declared: u64,
        counted: usize,
        movements: usize,
    },
    #[error("Línea {line}: los importes de la cuenta suman más de lo que se puede calcular.")]
    Overflow { line: usize },
}

impl Norma43Error {
    /// The line of the file the error is about, counting from 1; `None` for an empty file.
    pub fn line(&self) -> Option<usize> {
        match self {
            Norma43Error::Empty => None,
            Norma43Error::TooLong { line, .. }
            | Norma43Error::UnknownRecord { line, .. }
            | Norma43Error::OutsideAccount { line, .. }
            | Norma43Error::WithoutMovement { line, .. }
            | Norma43Error::DuplicateEquivalence { line }
            | Norma43Error::NotDigits { line, .. }
            | Norma43Error::BadKey { line, .. }
            | Norma43Error::BadDate { line, .. }
            | Norma43Error::BadPeriod { line, .. }
            | Norma43Error::AccountMismatch { line, .. }
            | Norma43Error::Totals { line, .. }
            | Norma43Error::Unbalanced { line, .. }
            | Norma43Error::RecordCount { line, .. }
            | Norma43Error::Overflow { line } => Some(*line),
        }
    }
}

/// `dd/mm/aaaa`, for the messages of the error, which hold references.
fn day_of(day: &NaiveDate) -> String {
    day_text(*day)
}

/// "1.234,56" or "-12,10": amounts in messages carry no currency sign, as the account may not
/// be in euros.
fn amount_text(cents: &i64) -> String {
    let sign = if *cents < 0 { "-" } else { "" };
    format!(
        "{sign}{},{:02}",
        thousands((cents / 100).abs()),
        (cents % 100).abs()
    )
}

// ---------------------------------------------------------------------------------------------
// Record layout. Columns as the AEB publishes them: "Información normalizada de cuenta
// corriente", Serie normas y procedimientos bancarios nº 43, fichero de 80 posiciones. Each
// field is written by its first column, counted from 1 as in the published tables, and width.
// ---------------------------------------------------------------------------------------------

/// Every record is 80 characters wide.
const RECORD_WIDTH: usize = 80;

/// A fixed-width field of a record, with the name a user reads in an error.
#[derive(Debug, Clone, Copy)]
struct Field {
    /// Offset from 0.
    start: usize,
    len: usize,
    name: &'static str,
}

const fn field(first_column: usize, len: usize, name: &'static str) -> Field {
    Field {
        start: first_column - 1,
        len,
        name,
    }
}

/// Columns 1-2 of every record: its type.
const RECORD_CODE: Field = field(1, 2, "código de registro");

// Record 11, cabecera de cuenta: 1-2 "11", 3-6 clave de la entidad, 7-10 clave de la oficina,
// 11-20 número de cuenta, 21-26 fecha inicial, 27-32 fecha final, 33 clave debe/haber del
// saldo inicial (1 deudor, 2 acreedor), 34-47 saldo inicial (12 enteros y 2 decimales), 48-50
// clave de divisa, 51 modalidad de información, 52-77 nombre abreviado, 78-80 libre.
const HEADER_BANK: Field = field(3, 4, "clave de la entidad");
const HEADER_BRANCH: Field = field(7, 4, "clave de la oficina");
const HEADER_ACCOUNT: Field = field(11, 10, "número de cuenta");
const HEADER_START: Field = field(21, 6, "fecha inicial");
const HEADER_END: Field = field(27, 6, "fecha final");
const HEADER_KEY: Field = field(33, 1, "clave debe/haber del saldo inicial");
const HEADER_OPENING: Field = field(34, 14, "saldo inicial");
const HEADER_CURRENCY: Field = field(48, 3, "clave de divisa");
const HEADER_NAME: Field = field(52, 26, "nombre abreviado");

// Record 22, principal de movimiento: 1-2 "22", 3-6 libre, 7-10 clave de la oficina de
// origen, 11-16 fecha de operación, 17-22 fecha valor, 23-24 concepto común, 25-27 concepto
// propio, 28 clave debe/haber (1 debe, 2 haber), 29-42 importe (12 enteros y 2 decimales),
// 43-52 número de documento, 53-64 referencia 1, 65-80 referencia 2.
const MOVEMENT_OPERATION_DATE: Field = field(11, 6, "fecha de operación");
const MOVEMENT_VALUE_DATE: Field = field(17, 6, "fecha valor");
const MOVEMENT_COMMON_CONCEPT: Field = field(23, 2, "concepto común");
const MOVEMENT_OWN_CONCEPT: Field = field(25, 3, "concepto propio");
const MOVEMENT_KEY: Field = field(28, 1, "clave debe/haber del movimiento");
const MOVEMENT_AMOUNT: Field = field(29, 14, "importe del movimiento");
const MOVEMENT_DOCUMENT: Field = field(43, 10, "número de documento");
const MOVEMENT_REFERENCE1: Field = field(53, 12, "referencia 1");
const MOVEMENT_REFERENCE2: Field = field(65, 16, "referencia 2");

// Record 23, complementario de concepto (up to five per movement): 1-2 "23", 3-4 código de
// dato (01 to 05), 5-42 concepto, 43-80 concepto.
const CONCEPT_FIRST: Field = field(5, 38, "concepto");
const CONCEPT_SECOND: Field = field(43, 38, "concepto");

// Record 24, complementario de equivalencia de importe (optional, no accounting value): 1-2
// "24", 3-4 código de dato (01), 5-7 clave de divisa origen, 8-21 importe equivalente (12
// enteros y 2 decimales), 22-80 libre.
const EQUIVALENCE_CURRENCY: Field = field(5, 3, "clave de divisa origen");
const EQUIVALENCE_AMOUNT: Field = field(8, 14, "importe equivalente");

// Record 33, final de cuenta: 1-2 "33", 3-6 clave de la entidad, 7-10 clave de la oficina,
// 11-20 número de cuenta, 21-25 número de apuntes en el debe, 26-39 total importes debe,
// 40-44 número de apuntes en el haber, 45-58 total importes haber, 59 código del saldo final
// (1 deudor, 2 acreedor), 60-73 saldo final, 74-76 clave de divisa, 77-80 libre.
const CLOSING_ACCOUNT_ID: Field = field(3, 18, "entidad, oficina y cuenta");
const CLOSING_DEBIT_COUNT: Field = field(21, 5, "número de apuntes en el debe");
const CLOSING_DEBIT_TOTAL: Field = field(26, 14, "total importes debe");
const CLOSING_CREDIT_COUNT: Field = field(40, 5, "número de apuntes en el haber");
const CLOSING_CREDIT_TOTAL: Field = field(45, 14, "total importes haber");
const CLOSING_KEY: Field = field(59, 1, "código del saldo final");
const CLOSING_BALANCE: Field = field(60, 14, "saldo final");
const CLOSING_CURRENCY: Field = field(74, 3, "clave de divisa");

// Record 88, fin de fichero: 1-2 "88", 3-20 eighteen nines, 21-26 número de registros, 27-80
// libre.
const END_RECORD_COUNT: Field = field(21, 6, "número de registros");

// ---------------------------------------------------------------------------------------------
// Reading.
// ---------------------------------------------------------------------------------------------

/// Reads a Norma 43 file as downloaded from the bank.
pub fn parse(bytes: &[u8]) -> Result<Statement, Norma43Error> {
    let text = decode(bytes);
    let records = read_records(&text)?;
    let order = date_order(&records);
    let mut reader = Reader {
        order,
        accounts: Vec::new(),
        warnings: Vec::new(),
        open: None,
        counts: Counts::default(),
    };
    for record in &records {
        reader.record(record)?;
    }
    reader.finish()
}

/// The file's text. Banks write ISO-8859-1, but a file that went through a text editor may be
/// UTF-8, with or without a byte-order mark. Windows-1252 stands in for ISO-8859-1: it is the
/// same for every printable character, and banks' "Latin-1" files are often really 1252 (the
/// euro sign).
fn decode(bytes: &[u8]) -> Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => WINDOWS_1252.decode_without_bom_handling(bytes).0,
    }
}

/// A non-blank line, padded to the record width.
struct Record {
    line: usize,
    chars: Vec<char>,
}

impl Record {
    fn raw(&self, field: Field) -> String {
        self.chars[field.start..field.start + field.len]
            .iter()
            .collect()
    }

    fn text(&self, field: Field) -> String {
        self.raw(field).trim().to_owned()
    }

    fn code(&self) -> String {
        self.raw(RECORD_CODE)
    }

    fn number(&self, field: Field) -> Result<u64, Norma43Error> {
        let raw = self.raw(field);
        if !raw.chars().all(|c| c.is_ascii_digit()) {
            return Err(Norma43Error::NotDigits {
                line: self.line,
                field: field.name,
                value: raw,
            });
        }
        // At most 14 digits, which always fit.
        raw.parse()
            .map_err(|_| Norma43Error::Overflow { line: self.line })
    }

    /// An amount of 12 whole digits and 2 decimals, in cents.
    fn cents(&self, field: Field) -> Result<i64, Norma43Error> {
        i64::try_from(self.number(field)?).map_err(|_| Norma43Error::Overflow { line: self.line })
    }

    /// `true` for 1 (debe: a debit, or an overdrawn balance), `false` for 2 (haber).
    fn is_debit(&self, field: Field) -> Result<bool, Norma43Error> {
        match self.raw(field).as_str() {
            "1" => Ok(true),
            "2" => Ok(false),
            other => Err(Norma43Error::BadKey {
                line: self.line,
                field: field.name,
                value: other.to_owned(),
            }),
        }
    }

    /// An amount with its debit/credit key: negative for 1.
    fn signed_cents(&self, key: Field, amount: Field) -> Result<i64, Norma43Error> {
        let debit = self.is_debit(key)?;
        let cents = self.cents(amount)?;
        Ok(if debit { -cents } else { cents })
    }

    fn date(&self, field: Field, order: DateOrder) -> Result<NaiveDate, Norma43Error> {
        let raw = self.raw(field);
        read_date(&raw, order).ok_or(Norma43Error::BadDate {
            line: self.line,
            field: field.name,
            value: raw,
        })
    }
}

/// Splits the text into records. Lines may end in CRLF, LF or a lone CR (old exports); some
/// banks trim the trailing spaces of each record, so short lines are padded back to 80
/// characters (characters, not bytes: the text is decoded by now).
fn read_records(text: &str) -> Result<Vec<Record>, Norma43Error> {
    let lines = text
        .split('\n')
        .flat_map(|piece| piece.strip_suffix('\r').unwrap_or(piece).split('\r'));
    let mut records = Vec::new();
    for (index, line) in lines.enumerate() {
        let number = index + 1;
        // DOS tools end a file with Ctrl-Z, and padding spaces may have become tabs.
        let content = line.trim_end_matches([' ', '\t', '\u{1a}']);
        if content.is_empty() {
            continue;
        }
        let mut chars: Vec<char> = content.chars().collect();
        if chars.len() > RECORD_WIDTH {
            return Err(Norma43Error::TooLong {
                line: number,
                length: chars.len(),
            });
        }
        chars.resize(RECORD_WIDTH, ' ');
        records.push(Record {
            line: number,
            chars,
        });
    }
    Ok(records)
}

/// How the six digits of a date are ordered. The standard says YYMMDD; some banks write
/// DDMMYY. Either way the year is 20YY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateOrder {
    YearFirst,
    DayFirst,
}

fn read_date(raw: &str, order: DateOrder) -> Option<NaiveDate> {
    let bytes = raw.as_bytes();
    if bytes.len() != 6 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let pair = |at: usize| (bytes[at] - b'0') * 10 + (bytes[at + 1] - b'0');
    let (year, month, day) = match order {
        DateOrder::YearFirst => (pair(0), pair(2), pair(4)),
        DateOrder::DayFirst => (pair(4), pair(2), pair(0)),
    };
    NaiveDate::from_ymd_opt(2000 + i32::from(year), u32::from(month), u32::from(day))
}

/// What reading every date of the file in one order gives: its faults, worst first, and the
/// days its periods cover.
#[derive(Debug, Default)]
struct Reading {
    /// Dates that are no real day.
    impossible: usize,
    /// Periods that end before they start.
    reversed: usize,
    /// Periods longer than [`LONGEST_PERIOD_DAYS`].
    overlong: usize,
    /// Operation dates outside their period. Value dates may fall outside it (a transfer
    /// valued the next month), so they are not held against a reading.
    strays: usize,
    span: i64,
}

impl Reading {
    fn faults(&self) -> (usize, usize, usize, usize) {
        (self.impossible, self.reversed, self.overlong, self.strays)
    }
}

/// Two years: a download of a statement covers days, months, a year at most; the wrong
/// reading of a monthly one puts the day of the month in the year and covers decades.
const LONGEST_PERIOD_DAYS: i64 = 731;

/// Periods of two readings that differ by less than this are taken as the same: the two
/// readings of a period that starts and ends on the same day of the month differ only by the
/// lengths of February in two different years.
const SPAN_MARGIN_DAYS: i64 = 7;

fn reading(records: &[Record], order: DateOrder) -> Reading {
    let mut result = Reading::default();
    let mut period = None;
    for record in records {
        match record.code().as_str() {
            "11" => {
                let start = read_date(&record.raw(HEADER_START), order);
                let end = read_date(&record.raw(HEADER_END), order);
                period = None;
                match (start, end) {
                    (Some(start), Some(end)) if start <= end => {
                        let days = (end - start).num_days();
                        if days > LONGEST_PERIOD_DAYS {
                            result.overlong += 1;
                        }
                        result.span += days;
                        period = Some((start, end));
                    }
                    (Some(_), Some(_)) => result.reversed += 1,
                    (start, end) => {
                        result.impossible +=
                            usize::from(start.is_none()) + usize::from(end.is_none());
                    }
                }
            }
            "22" => {
                let operation = read_date(&record.raw(MOVEMENT_OPERATION_DATE), order);
                let value = read_date(&record.raw(MOVEMENT_VALUE_DATE), order);
                result.impossible += usize::from(value.is_none());
                match (operation, period) {
                    (None, _) => result.impossible += 1,
                    (Some(operation), Some((start, end)))
                        if operation < start || operation > end =>
                    {
                        result.strays += 1;
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    result
}

/// Decides, for the whole file, whether dates are year-first (the standard) or day-first.
///
/// The reading with fewer faults wins, the worse faults counting first: impossible dates,
/// periods that run backwards, periods of decades, operation dates outside their period. So
/// day-first wins where year-first gives an impossible date or a stray operation date and
/// day-first fits, but one stray movement in a standard file does not turn it day-first,
/// since that reading stretches its period over decades. With no fault either way, which is
/// common in 2000-2031 (`150125` is 15 January 2025 or 25 January 2015), the shorter periods
/// win, for the same reason; on a tie the standard order stays.
fn date_order(records: &[Record]) -> DateOrder {
    let year_first = reading(records, DateOrder::YearFirst);
    let day_first = reading(records, DateOrder::DayFirst);
    let day_first_wins = match day_first.faults().cmp(&year_first.faults()) {
        std::cmp::Ordering::Less => true,
        std::cmp::Ordering::Greater => false,
        std::cmp::Ordering::Equal => day_first.span + SPAN_MARGIN_DAYS < year_first.span,
    };
    if day_first_wins {
        DateOrder::DayFirst
    } else {
        DateOrder::YearFirst
    }
}

/// Records since the start of the file or the last record 88, for the 88's count.
#[derive(Debug, Default)]
struct Counts {
    headers: usize,
    /// Records 22, 23 and 24.
    movements: usize,
    closings: usize,
}

impl Counts {
    fn any(&self) -> bool {
        self.headers + self.movements + self.closings > 0
    }
}

/// The account being read: its record 11 came, its record 33 not yet.
struct OpenAccount {
    account: Account,
    header_line: usize,
    /// Counted by the debit/credit key, as the bank's record 33 counts them.
    debits: Totals,
    credits: Totals,
    balance: i64,
}

struct Reader {
    order: DateOrder,
    accounts: Vec<Account>,
    warnings: Vec<String>,
    open: Option<OpenAccount>,
    counts: Counts,
}

impl Reader {
    fn record(&mut self, record: &Record) -> Result<(), Norma43Error> {
        match record.code().as_str() {
            "11" => self.header(record),
            "22" => self.movement(record),
            "23" => self.concept(record),
            "24" => self.equivalence(record),
            "33" => self.closing(record),
            "88" => self.end(record),
            other => Err(Norma43Error::UnknownRecord {
                line: record.line,
                code: other.trim().to_owned(),
            }),
        }
    }

    fn header(&mut self, record: &Record) -> Result<(), Norma43Error> {
        self.close_without_totals();
        let start = record.date(HEADER_START, self.order)?;
        let end = record.date(HEADER_END, self.order)?;
        if start > end {
            return Err(Norma43Error::BadPeriod {
                line: record.line,
                start,
                end,
            });
        }
        let opening = record.signed_cents(HEADER_KEY, HEADER_OPENING)?;
        let bank = record.text(HEADER_BANK);
        let branch = record.text(HEADER_BRANCH);
        let number = record.text(HEADER_ACCOUNT);
        self.open = Some(OpenAccount {
            account: Account {
                iban: spanish_iban(&bank, &branch, &number),
                bank,
                branch,
                number,
                start,
                end,
                opening_cents: opening,
                closing_cents: opening,
                currency: record.text(HEADER_CURRENCY),
                name: record.text(HEADER_NAME),
                movements: Vec::new(),
            },
            header_line: record.line,
            debits: Totals::default(),
            credits: Totals::default(),
            balance: opening,
        });
        self.counts.headers += 1;
        Ok(())
    }

    fn movement(&mut self, record: &Record) -> Result<(), Norma43Error> {
        let line = record.line;
        let open = self
            .open
            .as_mut()
            .ok_or(Norma43Error::OutsideAccount { line, code: "22" })?;
        let operation_date = record.date(MOVEMENT_OPERATION_DATE, self.order)?;
        let value_date = record.date(MOVEMENT_VALUE_DATE, self.order)?;
        let debit = record.is_debit(MOVEMENT_KEY)?;
        let cents = record.cents(MOVEMENT_AMOUNT)?;
        let overflow = Norma43Error::Overflow { line };
        let side = if debit {
            &mut open.debits
        } else {
            &mut open.credits
        };
        side.count += 1;
        side.cents = side.cents.checked_add(cents).ok_or(overflow.clone())?;
        let amount_cents = if debit { -cents } else { cents };
        open.balance = open.balance.checked_add(amount_cents).ok_or(overflow)?;
        let (start, end) = (open.account.start, open.account.end);
        if operation_date < start || operation_date > end {
            // Only when no reading of the dates fits the whole file (see `date_order`); the
            // movement is still the bank's, so it is kept.
            self.warnings.push(format!(
                "Línea {line}: la fecha de operación ({}) queda fuera del periodo del extracto ({} a {}).",
                day_text(operation_date),
                day_text(start),
                day_text(end)
            ));
        }
        open.account.movements.push(Movement {
            line,
            operation_date,
            value_date,
            common_concept: record.text(MOVEMENT_COMMON_CONCEPT),
            own_concept: record.text(MOVEMENT_OWN_CONCEPT),
            amount_cents,
            document: record.text(MOVEMENT_DOCUMENT),
            reference1: record.text(MOVEMENT_REFERENCE1),
            reference2: record.text(MOVEMENT_REFERENCE2),
            concepts: Vec::new(),
            equivalence: None,
        });
        self.counts.movements += 1;
        Ok(())
    }

    /// The movement a record 23 or 24 completes: the last 22 of the open account.
    fn last_movement(
        &mut self,
        record: &Record,
        code: &'static str,
    ) -> Result<&mut Movement, Norma43Error> {
        let line = record.line;
        self.open
            .as_mut()
            .ok_or(Norma43Error::OutsideAccount { line, code })?
            .account
            .movements
            .last_mut()
            .ok_or(Norma43Error::WithoutMovement { line, code })
    }

    fn concept(&mut self, record: &Record) -> Result<(), Norma43Error> {
        let movement = self.last_movement(record, "23")?;
        for field in [CONCEPT_FIRST, CONCEPT_SECOND] {
            let text = record.text(field);
            if !text.is_empty() {
                movement.concepts.push(text);
            }
        }
        self.counts.movements += 1;
        Ok(())
    }

    fn equivalence(&mut self, record: &Record) -> Result<(), Norma43Error> {
        let line = record.line;
        let currency = record.text(EQUIVALENCE_CURRENCY);
        let cents = record.cents(EQUIVALENCE_AMOUNT)?;
        let movement = self.last_movement(record, "24")?;
        if movement.equivalence.is_some() {
            return Err(Norma43Error::DuplicateEquivalence { line });
        }
        movement.equivalence = Some(Equivalence {
            currency,
            amount_cents: if movement.amount_cents < 0 {
                -cents
            } else {
                cents
            },
        });
        self.counts.movements += 1;
        Ok(())
    }

    fn closing(&mut self, record: &Record) -> Result<(), Norma43Error> {
        let line = record.line;
        let Some(open) = self.open.take() else {
            return Err(Norma43Error::OutsideAccount { line, code: "33" });
        };
        let OpenAccount {
            mut account,
            header_line,
            debits,
            credits,
            balance,
        } = open;

        // A blank or zeroed account id is let through: it says nothing against the header.
        let found = record.raw(CLOSING_ACCOUNT_ID);
        let expected = format!("{}{}{}", account.bank, account.branch, account.number);
        if found != expected && !found.chars().all(|c| c == ' ' || c == '0') {
            return Err(Norma43Error::AccountMismatch {
                line,
                header_line,
                expected: account_text(&expected),
                found: account_text(&found),
            });
        }

        let sides = [
            ("debe", CLOSING_DEBIT_COUNT, CLOSING_DEBIT_TOTAL, debits),
            ("haber", CLOSING_CREDIT_COUNT, CLOSING_CREDIT_TOTAL, credits),
        ];
        let mut declared = [0i64; 2];
        for (slot, (side, count_field, total_field, actual)) in declared.iter_mut().zip(sides) {
            let declared_count = record.number(count_field)?;
            let declared_cents = record.cents(total_field)?;
            if usize::try_from(declared_count) != Ok(actual.count) || declared_cents != actual.cents
            {
                return Err(Norma43Error::Totals {
                    line,
                    side,
                    declared_count,
                    declared_cents,
                    count: actual.count,
                    cents: actual.cents,
                });
            }
            *slot = declared_cents;
        }

        let closing = record.signed_cents(CLOSING_KEY, CLOSING_BALANCE)?;
        if closing != balance {
            return Err(Norma43Error::Unbalanced {
                line,
                opening: account.opening_cents,
                credits: declared[1],
                debits: declared[0],
                expected: balance,
                closing,
            });
        }

        let currency = record.text(CLOSING_CURRENCY);
        if !currency.is_empty() && currency != account.currency {
            self.warnings.push(format!(
                "Línea {line}: el registro final de cuenta (33) trae la divisa {currency}, y la cabecera de la cuenta, la {}.",
                account.currency
            ));
        }
        account.closing_cents = closing;
        self.accounts.push(account);
        self.counts.closings += 1;
        Ok(())
    }

    fn end(&mut self, record: &Record) -> Result<(), Norma43Error> {
        self.close_without_totals();
        let declared = record.number(END_RECORD_COUNT)?;
        let movements = self.counts.movements;
        let counted = movements + self.counts.headers + self.counts.closings;
        // The standard counts the records before the 88; some banks count the 88 itself, and
        // some leave out the account headers and closings. Any of the four is a file that is
        // whole; a count that matches none is not.
        let conventions = [movements, movements + 1, counted, counted + 1];
        if !conventions
            .iter()
            .any(|&n| u64::try_from(n) == Ok(declared))
        {
            return Err(Norma43Error::RecordCount {
                line: record.line,
                declared,
                counted,
                movements,
            });
        }
        // Files downloaded one after another are sometimes joined; what follows an 88 is
        // counted afresh.
        self.counts = Counts::default();
        Ok(())
    }

    /// Closes the open account, if any, when its record 33 never came: the closing balance is
    /// what the movements give, and the user is told that the bank did not confirm it.
    fn close_without_totals(&mut self) {
        let Some(open) = self.open.take() else {
            return;
        };
        let mut account = open.account;
        self.warnings.push(format!(
            "La cuenta {} que empieza en la línea {} no trae registro final de cuenta (33): su saldo final ({}) se ha calculado con el saldo inicial y los movimientos, sin poder contrastarlo con el del banco.",
            account_text(&format!("{}{}{}", account.bank, account.branch, account.number)),
            open.header_line,
            amount_text(&open.balance)
        ));
        account.closing_cents = open.balance;
        self.accounts.push(account);
    }

    fn finish(mut self) -> Result<Statement, Norma43Error> {
        self.close_without_totals();
        if self.accounts.is_empty() {
            return Err(Norma43Error::Empty);
        }
        if self.counts.any() {
            self.warnings.push(
                "El fichero no termina con el registro de fin de fichero (88): puede estar incompleto, y no se ha podido comprobar su número de registros."
                    .to_owned(),
            );
        }
        Ok(Statement {
            accounts: self.accounts,
            warnings: self.warnings,
        })
    }
}

/// "2100 0418 0200051332" from the 18 characters of bank, branch and account.
fn account_text(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() != 18 {
        return id.trim().to_owned();
    }
    let part = |from: usize, to: usize| chars[from..to].iter().collect::<String>();
    format!("{} {} {}", part(0, 4), part(4, 8), part(8, 18))
}

/// One control digit of a CCC: weights 1, 2, 4, 8, 5, 10, 9, 7, 3, 6 over ten digits, 11
/// minus the remainder modulo 11, where 11 is written 0 and 10 is written 1.
fn ccc_digit(ten_digits: &str) -> u32 {
    const WEIGHTS: [u32; 10] = [1, 2, 4, 8, 5, 10, 9, 7, 3, 6];
    let sum: u32 = ten_digits
        .chars()
        .filter_map(|c| c.to_digit(10))
        .zip(WEIGHTS)
        .map(|(digit, weight)| digit * weight)
        .sum();
    match 11 - sum % 11 {
        11 => 0,
        10 => 1,
        digit => digit,
    }
}

/// The Spanish IBAN, unspaced, of an account given as Norma 43 gives it: bank, branch and the
/// ten-digit number without the CCC's control digits, which are computed here (the first over
/// `00` + bank + branch, the second over the number). `None` unless all three are digits of
/// the right lengths.
pub fn spanish_iban(bank: &str, branch: &str, number: &str) -> Option<String> {
    let digits =
        |text: &str, len: usize| text.len() == len && text.bytes().all(|b| b.is_ascii_digit());
    if !(digits(bank, 4) && digits(branch, 4) && digits(number, 10)) {
        return None;
    }
    let first = ccc_digit(&format!("00{bank}{branch}"));
    let second = ccc_digit(number);
    Iban::from_parts("ES", &format!("{bank}{branch}{first}{second}{number}")).map(Iban::into_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NORMAL_CRLF: &[u8] = include_bytes!("testdata/norma43/normal_crlf.n43");
    const NORMAL_LF: &[u8] = include_bytes!("testdata/norma43/normal_lf.n43");
    const DAY_FIRST: &[u8] = include_bytes!("testdata/norma43/day_first.n43");
    const LATIN1: &[u8] = include_bytes!("testdata/norma43/latin1.n43");
    const MULTI: &[u8] = include_bytes!("testdata/norma43/multi.n43");
    const EMPTY: &[u8] = include_bytes!("testdata/norma43/empty.n43");
    const BAD_TOTALS: &[u8] = include_bytes!("testdata/norma43/bad_totals.n43");
    const BAD_BALANCE: &[u8] = include_bytes!("testdata/norma43/bad_balance.n43");
    const BAD_COUNT: &[u8] = include_bytes!("testdata/norma43/bad_count.n43");
    const NO_88: &[u8] = include_bytes!("testdata/norma43/no_88.n43");
    const NO_33: &[u8] = include_bytes!("testdata/norma43/no_33.n43");
    const BAD_RECORD: &[u8] = include_bytes!("testdata/norma43/bad_record.n43");
    const MOVEMENT_BEFORE_HEADER: &[u8] =
        include_bytes!("testdata/norma43/movement_before_header.n43");

    const IBAN_A: &str = "ES9121000418450200051332";
    const IBAN_B: &str = "ES7000491500010512345678";

    fn day(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    #[allow(clippy::too_many_arguments)]
    fn movement(
        line: usize,
        operation_date: NaiveDate,
        value_date: NaiveDate,
        concepts_codes: (&str, &str),
        amount_cents: i64,
        document: &str,
        references: (&str, &str),
        concepts: &[&str],
    ) -> Movement {
        Movement {
            line,
            operation_date,
            value_date,
            common_concept: concepts_codes.0.to_owned(),
            own_concept: concepts_codes.1.to_owned(),
            amount_cents,
            document: document.to_owned(),
            reference1: references.0.to_owned(),
            reference2: references.1.to_owned(),
            concepts: concepts.iter().map(|c| (*c).to_owned()).collect(),
            equivalence: None,
        }
    }

    /// An account of CaixaBank's example CCC 2100 0418 45 0200051332 in euros.
    fn account_a(
        period: (NaiveDate, NaiveDate),
        opening_cents: i64,
        closing_cents: i64,
        name: &str,
        movements: Vec<Movement>,
    ) -> Account {
        Account {
            bank: "2100".to_owned(),
            branch: "0418".to_owned(),
            number: "0200051332".to_owned(),
            iban: Some(IBAN_A.to_owned()),
            start: period.0,
            end: period.1,
            opening_cents,
            closing_cents,
            currency: "978".to_owned(),
            name: name.to_owned(),
            movements,
        }
    }

    fn normal_expected() -> Statement {
        let mut card = movement(
            9,
            day(2025, 1, 28),
            day(2025, 1, 29),
            ("12", "400"),
            -10_000,
            "0000000000",
            ("", "TARJETA 4321"),
            &[],
        );
        card.equivalence = Some(Equivalence {
            currency: "840".to_owned(),
            amount_cents: -11_000,
        });
        Statement {
            accounts: vec![account_a(
                (day(2025, 1, 1), day(2025, 1, 31)),
                150_000,
                282_679,
                "CORREDURIA SORIANO SL",
                vec![
                    movement(
                        2,
                        day(2025, 1, 3),
                        day(2025, 1, 3),
                        ("04", "062"),
                        25_000,
                        "0000012345",
                        ("000000000001", "REF-ABC"),
                        &[
                            "TRANSFERENCIA DE JUAN PEREZ GARCIA",
                            "RECIBO POLIZA 2024-0001",
                        ],
                    ),
                    movement(
                        4,
                        day(2025, 1, 10),
                        day(2025, 1, 11),
                        ("02", "001"),
                        123_456,
                        "0000000000",
                        ("", ""),
                        &[],
                    ),
                    movement(
                        5,
                        day(2025, 1, 15),
                        day(2025, 1, 15),
                        ("17", "210"),
                        -1_210,
                        "0000000000",
                        ("", "COMISION MANT."),
                        &[],
                    ),
                    movement(
                        6,
                        day(2025, 1, 20),
                        day(2025, 1, 17),
                        ("14", "005"),
                        -4_567,
                        "0000000777",
                        ("RCB000000007", "M-2024-0007"),
                        &[
                            "DEVOLUCION RECIBO SEPA MS03",
                            "MANDATO M-2024-0007",
                            "DEUDOR: MARIA LOPEZ",
                        ],
                    ),
                    card,
                ],
            )],
            warnings: vec![],
        }
    }

    fn error_of(bytes: &[u8]) -> Norma43Error {
        let error = parse(bytes).unwrap_err();
        // Whatever the error, the user is told where to look.
        if let Some(line) = error.line() {
            assert!(
                error.to_string().starts_with(&format!("Línea {line}: ")),
                "{error}"
            );
        }
        error
    }

    /// The normal statement (LF version) with line `number` replaced.
    fn normal_with_line(number: usize, line: &str) -> Vec<u8> {
        let text = std::str::from_utf8(NORMAL_LF).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        lines[number - 1] = line;
        (lines.join("\n") + "\n").into_bytes()
    }

    /// Line `number` of the normal statement with the text at `first_column` (from 1) replaced.
    fn normal_line_with(number: usize, first_column: usize, value: &str) -> String {
        let text = std::str::from_utf8(NORMAL_LF).unwrap();
        let line = text.lines().nth(number - 1).unwrap();
        let start = first_column - 1;
        format!("{}{value}{}", &line[..start], &line[start + value.len()..])
    }

    #[test]
    fn reads_a_normal_statement() {
        assert_eq!(parse(NORMAL_CRLF).unwrap(), normal_expected());
    }

    #[test]
    fn crlf_and_lf_files_read_the_same() {
        assert!(NORMAL_CRLF.windows(2).any(|w| w == b"\r\n"));
        assert!(!NORMAL_LF.contains(&b'\r'));
        assert_eq!(parse(NORMAL_LF).unwrap(), normal_expected());
        assert_eq!(parse(NORMAL_LF).unwrap(), parse(NORMAL_CRLF).unwrap());
    }

    #[test]
    fn reads_trimmed_lines_lone_carriage_returns_a_bom_and_a_dos_end_of_file() {
        let text = std::str::from_utf8(NORMAL_LF).unwrap();
        let trimmed: Vec<&str> = text.lines().map(str::trim_end).collect();
        assert!(trimmed.iter().any(|line| line.len() < 40));
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(trimmed.join("\r").as_bytes());
        bytes.extend_from_slice(b"\r\r\x1a");
        assert_eq!(parse(&bytes).unwrap(), normal_expected());
    }

    #[test]
    fn skips_blank_lines_but_counts_them_in_line_numbers() {
        let text = std::str::from_utf8(NORMAL_LF).unwrap();
        let with_blanks = text.replacen('\n', "\n\n   \n", 1);
        let statement = parse(with_blanks.as_bytes()).unwrap();
        let lines: Vec<usize> = statement.accounts[0]
            .movements
            .iter()
            .map(|m| m.line)
            .collect();
        assert_eq!(lines, [4, 6, 7, 8, 11]);

        let text = std::str::from_utf8(BAD_TOTALS).unwrap();
        let with_blanks = text.replacen("\r\n", "\r\n\r\n", 1);
        assert_eq!(error_of(with_blanks.as_bytes()).line(), Some(5));
    }

    #[test]
    fn only_concept_14_is_a_return() {
        let statement = parse(NORMAL_CRLF).unwrap();
        let returns: Vec<usize> = statement.accounts[0]
            .movements
            .iter()
            .filter(|m| m.is_return())
            .map(|m| m.line)
            .collect();
        assert_eq!(returns, [6]);
    }

    #[test]
    fn totals_of_an_account() {
        let account = &parse(NORMAL_CRLF).unwrap().accounts[0];
        assert_eq!(
            account.debits(),
            Totals {
                count: 3,
                cents: 15_777
            }
        );
        assert_eq!(
            account.credits(),
            Totals {
                count: 2,
                cents: 148_456
            }
        );
    }

    #[test]
    fn reads_day_first_dates() {
        // 160125-150225 read year-first would end before it starts.
        let expected = Statement {
            accounts: vec![account_a(
                (day(2025, 1, 16), day(2025, 2, 15)),
                50_000,
                67_655,
                "CORREDURIA SORIANO SL",
                vec![
                    movement(
                        2,
                        day(2025, 1, 20),
                        day(2025, 1, 21),
                        ("04", "062"),
                        30_000,
                        "0000000001",
                        ("", ""),
                        &[],
                    ),
                    movement(
                        3,
                        day(2025, 2, 5),
                        day(2025, 2, 4),
                        ("03", "010"),
                        -12_345,
                        "0000000002",
                        ("", ""),
                        &[],
                    ),
                ],
            )],
            warnings: vec![],
        };
        assert_eq!(parse(DAY_FIRST).unwrap(), expected);
    }

    #[test]
    fn reads_latin1_accents() {
        // Í is one byte, 0xCD, in ISO-8859-1, and two in UTF-8.
        assert!(LATIN1.contains(&0xCD));
        assert!(!LATIN1.windows(2).any(|pair| pair == "Í".as_bytes()));
        let expected = Statement {
            accounts: vec![account_a(
                (day(2025, 3, 1), day(2025, 3, 31)),
                100_000,
                108_990,
                "CORREDURÍA SORIANO, S.L.",
                vec![movement(
                    2,
                    day(2025, 3, 5),
                    day(2025, 3, 5),
                    ("02", "001"),
                    8_990,
                    "0000000000",
                    ("", ""),
                    &[
                        "PRIMA PÓLIZA HOGAR Nº 2025/017",
                        "TOMADOR: ÁLVARO MUÑOZ IBÁÑEZ",
                    ],
                )],
            )],
            warnings: vec![],
        };
        assert_eq!(parse(LATIN1).unwrap(), expected);

        // The same file saved as UTF-8 by an editor, with and without a byte-order mark: its
        // lines are longer in bytes but still 80 characters.
        let utf8 = WINDOWS_1252.decode_without_bom_handling(LATIN1).0;
        assert_eq!(parse(utf8.as_bytes()).unwrap(), expected);
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), utf8.as_bytes()].concat();
        assert_eq!(parse(&with_bom).unwrap(), expected);
    }

    #[test]
    fn reads_several_accounts() {
        let expected = Statement {
            accounts: vec![
                account_a(
                    (day(2025, 2, 1), day(2025, 2, 28)),
                    10_000,
                    15_000,
                    "SORIANO CUENTA COBROS",
                    vec![movement(
                        2,
                        day(2025, 2, 3),
                        day(2025, 2, 3),
                        ("02", "001"),
                        5_000,
                        "0000000000",
                        ("", ""),
                        &[],
                    )],
                ),
                Account {
                    bank: "0049".to_owned(),
                    branch: "1500".to_owned(),
                    number: "0512345678".to_owned(),
                    iban: Some(IBAN_B.to_owned()),
                    start: day(2025, 2, 1),
                    end: day(2025, 2, 28),
                    opening_cents: -20_000,
                    closing_cents: 22_500,
                    currency: "978".to_owned(),
                    name: "SORIANO CUENTA PAGOS".to_owned(),
                    movements: vec![
                        movement(
                            5,
                            day(2025, 2, 10),
                            day(2025, 2, 10),
                            ("03", "002"),
                            -7_500,
                            "0000000000",
                            ("", ""),
                            &["PAGO PROVEEDOR"],
                        ),
                        movement(
                            7,
                            day(2025, 2, 15),
                            day(2025, 2, 15),
                            ("02", "001"),
                            50_000,
                            "0000000000",
                            ("", ""),
                            &[],
                        ),
                    ],
                },
            ],
            warnings: vec![],
        };
        assert_eq!(parse(MULTI).unwrap(), expected);
    }

    #[test]
    fn reads_an_empty_statement() {
        let expected = Statement {
            accounts: vec![account_a(
                (day(2025, 4, 1), day(2025, 4, 30)),
                123_456,
                123_456,
                "CORREDURIA SORIANO SL",
                vec![],
            )],
            warnings: vec![],
        };
        assert_eq!(parse(EMPTY).unwrap(), expected);
    }

    #[test]
    fn refuses_totals_that_do_not_match_record_33() {
        let error = error_of(BAD_TOTALS);
        assert_eq!(
            error,
            Norma43Error::Totals {
                line: 4,
                side: "debe",
                declared_count: 2,
                declared_cents: 1_000,
                count: 1,
                cents: 1_000,
            }
        );
        assert_eq!(
            error.to_string(),
            "Línea 4: el registro final de cuenta (33) declara en el debe 2 apuntes por un total de 10,00, pero los movimientos de la cuenta dan 1 por 10,00."
        );

        // A wrong credit total is caught as well.
        let bad_credits = normal_with_line(11, &normal_line_with(11, 45, "00000000148457"));
        assert_eq!(
            error_of(&bad_credits),
            Norma43Error::Totals {
                line: 11,
                side: "haber",
                declared_count: 2,
                declared_cents: 148_457,
                count: 2,
                cents: 148_456,
            }
        );
    }

    #[test]
    fn refuses_a_closing_balance_that_does_not_add_up() {
        let error = error_of(BAD_BALANCE);
        assert_eq!(
            error,
            Norma43Error::Unbalanced {
                line: 4,
                opening: 100_000,
                credits: 2_000,
                debits: 1_000,
                expected: 101_000,
                closing: 100_100,
            }
        );
        assert_eq!(
            error.to_string(),
            "Línea 4: el saldo final no cuadra: saldo inicial 1.000,00 + abonos 20,00 − cargos 10,00 = 1.010,00, pero el registro final de cuenta (33) declara 1.001,00."
        );

        // The sign of the closing balance counts: the same figure as a debit balance.
        let overdrawn = normal_with_line(11, &normal_line_with(11, 59, "1"));
        assert!(matches!(
            error_of(&overdrawn),
            Norma43Error::Unbalanced {
                line: 11,
                closing: -282_679,
                ..
            }
        ));
    }

    #[test]
    fn refuses_a_record_count_that_matches_no_convention() {
        let error = error_of(BAD_COUNT);
        assert_eq!(
            error,
            Norma43Error::RecordCount {
                line: 4,
                declared: 7,
                counted: 3,
                movements: 1,
            }
        );
        assert_eq!(
            error.to_string(),
            "Línea 4: el registro de fin de fichero (88) declara 7 registros, pero antes de él hay 3 (1 sin contar las cabeceras y los finales de cuenta)."
        );
    }

    #[test]
    fn accepts_every_record_count_convention_and_no_other() {
        // Nine records 22, 23 and 24, plus the 11 and the 33, plus maybe the 88 itself.
        for count in 0..=20 {
            let bytes = normal_with_line(12, &normal_line_with(12, 21, &format!("{count:06}")));
            let accepted = (9..=12).contains(&count);
            assert_eq!(parse(&bytes).is_ok(), accepted, "count {count}");
        }
    }

    #[test]
    fn accepts_a_file_without_record_88_with_a_warning() {
        let statement = parse(NO_88).unwrap();
        assert_eq!(
            statement.warnings,
            [
                "El fichero no termina con el registro de fin de fichero (88): puede estar incompleto, y no se ha podido comprobar su número de registros."
            ]
        );
        assert_eq!(
            statement.accounts,
            [account_a(
                (day(2025, 1, 1), day(2025, 1, 31)),
                100_000,
                99_000,
                "CORREDURIA SORIANO SL",
                vec![movement(
                    2,
                    day(2025, 1, 10),
                    day(2025, 1, 10),
                    ("17", "210"),
                    -1_000,
                    "0000000000",
                    ("", ""),
                    &[],
                )],
            )]
        );
    }

    #[test]
    fn accepts_an_account_without_record_33_with_a_warning() {
        let statement = parse(NO_33).unwrap();
        assert_eq!(
            statement.warnings,
            [
                "La cuenta 2100 0418 0200051332 que empieza en la línea 1 no trae registro final de cuenta (33): su saldo final (146,50) se ha calculado con el saldo inicial y los movimientos, sin poder contrastarlo con el del banco."
            ]
        );
        let account = &statement.accounts[0];
        // -50,00 + 200,00 - 3,50.
        assert_eq!(account.opening_cents, -5_000);
        assert_eq!(account.closing_cents, 14_650);
        assert_eq!(
            account
                .movements
                .iter()
                .map(|m| m.amount_cents)
                .collect::<Vec<_>>(),
            [20_000, -350]
        );
        assert_eq!(
            (account.debits(), account.credits()),
            (
                Totals {
                    count: 1,
                    cents: 350
                },
                Totals {
                    count: 1,
                    cents: 20_000
                }
            )
        );

        // With neither 33 nor 88, both are reported.
        let text = std::str::from_utf8(NO_33).unwrap();
        let cut = &text[..text.find("88999").unwrap()];
        assert_eq!(parse(cut.as_bytes()).unwrap().warnings.len(), 2);
    }

    #[test]
    fn refuses_an_unknown_record_type() {
        let error = error_of(BAD_RECORD);
        assert_eq!(
            error,
            Norma43Error::UnknownRecord {
                line: 3,
                code: "21".to_owned()
            }
        );
        assert_eq!(
            error.to_string(),
            "Línea 3: «21» no es un tipo de registro de la Norma 43 (11, 22, 23, 24, 33 u 88)."
        );
    }

    #[test]
    fn refuses_a_movement_before_any_account_header() {
        let error = error_of(MOVEMENT_BEFORE_HEADER);
        assert_eq!(
            error,
            Norma43Error::OutsideAccount {
                line: 1,
                code: "22"
            }
        );
        assert_eq!(
            error.to_string(),
            "Línea 1: el registro 22 no está dentro de ninguna cuenta; falta antes su registro de cabecera de cuenta (11)."
        );
    }

    #[test]
    fn refuses_amounts_and_counts_that_are_not_digits() {
        let spaced = normal_with_line(4, &normal_line_with(4, 29, "00000000 23456"));
        assert_eq!(
            error_of(&spaced),
            Norma43Error::NotDigits {
                line: 4,
                field: "importe del movimiento",
                value: "00000000 23456".to_owned(),
            }
        );
        let lettered = normal_with_line(1, &normal_line_with(1, 34, "0000000015000O"));
        assert!(matches!(
            error_of(&lettered),
            Norma43Error::NotDigits {
                line: 1,
                field: "saldo inicial",
                ..
            }
        ));
        let signed = normal_with_line(10, &normal_line_with(10, 8, "-0000000011000"));
        assert!(matches!(
            error_of(&signed),
            Norma43Error::NotDigits { line: 10, .. }
        ));
        let count = normal_with_line(11, &normal_line_with(11, 21, "0000A"));
        assert!(matches!(
            error_of(&count),
            Norma43Error::NotDigits { line: 11, .. }
        ));
        let end = normal_with_line(12, &normal_line_with(12, 21, "     "));
        assert!(matches!(
            error_of(&end),
            Norma43Error::NotDigits { line: 12, .. }
        ));
    }

    #[test]
    fn refuses_other_malformed_records() {
        let text = std::str::from_utf8(NORMAL_LF).unwrap();
        let lines: Vec<&str> = text.lines().collect();

        // A 23 with no 22 before it in its account.
        let orphan = [lines[0], lines[2]].join("\n");
        assert_eq!(
            error_of(orphan.as_bytes()),
            Norma43Error::WithoutMovement {
                line: 2,
                code: "23"
            }
        );
        // A 24 after the account was closed.
        let empty = std::str::from_utf8(EMPTY).unwrap();
        let empty: Vec<&str> = empty.lines().collect();
        let late = [empty[0], empty[1], lines[9]].join("\n");
        assert_eq!(
            error_of(late.as_bytes()),
            Norma43Error::OutsideAccount {
                line: 3,
                code: "24"
            }
        );
        // Two equivalences for one movement.
        let twice = [&lines[..10], &lines[9..]].concat().join("\n");
        assert_eq!(
            error_of(twice.as_bytes()),
            Norma43Error::DuplicateEquivalence { line: 11 }
        );
        // A record 33 that closes another account.
        let other = normal_with_line(11, &normal_line_with(11, 3, "0049"));
        assert_eq!(
            error_of(&other),
            Norma43Error::AccountMismatch {
                line: 11,
                header_line: 1,
                expected: "2100 0418 0200051332".to_owned(),
                found: "0049 0418 0200051332".to_owned(),
            }
        );
        // A debit/credit key that is neither 1 nor 2.
        let key = normal_with_line(5, &normal_line_with(5, 28, "3"));
        assert_eq!(
            error_of(&key),
            Norma43Error::BadKey {
                line: 5,
                field: "clave debe/haber del movimiento",
                value: "3".to_owned(),
            }
        );
        // A date that is no day in either order.
        let date = normal_with_line(4, &normal_line_with(4, 11, "251301"));
        assert_eq!(
            error_of(&date),
            Norma43Error::BadDate {
                line: 4,
                field: "fecha de operación",
                value: "251301".to_owned(),
            }
        );
        // A period that ends before it starts, in both orders.
        let period = normal_with_line(1, &normal_line_with(1, 21, "250131250101"));
        assert_eq!(
            error_of(&period),
            Norma43Error::BadPeriod {
                line: 1,
                start: day(2025, 1, 31),
                end: day(2025, 1, 1),
            }
        );
        // A line longer than a record: not this format, or its columns shifted.
        let long = normal_with_line(3, &format!("{} X", lines[2]));
        assert_eq!(
            error_of(&long),
            Norma43Error::TooLong {
                line: 3,
                length: 82
            }
        );
        // Nothing to read.
        assert_eq!(error_of(b""), Norma43Error::Empty);
        assert_eq!(error_of(b"\r\n  \r\n\x1a"), Norma43Error::Empty);
        assert_eq!(error_of(end_record(0).as_bytes()), Norma43Error::Empty);
        assert_eq!(Norma43Error::Empty.line(), None);
    }

    #[test]
    fn a_movement_outside_the_period_is_kept_with_a_warning() {
        // 250205 is in February in both readings, outside a January statement either way.
        let bytes = normal_with_line(4, &normal_line_with(4, 11, "250205"));
        let statement = parse(&bytes).unwrap();
        assert_eq!(
            statement.accounts[0].movements[1].operation_date,
            day(2025, 2, 5)
        );
        assert_eq!(
            statement.warnings,
            [
                "Línea 4: la fecha de operación (05/02/2025) queda fuera del periodo del extracto (01/01/2025 a 31/01/2025)."
            ]
        );
    }

    #[test]
    fn computes_the_iban_of_a_ccc() {
        assert_eq!(
            spanish_iban("2100", "0418", "0200051332").as_deref(),
            Some(IBAN_A)
        );
        assert_eq!(
            Iban::parse(IBAN_A).unwrap().grouped(),
            "ES91 2100 0418 4502 0005 1332"
        );
        // Control digits where 11 - remainder is 11 (written 0) and 10 (written 1).
        assert_eq!(ccc_digit("0000491500"), 0);
        assert_eq!(ccc_digit("1000000000"), 1);
        assert_eq!(ccc_digit("0512345678"), 1);
        assert_eq!(
            spanish_iban("0049", "1500", "0512345678").as_deref(),
            Some(IBAN_B)
        );
        assert_eq!(spanish_iban("2100", "0418", "02000513"), None);
        assert_eq!(spanish_iban("21 0", "0418", "0200051332"), None);
        assert_eq!(spanish_iban("2100", "0418", "020005133X"), None);
    }

    // A small writer, the other way round from the parser, for generated files.

    fn pad(text: &str, width: usize) -> String {
        let len = text.chars().count();
        assert!(len <= width, "{text:?} is wider than {width}");
        format!("{text}{}", " ".repeat(width - len))
    }

    fn date_field(date: NaiveDate, order: DateOrder) -> String {
        match order {
            DateOrder::YearFirst => date.format("%y%m%d").to_string(),
            DateOrder::DayFirst => date.format("%d%m%y").to_string(),
        }
    }

    fn key(debit: bool) -> &'static str {
        if debit { "1" } else { "2" }
    }

    /// Writes the accounts as Norma 43 records, without the record 88, and sets each
    /// movement's line to where its record 22 lands.
    fn write(accounts: &mut [Account], order: DateOrder) -> Vec<String> {
        let mut lines = Vec::new();
        for account in accounts {
            lines.push(format!(
                "11{}{}{}{}{}{}{:014}{}3{}   ",
                account.bank,
                account.branch,
                account.number,
                date_field(account.start, order),
                date_field(account.end, order),
                key(account.opening_cents < 0),
                account.opening_cents.abs(),
                account.currency,
                pad(&account.name, 26),
            ));
            for movement in &mut account.movements {
                movement.line = lines.len() + 1;
                lines.push(format!(
                    "22    0418{}{}{}{}{}{:014}{}{}{}",
                    date_field(movement.operation_date, order),
                    date_field(movement.value_date, order),
                    movement.common_concept,
                    movement.own_concept,
                    key(movement.amount_cents < 0),
                    movement.amount_cents.abs(),
                    pad(&movement.document, 10),
                    pad(&movement.reference1, 12),
                    pad(&movement.reference2, 16),
                ));
                for (index, pair) in movement.concepts.chunks(2).enumerate() {
                    lines.push(format!(
                        "23{:02}{}{}",
                        index + 1,
                        pad(&pair[0], 38),
                        pad(pair.get(1).map_or("", String::as_str), 38),
                    ));
                }
                if let Some(equivalence) = &movement.equivalence {
                    lines.push(format!(
                        "2401{}{:014}{}",
                        equivalence.currency,
                        equivalence.amount_cents.abs(),
                        " ".repeat(59),
                    ));
                }
            }
            let (debits, credits) = (account.debits(), account.credits());
            lines.push(format!(
                "33{}{}{}{:05}{:014}{:05}{:014}{}{:014}{}    ",
                account.bank,
                account.branch,
                account.number,
                debits.count,
                debits.cents,
                credits.count,
                credits.cents,
                key(account.closing_cents < 0),
                account.closing_cents.abs(),
                account.currency,
            ));
        }
        for line in &lines {
            assert_eq!(line.chars().count(), RECORD_WIDTH, "{line:?}");
        }
        lines
    }

    fn end_record(count: usize) -> String {
        format!("88{}{count:06}{}", "9".repeat(18), " ".repeat(54))
    }

    /// A statement of one account over `period`, with one movement a day, written in `order`.
    fn one_account_file(
        period: (NaiveDate, NaiveDate),
        days: &[NaiveDate],
        order: DateOrder,
    ) -> (Vec<u8>, Statement) {
        let movements: Vec<Movement> = days
            .iter()
            .map(|&d| movement(0, d, d, ("02", "001"), 1_000, "", ("", ""), &[]))
            .collect();
        let count = i64::try_from(days.len()).unwrap();
        let mut accounts = vec![account_a(
            period,
            0,
            1_000 * count,
            "CORREDURIA SORIANO SL",
            movements,
        )];
        let mut lines = write(&mut accounts, order);
        lines.push(end_record(lines.len()));
        let statement = Statement {
            accounts,
            warnings: vec![],
        };
        (lines.join("\r\n").into_bytes(), statement)
    }

    #[test]
    fn day_first_dates_within_one_month_are_recognised() {
        // Year-first, 010225-280225 is 25 February 2001 to 2028 and every date in it fits
        // too; the shorter reading, February 2025, wins.
        let (bytes, expected) = one_account_file(
            (day(2025, 2, 1), day(2025, 2, 28)),
            &[day(2025, 2, 3), day(2025, 2, 15)],
            DateOrder::DayFirst,
        );
        assert!(bytes.starts_with(b"112100041802000513320102252802252"));
        assert_eq!(parse(&bytes).unwrap(), expected);
    }

    #[test]
    fn day_first_dates_of_a_short_period_are_recognised_by_its_length() {
        // Year-first, 010225-020225 is 25 February 2001 to 2002: a year, not long enough to be
        // a fault, and both movements fit it. Only the length of the period tells.
        let (bytes, expected) = one_account_file(
            (day(2025, 2, 1), day(2025, 2, 2)),
            &[day(2025, 2, 1), day(2025, 2, 2)],
            DateOrder::DayFirst,
        );
        assert_eq!(parse(&bytes).unwrap(), expected);
    }

    #[test]
    fn day_first_dates_of_a_period_ending_on_its_start_day_are_told_by_the_movements() {
        // Year-first, 150125-150225 is 25 January to 25 February 2015, as long as the real
        // period; but 200125, 20 January 2025, would be 25 January 2020, outside it.
        let (bytes, expected) = one_account_file(
            (day(2025, 1, 15), day(2025, 2, 15)),
            &[day(2025, 1, 20)],
            DateOrder::DayFirst,
        );
        assert_eq!(parse(&bytes).unwrap(), expected);
    }

    #[test]
    fn year_first_dates_stay_year_first_when_both_readings_fit() {
        // Day-first, 250110-250120 is 25 January 2010 to 2020 and fits too.
        let (bytes, expected) = one_account_file(
            (day(2025, 1, 10), day(2025, 1, 20)),
            &[day(2025, 1, 15)],
            DateOrder::YearFirst,
        );
        assert_eq!(parse(&bytes).unwrap(), expected);
        // Day-first, 240205-240305 is 24 February to 24 March 2005, a day shorter than
        // February-March 2024, a leap year: too small a difference to turn the file round.
        let (bytes, expected) = one_account_file(
            (day(2024, 2, 5), day(2024, 3, 5)),
            &[day(2024, 2, 5)],
            DateOrder::YearFirst,
        );
        assert_eq!(parse(&bytes).unwrap(), expected);
        // And on a tie, where both readings give the same period, the standard order stays.
        let (bytes, expected) = one_account_file(
            (day(2025, 1, 10), day(2025, 2, 10)),
            &[day(2025, 1, 10)],
            DateOrder::YearFirst,
        );
        assert_eq!(parse(&bytes).unwrap(), expected);
    }

    fn text(pattern: &'static str) -> impl Strategy<Value = String> {
        proptest::string::string_regex(pattern).unwrap()
    }

    prop_compose! {
        fn arb_movement(start: NaiveDate, span: i64)(
            operation in 0..=span,
            value_shift in -5i64..=5,
            debit in any::<bool>(),
            cents in 1i64..100_000_000_000,
            common_concept in text("[0-9]{2}"),
            own_concept in text("[0-9]{3}"),
            document in text("[0-9]{10}"),
            reference1 in text("[A-Z0-9]{0,12}"),
            reference2 in text("[A-Z0-9-]{0,16}"),
            concepts in proptest::collection::vec(
                text("[A-Z0-9ÑÁÉÍÓÚÜ]([A-Z0-9ÑÁÉÍÓÚÜ ./:-]{0,36}[A-Z0-9ÑÁÉÍÓÚÜ])?"),
                0..=10,
            ),
            equivalence in proptest::option::of((text("[0-9]{3}"), 0i64..100_000_000_000)),
        ) -> Movement {
            let operation_date = start + chrono::Duration::days(operation);
            let sign = if debit { -1 } else { 1 };
            Movement {
                line: 0,
                operation_date,
                value_date: operation_date + chrono::Duration::days(value_shift),
                common_concept,
                own_concept,
                amount_cents: sign * cents,
                document,
                reference1,
                reference2,
                concepts,
                equivalence: equivalence.map(|(currency, cents)| Equivalence {
                    currency,
                    amount_cents: sign * cents,
                }),
            }
        }
    }

    prop_compose! {
        fn arb_account()(
            start_day in 10i64..36_000,
            // Statements run for days or weeks; see `date_order` on why a long one with no
            // movements can read both ways.
            span in 0i64..=62,
        )(
            start in Just(day(2000, 1, 1) + chrono::Duration::days(start_day)),
            span in Just(span),
            bank in text("[0-9]{4}"),
            branch in text("[0-9]{4}"),
            number in text("[0-9]{10}"),
            opening_cents in -1_000_000_000_000i64..1_000_000_000_000,
            currency in prop_oneof![Just("978".to_owned()), text("[0-9]{3}")],
            name in text("[A-ZÑÁÉÍÓÚ]([A-ZÑÁÉÍÓÚ ,.]{0,24}[A-ZÑÁÉÍÓÚ.])?"),
            movements in proptest::collection::vec(
                arb_movement(day(2000, 1, 1) + chrono::Duration::days(start_day), span),
                0..12,
            ),
        ) -> Account {
            let closing_cents = opening_cents + movements.iter().map(|m| m.amount_cents).sum::<i64>();
            Account {
                iban: spanish_iban(&bank, &branch, &number),
                bank,
                branch,
                number,
                start,
                end: start + chrono::Duration::days(span),
                opening_cents,
                closing_cents,
                currency,
                name,
                movements,
            }
        }
    }

    proptest! {
        #[test]
        fn a_written_file_reads_back(
            mut accounts in proptest::collection::vec(arb_account(), 1..=3),
            line_end in prop_oneof![Just("\r\n"), Just("\n"), Just("\r")],
            trim in any::<bool>(),
            encoding in 0..3,
            convention in 0usize..4,
        ) {
            let mut lines = write(&mut accounts, DateOrder::YearFirst);
            let counted = lines.len();
            let movements = counted - 2 * accounts.len();
            lines.push(end_record([movements, movements + 1, counted, counted + 1][convention]));
            let mut text = lines
                .iter()
                .map(|line| if trim { line.trim_end() } else { line.as_str() })
                .collect::<Vec<_>>()
                .join(line_end);
            text.push_str(line_end);
            let bytes = match encoding {
                0 => WINDOWS_1252.encode(&text).0.into_owned(),
                1 => text.clone().into_bytes(),
                _ => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
            };

            let statement = parse(&bytes).unwrap();
            prop_assert!(statement.warnings.is_empty(), "{:?}", statement.warnings);
            prop_assert_eq!(statement.accounts.len(), accounts.len());
            for (read, written) in statement.accounts.iter().zip(&accounts) {
                prop_assert_eq!(read, written);
                let debits = written.movements.iter().filter(|m| m.amount_cents < 0);
                prop_assert_eq!(read.debits(), Totals {
                    count: debits.clone().count(),
                    cents: debits.map(|m| -m.amount_cents).sum(),
                });
                let credits = written.movements.iter().filter(|m| m.amount_cents > 0);
                prop_assert_eq!(read.credits(), Totals {
                    count: credits.clone().count(),
                    cents: credits.map(|m| m.amount_cents).sum(),
                });
                prop_assert_eq!(
                    read.closing_cents,
                    read.opening_cents + read.credits().cents - read.debits().cents
                );
            }
        }
    }
}
