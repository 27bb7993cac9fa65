//! Bar charts drawn on the server: the geometry of an inline SVG (the template writes the
//! elements, escaping every text), readable without JavaScript, with a title, a description
//! and a title per bar for screen readers; the same numbers are in the table under it.
//!
//! Horizontal bars (by carrier, line, agent...) put the label and the value on a line above
//! each bar, so that a phone 390 px wide reads them at full size; bars by month stand
//! vertically under a time axis.

use super::view::{TableRow, Value};

/// The width of every chart's drawing, in SVG units (about pixels on a phone).
const WIDTH: f64 = 360.0;
/// Horizontal bars drawn at most; the table lists every group.
const MAX_BARS: usize = 15;
const ROW: f64 = 40.0;

const MONTHS: [&str; 12] = [
    "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic",
];

pub struct Chart {
    /// The element id prefix ("grafico-por-compania").
    pub id: String,
    pub title: String,
    pub description: String,
    pub width: f64,
    pub height: f64,
    pub vertical: bool,
    pub bars: Vec<Bar>,
}

/// One bar: its label and value as text, where it links, and where it is drawn.
pub struct Bar {
    /// The full name of what the bar stands for ("Mapfre", "marzo de 2026").
    pub name: String,
    pub label: String,
    pub value: String,
    pub link: Option<String>,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    /// Where the label is written (for bars by month, the axis label; may be empty).
    pub label_x: f64,
    pub label_y: f64,
    /// A second line under the axis label (the year of January and of the first month).
    pub sublabel: String,
    pub value_x: f64,
    pub value_y: f64,
}

fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

impl Chart {
    /// Horizontal bars of column `column` of `rows` (none when every value is zero or there
    /// are no rows).
    pub fn horizontal(
        id: &str,
        title: &str,
        measure: Option<&str>,
        rows: &[TableRow],
        column: usize,
    ) -> Option<Chart> {
        let value = |row: &TableRow| row.values.get(column).copied();
        let max = rows
            .iter()
            .filter_map(|row| value(row).map(|v| v.magnitude()))
            .max()
            .unwrap_or(0);
        if max <= 0 {
            return None;
        }
        let shown = rows.len().min(MAX_BARS);
        let bars = rows
            .iter()
            .take(MAX_BARS)
            .enumerate()
            .map(|(i, row)| {
                let top = i as f64 * ROW;
                let v = value(row).unwrap_or(Value::Count(0));
                let width = v.magnitude().max(0) as f64 * WIDTH / max as f64;
                Bar {
                    name: row.label.clone(),
                    label: crate::format::shorten(&row.label, 34),
                    value: v.text(),
                    link: row.link.clone(),
                    x: 0.0,
                    y: top + 20.0,
                    width: round(if v.magnitude() > 0 {
                        width.max(2.0)
                    } else {
                        0.0
                    }),
                    height: 14.0,
                    label_x: 0.0,
                    label_y: top + 14.0,
                    sublabel: String::new(),
                    value_x: WIDTH,
                    value_y: top + 14.0,
                }
            })
            .collect();
        let more = if rows.len() > MAX_BARS {
            format!(" Se dibujan los {MAX_BARS} primeros de {}.", rows.len())
        } else {
            String::new()
        };
        Some(Chart {
            id: format!("grafico-{id}"),
            title: match measure {
                Some(measure) => format!("{measure}: {}", title.to_lowercase()),
                None => title.to_owned(),
            },
            description: format!(
                "Gráfico de barras horizontales, una por fila de la tabla que lo sigue, con los mismos datos.{more}"
            ),
            width: WIDTH,
            height: shown as f64 * ROW + 4.0,
            vertical: false,
            bars,
        })
    }

    /// Vertical bars, one per month (`months` in order, with their value and link).
    pub fn by_month(
        id: &str,
        title: &str,
        months: &[(chrono::NaiveDate, Value, Option<String>)],
    ) -> Option<Chart> {
        use chrono::Datelike;
        if months.is_empty() {
            return None;
        }
        let max = months
            .iter()
            .map(|(_, v, _)| v.magnitude())
            .max()
            .unwrap_or(0)
            .max(1);
        let plot_top = 8.0;
        let plot_bottom = 170.0;
        let slot = WIDTH / months.len() as f64;
        let every = months.len().div_ceil(12);
        let bars = months
            .iter()
            .enumerate()
            .map(|(i, (month, value, link))| {
                let height =
                    value.magnitude().max(0) as f64 * (plot_bottom - plot_top) / max as f64;
                let x = i as f64 * slot + slot * 0.15;
                let labelled = i % every == 0;
                let name = MONTHS[month.month0() as usize];
                Bar {
                    name: crate::format::month_label(*month),
                    label: if labelled {
                        name.to_owned()
                    } else {
                        String::new()
                    },
                    value: value.text(),
                    link: link.clone(),
                    x: round(x),
                    y: round(plot_bottom - height),
                    width: round(slot * 0.7),
                    height: round(height),
                    label_x: round(i as f64 * slot + slot / 2.0),
                    label_y: plot_bottom + 15.0,
                    sublabel: if labelled && (i == 0 || month.month() == 1) {
                        month.year().to_string()
                    } else {
                        String::new()
                    },
                    value_x: 0.0,
                    value_y: 0.0,
                }
            })
            .collect();
        Some(Chart {
            id: format!("grafico-{id}"),
            title: title.to_owned(),
            description: "Gráfico de barras verticales, una por mes del periodo; los mismos datos están en la tabla que lo sigue.".to_owned(),
            width: WIDTH,
            height: plot_bottom + 34.0,
            vertical: true,
            bars,
        })
    }

    /// The full name of a bar for its tooltip and screen readers.
    pub fn bar_title(&self, bar: &Bar) -> String {
        format!("{}, {}", bar.name, bar.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: &str, n: i64) -> TableRow {
        TableRow {
            label: label.to_owned(),
            link: None,
            values: vec![Value::Count(n)],
        }
    }

    #[test]
    fn horizontal_bars_are_as_long_as_their_share_of_the_largest() {
        let chart = Chart::horizontal(
            "x",
            "Por compañía",
            Some("Pólizas"),
            &[row("Mapfre", 4), row("AXA", 1), row("Nadie", 0)],
            0,
        )
        .unwrap();
        assert_eq!(chart.bars[0].width, WIDTH);
        assert_eq!(chart.bars[1].width, 90.0);
        assert_eq!(chart.bars[2].width, 0.0);
        assert_eq!(chart.bars[1].value, "1");
        assert_eq!(chart.title, "Pólizas: por compañía");
        assert!(Chart::horizontal("x", "t", None, &[row("A", 0)], 0).is_none());
    }
}
