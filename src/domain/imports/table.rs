//! A file from another system as a table of text: a header row and data rows.
//!
//! Spanish files come as they are: CSV with `;` or `,`, quoted fields with line breaks, UTF-8
//! with or without a byte order mark or Windows-1252 / ISO-8859-1 (Excel's "CSV" on Spanish
//! Windows); or a workbook (`.xlsx`, `.xls`, `.ods`), of which the first sheet is read. Cells
//! become text as a person would type them (dates dd/mm/aaaa, numbers with a dot decimal that
//! the field parsers accept): the rules that check a typed form check an imported row.

use std::io::Cursor;

/// Rows a file may hold; more is split into several files.
pub const MAX_ROWS: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The cell of `row` under column `column` (empty when the row is short).
    pub fn cell<'a>(&'a self, row: &'a [String], column: usize) -> &'a str {
        row.get(column).map(String::as_str).unwrap_or("")
    }

    /// The column headed `header` (trimmed, case-insensitive).
    pub fn column(&self, header: &str) -> Option<usize> {
        let wanted = header.trim().to_lowercase();
        self.headers
            .iter()
            .position(|h| h.trim().to_lowercase() == wanted)
    }
}

/// Why a file cannot be read, in Spanish for the person who uploaded it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("El archivo está vacío.")]
    Empty,
    #[error("El archivo no tiene filas de datos debajo de la fila de títulos.")]
    NoRows,
    #[error("El archivo tiene más de {MAX_ROWS} filas: divídalo en varios.")]
    TooManyRows,
    #[error("Suba un archivo CSV o una hoja de cálculo (.xlsx, .xls u .ods).")]
    UnknownFormat,
    #[error("No se puede leer el archivo: {0}")]
    Unreadable(String),
}

/// Reads `bytes` by the extension of `filename`.
pub fn read(filename: &str, bytes: &[u8]) -> Result<Table, ReadError> {
    if bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    let extension = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_lowercase())
        .unwrap_or_default();
    let mut rows = match extension.as_str() {
        "csv" | "txt" => read_csv(bytes)?,
        "xlsx" | "xlsm" | "xls" | "ods" => read_workbook(bytes)?,
        _ => return Err(ReadError::UnknownFormat),
    };
    // Rows a spreadsheet leaves blank at the end (or between blocks) are not data.
    rows.retain(|row| row.iter().any(|cell| !cell.trim().is_empty()));
    if rows.is_empty() {
        return Err(ReadError::Empty);
    }
    let headers: Vec<String> = rows
        .remove(0)
        .into_iter()
        .map(|h| h.trim().to_owned())
        .collect();
    if rows.is_empty() {
        return Err(ReadError::NoRows);
    }
    if rows.len() > MAX_ROWS {
        return Err(ReadError::TooManyRows);
    }
    Ok(Table { headers, rows })
}

/// UTF-8 (a BOM is dropped) when the bytes are valid UTF-8, otherwise Windows-1252, the
/// superset of ISO-8859-1 that Spanish Windows writes.
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

/// `;` unless the header line has more commas than semicolons (outside quotes).
fn separator(text: &str) -> u8 {
    let (mut semicolons, mut commas, mut quoted) = (0, 0, false);
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => semicolons += 1,
            ',' if !quoted => commas += 1,
            '\n' if !quoted => break,
            _ => {}
        }
    }
    if commas > semicolons { b',' } else { b';' }
}

fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, ReadError> {
    let text = decode(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator(&text))
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ReadError::Unreadable(e.to_string()))?;
        rows.push(record.iter().map(str::to_owned).collect());
        if rows.len() > MAX_ROWS + 1 {
            return Err(ReadError::TooManyRows);
        }
    }
    Ok(rows)
}

fn read_workbook(bytes: &[u8]) -> Result<Vec<Vec<String>>, ReadError> {
    use calamine::Reader;
    let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|e| ReadError::Unreadable(e.to_string()))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or(ReadError::Empty)?
        .map_err(|e| ReadError::Unreadable(e.to_string()))?;
    if range.height() > MAX_ROWS + 1 {
        return Err(ReadError::TooManyRows);
    }
    Ok(range
        .rows()
        .map(|row| row.iter().map(cell_text).collect())
        .collect())
}

fn cell_text(cell: &calamine::Data) -> String {
    use calamine::{Data, DataType};
    match cell {
        Data::Empty => String::new(),
        Data::String(text) => text.clone(),
        Data::Int(n) => n.to_string(),
        // Whole numbers (a tax id or a phone typed as a number) without ".0".
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "sí" } else { "no" }.to_owned(),
        Data::DateTime(_) | Data::DateTimeIso(_) => cell
            .as_date()
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_else(|| cell.to_string()),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spanish_csv_with_semicolons_bom_and_a_line_break_in_quotes() {
        let file = "\u{feff}NIF;Nombre;Notas\r\n12345678Z;Ana;\"Llamar\npor la tarde\"\r\n\r\n";
        let table = read("clientes.csv", file.as_bytes()).unwrap();
        assert_eq!(table.headers, ["NIF", "Nombre", "Notas"]);
        assert_eq!(
            table.rows,
            [vec!["12345678Z", "Ana", "Llamar\npor la tarde"]]
        );
    }

    #[test]
    fn comma_separated_and_windows_1252() {
        // "Muñoz" and "Peñíscola" in Windows-1252.
        let file = b"nombre,apellidos,localidad\nJos\xe9,Mu\xf1oz,Pe\xf1\xedscola\n";
        let table = read("export.CSV", file).unwrap();
        assert_eq!(table.rows, [vec!["José", "Muñoz", "Peñíscola"]]);
    }

    #[test]
    fn what_cannot_be_read_says_why_in_spanish() {
        assert_eq!(read("a.csv", b""), Err(ReadError::Empty));
        assert_eq!(read("a.csv", b"NIF;Nombre\n"), Err(ReadError::NoRows));
        assert_eq!(read("a.pdf", b"%PDF"), Err(ReadError::UnknownFormat));
        assert!(matches!(
            read("a.xlsx", b"not a zip"),
            Err(ReadError::Unreadable(_))
        ));
    }

    #[test]
    fn a_workbook_written_by_excel_reads_with_dates_and_whole_numbers() {
        use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.write(0, 0, "NIF").unwrap();
        sheet.write(0, 1, "Teléfono").unwrap();
        sheet.write(0, 2, "Nacimiento").unwrap();
        sheet.write(1, 0, "12345678Z").unwrap();
        sheet.write(1, 1, 612345678).unwrap();
        let day = ExcelDateTime::from_ymd(1980, 5, 17).unwrap();
        sheet
            .write_datetime_with_format(1, 2, &day, &Format::new().set_num_format("dd/mm/yyyy"))
            .unwrap();
        let bytes = workbook.save_to_buffer().unwrap();
        let table = read("libro.xlsx", &bytes).unwrap();
        assert_eq!(table.headers, ["NIF", "Teléfono", "Nacimiento"]);
        assert_eq!(table.rows, [vec!["12345678Z", "612345678", "17/05/1980"]]);
    }
}
