//! What each generated document says, read from the database.

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;

use super::{GenerateError, Kind, Request};
use crate::db::schema::{
    carrier_settlements, carriers, commissions, complaints, customers, lines_of_business, policies,
    products, receipts,
};
use crate::distribution::precontract::{self, BrokerIdentity};
use crate::documents::Entity;
use crate::format::date;
use crate::money::format_cents;
use crate::pdf::{Column, Doc, Table};

pub struct Built {
    pub doc: Doc,
    pub filename: String,
    pub customer_id: Option<i64>,
}

pub fn build(
    conn: &mut PgConnection,
    request: &Request,
    broker: &BrokerIdentity,
) -> Result<Built, GenerateError> {
    let today = request.today;
    match (request.kind, request.entity) {
        (Kind::Quote, Entity::Quote(id)) => quote(conn, id, today),
        (Kind::Precontract, Entity::Quote(id)) => precontract(conn, id, today, broker),
        (Kind::PolicyCertificate, Entity::Policy(id)) => certificate(conn, id, today),
        (Kind::RenewalNotice, Entity::Policy(id)) => renewal(conn, id, today),
        (Kind::Receipt, Entity::Policy(policy)) => {
            let receipt = request.subject.ok_or(GenerateError::NotFound)?;
            receipt_document(conn, policy, receipt, today)
        }
        (Kind::PendingReceipts, Entity::Customer(id)) => pending_receipts(conn, id, today),
        (Kind::ComplaintAcknowledgement, Entity::Complaint(id)) => complaint(conn, id, false),
        (Kind::ComplaintAnswer, Entity::Complaint(id)) => complaint(conn, id, true),
        (Kind::SettlementStatement, Entity::Settlement(id)) => settlement(conn, id, today),
        _ => Err(GenerateError::NotFound),
    }
}

use crate::format::long_date;

fn issued(day: NaiveDate) -> String {
    format!("Emitido el {}", long_date(day))
}

/// A file name from a document name and a number: "Presupuesto P-2026-000123.pdf".
fn filename(kind: Kind, number: &str) -> String {
    crate::documents::clean_filename(&format!("{} {number}.pdf", kind.label()))
}

struct Holder {
    name: String,
    tax_id: String,
    address: String,
    email: Option<String>,
}

fn holder(conn: &mut PgConnection, customer: i64) -> Result<Holder, GenerateError> {
    let row: (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    ) = customers::table
        .find(customer)
        .filter(customers::blocked_at.is_null())
        .select((
            customers::display_name,
            customers::tax_id,
            customers::address_line,
            customers::postcode,
            customers::city,
            customers::email,
        ))
        .first(conn)
        .optional()?
        .ok_or(GenerateError::NotFound)?;
    let address = [row.2, row.3.zip(row.4).map(|(p, c)| format!("{p} {c}"))]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    Ok(Holder {
        name: row.0,
        tax_id: row.1,
        address,
        email: row.5,
    })
}

fn holder_fields(holder: &Holder) -> Vec<(String, String)> {
    let mut fields = vec![
        ("Nombre".to_owned(), holder.name.clone()),
        ("NIF/NIE/CIF".to_owned(), holder.tax_id.clone()),
    ];
    if !holder.address.is_empty() {
        fields.push(("Domicilio".to_owned(), holder.address.clone()));
    }
    if let Some(email) = &holder.email {
        fields.push(("Correo electrónico".to_owned(), email.clone()));
    }
    fields
}

