//! The brokerage's clock. Instants are stored in UTC; people think in calendar days of Spanish
//! peninsular time (Europe/Madrid), which changes offset twice a year. This module turns one
//! into the other.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// The time zone of the office, of every date shown and of every date typed.
pub const ZONE: Tz = chrono_tz::Europe::Madrid;

/// Today in Madrid.
pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&ZONE).date_naive()
}

/// The Madrid calendar day of an instant.
pub fn date_of(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&ZONE).date_naive()
}

/// The first instant of calendar day `date` in Madrid.
pub fn day_start(date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN);
    match ZONE.from_local_datetime(&midnight).earliest() {
        Some(start) => start.with_timezone(&Utc),
        // Midnight fell into a spring-forward gap (never in Madrid, whose clocks change at
        // 02:00 and 03:00, but the zone's rules are not ours to fix): the day then starts at
        // the jump, which is midnight read with the offset in force just before it.
        None => {
            let before = ZONE.offset_from_utc_datetime(&(midnight - Duration::days(1)));
            midnight.and_utc() - Duration::seconds(i64::from(before.fix().local_minus_utc()))
        }
    }
}

/// The instant of Madrid time `time` on day `date` (the earlier one when clocks go back; the
/// jump when the time falls in the spring-forward gap).
pub fn at(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local = date.and_time(time);
    match ZONE.from_local_datetime(&local).earliest() {
        Some(instant) => instant.with_timezone(&Utc),
        None => at(date, time + Duration::hours(1)),
    }
}

/// The UTC half-open range `[start, end)` covering the Madrid calendar days `from` to `to`,
/// both included. A missing bound stays open.
pub fn day_range(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    (
        from.map(day_start),
        to.and_then(|to| to.succ_opt()).map(day_start),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_winter_day_starts_one_hour_before_utc_midnight() {
        assert_eq!(day_start(date(2026, 11, 23)), utc("2026-11-22T23:00:00Z"));
    }

    #[test]
    fn a_summer_day_starts_two_hours_before_utc_midnight() {
        assert_eq!(day_start(date(2026, 7, 1)), utc("2026-06-30T22:00:00Z"));
    }

    #[test]
    fn the_range_includes_both_days_whole() {
        let (start, end) = day_range(Some(date(2026, 11, 1)), Some(date(2026, 11, 23)));
        assert_eq!(start, Some(utc("2026-10-31T23:00:00Z")));
        assert_eq!(end, Some(utc("2026-11-23T23:00:00Z")));
    }

    #[test]
    fn the_spring_forward_day_lasts_twenty_three_hours() {
        // 29 March 2026: clocks go from 02:00 CET to 03:00 CEST.
        let (start, end) = day_range(Some(date(2026, 3, 29)), Some(date(2026, 3, 29)));
        assert_eq!(start, Some(utc("2026-03-28T23:00:00Z")));
        assert_eq!(end, Some(utc("2026-03-29T22:00:00Z")));
        assert_eq!(end.unwrap() - start.unwrap(), Duration::hours(23));
    }

    #[test]
    fn the_fall_back_day_lasts_twenty_five_hours() {
        // 25 October 2026: clocks go from 03:00 CEST back to 02:00 CET.
        let (start, end) = day_range(Some(date(2026, 10, 25)), Some(date(2026, 10, 25)));
        assert_eq!(start, Some(utc("2026-10-24T22:00:00Z")));
        assert_eq!(end, Some(utc("2026-10-25T23:00:00Z")));
        assert_eq!(end.unwrap() - start.unwrap(), Duration::hours(25));
    }

    #[test]
    fn open_bounds_stay_open() {
        assert_eq!(day_range(None, None), (None, None));
        let (start, end) = day_range(None, Some(date(2026, 1, 1)));
        assert_eq!(start, None);
        assert_eq!(end, Some(utc("2026-01-01T23:00:00Z")));
    }
}
