//! Working days in Spain: Monday to Friday except the national holidays (fixed dates and Good
//! Friday). Regional and local holidays differ by place and are not counted.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// Easter Sunday of `year` (Gregorian, anonymous algorithm).
pub fn easter(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("Easter is a valid date")
}

/// National holidays: New Year, Epiphany, Good Friday, Labour Day, Assumption, National Day,
/// All Saints, Constitution Day, Immaculate Conception, Christmas.
pub fn is_national_holiday(day: NaiveDate) -> bool {
    const FIXED: [(u32, u32); 9] = [
        (1, 1),
        (1, 6),
        (5, 1),
        (8, 15),
        (10, 12),
        (11, 1),
        (12, 6),
        (12, 8),
        (12, 25),
    ];
    FIXED.contains(&(day.month(), day.day())) || day == easter(day.year()) - Duration::days(2)
}

pub fn is_working_day(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !is_national_holiday(day)
}

/// `count` working days after `day` (before it when negative); 0 gives `day` itself.
pub fn add_working_days(day: NaiveDate, count: i32) -> NaiveDate {
    let step = if count < 0 { -1 } else { 1 };
    let mut left = count.abs();
    let mut current = day;
    while left > 0 {
        current += Duration::days(step);
        if is_working_day(current) {
            left -= 1;
        }
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn easter_of_known_years() {
        assert_eq!(easter(2025), d(2025, 4, 20));
        assert_eq!(easter(2026), d(2026, 4, 5));
        assert_eq!(easter(2027), d(2027, 3, 28));
    }

    #[test]
    fn weekends_and_holidays_are_skipped() {
        // Friday 4 December 2026 + 1 working day: Monday 7 (Sunday 6 is a holiday anyway).
        assert_eq!(add_working_days(d(2026, 12, 4), 1), d(2026, 12, 7));
        // Monday 7 + 1: Tuesday 8 is the Immaculate Conception, so Wednesday 9.
        assert_eq!(add_working_days(d(2026, 12, 7), 1), d(2026, 12, 9));
        // Thursday 2 April 2026 + 1: Good Friday 3, weekend, so Monday 6.
        assert_eq!(add_working_days(d(2026, 4, 2), 1), d(2026, 4, 6));
        assert_eq!(add_working_days(d(2026, 12, 9), -1), d(2026, 12, 7));
        assert_eq!(add_working_days(d(2026, 12, 9), 0), d(2026, 12, 9));
    }
}