fn quote(conn: &mut PgConnection, id: i64, today: NaiveDate) -> Result<Built, GenerateError> {
    let detail = crate::quotes::detail(conn, crate::auth::permissions::PortfolioScope::All, id)
        .map_err(|_| GenerateError::NotFound)?;
    let quote = &detail.quote;
    let mut doc = Doc::new(
        format!(
            "Presupuesto de seguro de {}",
            detail.line_name.to_lowercase()
        ),
        format!("Presupuesto {} · {}", quote.number, issued(today)),
    );
    doc.heading("Tomador");
    match quote.customer_id {
        Some(customer) => {
            let holder = holder(conn, customer)?;
            doc.fields(holder_fields(&holder));
        }
        None => {
            let mut fields = vec![("Nombre".to_owned(), detail.holder())];
            if let Some(email) = &quote.prospect_email {
                fields.push(("Correo electrónico".to_owned(), email.clone()));
            }
            doc.fields(fields);
        }
    }
    let risk = quote.risk().map(|r| r.summary()).unwrap_or_default();
    if !risk.is_empty() {
        doc.heading("Riesgo que se asegura");
        doc.fields(risk);
    }
    doc.heading("Opciones comparadas");
    let record = crate::distribution::records::of_quote(conn, id)?;
    let recommended = record.as_ref().and_then(|r| r.recommended_option_id);
    let share = 0.75 / detail.options.len().max(1) as f32;
    let mut columns = vec![Column::left("", 0.25)];
    for (i, option) in detail.options.iter().enumerate() {
        let mut header = format!("Opción {}: {}", i + 1, option.carrier_name);
        if Some(option.option.id) == recommended {
            header.push_str(" (recomendada)");
        }
        columns.push(Column::left(&header, share));
    }
    let row = |label: &str, values: Vec<String>| {
        let mut row = vec![label.to_owned()];
        row.extend(values);
        row
    };
    let options = &detail.options;
    let rows = vec![
        row(
            "Producto",
            options
                .iter()
                .map(|o| o.product_name.clone().unwrap_or_else(|| "—".into()))
                .collect(),
        ),
        row(
            "Modalidad",
            options
                .iter()
                .map(|o| coverage_level(&o.option.coverage_level))
                .collect(),
        ),
        row(
            "Coberturas",
            options
                .iter()
                .map(|o| o.option.coverage_summary.clone())
                .collect(),
        ),
        row(
            "Prima neta anual",
            options
                .iter()
                .map(|o| format_cents(o.option.net_premium_cents))
                .collect(),
        ),
    ];
    // A row no option fills says nothing.
    let rows = rows
        .into_iter()
        .filter(|r| r.iter().skip(1).any(|v| !v.is_empty() && v != "—"))
        .collect();
    doc.table(Table {
        columns,
        rows,
        total: Some(row(
            "Prima total anual",
            options
                .iter()
                .map(|o| format_cents(o.option.total_premium_cents))
                .collect(),
        )),
        row_headers: true,
    });
    doc.note("La prima total incluye los impuestos y recargos legales (IPS y Consorcio de Compensación de Seguros).");
    if let Some(record) = &record {
        if !record.needs.is_empty() {
            doc.heading("Sus exigencias y necesidades");
            doc.fields(
                record
                    .needs
                    .iter()
                    .map(|a| (a.question.clone(), a.answer.clone())),
            );
        }
        if let Some(carrier) = &record.recommended_carrier {
            doc.heading("Nuestra recomendación");
            doc.paragraph(format!(
                "Le recomendamos la opción de {carrier}. {}",
                record.advice_basis
            ));
        }
    }
    doc.heading("Validez");
    doc.paragraph(format!(
        "Este presupuesto es válido hasta el {}. Las primas pueden variar si cambian los datos del riesgo. La póliza se emite cuando usted acepta una opción y la aseguradora la confirma.",
        long_date(quote.valid_until)
    ));
    Ok(Built {
        doc,
        filename: filename(Kind::Quote, &quote.number),
        customer_id: quote.customer_id,
    })
}

/// A coverage level as the client reads it (taxi options store the tariff's code).
fn coverage_level(stored: &str) -> String {
    crate::taxi::rating::Coverage::parse(stored)
        .map(|c| c.label().to_owned())
        .unwrap_or_else(|| stored.to_owned())
}

