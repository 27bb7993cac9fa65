//! The figures of a report as the page and the export write them: headline figures with
//! their comparisons, and sections (a chart and the table of the same numbers).

use crate::analytics::Group;
use crate::export::Cell;
use crate::format::thousands;
use crate::money::format_cents;

use super::chart::Chart;

/// One value of a table, typed so that the page and the spreadsheet each write it their way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    Count(i64),
    Money(i64),
    /// Basis points (10000 = 100 %); `None` when it cannot be computed (nothing to divide by).
    Percent(Option<i64>),
    /// Hundredths of a plain number (125 → "1,25"); `None` when it cannot be computed.
    Decimal(Option<i64>),
}

impl Value {
    /// As the page writes it: "1.234", "1.234,56 €", "85,33 %".
    pub fn text(&self) -> String {
        match *self {
            Value::Count(n) => thousands(n),
            Value::Money(cents) => format_cents(cents),
            Value::Percent(bp) => percent(bp),
            Value::Decimal(hundredths) => decimal(hundredths),
        }
    }

    /// As a spreadsheet cell: numbers stay numbers (a percentage too, so that a workbook can
    /// sum and chart it); "—" where there is nothing to compute.
    pub fn cell(&self) -> Cell {
        match *self {
            Value::Count(n) => Cell::Int(n),
            Value::Money(cents) => Cell::Money(cents),
            Value::Percent(Some(bp)) => Cell::Percent(bp),
            Value::Decimal(Some(hundredths)) => Cell::Hundredths(hundredths),
            Value::Percent(None) | Value::Decimal(None) => Cell::Text("—".to_owned()),
        }
    }

    /// The size of the value for a bar (a percentage by its basis points).
    pub fn magnitude(&self) -> i64 {
        match *self {
            Value::Count(n) | Value::Money(n) => n,
            Value::Percent(bp) | Value::Decimal(bp) => bp.unwrap_or(0),
        }
    }
}

/// Basis points as a Spanish percentage with two decimals (exactly the basis points, so no
/// second rounding): 8533 → "85,33 %"; "—" for none.
pub fn percent(bp: Option<i64>) -> String {
    let Some(bp) = bp else {
        return "—".to_owned();
    };
    let sign = if bp < 0 { "-" } else { "" };
    let abs = bp.abs();
    format!("{sign}{},{:02} %", thousands(abs / 100), abs % 100)
}

/// Hundredths as a Spanish decimal number: 125 → "1,25"; "—" for none.
pub fn decimal(hundredths: Option<i64>) -> String {
    match hundredths {
        Some(n) => {
            let sign = if n < 0 { "-" } else { "" };
            format!("{sign}{},{:02}", thousands(n.abs() / 100), n.abs() % 100)
        }
        None => "—".to_owned(),
    }
}

/// How `current` compares with `before`: "+12,50 %" for counts and amounts, "+2,10 puntos" for
/// percentages; "—" when there is nothing to compare with.
pub fn change(current: Value, before: Value) -> String {
    match (current, before) {
        (Value::Percent(Some(now)), Value::Percent(Some(then))) => {
            let diff = now - then;
            let sign = match diff.signum() {
                1 => "+",
                -1 => "-",
                _ => "",
            };
            let abs = diff.abs();
            format!("{sign}{},{:02} puntos", thousands(abs / 100), abs % 100)
        }
        (Value::Percent(_), _) | (_, Value::Percent(_)) => "—".to_owned(),
        (Value::Decimal(Some(now)), Value::Decimal(Some(then))) => {
            match crate::analytics::ratio_bp(now - then, then) {
                Some(bp) if bp > 0 => format!("+{}", percent(Some(bp))),
                Some(bp) => percent(Some(bp)),
                None => "—".to_owned(),
            }
        }
        (Value::Decimal(_), _) | (_, Value::Decimal(_)) => "—".to_owned(),
        (now, then) => {
            let (now, then) = (now.magnitude(), then.magnitude());
            match crate::analytics::ratio_bp(now - then, then) {
                Some(bp) => {
                    let text = percent(Some(bp));
                    if bp > 0 { format!("+{text}") } else { text }
                }
                None => "—".to_owned(),
            }
        }
    }
}

