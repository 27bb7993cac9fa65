//! A list taken out to a spreadsheet: a header row and typed cells, written as CSV the way a
//! Spanish Excel opens it (UTF-8 with a byte order mark, `;` between fields, decimal comma,
//! dd/mm/aaaa) or as an `.xlsx` workbook (rust_xlsxwriter) with real numbers and dates.
//!
//! A [`SheetWriter`] writes rows as they are read into a temporary file (the workbook in
//! rust_xlsxwriter's constant-memory mode), so an export of 100,000 rows holds one chunk of rows
//! in memory whatever the format; the web layer then streams the finished file. The web layer
//! chooses the columns and their Spanish names; the format is the caller's choice.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};

use chrono::NaiveDate;

/// Rows an export holds at most; a filter narrows a larger list first.
pub const EXPORT_LIMIT: i64 = 100_000;

/// Rows an export reads per statement ([`crate::listing::read_in_chunks`]).
pub const EXPORT_CHUNK: i64 = 1_000;

/// Every row of a list (up to [`EXPORT_LIMIT`]), read [`EXPORT_CHUNK`] at a time by the
/// list's page read `read(cursor, size)` and handed to `sink`: what an export writes.
/// Returns how many rows.
pub fn rows<T, E>(
    read: impl FnMut(
        Option<crate::listing::Cursor>,
        i64,
    ) -> diesel::QueryResult<crate::listing::Page<T>>,
    sink: impl FnMut(T) -> Result<(), E>,
) -> Result<i64, E>
where
    E: From<diesel::result::Error>,
{
    crate::listing::read_in_chunks(EXPORT_LIMIT, EXPORT_CHUNK, read, sink)
}

/// One value of a cell, typed so that a workbook keeps numbers and dates as such.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// An amount in cents, shown in euros.
    Money(i64),
    Date(NaiveDate),
    /// A percentage in basis points (8533 = 85,33 %): a number formatted as a percentage in a
    /// workbook, "85,33 %" in a CSV file.
    Percent(i64),
    /// A plain number in hundredths (125 = 1,25).
    Hundredths(i64),
    Empty,
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell::Text(text)
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::Text(text.to_owned())
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(value: Option<T>) -> Self {
        value.map_or(Cell::Empty, Into::into)
    }
}

impl From<NaiveDate> for Cell {
    fn from(day: NaiveDate) -> Self {
        Cell::Date(day)
    }
}

/// The formats a list can be taken out in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// `csv` or `xlsx` in a URL.
    pub fn parse(code: &str) -> Option<Format> {
        match code.trim() {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// A sheet being written row by row into a temporary file (deleted when dropped): a header
/// row first, then [`SheetWriter::push`] per row, then [`SheetWriter::finish`] for the file.
pub struct SheetWriter {
    out: Out,
    rows: u32,
}

enum Out {
    Csv(BufWriter<File>),
    Xlsx(Box<Workbook>),
}

/// The workbook with its cell formats and the widest text seen per column (constant-memory
/// mode cannot autofit: it no longer holds the rows).
struct Workbook {
    book: rust_xlsxwriter::Workbook,
    euros: rust_xlsxwriter::Format,
    day: rust_xlsxwriter::Format,
    percent: rust_xlsxwriter::Format,
    decimal: rust_xlsxwriter::Format,
    widths: Vec<usize>,
}

/// Columns never grow wider than this many characters; longer text wraps in the cell.
const MAX_WIDTH: usize = 60;

impl SheetWriter {
    /// A new sheet called `name` (the workbook's sheet) with its header row written.
    pub fn create(
        format: Format,
        name: &str,
        headers: &[&str],
    ) -> Result<SheetWriter, ExportError> {
        let out = match format {
            Format::Csv => {
                let mut out = BufWriter::with_capacity(64 * 1024, tempfile::tempfile()?);
                out.write_all("\u{feff}".as_bytes())?;
                write_csv_line(&mut out, headers.iter().map(|h| csv_field(h)))?;
                Out::Csv(out)
            }
            Format::Xlsx => {
                use rust_xlsxwriter::Format as CellFormat;
                let mut book = rust_xlsxwriter::Workbook::new();
                let bold = CellFormat::new().set_bold();
                let sheet = book.add_worksheet_with_constant_memory();
                // Sheet names: 31 characters at most, none of []:*?/\ .
                let name: String = name
                    .chars()
                    .filter(|c| !"[]:*?/\\".contains(*c))
                    .take(31)
                    .collect();
                if !name.is_empty() {
                    sheet.set_name(&name)?;
                }
                for (col, header) in headers.iter().enumerate() {
                    sheet.write_string_with_format(0, col as u16, *header, &bold)?;
                }
                sheet.set_freeze_panes(1, 0)?;
                Out::Xlsx(Box::new(Workbook {
                    book,
                    euros: CellFormat::new().set_num_format("#,##0.00 €"),
                    percent: CellFormat::new().set_num_format("0.00 %"),
                    decimal: CellFormat::new().set_num_format("#,##0.00"),
                    day: CellFormat::new().set_num_format("dd/mm/yyyy"),
                    widths: headers.iter().map(|h| h.chars().count() + 2).collect(),
                }))
            }
        };
        Ok(SheetWriter { out, rows: 0 })
    }

    /// Writes one row after the last.
    pub fn push(&mut self, row: &[Cell]) -> Result<(), ExportError> {
        self.rows += 1;
        match &mut self.out {
            Out::Csv(out) => write_csv_line(
                out,
                row.iter().map(|cell| match cell {
                    Cell::Text(text) => csv_field(text),
                    Cell::Int(n) => n.to_string(),
                    Cell::Money(cents) => decimal_text(*cents),
                    Cell::Date(day) => day.format("%d/%m/%Y").to_string(),
                    Cell::Percent(bp) => format!("{} %", decimal_text(*bp)),
                    Cell::Hundredths(n) => decimal_text(*n),
                    Cell::Empty => String::new(),
                }),
            )?,
            Out::Xlsx(book) => book.push(self.rows, row)?,
        }
        Ok(())
    }

    /// How many rows were written (the header not counted).
    pub fn rows(&self) -> u32 {
        self.rows
    }

    /// The finished file, read from its start.
    pub fn finish(self) -> Result<File, ExportError> {
        let mut file = match self.out {
            Out::Csv(out) => out.into_inner().map_err(|e| e.into_error())?,
            Out::Xlsx(mut book) => {
                let sheet = book.book.worksheet_from_index(0)?;
                for (col, width) in book.widths.iter().enumerate() {
                    sheet.set_column_width(col as u16, (*width).min(MAX_WIDTH) as f64)?;
                }
                let mut file = tempfile::tempfile()?;
                book.book.save_to_writer(&mut file)?;
                file
            }
        };
        file.seek(SeekFrom::Start(0))?;
        Ok(file)
    }
}

impl Workbook {
    fn push(&mut self, r: u32, row: &[Cell]) -> Result<(), ExportError> {
        let sheet = self.book.worksheet_from_index(0)?;
        for (c, cell) in row.iter().enumerate() {
            let col = c as u16;
            let width = match cell {
                Cell::Text(text) => {
                    sheet.write_string(r, col, text)?;
                    text.chars().count()
                }
                Cell::Int(n) => {
                    sheet.write_number(r, col, *n as f64)?;
                    n.to_string().len()
                }
                Cell::Money(cents) => {
                    sheet.write_number_with_format(r, col, *cents as f64 / 100.0, &self.euros)?;
                    decimal_text(*cents).len() + 4
                }
                Cell::Date(d) => {
                    use chrono::Datelike;
                    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(
                        d.year() as u16,
                        d.month() as u8,
                        d.day() as u8,
                    )?;
                    sheet.write_datetime_with_format(r, col, &date, &self.day)?;
                    10
                }
                Cell::Percent(bp) => {
                    sheet.write_number_with_format(r, col, *bp as f64 / 10_000.0, &self.percent)?;
                    decimal_text(*bp).len() + 2
                }
                Cell::Hundredths(n) => {
                    sheet.write_number_with_format(r, col, *n as f64 / 100.0, &self.decimal)?;
                    decimal_text(*n).len()
                }
                Cell::Empty => 0,
            };
            if let Some(widest) = self.widths.get_mut(c) {
                *widest = (*widest).max(width + 2);
            }
        }
        Ok(())
    }
}

fn write_csv_line(
    out: &mut impl Write,
    fields: impl Iterator<Item = String>,
) -> std::io::Result<()> {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            out.write_all(b";")?;
        }
        out.write_all(field.as_bytes())?;
    }
    out.write_all(b"\r\n")
}