fn precontract(
    conn: &mut PgConnection,
    id: i64,
    today: NaiveDate,
    broker: &BrokerIdentity,
) -> Result<Built, GenerateError> {
    let detail = crate::quotes::detail(conn, crate::auth::permissions::PortfolioScope::All, id)
        .map_err(|_| GenerateError::NotFound)?;
    let record = crate::distribution::records::of_quote(conn, id)?;
    let mut doc = Doc::new(
        "Información previa a la contratación",
        format!(
            "Presupuesto {} · {} · {}",
            detail.quote.number,
            detail.holder(),
            issued(today)
        ),
    );
    // The text as it was delivered, when it was; otherwise the current one.
    let delivered = match record.as_ref().and_then(|r| r.precontract.as_ref()) {
        Some(delivery) => Some((
            crate::distribution::legal_texts::find(conn, delivery.text_id)?.map(|t| t.body),
            delivery,
        )),
        None => None,
    };
    match &delivered {
        Some((Some(body), delivery)) => {
            for section in body.split("\n\n") {
                match section.split_once('\n') {
                    Some((title, text)) => {
                        doc.heading(title.trim());
                        doc.paragraph(text.trim());
                    }
                    None => {
                        doc.paragraph(section.trim());
                    }
                }
            }
            doc.note(format!(
                "Entregada el {} por {} (versión {}). Comprobante: {}.",
                crate::format::madrid_datetime(delivery.delivered_at),
                delivery.channel.label().to_lowercase(),
                delivery.version,
                delivery.proof
            ));
        }
        _ => {
            // Not delivered yet: the text in force, the one this document delivers.
            for section in precontract::sections(broker) {
                doc.heading(section.title);
                doc.paragraph(section.body);
            }
            doc.note(format!(
                "Versión {} del texto, vigente a la fecha de este documento.",
                precontract::VERSION
            ));
        }
    }
    doc.heading("Registro de exigencias y necesidades");
    match &record {
        Some(record) if !record.needs.is_empty() => {
            doc.fields(
                record
                    .needs
                    .iter()
                    .map(|a| (a.question.clone(), a.answer.clone())),
            );
            if let (Some(at), Some(by)) = (record.needs_recorded_at, &record.needs_recorded_by) {
                doc.note(format!(
                    "Registradas el {} por {by}.",
                    crate::format::madrid_datetime(at)
                ));
            }
        }
        _ => {
            doc.paragraph("Todavía no se han registrado.");
        }
    }
    if let Some(record) = &record
        && let Some(carrier) = &record.recommended_carrier
    {
        doc.heading("Recomendación personalizada");
        doc.fields([
            ("Opción recomendada".to_owned(), carrier.clone()),
            ("Motivo".to_owned(), record.advice_basis.clone()),
        ]);
    }
    Ok(Built {
        doc,
        filename: filename(Kind::Precontract, &detail.quote.number),
        customer_id: detail.quote.customer_id,
    })
}

struct PolicyData {
    number: String,
    customer_id: i64,
    status: String,
    risk: serde_json::Value,
    start: NaiveDate,
    end: NaiveDate,
    net: i64,
    total: i64,
    frequency: String,
    carrier: String,
    carrier_tax_id: String,
    assistance_phone: String,
    claims_phone: String,
    product: String,
    line: String,
}

fn policy(conn: &mut PgConnection, id: i64) -> Result<PolicyData, GenerateError> {
    let row = policies::table
        .inner_join(carriers::table)
        .inner_join(products::table)
        .inner_join(lines_of_business::table)
        .filter(policies::id.eq(id))
        .select((
            policies::number,
            policies::customer_id,
            policies::status,
            policies::risk,
            policies::start_date,
            policies::end_date,
            policies::net_premium_cents,
            policies::total_premium_cents,
            policies::payment_frequency,
            carriers::name,
            carriers::tax_id,
            carriers::assistance_phone,
            carriers::claims_phone,
            products::name,
            lines_of_business::name,
        ))
        .first::<(
            String,
            i64,
            String,
            serde_json::Value,
            NaiveDate,
            NaiveDate,
            i64,
            i64,
            String,
            String,
            String,
            String,
            String,
            String,
            String,
        )>(conn)
        .optional()?
        .ok_or(GenerateError::NotFound)?;
    Ok(PolicyData {
        number: row.0,
        customer_id: row.1,
        status: row.2,
        risk: row.3,
        start: row.4,
        end: row.5,
        net: row.6,
        total: row.7,
        frequency: row.8,
        carrier: row.9,
        carrier_tax_id: row.10,
        assistance_phone: row.11,
        claims_phone: row.12,
        product: row.13,
        line: row.14,
    })
}

fn risk_fields(risk: &serde_json::Value) -> Vec<(String, String)> {
    serde_json::from_value::<crate::policies::Risk>(risk.clone())
        .map(|r| r.summary())
        .unwrap_or_default()
}