/// A headline figure with how it compares with the previous period and a year before.
pub struct Headline {
    pub label: &'static str,
    pub value: String,
    pub link: Option<String>,
    pub comparisons: Vec<Comparison>,
}

pub struct Comparison {
    /// "Periodo anterior (01/01/2026 a 30/06/2026)".
    pub label: String,
    pub value: String,
    pub change: String,
}

impl Headline {
    /// `value` now, against `(label, value)` of the comparison periods.
    pub fn new(
        label: &'static str,
        value: Value,
        link: Option<String>,
        before: Vec<(String, Value)>,
    ) -> Self {
        Self {
            label,
            value: value.text(),
            link,
            comparisons: before
                .into_iter()
                .map(|(label, then)| Comparison {
                    label,
                    value: then.text(),
                    change: change(value, then),
                })
                .collect(),
        }
    }
}

/// A row of a table: what it groups (with the link to the records behind it) and its values.
#[derive(Clone)]
pub struct TableRow {
    pub label: String,
    pub link: Option<String>,
    pub values: Vec<Value>,
}

impl TableRow {
    pub fn texts(&self) -> Vec<String> {
        self.values.iter().map(Value::text).collect()
    }
}

/// A breakdown: its chart (of one of the columns) and the table of every column.
pub struct Section {
    /// The anchor of the section on the page ("por-compania").
    pub id: &'static str,
    pub title: String,
    /// The name of the first column ("Compañía").
    pub heading: &'static str,
    pub headers: Vec<&'static str>,
    pub rows: Vec<TableRow>,
    pub total: Option<TableRow>,
    pub chart: Option<Chart>,
}

impl Section {
    /// A section of `groups`, one row each, the chart drawing column `charted`.
    #[allow(clippy::too_many_arguments)]
    pub fn of<V>(
        id: &'static str,
        title: impl Into<String>,
        heading: &'static str,
        headers: Vec<&'static str>,
        groups: &[Group<V>],
        values: impl Fn(&V) -> Vec<Value>,
        link: impl Fn(&Group<V>) -> Option<String>,
        charted: usize,
    ) -> Self {
        let rows: Vec<TableRow> = groups
            .iter()
            .map(|group| TableRow {
                label: group.label.clone(),
                link: link(group),
                values: values(&group.values),
            })
            .collect();
        let title = title.into();
        let chart = Chart::horizontal(id, &title, headers.get(charted).copied(), &rows, charted);
        Self {
            id,
            title,
            heading,
            headers,
            rows,
            total: None,
            chart,
        }
    }

    pub fn with_total(mut self, total: TableRow) -> Self {
        self.total = Some(total);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_and_changes_are_written_the_spanish_way() {
        assert_eq!(percent(Some(8_533)), "85,33 %");
        assert_eq!(percent(Some(5)), "0,05 %");
        assert_eq!(percent(Some(123_456)), "1.234,56 %");
        assert_eq!(percent(Some(-250)), "-2,50 %");
        assert_eq!(percent(None), "—");
        assert_eq!(change(Value::Count(150), Value::Count(100)), "+50,00 %");
        assert_eq!(change(Value::Money(50), Value::Money(100)), "-50,00 %");
        assert_eq!(change(Value::Count(3), Value::Count(0)), "—");
        assert_eq!(
            change(Value::Percent(Some(8_000)), Value::Percent(Some(7_550))),
            "+4,50 puntos"
        );
        assert_eq!(Value::Money(123_456).text(), "1.234,56 €");
        assert_eq!(Value::Count(12_345).text(), "12.345");
    }
}
