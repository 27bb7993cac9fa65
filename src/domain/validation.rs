//! Validation shared by every form: the field errors a form shows again, the refusal of
//! control characters, and the parsing of the amounts and dates people type. No HTTP here:
//! the web layer's extractors (`web::form`) and the domain's commands both use it.

use std::borrow::Cow;

/// Spanish messages by field name, in the order they were found (the order of the form, so the
/// error summary lists them as the visitor meets the fields). Names are usually constants; a
/// landing's own fields bring theirs from the request.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(Vec<(Cow<'static, str>, String)>);

/// A form validated at the edge: the typed command, or what is wrong with each field. Commands
/// that must first say whether the record allows the change at all (a collected receipt cannot
/// be cancelled, whatever the form says) take it whole, so that refusal comes before field
/// errors.
pub type Validated<T> = Result<T, FieldErrors>;

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
            self.0.push((Cow::Borrowed(field), message.into()));
        }
    }

    /// [`add`](Self::add) for a field whose name comes from the request (a landing's own
    /// fields).
    pub fn add_named(&mut self, field: &str, message: impl Into<String>) {
        if !self.has(field) {
            self.0.push((Cow::Owned(field.to_owned()), message.into()));
        }
    }

    /// Adds every message of `other` whose field has none yet.
    pub fn merge(&mut self, other: FieldErrors) {
        for (field, message) in other.0 {
            if !self.has(&field) {
                self.0.push((field, message));
            }
        }
    }

    /// The fields with a message, with it, in the order they were found.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(f, m)| (f.as_ref(), m.as_str()))
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, message)| message.as_str())
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|(name, _)| name == field)
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
            .filter(|(name, _)| wanted.contains(&name.as_ref()))
            .map(|(name, message)| SummaryItem::new(name.as_ref(), message.clone()))
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

    /// `Ok(value)` when there are no errors, for `?`-style validation.
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

/// What a field containing control characters is told.
pub const INVALID_CHARACTERS: &str = "Este campo contiene caracteres no válidos.";

/// Whether `c` may appear in a typed value: no control character (NUL, escape, DEL, the C1
/// range...) but tab and line breaks, and those only in multi-line fields.
pub fn allowed_char(c: char, multiline: bool) -> bool {
    !c.is_control() || (multiline && matches!(c, '\t' | '\n' | '\r'))
}

/// The fields of `pairs` holding characters nobody types (`%00` and the like: PostgreSQL
/// refuses NUL in text), each with [`INVALID_CHARACTERS`]. Tab and line breaks pass in the
/// fields named in `multiline` (the textareas).
pub fn control_character_errors<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    multiline: &[&str],
) -> FieldErrors {
    let mut errors = FieldErrors::new();
    for (name, value) in pairs {
        let multi = multiline.contains(&name);
        if !value.chars().all(|c| allowed_char(c, multi)) {
            errors.add_named(name, INVALID_CHARACTERS);
        }
    }
    errors
}

/// `value` without the characters [`allowed_char`] refuses, to show the form again with what
/// was typed otherwise.
pub fn without_control_characters(value: &str) -> Cow<'_, str> {
    if value.chars().all(|c| allowed_char(c, true)) {
        Cow::Borrowed(value)
    } else {
        Cow::Owned(value.chars().filter(|&c| allowed_char(c, true)).collect())
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
    fn control_characters_are_refused_but_line_breaks_pass_in_multiline_fields() {
        let errors = control_character_errors(
            [
                ("nombre", "Ana\u{0}"),
                ("mensaje", "Hola\r\n\tadiós"),
                ("asunto", "uno\ndos"),
                ("ciudad", "Málaga"),
                ("texto", "fin\u{7f}"),
            ],
            &["mensaje"],
        );
        assert_eq!(errors.get("nombre"), Some(INVALID_CHARACTERS));
        assert_eq!(errors.get("asunto"), Some(INVALID_CHARACTERS));
        assert_eq!(errors.get("texto"), Some(INVALID_CHARACTERS));
        assert!(!errors.has("mensaje") && !errors.has("ciudad"));
        assert_eq!(without_control_characters("A\u{0}na\u{1b}"), "Ana");
        assert_eq!(without_control_characters("a\nb"), "a\nb");
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