fn certificate(conn: &mut PgConnection, id: i64, today: NaiveDate) -> Result<Built, GenerateError> {
    let p = policy(conn, id)?;
    let holder = holder(conn, p.customer_id)?;
    let status = crate::policies::Status::parse(&p.status)
        .map(|s| s.label())
        .unwrap_or("—");
    let mut doc = Doc::new(
        "Certificado de seguro",
        format!("Póliza {} · {}", p.number, issued(today)),
    );
    doc.paragraph(format!(
        "Soriano Mediadores, como corredor de seguros de la póliza, certifica que a la fecha de este documento consta la siguiente póliza de {} con la aseguradora {}, en la situación que se indica.",
        p.line.to_lowercase(),
        p.carrier
    ));
    doc.heading("Tomador");
    doc.fields(holder_fields(&holder));
    doc.heading("Póliza");
    doc.fields([
        ("Número de póliza".to_owned(), p.number.clone()),
        ("Situación".to_owned(), status.to_owned()),
        (
            "Aseguradora".to_owned(),
            format!("{} (CIF {})", p.carrier, p.carrier_tax_id),
        ),
        ("Producto".to_owned(), p.product.clone()),
        ("Ramo".to_owned(), p.line.clone()),
        (
            "Periodo de cobertura".to_owned(),
            format!("Del {} al {}", date(p.start), date(p.end)),
        ),
        (
            "Prima anual".to_owned(),
            format!("{} (neta {})", format_cents(p.total), format_cents(p.net)),
        ),
        (
            "Forma de pago".to_owned(),
            crate::policies::Frequency::parse(&p.frequency)
                .map(|f| f.label().to_owned())
                .unwrap_or_default(),
        ),
    ]);
    let risk = risk_fields(&p.risk);
    if !risk.is_empty() {
        doc.heading("Riesgo asegurado");
        doc.fields(risk);
    }
    doc.heading("Teléfonos de la aseguradora");
    doc.fields([
        (
            "Asistencia (24 horas)".to_owned(),
            crate::format::phone(&p.assistance_phone),
        ),
        (
            "Declaración de siniestros".to_owned(),
            crate::format::phone(&p.claims_phone),
        ),
    ]);
    doc.note("Este certificado no sustituye a las condiciones de la póliza emitidas por la aseguradora, que son las que rigen el contrato. La cobertura depende de que el recibo del periodo esté pagado.");
    Ok(Built {
        doc,
        filename: filename(Kind::PolicyCertificate, &p.number),
        customer_id: Some(p.customer_id),
    })
}

fn renewal(conn: &mut PgConnection, id: i64, today: NaiveDate) -> Result<Built, GenerateError> {
    let p = policy(conn, id)?;
    let holder = holder(conn, p.customer_id)?;
    let new = crate::policies::renewal_premium(conn, id, p.end)?.unwrap_or(p.total);
    let change = if p.total > 0 {
        (new - p.total) as f64 * 100.0 / p.total as f64
    } else {
        0.0
    };
    let mut doc = Doc::new(
        "Aviso de renovación",
        format!("Póliza {} · {}", p.number, issued(today)),
    );
    doc.paragraph(format!("Estimado/a {}:", holder.name));
    doc.paragraph(format!(
        "Su póliza de {} con {} vence el {} y se renovará automáticamente por un año más, salvo que usted nos indique lo contrario con al menos un mes de antelación (Ley 50/1980, art. 22).",
        p.line.to_lowercase(),
        p.carrier,
        long_date(p.end)
    ));
    let next_start = p.end.succ_opt().unwrap_or(p.end);
    let next_end = next_start
        .with_year(next_start.year() + 1)
        .and_then(|d| d.pred_opt())
        .unwrap_or(next_start);
    doc.table(Table {
        columns: vec![
            Column::left("Periodo", 0.5),
            Column::right("Prima total", 0.25),
            Column::right("Variación", 0.25),
        ],
        rows: vec![
            vec![
                format!("Actual: {} a {}", date(p.start), date(p.end)),
                format_cents(p.total),
                String::new(),
            ],
            vec![
                format!("Nuevo: {} a {}", date(next_start), date(next_end)),
                format_cents(new),
                format!("{change:+.1} %").replace('.', ","),
            ],
        ],
        total: None,
        row_headers: false,
    });
    doc.paragraph("Si desea revisar sus coberturas, comparar con otras aseguradoras o cambiar la forma de pago, llámenos o escríbanos: estudiaremos su caso sin compromiso.");
    Ok(Built {
        doc,
        filename: filename(Kind::RenewalNotice, &p.number),
        customer_id: Some(p.customer_id),
    })
}

