//! How dates, times and money read in Spanish pages: `dd/mm/aaaa`, Europe/Madrid time.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Madrid;

/// 23/11/2026 14:05 (Madrid time).
pub fn madrid_datetime(at: DateTime<Utc>) -> String {
    at.with_timezone(&Madrid)
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

/// 23/11/2026 14:05:09 (Madrid time), for logs where seconds matter.
pub fn madrid_datetime_seconds(at: DateTime<Utc>) -> String {
    at.with_timezone(&Madrid)
        .format("%d/%m/%Y %H:%M:%S")
        .to_string()
}

/// 23/11/2026
pub fn date(day: NaiveDate) -> String {
    day.format("%d/%m/%Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_are_shown_in_madrid_across_daylight_saving() {
        let winter = Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0).unwrap();
        assert_eq!(madrid_datetime(winter), "15/01/2026 13:00");
        let summer = Utc.with_ymd_and_hms(2026, 7, 15, 12, 0, 9).unwrap();
        assert_eq!(madrid_datetime_seconds(summer), "15/07/2026 14:00:09");
        assert_eq!(
            date(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()),
            "01/03/2026"
        );
    }
}
