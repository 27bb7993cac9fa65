//! The department's annual report (Orden ECO/734/2004, art. 17): how many complaints came in
//! during the year, of which kind and by which channel, how they ended, how long the answers
//! took (average and longest, in working days) and where they came from by line and carrier.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use diesel::prelude::*;

use super::{Channel, Escalation, Kind, Outcome, Status, working_days_between};
use crate::db::schema::{carriers, complaints, lines_of_business, policies};

/// One row of a breakdown: what, how many, and how those ended.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tally {
    pub label: String,
    pub total: i64,
    pub in_favour: i64,
    pub partly: i64,
    pub against: i64,
    pub withdrawn: i64,
    pub open: i64,
}

impl Tally {
    fn named(label: &str) -> Self {
        Self {
            label: label.to_owned(),
            ..Self::default()
        }
    }

    fn add(&mut self, status: Status, outcome: Option<Outcome>) {
        self.total += 1;
        match (status, outcome) {
            (Status::Open, _) | (_, None) => self.open += 1,
            (_, Some(Outcome::InFavour)) => self.in_favour += 1,
            (_, Some(Outcome::Partly)) => self.partly += 1,
            (_, Some(Outcome::Against)) => self.against += 1,
            (_, Some(Outcome::Withdrawn)) => self.withdrawn += 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AnnualReport {
    pub year: i32,
    pub total: Tally,
    pub by_kind: Vec<Tally>,
    pub by_channel: Vec<Tally>,
    pub by_line: Vec<Tally>,
    pub by_carrier: Vec<Tally>,
    /// Working days from receipt to answer, over the complaints closed.
    pub average_days: Option<f64>,
    pub longest_days: Option<i32>,
    /// Answered after their deadline.
    pub answered_late: i64,
    pub escalated_ombudsman: i64,
    pub escalated_dgsfp: i64,
    /// Asked for a person to deal with them.
    pub asked_for_a_person: i64,
}

type ReportRow = (
    Kind,
    Channel,
    Status,
    Option<Outcome>,
    NaiveDate,
    NaiveDate,
    Option<DateTime<Utc>>,
    Option<Escalation>,
    bool,
    Option<String>,
    Option<String>,
);

/// Label of complaints not about a policy in the line and carrier breakdowns.
pub const NO_POLICY: &str = "Sin póliza concreta";

/// The report of the complaints received in `year`.
pub fn annual(conn: &mut PgConnection, year: i32) -> QueryResult<AnnualReport> {
    let start = NaiveDate::from_ymd_opt(year, 1, 1).expect("valid year");
    let end = NaiveDate::from_ymd_opt(year + 1, 1, 1).expect("valid year");
    let rows: Vec<ReportRow> = complaints::table
        .left_join(
            policies::table
                .inner_join(lines_of_business::table)
                .inner_join(carriers::table),
        )
        .filter(complaints::received_on.ge(start))
        .filter(complaints::received_on.lt(end))
        .select((
            complaints::kind,
            complaints::channel,
            complaints::status,
            complaints::outcome,
            complaints::received_on,
            complaints::due_on,
            complaints::closed_at,
            complaints::escalated_to,
            complaints::wants_human,
            lines_of_business::name.nullable(),
            carriers::name.nullable(),
        ))
        .load(conn)?;
    Ok(assemble(year, rows))
}

fn tally_of(tallies: &mut Vec<Tally>, label: &str) -> usize {
    match tallies.iter().position(|t| t.label == label) {
        Some(index) => index,
        None => {
            tallies.push(Tally::named(label));
            tallies.len() - 1
        }
    }
}

fn assemble(year: i32, rows: Vec<ReportRow>) -> AnnualReport {
    let mut total = Tally::named("Total");
    let mut by_kind: Vec<Tally> = Kind::ALL.iter().map(|k| Tally::named(k.label())).collect();
    let mut by_channel: Vec<Tally> = Channel::ALL
        .iter()
        .map(|c| Tally::named(c.label()))
        .collect();
    let (mut by_line, mut by_carrier) = (Vec::new(), Vec::new());
    let mut days = Vec::new();
    let mut report = AnnualReport {
        year,
        total: Tally::default(),
        by_kind: Vec::new(),
        by_channel: Vec::new(),
        by_line: Vec::new(),
        by_carrier: Vec::new(),
        average_days: None,
        longest_days: None,
        answered_late: 0,
        escalated_ombudsman: 0,
        escalated_dgsfp: 0,
        asked_for_a_person: 0,
    };
    for (kind, channel, status, outcome, received, due, closed, escalated, human, line, carrier) in
        rows
    {
        total.add(status, outcome);
        let k = tally_of(&mut by_kind, kind.label());
        by_kind[k].add(status, outcome);
        let c = tally_of(&mut by_channel, channel.label());
        by_channel[c].add(status, outcome);
        let l = tally_of(&mut by_line, line.as_deref().unwrap_or(NO_POLICY));
        by_line[l].add(status, outcome);
        let r = tally_of(&mut by_carrier, carrier.as_deref().unwrap_or(NO_POLICY));
        by_carrier[r].add(status, outcome);
        if let Some(closed) = closed.filter(|_| status == Status::Answered) {
            let answered_on = crate::time::date_of(closed);
            days.push(working_days_between(received, answered_on));
            if answered_on > due {
                report.answered_late += 1;
            }
        }
        match escalated {
            Some(Escalation::Ombudsman) => report.escalated_ombudsman += 1,
            Some(Escalation::Dgsfp) => report.escalated_dgsfp += 1,
            None => {}
        }
        if human {
            report.asked_for_a_person += 1;
        }
    }
    let by_count = |tallies: &mut Vec<Tally>| {
        tallies.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.label.cmp(&b.label)))
    };
    by_count(&mut by_line);
    by_count(&mut by_carrier);
    if !days.is_empty() {
        report.average_days = Some(days.iter().sum::<i32>() as f64 / days.len() as f64);
        report.longest_days = days.iter().copied().max();
    }
    report.total = total;
    report.by_kind = by_kind;
    report.by_channel = by_channel.into_iter().filter(|t| t.total > 0).collect();
    report.by_line = by_line;
    report.by_carrier = by_carrier;
    report
}

/// The years with complaints, the newest first, and always the current one.
pub fn years(conn: &mut PgConnection, today: NaiveDate) -> QueryResult<Vec<i32>> {
    let first: Option<NaiveDate> = complaints::table
        .select(diesel::dsl::min(complaints::received_on))
        .first(conn)?;
    let first = first.map(|d| d.year()).unwrap_or(today.year());
    Ok((first.min(today.year())..=today.year()).rev().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn counts_outcomes_times_and_breakdowns() {
        let noon = |m, day| Some(Utc.with_ymd_and_hms(2026, m, day, 11, 0, 0).unwrap());
        let rows: Vec<ReportRow> = vec![
            // Answered in 5 working days, in favour, about a car policy of Mapfre.
            (
                Kind::Claim,
                Channel::Portal,
                Status::Answered,
                Some(Outcome::InFavour),
                d(3, 2),
                d(3, 23),
                noon(3, 9),
                None,
                false,
                Some("Automóvil".into()),
                Some("Mapfre".into()),
            ),
            // Answered late (after 24 March), against, escalated to the DGSFP.
            (
                Kind::Claim,
                Channel::Letter,
                Status::Answered,
                Some(Outcome::Against),
                d(3, 2),
                d(3, 23),
                noon(3, 25),
                Some(Escalation::Dgsfp),
                true,
                Some("Automóvil".into()),
                Some("Allianz".into()),
            ),
            // Still open, no policy.
            (
                Kind::Complaint,
                Channel::Web,
                Status::Open,
                None,
                d(4, 1),
                d(4, 23),
                None,
                None,
                false,
                None,
                None,
            ),
        ];
        let report = assemble(2026, rows);
        assert_eq!(report.total.total, 3);
        assert_eq!(
            (
                report.total.in_favour,
                report.total.against,
                report.total.open
            ),
            (1, 1, 1)
        );
        assert_eq!(report.average_days, Some(11.0));
        assert_eq!(report.longest_days, Some(17));
        assert_eq!(report.answered_late, 1);
        assert_eq!(report.escalated_dgsfp, 1);
        assert_eq!(report.asked_for_a_person, 1);
        assert_eq!(report.by_line[0].label, "Automóvil");
        assert_eq!(report.by_line[0].total, 2);
        assert_eq!(report.by_line[1].label, NO_POLICY);
        assert_eq!(report.by_kind[0].label, "Reclamación");
        assert_eq!(report.by_kind[0].total, 2);
        assert_eq!(report.by_channel.len(), 3);
    }
}