type ReceiptRow = (
    i64,
    String,
    NaiveDate,
    NaiveDate,
    NaiveDate,
    i64,
    String,
    Option<NaiveDate>,
    String,
);

fn receipt_rows(
    conn: &mut PgConnection,
    filter: ReceiptFilter,
) -> Result<Vec<ReceiptRow>, GenerateError> {
    let mut query = receipts::table
        .inner_join(policies::table)
        .select((
            receipts::id,
            receipts::number,
            receipts::period_start,
            receipts::period_end,
            receipts::due_date,
            receipts::amount_cents,
            receipts::status,
            receipts::collected_on,
            policies::number,
        ))
        .order((receipts::due_date.asc(), receipts::id.asc()))
        .limit(500)
        .into_boxed();
    query = match filter {
        ReceiptFilter::One { policy, receipt } => query
            .filter(receipts::id.eq(receipt))
            .filter(receipts::policy_id.eq(policy)),
        ReceiptFilter::PendingOf(customer) => query
            .filter(receipts::customer_id.eq(customer))
            .filter(receipts::status.eq_any(["pendiente", "remesado", "devuelto"])),
    };
    Ok(query.load(conn)?)
}

enum ReceiptFilter {
    One { policy: i64, receipt: i64 },
    PendingOf(i64),
}

fn receipt_status(code: &str) -> String {
    crate::receipts::Status::parse(code)
        .map(|s| s.label().to_owned())
        .unwrap_or_default()
}

fn receipt_document(
    conn: &mut PgConnection,
    policy_id: i64,
    receipt: i64,
    today: NaiveDate,
) -> Result<Built, GenerateError> {
    let row = receipt_rows(
        conn,
        ReceiptFilter::One {
            policy: policy_id,
            receipt,
        },
    )?
    .into_iter()
    .next()
    .ok_or(GenerateError::NotFound)?;
    let p = policy(conn, policy_id)?;
    let holder = holder(conn, p.customer_id)?;
    let mut doc = Doc::new(
        "Recibo de prima",
        format!("Recibo {} · {}", row.1, issued(today)),
    );
    doc.heading("Tomador");
    doc.fields(holder_fields(&holder));
    doc.heading("Recibo");
    let mut fields = vec![
        ("Número de recibo".to_owned(), row.1.clone()),
        ("Póliza".to_owned(), format!("{} ({})", p.number, p.carrier)),
        (
            "Periodo".to_owned(),
            format!("Del {} al {}", date(row.2), date(row.3)),
        ),
        ("Vencimiento".to_owned(), date(row.4)),
        ("Importe".to_owned(), format_cents(row.5)),
        ("Situación".to_owned(), receipt_status(&row.6)),
    ];
    if let Some(collected) = row.7 {
        fields.push(("Cobrado el".to_owned(), date(collected)));
    }
    doc.fields(fields);
    doc.note("El importe incluye la prima neta, los impuestos y los recargos legales. Conserve este recibo como justificante del pago.");
    Ok(Built {
        doc,
        filename: filename(Kind::Receipt, &row.1),
        customer_id: Some(p.customer_id),
    })
}

