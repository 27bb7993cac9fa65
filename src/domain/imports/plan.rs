//! What every kind of import shares: the fields a column can fill, the first guess of the
//! mapping, and the plan (per row: create, update, leave alone or refuse, with the reasons).

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use diesel::prelude::*;

use super::table::Table;
use crate::audit::Actor;

/// A field a column can fill: (form field, label, headers other systems use for it).
pub type FieldSpec = (&'static str, &'static str, &'static [&'static str]);

/// Which column (by its header) fills which field.
pub type Columns = BTreeMap<String, String>;

/// The business keys met in earlier rows of the file (→ their line): a key met twice is
/// refused the second time, whichever batch it falls in.
pub type Seen = HashMap<String, usize>;

/// One kind of import: its fields, how a batch of rows is planned and how it is written.
pub trait Source {
    /// A row checked and ready to write.
    type Row: Send;
    const FIELDS: &'static [FieldSpec];
    /// The fields a mapping must fill, with the message shown when one is missing.
    const REQUIRED: &'static [(&'static str, &'static str)];

    /// What importing rows `range` of `table` would do. Reads only.
    fn plan(
        conn: &mut PgConnection,
        table: &Table,
        columns: &Columns,
        range: Range<usize>,
        seen: &mut Seen,
    ) -> QueryResult<Vec<RowPlan<Self::Row>>>;

    /// Writes the rows that create or change something. Call inside the batch's transaction.
    fn apply(
        conn: &mut PgConnection,
        actor: &Actor,
        rows: &[RowPlan<Self::Row>],
    ) -> QueryResult<Counts>;
}

/// The label of field `field` among `fields`.
pub fn label(fields: &[FieldSpec], field: &str) -> &'static str {
    fields
        .iter()
        .find(|(f, _, _)| *f == field)
        .map_or("", |(_, label, _)| label)
}

/// A first mapping from the headers: each field takes the column whose header is its label or
/// one of its usual names.
pub fn guess(fields: &[FieldSpec], table: &Table) -> Columns {
    let mut columns = Columns::new();
    for (field, label, names) in fields {
        let found = table.headers.iter().find(|header| {
            let header = header.trim().to_lowercase();
            header == label.to_lowercase() || names.contains(&header.as_str())
        });
        if let Some(header) = found {
            columns.insert((*field).to_owned(), header.clone());
        }
    }
    columns
}

/// What is wrong with a mapping before any row is read.
pub fn check<S: Source>(table: &Table, columns: &Columns) -> Result<(), String> {
    for (field, message) in S::REQUIRED {
        if !columns.contains_key(*field) {
            return Err((*message).to_owned());
        }
    }
    for header in columns.values() {
        if table.column(header).is_none() {
            return Err(format!("El archivo no tiene la columna «{header}»."));
        }
    }
    Ok(())
}

/// The cells of one row by field, as the mapping reads them (trimmed; empty when unmapped).
pub struct Cells<'a> {
    table: &'a Table,
    columns: &'a Columns,
    index: HashMap<&'a str, usize>,
}

impl<'a> Cells<'a> {
    pub fn new(table: &'a Table, columns: &'a Columns) -> Self {
        let index = columns
            .iter()
            .filter_map(|(field, header)| Some((field.as_str(), table.column(header)?)))
            .collect();
        Self {
            table,
            columns,
            index,
        }
    }

    pub fn get(&self, row: &[String], field: &str) -> String {
        self.index
            .get(field)
            .map(|&c| self.table.cell(row, c).trim().to_owned())
            .unwrap_or_default()
    }

    /// A problem with field `field` of `row`, named by its column's header.
    pub fn problem(
        &self,
        fields: &[FieldSpec],
        row: &[String],
        field: &str,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            column: self
                .columns
                .get(field)
                .cloned()
                .unwrap_or_else(|| label(fields, field).to_owned()),
            value: self.get(row, field),
            message: message.into(),
        }
    }
}

/// One problem of a refused row: the column, what it held and why it cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Problem {
    pub column: String,
    pub value: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<T> {
    Create(Box<T>),
    Update(i64, Box<T>),
    Unchanged(i64),
    Refused(Vec<Problem>),
}

/// A row of the file and what importing it does. `line` is the row's number as a spreadsheet
/// shows it (the headers are line 1).
#[derive(Debug, Clone, PartialEq)]
pub struct RowPlan<T> {
    pub line: usize,
    pub outcome: Outcome<T>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub created: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub refused: i32,
}

impl Counts {
    pub fn of<T>(rows: &[RowPlan<T>]) -> Self {
        let mut counts = Counts::default();
        for row in rows {
            match row.outcome {
                Outcome::Create(_) => counts.created += 1,
                Outcome::Update(..) => counts.updated += 1,
                Outcome::Unchanged(_) => counts.unchanged += 1,
                Outcome::Refused(_) => counts.refused += 1,
            }
        }
        counts
    }

    pub fn add(&mut self, other: Counts) {
        self.created += other.created;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.refused += other.refused;
    }

    pub fn rows(&self) -> i32 {
        self.created + self.updated + self.unchanged + self.refused
    }
}

/// The refused rows of a plan with their problems.
pub fn refused<T>(rows: &[RowPlan<T>]) -> impl Iterator<Item = (usize, &[Problem])> {
    rows.iter().filter_map(|row| match &row.outcome {
        Outcome::Refused(problems) => Some((row.line, problems.as_slice())),
        _ => None,
    })
}

/// Refuses a row whose business key `key` an earlier row already had; records it otherwise.
pub fn first_time(seen: &mut Seen, key: &str, line: usize) -> Result<(), usize> {
    match seen.get(key) {
        Some(first) => Err(*first),
        None => {
            seen.insert(key.to_owned(), line);
            Ok(())
        }
    }
}
