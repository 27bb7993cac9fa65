//! Values as Spanish readers expect them on a page: dates in Madrid time, dd/mm/aaaa.

use chrono::{DateTime, Utc};
use chrono_tz::Europe::Madrid;

/// An instant in Madrid's local time (CET/CEST), `dd/mm/aaaa hh:mm`.
pub fn madrid_datetime(instant: DateTime<Utc>) -> String {
    instant
        .with_timezone(&Madrid)
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn madrid_is_one_hour_ahead_in_winter_and_two_in_summer() {
        let winter = Utc.with_ymd_and_hms(2026, 1, 15, 23, 30, 0).unwrap();
        assert_eq!(madrid_datetime(winter), "16/01/2026 00:30");
        let summer = Utc.with_ymd_and_hms(2026, 7, 1, 8, 5, 0).unwrap();
        assert_eq!(madrid_datetime(summer), "01/07/2026 10:05");
    }
}
