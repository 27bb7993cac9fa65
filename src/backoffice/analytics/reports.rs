//! Each report's figures made into headline figures and sections (tables and charts), with the
//! links to the lists behind each figure, and the same sections as the rows of an export.

use chrono::{Duration, NaiveDate};
use diesel::PgConnection;
use diesel::QueryResult;

use crate::analytics::{
    self, Group, Period, PortfolioScope, loss_ratio::Losses, production::Sales, retention::Renewals,
};
use crate::export::Cell;

use super::chart::Chart;
use super::view::{Headline, Section, TableRow, Value};
use super::{Built, Report, link, period_text};

const POLICIES: &str = "/admin/polizas";
const RECEIPTS: &str = "/admin/recibos";
const COMMISSIONS: &str = "/admin/comisiones";

/// The figures of a report for the two comparisons of its headline figures, with their labels.
struct Before<T>(Vec<(String, T)>);

impl<T> Before<T> {
    /// Over the previous period and the same period a year before.
    fn periods(
        period: Period,
        mut figures: impl FnMut(Period) -> QueryResult<T>,
    ) -> QueryResult<Self> {
        let previous = period.previous();
        let year = period.year_before();
        Ok(Self(vec![
            (
                format!("Periodo anterior ({})", period_text(previous)),
                figures(previous)?,
            ),
            (
                format!("Mismo periodo del año anterior ({})", period_text(year)),
                figures(year)?,
            ),
        ]))
    }

    /// At the day before the period starts and a year before its last day (figures at a date,
    /// such as the book in force).
    fn dates(
        period: Period,
        mut figures: impl FnMut(NaiveDate) -> QueryResult<T>,
    ) -> QueryResult<Self> {
        let start = period.from - Duration::days(1);
        let year = period
            .to
            .checked_sub_months(chrono::Months::new(12))
            .unwrap_or(period.to);
        Ok(Self(vec![
            (
                format!("Al empezar el periodo ({})", crate::format::date(start)),
                figures(start)?,
            ),
            (
                format!("Un año antes ({})", crate::format::date(year)),
                figures(year)?,
            ),
        ]))
    }

    /// The headline figure `value` of `now`, against the same value of each comparison.
    fn headline(
        &self,
        label: &'static str,
        now: &T,
        link: Option<String>,
        value: impl Fn(&T) -> Value,
    ) -> Headline {
        let before = self
            .0
            .iter()
            .map(|(label, then)| (label.clone(), value(then)))
            .collect();
        Headline::new(label, value(now), link, before)
    }
}

/// The standard breakdowns of a report: by carrier, line of business or agent.
#[derive(Debug, Clone, Copy)]
enum By {
    Carrier,
    Line,
    Agent,
}

impl By {
    /// The section's anchor.
    fn id(self) -> &'static str {
        match self {
            By::Carrier => "por-compania",
            By::Line => "por-ramo",
            By::Agent => "por-agente",
        }
    }

    fn title(self) -> &'static str {
        match self {
            By::Carrier => "Por compañía",
            By::Line => "Por ramo",
            By::Agent => "Por agente",
        }
    }

    /// The name of the table's first column.
    fn heading(self) -> &'static str {
        match self {
            By::Carrier => "Compañía",
            By::Line => "Ramo",
            By::Agent => "Agente",
        }
    }

    /// The parameter of the lists (policies, commissions) that filters by it.
    fn param(self) -> &'static str {
        match self {
            By::Carrier => "compania",
            By::Line => "ramo",
            By::Agent => "agente",
        }
    }
}