fn pending_receipts(
    conn: &mut PgConnection,
    customer: i64,
    today: NaiveDate,
) -> Result<Built, GenerateError> {
    let holder = holder(conn, customer)?;
    let rows = receipt_rows(conn, ReceiptFilter::PendingOf(customer))?;
    let total: i64 = rows.iter().map(|r| r.5).sum();
    let mut doc = Doc::new(
        "Relación de recibos pendientes",
        format!("{} · {}", holder.name, issued(today)),
    );
    doc.heading("Tomador");
    doc.fields(holder_fields(&holder));
    doc.heading("Recibos pendientes de pago");
    if rows.is_empty() {
        doc.paragraph(format!(
            "A {} no consta ningún recibo pendiente de pago.",
            long_date(today)
        ));
    } else {
        doc.table(Table {
            columns: vec![
                Column::left("Recibo", 0.2),
                Column::left("Póliza", 0.2),
                Column::left("Vencimiento", 0.17),
                Column::left("Situación", 0.23),
                Column::right("Importe", 0.2),
            ],
            rows: rows
                .iter()
                .map(|r| {
                    let mut status = receipt_status(&r.6);
                    if r.4 < today && r.6 == "pendiente" {
                        status.push_str(" (vencido)");
                    }
                    vec![
                        r.1.clone(),
                        r.8.clone(),
                        date(r.4),
                        status,
                        format_cents(r.5),
                    ]
                })
                .collect(),
            total: Some(vec![
                "Total".to_owned(),
                String::new(),
                String::new(),
                format!("{} recibos", rows.len()),
                format_cents(total),
            ]),
            row_headers: false,
        });
        doc.note("Un recibo devuelto por el banco puede pagarse por transferencia o volverse a domiciliar: llámenos y le indicamos cómo.");
    }
    Ok(Built {
        doc,
        filename: filename(Kind::PendingReceipts, &holder.tax_id),
        customer_id: Some(customer),
    })
}

fn complaint(conn: &mut PgConnection, id: i64, answer: bool) -> Result<Built, GenerateError> {
    type Row = (
        String,
        String,
        Option<i64>,
        String,
        Option<String>,
        String,
        String,
        NaiveDate,
        NaiveDate,
        Option<String>,
        Option<String>,
        Option<chrono::DateTime<chrono::Utc>>,
    );
    let row: Row = complaints::table
        .find(id)
        .select((
            complaints::reference,
            complaints::kind,
            complaints::customer_id,
            complaints::complainant_name,
            complaints::complainant_tax_id,
            complaints::subject,
            complaints::description,
            complaints::received_on,
            complaints::due_on,
            complaints::answer,
            complaints::outcome,
            complaints::closed_at,
        ))
        .first(conn)
        .optional()?
        .ok_or(GenerateError::NotFound)?;
    let kind = crate::complaints::Kind::parse(&row.1)
        .map(|k| k.label().to_lowercase())
        .unwrap_or_else(|| "reclamación".into());
    let mut complainant = vec![("Nombre".to_owned(), row.3.clone())];
    if let Some(tax_id) = &row.4 {
        complainant.push(("NIF/NIE".to_owned(), tax_id.clone()));
    }
    let escalation = "Si no está de acuerdo con la respuesta, o si pasa el plazo sin recibirla, puede acudir al Servicio de Reclamaciones de la Dirección General de Seguros y Fondos de Pensiones (Paseo de la Castellana 44, 28046 Madrid; www.dgsfp.mineco.es), según la Orden ECO/734/2004.";
    let doc = if answer {
        let (Some(text), Some(outcome)) = (&row.9, &row.10) else {
            return Err(GenerateError::NotReady(
                "La reclamación todavía no tiene respuesta: responda antes de generar el documento."
                    .into(),
            ));
        };
        let answered = row
            .11
            .map(|at| long_date(at.with_timezone(&crate::time::ZONE).date_naive()))
            .unwrap_or_default();
        let mut doc = Doc::new(
            format!("Respuesta a su {kind}"),
            format!("Referencia {} · Respondida el {answered}", row.0),
        );
        doc.heading("Persona que reclama");
        doc.fields(complainant);
        doc.heading("Asunto");
        doc.paragraph(row.5.clone());
        doc.heading("Decisión");
        doc.paragraph(
            crate::complaints::Outcome::parse(outcome)
                .map(|o| o.label().to_owned())
                .unwrap_or_default(),
        );
        doc.heading("Motivos");
        doc.paragraph(text.clone());
        doc.heading("Si no está de acuerdo");
        doc.paragraph(escalation);
        doc
    } else {
        let mut doc = Doc::new(
            format!("Acuse de recibo de su {kind}"),
            format!("Referencia {} · Recibida el {}", row.0, long_date(row.7)),
        );
        doc.paragraph(format!(
            "Hemos recibido su {kind} el {} con la referencia {}. El Servicio de Atención al Cliente la estudiará y le responderá por escrito, de forma motivada, como muy tarde el {}.",
            long_date(row.7),
            row.0,
            long_date(row.8)
        ));
        doc.heading("Persona que reclama");
        doc.fields(complainant);
        doc.heading("Lo que nos ha contado");
        doc.fields([
            ("Asunto".to_owned(), row.5.clone()),
            ("Descripción".to_owned(), row.6.clone()),
        ]);
        doc.heading("Si no está de acuerdo");
        doc.paragraph(escalation);
        doc
    };
    let kind_doc = if answer {
        Kind::ComplaintAnswer
    } else {
        Kind::ComplaintAcknowledgement
    };
    Ok(Built {
        doc,
        filename: filename(kind_doc, &row.0),
        customer_id: row.2,
    })
}

