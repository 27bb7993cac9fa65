//! How values are written on pages: Spanish conventions (`dd/mm/aaaa`), office time zone.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};

use crate::time::ZONE;

/// An instant as the office reads it: `dd/mm/aaaa hh:mm`, Europe/Madrid.
pub fn madrid_datetime(instant: DateTime<Utc>) -> String {
    let local = instant.with_timezone(&ZONE);
    let mut text = date(local.date_naive());
    text.push(' ');
    push_two_digits(&mut text, local.hour());
    text.push(':');
    push_two_digits(&mut text, local.minute());
    text
}

/// The same with seconds, where they matter (the audit log).
pub fn madrid_datetime_seconds(instant: DateTime<Utc>) -> String {
    instant
        .with_timezone(&ZONE)
        .format("%d/%m/%Y %H:%M:%S")
        .to_string()
}

/// A calendar day: `dd/mm/aaaa`.
pub fn date(day: NaiveDate) -> String {
    // Lists write two dates per row: by hand, chrono's `format` parses its pattern each time
    // (a tenth of the cost of a whole portfolio page went there).
    if !(0..=9999).contains(&day.year()) {
        return day.format("%d/%m/%Y").to_string();
    }
    let mut text = String::with_capacity(16);
    push_two_digits(&mut text, day.day());
    text.push('/');
    push_two_digits(&mut text, day.month());
    text.push('/');
    let year = day.year() as u32;
    push_two_digits(&mut text, year / 100);
    push_two_digits(&mut text, year % 100);
    text
}

/// `n` (below 100) with a leading zero.
fn push_two_digits(text: &mut String, n: u32) {
    text.push(char::from(b'0' + (n / 10 % 10) as u8));
    text.push(char::from(b'0' + (n % 10) as u8));
}

const MONTHS: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

/// "noviembre de 2026".
pub fn month_label(day: NaiveDate) -> String {
    format!("{} de {}", MONTHS[day.month0() as usize], day.year())
}

/// "7 de diciembre de 2026": a day as letters and documents write it.
pub fn long_date(day: NaiveDate) -> String {
    format!("{} de {}", day.day(), month_label(day))
}

/// A stored phone (`900100102`) for reading (`900 100 102`); as stored when it is not one.
pub fn phone(stored: &str) -> String {
    crate::identifiers::Phone::parse(stored)
        .map(|phone| phone.formatted())
        .unwrap_or_else(|_| stored.to_owned())
}

/// `text` cut to at most `max` characters, with an ellipsis when something was cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(max.saturating_sub(1)).collect();
    short.push('…');
    short
}

/// 2000 → "2.000", as Spanish writes whole numbers.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// Basis points as a Spanish percentage with two decimals (exactly the basis points, no second
/// rounding): 8533 → "85,33 %"; "—" when there is none (nothing to divide by).
pub fn percent(bp: Option<i64>) -> String {
    let Some(bp) = bp else {
        return "—".to_owned();
    };
    let sign = if bp < 0 { "-" } else { "" };
    let abs = bp.abs();
    format!("{sign}{},{:02} %", thousands(abs / 100), abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn winter_instants_show_one_hour_ahead_of_utc() {
        assert_eq!(
            madrid_datetime_seconds(utc("2026-11-23T08:05:09Z")),
            "23/11/2026 09:05:09"
        );
        assert_eq!(
            madrid_datetime(utc("2026-11-23T08:05:09Z")),
            "23/11/2026 09:05"
        );
    }

    #[test]
    fn summer_instants_show_two_hours_ahead_and_may_change_the_day() {
        assert_eq!(
            madrid_datetime_seconds(utc("2026-07-31T22:30:00Z")),
            "01/08/2026 00:30:00"
        );
    }

    #[test]
    fn the_repeated_hour_of_the_fall_back_night_shows_twice() {
        assert_eq!(
            madrid_datetime_seconds(utc("2026-10-25T00:30:00Z")),
            "25/10/2026 02:30:00"
        );
        assert_eq!(
            madrid_datetime_seconds(utc("2026-10-25T01:30:00Z")),
            "25/10/2026 02:30:00"
        );
    }

    #[test]
    fn days_are_written_day_first() {
        assert_eq!(
            date(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()),
            "01/03/2026"
        );
        assert_eq!(
            date(NaiveDate::from_ymd_opt(987, 12, 31).unwrap()),
            "31/12/0987"
        );
        // Whatever chrono writes for every day of a span, the hand-written form writes too.
        let mut day = NaiveDate::from_ymd_opt(1999, 12, 25).unwrap();
        while day.year() < 2031 {
            assert_eq!(date(day), day.format("%d/%m/%Y").to_string());
            day = day.succ_opt().unwrap();
        }
    }

    #[test]
    fn instants_are_written_like_chrono_would() {
        let mut at = utc("2026-01-01T00:00:00Z");
        for _ in 0..2_000 {
            assert_eq!(
                madrid_datetime(at),
                at.with_timezone(&ZONE).format("%d/%m/%Y %H:%M").to_string()
            );
            at += chrono::Duration::minutes(263);
        }
    }

    #[test]
    fn long_text_is_shortened_with_an_ellipsis() {
        assert_eq!(shorten("abcdef", 10), "abcdef");
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("ñandúes", 3), "ña…");
    }

    #[test]
    fn percentages_are_written_the_spanish_way() {
        assert_eq!(percent(Some(8_533)), "85,33 %");
        assert_eq!(percent(Some(-5)), "-0,05 %");
        assert_eq!(percent(Some(1_234_500)), "12.345,00 %");
        assert_eq!(percent(None), "—");
    }
}
