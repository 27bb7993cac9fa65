//! The one pattern every form follows: raw strings in, a typed command or field errors out,
//! and on errors the same page again with the messages next to the fields and the values kept.

/// Spanish messages by field name, in the order they were found (the order of the form, so the
/// error summary lists them as the visitor meets the fields).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(Vec<(&'static str, String)>);

/// One line of the error summary at the top of a form: a link to the field (`#target`, the
/// field's `id`) with its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryItem {
    pub target: String,
    pub message: String,
}

impl SummaryItem {
    pub fn new(target: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            target: target.into(),
            message: message.into(),
        }
    }
}

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a message for `field` unless it already has one (the first problem is the one to fix).
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        if !self.has(field) {
            self.0.push((field, message.into()));
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, message)| message.as_str())
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|(name, _)| *name == field)
    }

    /// The error summary's lines: every field's `id` is its name (as `partials/fields.html`
    /// draws them).
    pub fn summary(&self) -> Vec<SummaryItem> {
        self.summary_with_prefix("")
    }

    /// The same for a form whose field ids carry a prefix (`prefix` + name).
    pub fn summary_with_prefix(&self, prefix: &str) -> Vec<SummaryItem> {
        self.0
            .iter()
            .map(|(name, message)| SummaryItem::new(format!("{prefix}{name}"), message.clone()))
            .collect()
    }

    /// The summary of one form of a page whose forms share these errors: only `fields`
    /// (names separated by spaces).
    pub fn summary_of(&self, fields: &str) -> Vec<SummaryItem> {
        let wanted: Vec<&str> = fields.split_whitespace().collect();
        self.0
            .iter()
            .filter(|(name, _)| wanted.contains(name))
            .map(|(name, message)| SummaryItem::new(*name, message.clone()))
            .collect()
    }

    /// The same for a form repeated per row, whose field ids end in `-{row}`.
    pub fn summary_of_row(&self, fields: &str, row: impl std::fmt::Display) -> Vec<SummaryItem> {
        self.summary_of(fields)
            .into_iter()
            .map(|item| SummaryItem::new(format!("{}-{row}", item.target), item.message))
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// (field, message) pairs, by field name.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.0
            .iter()
            .map(|(field, message)| (*field, message.as_str()))
    }

    /// `Ok(value)` when there are no errors, for `?`-style validation.
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

/// "1,150" → 1150 with `decimals` = 3; "8" → 800 with `decimals` = 2. Refuses more decimals
/// than allowed, signs and anything that is not a number.
pub fn parse_fixed(text: &str, decimals: u32) -> Option<i64> {
    let text = text.trim().trim_end_matches('%').trim().replace('.', ",");
    let (whole, fraction) = text.split_once(',').unwrap_or((text.as_str(), ""));
    if whole.is_empty()
        || whole.len() > 7
        || fraction.len() > decimals as usize
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let scale = 10i64.pow(decimals);
    let padded = format!("{fraction:0<width$}", width = decimals as usize);
    Some(whole.parse::<i64>().ok()? * scale + padded.parse::<i64>().unwrap_or(0))
}

/// A date typed in a form: `aaaa-mm-dd` (what `<input type="date">` sends) or `dd/mm/aaaa`.
pub fn parse_date(text: &str) -> Result<chrono::NaiveDate, &'static str> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Escriba la fecha.");
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| chrono::NaiveDate::parse_from_str(text, "%d/%m/%Y"))
        .map_err(|_| "Escriba una fecha válida (dd/mm/aaaa).")
}

/// A period of days chosen with the `desde` / `hasta` fields of a report's GET form. Empty
/// fields take the defaults; a bad date, an end before the start or a period longer than
/// `max_days` is reported next to its field and the defaults are used instead, so the page
/// still shows figures while it says what was wrong.
#[derive(Debug)]
pub struct DayRange {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub errors: FieldErrors,
}

impl DayRange {
    pub fn read(
        desde: &str,
        hasta: &str,
        defaults: (chrono::NaiveDate, chrono::NaiveDate),
        max_days: i64,
    ) -> Self {
        let mut errors = FieldErrors::new();
        let mut read = |text: &str, field: &'static str, default: chrono::NaiveDate| {
            if text.trim().is_empty() {
                return default;
            }
            parse_date(text)
                .map_err(|message| errors.add(field, message))
                .unwrap_or(default)
        };
        let from = read(desde, "desde", defaults.0);
        let to = read(hasta, "hasta", defaults.1);
        if to < from {
            errors.add(
                "hasta",
                "La fecha final no puede ser anterior a la inicial.",
            );
        } else if (to - from).num_days() > max_days {
            errors.add(
                "hasta",
                format!("Elija un periodo de {max_days} días como mucho."),
            );
        }
        let (from, to) = if errors.is_empty() {
            (from, to)
        } else {
            defaults
        };
        Self { from, to, errors }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_ranges_fall_back_to_the_defaults_and_say_why() {
        let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        let defaults = (day(1), day(23));
        let empty = DayRange::read("", " ", defaults, 30);
        assert_eq!((empty.from, empty.to), defaults);
        assert!(empty.errors.is_empty());
        let chosen = DayRange::read("2026-11-05", "10/11/2026", defaults, 30);
        assert_eq!((chosen.from, chosen.to), (day(5), day(10)));
        let reversed = DayRange::read("2026-11-10", "2026-11-05", defaults, 30);
        assert_eq!((reversed.from, reversed.to), defaults);
        assert!(reversed.errors.get("hasta").is_some());
        let long = DayRange::read("2025-01-01", "2026-11-05", defaults, 30);
        assert!(long.errors.get("hasta").unwrap().contains("30 días"));
        let bad = DayRange::read("ayer", "", defaults, 30);
        assert!(bad.errors.get("desde").is_some());
    }

    #[test]
    fn dates_are_read_in_both_forms() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(parse_date("2026-11-23"), Ok(day));
        assert_eq!(parse_date("23/11/2026"), Ok(day));
        assert!(parse_date("31/02/2026").is_err());
        assert!(parse_date("").is_err());
    }

    #[test]
    fn the_first_message_of_a_field_wins() {
        let mut errors = FieldErrors::new();
        assert!(errors.is_empty());
        errors.add("email", "Escriba su correo.");
        errors.add("email", "Otro mensaje.");
        assert_eq!(errors.get("email"), Some("Escriba su correo."));
        assert!(errors.has("email") && !errors.has("name"));
        assert!(errors.clone().into_result(()).is_err());
    }

    #[test]
    fn the_summary_follows_the_order_of_the_form() {
        let mut errors = FieldErrors::new();
        errors.add("nombre", "Escriba su nombre.");
        errors.add("email", "Escriba su correo.");
        assert_eq!(
            errors.summary(),
            vec![
                SummaryItem::new("nombre", "Escriba su nombre."),
                SummaryItem::new("email", "Escriba su correo."),
            ]
        );
        assert_eq!(errors.summary_with_prefix("pago-")[1].target, "pago-email");
        assert_eq!(errors.summary_of("email otro").len(), 1);
        assert_eq!(errors.summary_of_row("nombre", 7)[0].target, "nombre-7");
    }
}
