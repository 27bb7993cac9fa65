//! A list taken out to a spreadsheet: a header row and typed cells, written as CSV the way a
//! Spanish Excel opens it (UTF-8 with a byte order mark, `;` between fields, decimal comma,
//! dd/mm/aaaa) or as an `.xlsx` workbook (rust_xlsxwriter) with real numbers and dates.
//!
//! Lists build a [`Sheet`] from their rows (the web layer chooses the columns and their Spanish
//! names); the format is the caller's choice.

use chrono::NaiveDate;

/// Rows an export holds at most; a filter narrows a larger list first.
pub const EXPORT_LIMIT: i64 = 100_000;

/// One value of a cell, typed so that a workbook keeps numbers and dates as such.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// An amount in cents, shown in euros.
    Money(i64),
    Date(NaiveDate),
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

/// A table to export: its name (the workbook's sheet, the file's stem) and rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub name: String,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
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

impl Sheet {
    pub fn new(name: impl Into<String>, headers: Vec<&'static str>) -> Sheet {
        Sheet {
            name: name.into(),
            headers,
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }

    /// The sheet in `format`.
    pub fn write(&self, format: Format) -> Result<Vec<u8>, ExportError> {
        match format {
            Format::Csv => Ok(self.to_csv().into_bytes()),
            Format::Xlsx => self.to_xlsx(),
        }
    }

    /// CSV for a Spanish spreadsheet; fields quoted when they hold a separator, a quote or a
    /// line break, and text that a spreadsheet would take for a formula defused.
    pub fn to_csv(&self) -> String {
        let mut out = String::from('\u{feff}');
        let line = |out: &mut String, fields: Vec<String>| {
            out.push_str(&fields.join(";"));
            out.push_str("\r\n");
        };
        line(
            &mut out,
            self.headers.iter().map(|h| csv_field(h)).collect(),
        );
        for row in &self.rows {
            line(
                &mut out,
                row.iter()
                    .map(|cell| match cell {
                        Cell::Text(text) => csv_field(text),
                        Cell::Int(n) => n.to_string(),
                        Cell::Money(cents) => decimal_text(*cents),
                        Cell::Date(day) => day.format("%d/%m/%Y").to_string(),
                        Cell::Empty => String::new(),
                    })
                    .collect(),
            );
        }
        out
    }

    /// An `.xlsx` workbook with one sheet: a bold header row, frozen; amounts as numbers in
    /// euros with two decimals, dates as dates.
    pub fn to_xlsx(&self) -> Result<Vec<u8>, ExportError> {
        use rust_xlsxwriter::{ExcelDateTime, Format as CellFormat, Workbook};
        let mut workbook = Workbook::new();
        let bold = CellFormat::new().set_bold();
        let euros = CellFormat::new().set_num_format("#,##0.00 €");
        let day = CellFormat::new().set_num_format("dd/mm/yyyy");
        let sheet = workbook.add_worksheet();
        // Sheet names: 31 characters at most, none of []:*?/\ .
        let name: String = self
            .name
            .chars()
            .filter(|c| !"[]:*?/\\".contains(*c))
            .take(31)
            .collect();
        if !name.is_empty() {
            sheet.set_name(&name)?;
        }
        for (col, header) in self.headers.iter().enumerate() {
            sheet.write_string_with_format(0, col as u16, *header, &bold)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        for (r, row) in self.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(text) => {
                        sheet.write_string(r, c, text)?;
                    }
                    Cell::Int(n) => {
                        sheet.write_number(r, c, *n as f64)?;
                    }
                    Cell::Money(cents) => {
                        sheet.write_number_with_format(r, c, *cents as f64 / 100.0, &euros)?;
                    }
                    Cell::Date(d) => {
                        use chrono::Datelike;
                        let date = ExcelDateTime::from_ymd(
                            d.year() as u16,
                            d.month() as u8,
                            d.day() as u8,
                        )?;
                        sheet.write_datetime_with_format(r, c, &date, &day)?;
                    }
                    Cell::Empty => {}
                }
            }
        }
        sheet.autofit();
        Ok(workbook.save_to_buffer()?)
    }
}

/// Writing the workbook failed (a library error: nothing the user typed).
#[derive(Debug, thiserror::Error)]
#[error("export: {0}")]
pub struct ExportError(String);

impl From<rust_xlsxwriter::XlsxError> for ExportError {
    fn from(error: rust_xlsxwriter::XlsxError) -> Self {
        ExportError(error.to_string())
    }
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
    use super::*;

    fn sheet() -> Sheet {
        let mut sheet = Sheet::new("Clientes", vec!["Nombre", "Prima", "Alta", "Pólizas"]);
        sheet.push(vec![
            "Muñoz; \"Pepe\"".into(),
            Cell::Money(123_450),
            NaiveDate::from_ymd_opt(2026, 3, 9).unwrap().into(),
            Cell::Int(2),
        ]);
        sheet.push(vec![
            "=HYPERLINK(\"x\")".into(),
            Cell::Empty,
            None::<NaiveDate>.into(),
            Cell::Int(0),
        ]);
        sheet
    }

    #[test]
    fn csv_reads_as_a_spanish_spreadsheet_expects() {
        let csv = sheet().to_csv();
        assert!(csv.starts_with('\u{feff}'));
        let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').split("\r\n").collect();
        assert_eq!(lines[0], "Nombre;Prima;Alta;Pólizas");
        assert_eq!(lines[1], "\"Muñoz; \"\"Pepe\"\"\";1234,50;09/03/2026;2");
        assert_eq!(lines[2], "\"'=HYPERLINK(\"\"x\"\")\";;;0");
    }

    #[test]
    fn a_workbook_is_a_zip_with_the_sheet_named() {
        let bytes = sheet().to_xlsx().unwrap();
        assert!(bytes.starts_with(b"PK"), "an xlsx is a zip file");
        assert_eq!(Format::parse("xlsx"), Some(Format::Xlsx));
        assert_eq!(Format::parse("pdf"), None);
    }
}