fn settlement(conn: &mut PgConnection, id: i64, today: NaiveDate) -> Result<Built, GenerateError> {
    let (carrier, carrier_tax_id, period, status, base, total): (
        String,
        String,
        NaiveDate,
        String,
        i64,
        i64,
    ) = carrier_settlements::table
        .inner_join(carriers::table)
        .filter(carrier_settlements::id.eq(id))
        .select((
            carriers::name,
            carriers::tax_id,
            carrier_settlements::period,
            carrier_settlements::status,
            carrier_settlements::base_cents,
            carrier_settlements::total_cents,
        ))
        .first(conn)
        .optional()?
        .ok_or(GenerateError::NotFound)?;
    let lines: Vec<(String, String, String, i64, i32, i64)> = commissions::table
        .inner_join(receipts::table)
        .inner_join(policies::table)
        .filter(commissions::settlement_id.eq(id))
        .order((
            policies::number.asc(),
            receipts::number.asc(),
            commissions::id.asc(),
        ))
        .select((
            policies::number,
            receipts::number,
            commissions::kind,
            commissions::base_cents,
            commissions::rate_bp,
            commissions::amount_cents,
        ))
        .load(conn)?;
    let month = crate::commissions::month_label(period);
    let number = format!("{}-{}", period.format("%Y-%m"), id);
    let mut doc = Doc::new(
        format!("Liquidación de comisiones de {month}"),
        format!("{carrier} · Liquidación {number} · {}", issued(today)),
    );
    doc.fields([
        (
            "Aseguradora".to_owned(),
            format!("{carrier} (CIF {carrier_tax_id})"),
        ),
        ("Periodo".to_owned(), month.clone()),
        (
            "Situación".to_owned(),
            crate::commissions::SettlementStatus::parse(&status)
                .map(|s| s.label())
                .unwrap_or("—")
                .to_owned(),
        ),
        ("Primas netas cobradas".to_owned(), format_cents(base)),
        ("Comisiones a liquidar".to_owned(), format_cents(total)),
    ]);
    doc.heading("Detalle por recibo");
    doc.table(Table {
        columns: vec![
            Column::left("Póliza", 0.22),
            Column::left("Recibo", 0.2),
            Column::left("Tipo", 0.14),
            Column::right("Prima neta", 0.16),
            Column::right("Tipo %", 0.12),
            Column::right("Comisión", 0.16),
        ],
        rows: lines
            .iter()
            .map(|l| {
                vec![
                    l.0.clone(),
                    l.1.clone(),
                    crate::commissions::Kind::parse(&l.2)
                        .map(|k| k.label().to_owned())
                        .unwrap_or_default(),
                    format_cents(l.3),
                    format!("{:.2} %", l.4 as f64 / 100.0).replace('.', ","),
                    format_cents(l.5),
                ]
            })
            .collect(),
        total: Some(vec![
            "Total".to_owned(),
            format!("{} líneas", lines.len()),
            String::new(),
            format_cents(base),
            String::new(),
            format_cents(total),
        ]),
        row_headers: false,
    });
    Ok(Built {
        doc,
        filename: filename(
            Kind::SettlementStatement,
            &format!("{carrier} {}", period.format("%Y-%m")),
        ),
        customer_id: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_in_words() {
        assert_eq!(
            long_date(NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()),
            "7 de diciembre de 2026"
        );
        assert_eq!(
            filename(Kind::Quote, "P-2026-000001"),
            "Presupuesto P-2026-000001.pdf"
        );
    }
}