/// One section per breakdown: its groups as the rows of a table of `headers`, `total` below,
/// and the chart of column `charted`; `list` links a group to the records behind it.
fn breakdowns<'a, V: 'a>(
    parts: impl IntoIterator<Item = (By, &'a [Group<V>])>,
    title_end: &str,
    headers: &[&'static str],
    values: impl Fn(&V) -> Vec<Value> + Copy,
    list: impl Fn(&'static str, &Group<V>) -> Option<String> + Copy,
    charted: usize,
    total: &TableRow,
) -> Vec<Section> {
    parts
        .into_iter()
        .map(|(by, groups)| {
            Section::of(
                by.id(),
                format!("{}{title_end}", by.title()),
                by.heading(),
                headers.to_vec(),
                groups,
                values,
                |group| list(by.param(), group),
                charted,
            )
            .with_total(total.clone())
        })
        .collect()
}

/// The section of a figure per month: a row per month and the chart of column `charted`.
fn by_month<V>(
    chart_title: &str,
    headers: &[&'static str],
    months: &[(NaiveDate, V)],
    values: impl Fn(&V) -> Vec<Value>,
    link: impl Fn(NaiveDate) -> Option<String>,
    charted: usize,
    total: TableRow,
) -> Section {
    let rows: Vec<TableRow> = months
        .iter()
        .map(|(month, figures)| TableRow {
            label: crate::format::month_label(*month),
            link: link(*month),
            values: values(figures),
        })
        .collect();
    let bars: Vec<(NaiveDate, Value, Option<String>)> = months
        .iter()
        .zip(&rows)
        .map(|((month, _), row)| (*month, row.values[charted], row.link.clone()))
        .collect();
    Section {
        id: "por-mes",
        title: "Por mes".to_owned(),
        heading: "Mes",
        headers: headers.to_vec(),
        rows,
        total: Some(total),
        chart: Chart::by_month("por-mes", chart_title, &bars),
    }
}

/// The "Total" row of a table.
fn total_row(values: Vec<Value>, link: Option<String>) -> TableRow {
    TableRow {
        label: "Total".to_owned(),
        link,
        values,
    }
}

/// The policy list filtered by `param` (carrier, line or agent) of the group, and `extra`.
fn policies_of<V>(
    extra: &'static [(&'static str, &'static str)],
) -> impl Fn(&'static str, &Group<V>) -> Option<String> + Copy {
    move |param, group| {
        let id = group.id?.to_string();
        let mut pairs: Vec<(&str, &str)> = vec![(param, id.as_str())];
        pairs.extend_from_slice(extra);
        Some(link(POLICIES, &pairs))
    }
}

/// Computes `report` for `period` within `scope` (`today` decides what is overdue).
pub fn build(
    conn: &mut PgConnection,
    report: Report,
    scope: PortfolioScope,
    period: Period,
    today: NaiveDate,
) -> QueryResult<Built> {
    match report {
        Report::Portfolio => portfolio(conn, scope, period),
        Report::Production => production(conn, scope, period),
        Report::Retention => retention(conn, scope, period),
        Report::LossRatio => loss_ratio(conn, scope, period),
        Report::Receipts => receipts(conn, scope, period, today),
        Report::Commissions => commissions(conn, scope, period),
        Report::CrossSelling => cross_selling(conn, scope, period),
    }
}

// ---------------------------------------------------------------------------------------------
// Portfolio

const PORTFOLIO_HEADERS: [&str; 2] = ["Pólizas en vigor", "Prima anualizada"];

fn portfolio(conn: &mut PgConnection, scope: PortfolioScope, period: Period) -> QueryResult<Built> {
    use analytics::portfolio::Book;
    let now = analytics::portfolio::at(conn, scope, period.to)?;
    let before = Before::dates(period, |day| {
        analytics::portfolio::total_at(conn, scope, day)
    })?;
    let in_force: &'static [(&str, &str)] = &[("estado", "active")];
    let headlines = vec![
        before.headline(
            "Pólizas en vigor",
            &now.total,
            Some(link(POLICIES, in_force)),
            |b| Value::Count(b.policies),
        ),
        before.headline("Prima anualizada", &now.total, None, |b| {
            Value::Money(b.premium_cents)
        }),
    ];
    let values = |b: &Book| vec![Value::Count(b.policies), Value::Money(b.premium_cents)];
    let total = total_row(values(&now.total), Some(link(POLICIES, in_force)));
    let sections = breakdowns(
        [
            (By::Carrier, now.by_carrier.as_slice()),
            (By::Line, &now.by_line),
            (By::Agent, &now.by_agent),
        ],
        &format!(" a {}", crate::format::date(now.at)),
        &PORTFOLIO_HEADERS,
        values,
        policies_of(in_force),
        1,
        &total,
    );
    Ok(Built {
        headlines,
        sections,
    })
}

// ---------------------------------------------------------------------------------------------
// Production

const PRODUCTION_HEADERS: [&str; 2] = ["Pólizas nuevas", "Prima nueva"];

fn production(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    period: Period,
) -> QueryResult<Built> {
    let now = analytics::production::over(conn, scope, period)?;
    let before = Before::periods(period, |other| {
        analytics::production::total_over(conn, scope, other)
    })?;
    let headlines = vec![
        before.headline("Pólizas nuevas", &now.total, None, |s| {
            Value::Count(s.policies)
        }),
        before.headline("Prima de nueva producción", &now.total, None, |s| {
            Value::Money(s.premium_cents)
        }),
    ];
    let values = |s: &Sales| vec![Value::Count(s.policies), Value::Money(s.premium_cents)];
    let total = total_row(values(&now.total), None);
    let mut sections = vec![by_month(
        "Prima nueva por mes",
        &PRODUCTION_HEADERS,
        &now.by_month,
        values,
        |_| None,
        1,
        total.clone(),
    )];
    sections.extend(breakdowns(
        [
            (By::Carrier, now.by_carrier.as_slice()),
            (By::Line, &now.by_line),
            (By::Agent, &now.by_agent),
        ],
        "",
        &PRODUCTION_HEADERS,
        values,
        policies_of(&[]),
        1,
        &total,
    ));
    sections.push(
        Section::of(
            "por-origen",
            "Por origen del lead",
            "Origen",
            PRODUCTION_HEADERS.to_vec(),
            &now.by_source,
            values,
            |_| None,
            1,
        )
        .with_total(total),
    );
    Ok(Built {
        headlines,
        sections,
    })
}

// ---------------------------------------------------------------------------------------------
// Retention

const RETENTION_HEADERS: [&str; 6] = [
    "Vencimientos",
    "Renovadas",
    "Retención de pólizas",
    "Prima que vencía",
    "Prima renovada",
    "Retención de prima",
];
const CANCELLATION_HEADERS: [&str; 2] = ["Anuladas", "Prima anulada"];

fn retention(conn: &mut PgConnection, scope: PortfolioScope, period: Period) -> QueryResult<Built> {
    let now = analytics::retention::over(conn, scope, period)?;
    let before = Before::periods(period, |other| {
        analytics::retention::total_over(conn, scope, other)
    })?;
    let cancelled: &'static [(&str, &str)] = &[("estado", "cancelled")];
    let headlines = vec![
        before.headline("Retención de pólizas", &now.total, None, |r| {
            Value::Percent(r.policy_retention_bp())
        }),
        before.headline("Retención de prima", &now.total, None, |r| {
            Value::Percent(r.premium_retention_bp())
        }),
        before.headline("Vencimientos", &now.total, None, |r| Value::Count(r.due)),
        Headline::new(
            "Anulaciones",
            Value::Count(now.cancellations.policies),
            Some(link(POLICIES, cancelled)),
            Vec::new(),
        ),
    ];
    let values = |r: &Renewals| {
        vec![
            Value::Count(r.due),
            Value::Count(r.renewed),
            Value::Percent(r.policy_retention_bp()),
            Value::Money(r.due_premium_cents),
            Value::Money(r.renewed_premium_cents),
            Value::Percent(r.premium_retention_bp()),
        ]
    };
    let mut sections = breakdowns(
        [
            (By::Carrier, now.by_carrier.as_slice()),
            (By::Line, &now.by_line),
            (By::Agent, &now.by_agent),
        ],
        "",
        &RETENTION_HEADERS,
        values,
        policies_of(&[]),
        2,
        &total_row(values(&now.total), None),
    );
    let cancellation_values = |c: &analytics::retention::Cancellations| {
        vec![Value::Count(c.policies), Value::Money(c.premium_cents)]
    };
    sections.push(
        Section::of(
            "anulaciones",
            "Anulaciones por motivo",
            "Motivo",
            CANCELLATION_HEADERS.to_vec(),
            &now.cancellations_by_reason,
            cancellation_values,
            |_| Some(link(POLICIES, cancelled)),
            0,
        )
        .with_total(total_row(
            cancellation_values(&now.cancellations),
            Some(link(POLICIES, cancelled)),
        )),
    );
    Ok(Built {
        headlines,
        sections,
    })
}

// ---------------------------------------------------------------------------------------------
// Loss ratio

const LOSS_HEADERS: [&str; 5] = [
    "Siniestros",
    "Pagado",
    "Reservas",
    "Prima devengada",
    "Siniestralidad",
];

fn loss_ratio(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    period: Period,
) -> QueryResult<Built> {
    let now = analytics::loss_ratio::over(conn, scope, period)?;
    let before = Before::periods(period, |other| {
        analytics::loss_ratio::total_over(conn, scope, other)
    })?;
    let headlines = vec![
        before.headline("Siniestralidad", &now.total, None, |l| {
            Value::Percent(l.ratio_bp())
        }),
        before.headline("Pagado más reservas", &now.total, None, |l| {
            Value::Money(l.incurred_cents())
        }),
        before.headline("Prima devengada", &now.total, None, |l| {
            Value::Money(l.earned_cents)
        }),
        before.headline("Siniestros ocurridos", &now.total, None, |l| {
            Value::Count(l.claims)
        }),
    ];
    let values = |l: &Losses| {
        vec![
            Value::Count(l.claims),
            Value::Money(l.paid_cents),
            Value::Money(l.reserve_cents),
            Value::Money(l.earned_cents),
            Value::Percent(l.ratio_bp()),
        ]
    };
    let sections = breakdowns(
        [
            (By::Carrier, now.by_carrier.as_slice()),
            (By::Line, &now.by_line),
        ],
        "",
        &LOSS_HEADERS,
        values,
        policies_of(&[]),
        4,
        &total_row(values(&now.total), None),
    );
    Ok(Built {
        headlines,
        sections,
    })
}

// ---------------------------------------------------------------------------------------------
// Receipts

const RECEIPT_HEADERS: [&str; 2] = ["Recibos", "Importe"];

fn receipts(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    period: Period,
    today: NaiveDate,
) -> QueryResult<Built> {
    use analytics::receipts::Amount;
    let now = analytics::receipts::over(conn, scope, period, today)?;
    let before = Before::periods(period, |other| {
        analytics::receipts::over(conn, scope, other, today)
    })?;
    let from = super::iso(period.from);
    let to = super::iso(period.to);
    // The receipt list by status and due dates (both optional bounds).
    let list = |status: &str, from: Option<NaiveDate>, to: Option<NaiveDate>| {
        let from = from.map(super::iso).unwrap_or_default();
        let to = to.map(super::iso).unwrap_or_default();
        link(
            RECEIPTS,
            &[
                ("estado", status),
                ("desde", from.as_str()),
                ("hasta", to.as_str()),
            ],
        )
    };
    let yesterday = today - Duration::days(1);
    let overdue_link = (period.from <= yesterday).then(|| {
        list(
            "pendiente",
            Some(period.from),
            Some(period.to.min(yesterday)),
        )
    });
    let pending_link = (period.to >= today)
        .then(|| list("pendiente", Some(period.from.max(today)), Some(period.to)));
    let collected_link = Some(list("cobrado", Some(period.from), Some(period.to)));
    let returned_link = Some(list("devuelto", Some(period.from), Some(period.to)));
    let cancelled_link = Some(list("anulado", Some(period.from), Some(period.to)));
    // An empty `estado` is every status (an absent one, the pending receipts only).
    let all_link = Some(format!("{RECEIPTS}?estado=&desde={from}&hasta={to}"));
    let headlines = vec![
        before.headline("Tasa de cobro", &now, None, |c| Value::Percent(c.rate_bp())),
        before.headline("Cobrado", &now, collected_link.clone(), |c| {
            Value::Money(c.collected.amount_cents)
        }),
        before.headline("Vencido sin cobrar", &now, overdue_link.clone(), |c| {
            Value::Money(c.overdue.amount_cents)
        }),
        before.headline("Devuelto", &now, returned_link.clone(), |c| {
            Value::Money(c.returned.amount_cents)
        }),
    ];
    let values = |a: &Amount| vec![Value::Count(a.receipts), Value::Money(a.amount_cents)];
    let status_rows: Vec<TableRow> = [
        ("Cobrados", now.collected, collected_link),
        ("Pendientes", now.pending, pending_link),
        ("Vencidos", now.overdue, overdue_link),
        ("Devueltos", now.returned, returned_link.clone()),
        ("Anulados", now.cancelled, cancelled_link),
    ]
    .into_iter()
    .map(|(label, amount, link)| TableRow {
        label: label.to_owned(),
        link,
        values: values(&amount),
    })
    .collect();
    let issued = now.issued();
    let everything = Amount {
        receipts: issued.receipts + now.cancelled.receipts,
        amount_cents: issued.amount_cents + now.cancelled.amount_cents,
    };
    let by_status = Section {
        id: "por-estado",
        title: "Por estado".to_owned(),
        heading: "Estado",
        headers: RECEIPT_HEADERS.to_vec(),
        chart: Chart::horizontal(
            "por-estado",
            "Por estado",
            Some(RECEIPT_HEADERS[1]),
            &status_rows,
            1,
        ),
        rows: status_rows,
        total: Some(total_row(values(&everything), all_link)),
    };
    let returned = returned_link;
    let by_reason = Section::of(
        "devueltos",
        "Devueltos por motivo",
        "Motivo",
        RECEIPT_HEADERS.to_vec(),
        &now.returned_by_reason,
        values,
        move |_| returned.clone(),
        1,
    )
    .with_total(total_row(values(&now.returned), None));
    Ok(Built {
        headlines,
        sections: vec![by_status, by_reason],
    })
}

// ---------------------------------------------------------------------------------------------
// Commissions

const COMMISSION_HEADERS: [&str; 3] = ["Líneas", "Comisión", "Parte de los agentes"];

fn commissions(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    period: Period,
) -> QueryResult<Built> {
    use analytics::commissions::Earned;
    let now = analytics::commissions::over(conn, scope, period)?;
    let before = Before::periods(period, |other| {
        analytics::commissions::total_over(conn, scope, other)
    })?;
    let headlines = vec![
        before.headline(
            "Comisión devengada",
            &now.total,
            Some(COMMISSIONS.to_owned()),
            |e| Value::Money(e.commission_cents),
        ),
        before.headline("Parte de los agentes", &now.total, None, |e| {
            Value::Money(e.agent_cents)
        }),
    ];
    let values = |e: &Earned| {
        vec![
            Value::Count(e.lines),
            Value::Money(e.commission_cents),
            Value::Money(e.agent_cents),
        ]
    };
    let total = total_row(values(&now.total), None);
    // The commission list filters by month, carrier and agent.
    let month_link = |month: NaiveDate| {
        let code = crate::commissions::month_code(month);
        Some(link(COMMISSIONS, &[("mes", code.as_str())]))
    };
    let list_of = |param: &'static str, group: &Group<Earned>| {
        let id = group.id?.to_string();
        Some(link(COMMISSIONS, &[(param, id.as_str())]))
    };
    let mut sections = vec![by_month(
        "Comisión devengada por mes",
        &COMMISSION_HEADERS,
        &now.by_month,
        values,
        month_link,
        1,
        total.clone(),
    )];
    sections.extend(breakdowns(
        [
            (By::Carrier, now.by_carrier.as_slice()),
            (By::Agent, &now.by_agent),
        ],
        "",
        &COMMISSION_HEADERS,
        values,
        list_of,
        1,
        &total,
    ));
    Ok(Built {
        headlines,
        sections,
    })
}

// ---------------------------------------------------------------------------------------------
// Cross-selling

const CROSS_SELLING_HEADERS: [&str; 2] = ["Clientes", "Pólizas en vigor"];

fn cross_selling(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    period: Period,
) -> QueryResult<Built> {
    use analytics::cross_selling::{CrossSelling, MAX_GROUP};
    let now = analytics::cross_selling::at(conn, scope, period.to)?;
    let before = Before::dates(period, |day| analytics::cross_selling::at(conn, scope, day))?;
    let headlines = vec![
        before.headline("Clientes con pólizas en vigor", &now, None, |c| {
            Value::Count(c.customers)
        }),
        before.headline("Pólizas por cliente", &now, None, |c: &CrossSelling| {
            Value::Decimal(c.per_customer_hundredths())
        }),
    ];
    let rows: Vec<TableRow> = now
        .by_count
        .iter()
        .map(|&(held, customers, policies)| TableRow {
            label: if held >= MAX_GROUP {
                format!("{held} o más pólizas")
            } else if held == 1 {
                "1 póliza".to_owned()
            } else {
                format!("{held} pólizas")
            },
            link: None,
            values: vec![Value::Count(customers), Value::Count(policies)],
        })
        .collect();
    let title = format!(
        "Clientes por pólizas en vigor a {}",
        crate::format::date(now.at)
    );
    let section = Section {
        id: "por-numero",
        chart: Chart::horizontal(
            "por-numero",
            &title,
            Some(CROSS_SELLING_HEADERS[0]),
            &rows,
            0,
        ),
        title,
        heading: "Pólizas que tiene",
        headers: CROSS_SELLING_HEADERS.to_vec(),
        rows,
        total: Some(total_row(
            vec![Value::Count(now.customers), Value::Count(now.policies)],
            None,
        )),
    };
    Ok(Built {
        headlines,
        sections: vec![section],
    })
}

// ---------------------------------------------------------------------------------------------
// Export

/// The columns of `report`'s export: the section and the group, then every measure.
pub fn export_headers(report: Report) -> Vec<&'static str> {
    let mut headers = vec!["Desglose", "Grupo"];
    match report {
        Report::Portfolio => headers.extend(PORTFOLIO_HEADERS),
        Report::Production => headers.extend(PRODUCTION_HEADERS),
        Report::Retention => {
            headers.extend(RETENTION_HEADERS);
            headers.extend(CANCELLATION_HEADERS);
        }
        Report::LossRatio => headers.extend(LOSS_HEADERS),
        Report::Receipts => headers.extend(RECEIPT_HEADERS),
        Report::Commissions => headers.extend(COMMISSION_HEADERS),
        Report::CrossSelling => headers.extend(CROSS_SELLING_HEADERS),
    }
    headers
}

/// The rows of the export: the period first, then every row and total of every section, each
/// value in the column of its header.
pub fn export_rows(built: &Built, headers: &[&str], period: Period) -> Vec<Vec<Cell>> {
    let width = headers.len();
    let mut rows = Vec::new();
    let mut first = vec![Cell::from("Periodo"), Cell::Text(period_text(period))];
    first.resize(width, Cell::Empty);
    rows.push(first);
    for section in &built.sections {
        for row in section.rows.iter().chain(section.total.iter()) {
            let mut cells = vec![
                Cell::Text(section.title.clone()),
                Cell::Text(row.label.clone()),
            ];
            for header in &headers[2..] {
                let value = section
                    .headers
                    .iter()
                    .position(|h| h == header)
                    .and_then(|i| row.values.get(i));
                cells.push(value.map_or(Cell::Empty, |v| v.cell()));
            }
            rows.push(cells);
        }
    }
    rows
}