/// Writing the file failed (the temporary file or the workbook library: nothing the user
/// typed).
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("export file: {0}")]
    File(#[from] std::io::Error),
    #[error("export workbook: {0}")]
    Workbook(#[from] rust_xlsxwriter::XlsxError),
}

/// An amount for a spreadsheet cell: `1234,50` (decimal comma, no thousands separator, no
/// symbol, so the cell reads as a number).
pub fn decimal_text(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{},{:02}", abs / 100, abs % 100)
}

/// One CSV field: quoted when needed; a leading `=`, `+`, `-` or `@` that is not a number is
/// prefixed with `'` so that no spreadsheet runs it as a formula.
pub fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) && text.parse::<f64>().is_err() {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn written(format: Format) -> Vec<u8> {
        let mut sheet =
            SheetWriter::create(format, "Clientes", &["Nombre", "Prima", "Alta", "Pólizas"])
                .unwrap();
        sheet
            .push(&[
                "Muñoz; \"Pepe\"".into(),
                Cell::Money(123_450),
                NaiveDate::from_ymd_opt(2026, 3, 9).unwrap().into(),
                Cell::Int(2),
            ])
            .unwrap();
        sheet
            .push(&[
                "=HYPERLINK(\"x\")".into(),
                Cell::Empty,
                None::<NaiveDate>.into(),
                Cell::Int(0),
            ])
            .unwrap();
        assert_eq!(sheet.rows(), 2);
        let mut bytes = Vec::new();
        sheet.finish().unwrap().read_to_end(&mut bytes).unwrap();
        bytes
    }

    #[test]
    fn csv_reads_as_a_spanish_spreadsheet_expects() {
        let csv = String::from_utf8(written(Format::Csv)).unwrap();
        assert!(csv.starts_with('\u{feff}'));
        let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').split("\r\n").collect();
        assert_eq!(lines[0], "Nombre;Prima;Alta;Pólizas");
        assert_eq!(lines[1], "\"Muñoz; \"\"Pepe\"\"\";1234,50;09/03/2026;2");
        assert_eq!(lines[2], "\"'=HYPERLINK(\"\"x\"\")\";;;0");
        assert_eq!(lines[3], "");
    }

    #[test]
    fn a_workbook_is_a_zip_with_the_sheet_named() {
        let bytes = written(Format::Xlsx);
        assert!(bytes.starts_with(b"PK"), "an xlsx is a zip file");
        assert_eq!(Format::parse("xlsx"), Some(Format::Xlsx));
        assert_eq!(Format::parse("pdf"), None);
    }
}
