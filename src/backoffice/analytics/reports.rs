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

/// The policy list filtered by the group's carrier, line or agent (`param`), and `extra`.
fn policies_of<V>(
    param: &'static str,
    extra: &'static [(&'static str, &'static str)],
) -> impl Fn(&Group<V>) -> Option<String> {
    move |group| {
        let id = group.id?.to_string();
        let mut pairs: Vec<(&str, &str)> = vec![(param, id.as_str())];
        pairs.extend_from_slice(extra);
        Some(link(POLICIES, &pairs))
    }
}

/// The comparison periods of the headline figures, with their labels.
fn comparisons(period: Period) -> [(String, Period); 2] {
    let previous = period.previous();
    let year = period.year_before();
    [
        (
            format!("Periodo anterior ({})", period_text(previous)),
            previous,
        ),
        (
            format!("Mismo periodo del año anterior ({})", period_text(year)),
            year,
        ),
    ]
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
    let now = analytics::portfolio::at(conn, scope, period.to)?;
    let start = period.from - Duration::days(1);
    let year = period
        .to
        .checked_sub_months(chrono::Months::new(12))
        .unwrap_or(period.to);
    let before = [
        (
            format!("Al empezar el periodo ({})", crate::format::date(start)),
            analytics::portfolio::total_at(conn, scope, start)?,
        ),
        (
            format!("Un año antes ({})", crate::format::date(year)),
            analytics::portfolio::total_at(conn, scope, year)?,
        ),
    ];
    let in_force: &'static [(&str, &str)] = &[("estado", "active")];
    let headlines = vec![
        Headline::new(
            "Pólizas en vigor",
            Value::Count(now.total.policies),
            Some(link(POLICIES, in_force)),
            before
                .iter()
                .map(|(label, book)| (label.clone(), Value::Count(book.policies)))
                .collect(),
        ),
        Headline::new(
            "Prima anualizada",
            Value::Money(now.total.premium_cents),
            None,
            before
                .iter()
                .map(|(label, book)| (label.clone(), Value::Money(book.premium_cents)))
                .collect(),
        ),
    ];
    let values = |book: &analytics::portfolio::Book| {
        vec![
            Value::Count(book.policies),
            Value::Money(book.premium_cents),
        ]
    };
    let total = TableRow {
        label: "Total".to_owned(),
        link: Some(link(POLICIES, in_force)),
        values: values(&now.total),
    };
    let at = crate::format::date(now.at);
    let sections = vec![
        Section::of(
            "por-compania",
            format!("Por compañía a {at}"),
            "Compañía",
            PORTFOLIO_HEADERS.to_vec(),
            &now.by_carrier,
            values,
            policies_of("compania", in_force),
            1,
        ),
        Section::of(
            "por-ramo",
            format!("Por ramo a {at}"),
            "Ramo",
            PORTFOLIO_HEADERS.to_vec(),
            &now.by_line,
            values,
            policies_of("ramo", in_force),
            1,
        ),
        Section::of(
            "por-agente",
            format!("Por agente a {at}"),
            "Agente",
            PORTFOLIO_HEADERS.to_vec(),
            &now.by_agent,
            values,
            policies_of("agente", in_force),
            1,
        ),
    ]
    .into_iter()
    .map(|section| section.with_total(total.clone()))
    .collect();
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
    let mut before = Vec::new();
    for (label, other) in comparisons(period) {
        before.push((
            label,
            analytics::production::total_over(conn, scope, other)?,
        ));
    }
    let headlines = vec![
        Headline::new(
            "Pólizas nuevas",
            Value::Count(now.total.policies),
            None,
            before
                .iter()
                .map(|(label, s)| (label.clone(), Value::Count(s.policies)))
                .collect(),
        ),
        Headline::new(
            "Prima de nueva producción",
            Value::Money(now.total.premium_cents),
            None,
            before
                .iter()
                .map(|(label, s)| (label.clone(), Value::Money(s.premium_cents)))
                .collect(),
        ),
    ];
    let values = |s: &Sales| vec![Value::Count(s.policies), Value::Money(s.premium_cents)];
    let total = TableRow {
        label: "Total".to_owned(),
        link: None,
        values: values(&now.total),
    };
    let month_rows: Vec<TableRow> = now
        .by_month
        .iter()
        .map(|(month, sales)| TableRow {
            label: crate::format::month_label(*month),
            link: None,
            values: values(sales),
        })
        .collect();
    let months: Vec<(NaiveDate, Value, Option<String>)> = now
        .by_month
        .iter()
        .map(|(month, sales)| (*month, Value::Money(sales.premium_cents), None))
        .collect();
    let by_month = Section {
        id: "por-mes",
        title: "Por mes".to_owned(),
        heading: "Mes",
        headers: PRODUCTION_HEADERS.to_vec(),
        rows: month_rows,
        total: None,
        chart: Chart::by_month("por-mes", "Prima nueva por mes", &months),
    };
    let no_link = |_: &Group<Sales>| None;
    let mut sections = vec![by_month];
    sections.extend([
        Section::of(
            "por-compania",
            "Por compañía",
            "Compañía",
            PRODUCTION_HEADERS.to_vec(),
            &now.by_carrier,
            values,
            policies_of("compania", &[]),
            1,
        ),
        Section::of(
            "por-ramo",
            "Por ramo",
            "Ramo",
            PRODUCTION_HEADERS.to_vec(),
            &now.by_line,
            values,
            policies_of("ramo", &[]),
            1,
        ),
        Section::of(
            "por-agente",
            "Por agente",
            "Agente",
            PRODUCTION_HEADERS.to_vec(),
            &now.by_agent,
            values,
            policies_of("agente", &[]),
            1,
        ),
        Section::of(
            "por-origen",
            "Por origen del lead",
            "Origen",
            PRODUCTION_HEADERS.to_vec(),
            &now.by_source,
            values,
            no_link,
            1,
        ),
    ]);
    let sections = sections
        .into_iter()
        .map(|section| section.with_total(total.clone()))
        .collect();
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
    let mut before = Vec::new();
    for (label, other) in comparisons(period) {
        before.push((label, analytics::retention::total_over(conn, scope, other)?));
    }
    let compare = |value: fn(&Renewals) -> Value| {
        before
            .iter()
            .map(|(label, r)| (label.clone(), value(r)))
            .collect::<Vec<_>>()
    };
    let cancelled: &'static [(&str, &str)] = &[("estado", "cancelled")];
    let headlines = vec![
        Headline::new(
            "Retención de pólizas",
            Value::Percent(now.total.policy_retention_bp()),
            None,
            compare(|r| Value::Percent(r.policy_retention_bp())),
        ),
        Headline::new(
            "Retención de prima",
            Value::Percent(now.total.premium_retention_bp()),
            None,
            compare(|r| Value::Percent(r.premium_retention_bp())),
        ),
        Headline::new(
            "Vencimientos",
            Value::Count(now.total.due),
            None,
            compare(|r| Value::Count(r.due)),
        ),
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
    let total = TableRow {
        label: "Total".to_owned(),
        link: None,
        values: values(&now.total),
    };
    let mut sections: Vec<Section> = [
        (
            "por-compania",
            "Por compañía",
            "Compañía",
            &now.by_carrier,
            "compania",
        ),
        ("por-ramo", "Por ramo", "Ramo", &now.by_line, "ramo"),
        (
            "por-agente",
            "Por agente",
            "Agente",
            &now.by_agent,
            "agente",
        ),
    ]
    .into_iter()
    .map(|(id, title, heading, groups, param)| {
        Section::of(
            id,
            title,
            heading,
            RETENTION_HEADERS.to_vec(),
            groups,
            values,
            policies_of(param, &[]),
            2,
        )
        .with_total(total.clone())
    })
    .collect();
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
        .with_total(TableRow {
            label: "Total".to_owned(),
            link: Some(link(POLICIES, cancelled)),
            values: cancellation_values(&now.cancellations),
        }),
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
    let mut before = Vec::new();
    for (label, other) in comparisons(period) {
        before.push((
            label,
            analytics::loss_ratio::total_over(conn, scope, other)?,
        ));
    }
    let compare = |value: fn(&Losses) -> Value| {
        before
            .iter()
            .map(|(label, l)| (label.clone(), value(l)))
            .collect::<Vec<_>>()
    };
    let headlines = vec![
        Headline::new(
            "Siniestralidad",
            Value::Percent(now.total.ratio_bp()),
            None,
            compare(|l| Value::Percent(l.ratio_bp())),
        ),
        Headline::new(
            "Pagado más reservas",
            Value::Money(now.total.incurred_cents()),
            None,
            compare(|l| Value::Money(l.incurred_cents())),
        ),
        Headline::new(
            "Prima devengada",
            Value::Money(now.total.earned_cents),
            None,
            compare(|l| Value::Money(l.earned_cents)),
        ),
        Headline::new(
            "Siniestros ocurridos",
            Value::Count(now.total.claims),
            None,
            compare(|l| Value::Count(l.claims)),
        ),
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
    let total = TableRow {
        label: "Total".to_owned(),
        link: None,
        values: values(&now.total),
    };
    let sections = [
        (
            "por-compania",
            "Por compañía",
            "Compañía",
            &now.by_carrier,
            "compania",
        ),
        ("por-ramo", "Por ramo", "Ramo", &now.by_line, "ramo"),
    ]
    .into_iter()
    .map(|(id, title, heading, groups, param)| {
        Section::of(
            id,
            title,
            heading,
            LOSS_HEADERS.to_vec(),
            groups,
            values,
            policies_of(param, &[]),
            4,
        )
        .with_total(total.clone())
    })
    .collect();
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
    use analytics::receipts::{Amount, Collection};
    let now = analytics::receipts::over(conn, scope, period, today)?;
    let mut before = Vec::new();
    for (label, other) in comparisons(period) {
        before.push((label, analytics::receipts::over(conn, scope, other, today)?));
    }
    let compare = |value: fn(&Collection) -> Value| {
        before
            .iter()
            .map(|(label, c)| (label.clone(), value(c)))
            .collect::<Vec<_>>()
    };
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
        Headline::new(
            "Tasa de cobro",
            Value::Percent(now.rate_bp()),
            None,
            compare(|c| Value::Percent(c.rate_bp())),
        ),
        Headline::new(
            "Cobrado",
            Value::Money(now.collected.amount_cents),
            collected_link.clone(),
            compare(|c| Value::Money(c.collected.amount_cents)),
        ),
        Headline::new(
            "Vencido sin cobrar",
            Value::Money(now.overdue.amount_cents),
            overdue_link.clone(),
            compare(|c| Value::Money(c.overdue.amount_cents)),
        ),
        Headline::new(
            "Devuelto",
            Value::Money(now.returned.amount_cents),
            returned_link.clone(),
            compare(|c| Value::Money(c.returned.amount_cents)),
        ),
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
        total: Some(TableRow {
            label: "Total".to_owned(),
            link: all_link,
            values: values(&everything),
        }),
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
    .with_total(TableRow {
        label: "Total".to_owned(),
        link: None,
        values: values(&now.returned),
    });
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
    let mut before = Vec::new();
    for (label, other) in comparisons(period) {
        before.push((
            label,
            analytics::commissions::total_over(conn, scope, other)?,
        ));
    }
    let compare = |value: fn(&Earned) -> Value| {
        before
            .iter()
            .map(|(label, e)| (label.clone(), value(e)))
            .collect::<Vec<_>>()
    };
    let headlines = vec![
        Headline::new(
            "Comisión devengada",
            Value::Money(now.total.commission_cents),
            Some(COMMISSIONS.to_owned()),
            compare(|e| Value::Money(e.commission_cents)),
        ),
        Headline::new(
            "Parte de los agentes",
            Value::Money(now.total.agent_cents),
            None,
            compare(|e| Value::Money(e.agent_cents)),
        ),
    ];
    let values = |e: &Earned| {
        vec![
            Value::Count(e.lines),
            Value::Money(e.commission_cents),
            Value::Money(e.agent_cents),
        ]
    };
    let total = TableRow {
        label: "Total".to_owned(),
        link: None,
        values: values(&now.total),
    };
    // The commission list filters by month, carrier and agent.
    let month_link = |month: NaiveDate| {
        let code = crate::commissions::month_code(month);
        Some(link(COMMISSIONS, &[("mes", code.as_str())]))
    };
    let list_of = |param: &'static str| {
        move |group: &Group<Earned>| {
            let id = group.id?.to_string();
            Some(link(COMMISSIONS, &[(param, id.as_str())]))
        }
    };
    let months: Vec<(NaiveDate, Value, Option<String>)> = now
        .by_month
        .iter()
        .map(|(month, e)| (*month, Value::Money(e.commission_cents), month_link(*month)))
        .collect();
    let by_month = Section {
        id: "por-mes",
        title: "Por mes".to_owned(),
        heading: "Mes",
        headers: COMMISSION_HEADERS.to_vec(),
        rows: now
            .by_month
            .iter()
            .map(|(month, e)| TableRow {
                label: crate::format::month_label(*month),
                link: month_link(*month),
                values: values(e),
            })
            .collect(),
        total: Some(total.clone()),
        chart: Chart::by_month("por-mes", "Comisión devengada por mes", &months),
    };
    let sections = vec![
        by_month,
        Section::of(
            "por-compania",
            "Por compañía",
            "Compañía",
            COMMISSION_HEADERS.to_vec(),
            &now.by_carrier,
            values,
            list_of("compania"),
            1,
        )
        .with_total(total.clone()),
        Section::of(
            "por-agente",
            "Por agente",
            "Agente",
            COMMISSION_HEADERS.to_vec(),
            &now.by_agent,
            values,
            list_of("agente"),
            1,
        )
        .with_total(total),
    ];
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
    let now = analytics::cross_selling::at(conn, scope, period.to)?;
    let start = period.from - Duration::days(1);
    let year = period
        .to
        .checked_sub_months(chrono::Months::new(12))
        .unwrap_or(period.to);
    let before = [
        (
            format!("Al empezar el periodo ({})", crate::format::date(start)),
            analytics::cross_selling::at(conn, scope, start)?,
        ),
        (
            format!("Un año antes ({})", crate::format::date(year)),
            analytics::cross_selling::at(conn, scope, year)?,
        ),
    ];
    let per_customer =
        |c: &analytics::cross_selling::CrossSelling| Value::Decimal(c.per_customer_hundredths());
    let headlines = vec![
        Headline::new(
            "Clientes con pólizas en vigor",
            Value::Count(now.customers),
            None,
            before
                .iter()
                .map(|(label, c)| (label.clone(), Value::Count(c.customers)))
                .collect(),
        ),
        Headline::new(
            "Pólizas por cliente",
            per_customer(&now),
            None,
            before
                .iter()
                .map(|(label, c)| (label.clone(), per_customer(c)))
                .collect(),
        ),
    ];
    let rows: Vec<TableRow> = now
        .by_count
        .iter()
        .map(|&(held, customers, policies)| TableRow {
            label: if held >= analytics::cross_selling::MAX_GROUP {
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
        total: Some(TableRow {
            label: "Total".to_owned(),
            link: None,
            values: vec![Value::Count(now.customers), Value::Count(now.policies)],
        }),
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
