//! The details of an audit entry in words a person reads: "Estado: pendiente → hecha",
//! amounts in euros, dates as dd/mm/aaaa, and records by their number or name, never by a
//! database id or a stored code.
//!
//! Entries keep what their change recorded (JSON with Spanish keys and stored codes and ids);
//! this module is the one place that knows how to say each key. A new key is added to
//! [`field`]; an unknown one still reads as words ("campo_nuevo" → "Campo nuevo").

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;
use serde_json::Value;

use crate::audit::target;
use crate::db::schema::{
    blog_posts, carrier_settlements, carriers, claims, customers, landings, leads,
    lines_of_business, message_threads, policies, products, quote_options, quotes, receipts,
    staff_users, tasks, taxi_tariff_versions,
};

/// A kind of record that details and targets point at by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Record {
    Staff,
    Carrier,
    Customer,
    Policy,
    Product,
    Line,
    Receipt,
    Quote,
    QuoteOption,
    Lead,
    Task,
    Claim,
    Settlement,
    Landing,
    BlogPost,
    MessageThread,
    TaxiTariff,
}

impl Record {
    /// The record an entry's `target_type` is, when it names one by id.
    fn of_target(target_type: &str) -> Option<Self> {
        Some(match target_type {
            target::STAFF_USER => Record::Staff,
            target::CLAIM => Record::Claim,
            target::TASK => Record::Task,
            target::CUSTOMER => Record::Customer,
            target::POLICY => Record::Policy,
            target::QUOTE => Record::Quote,
            target::TAXI_TARIFF => Record::TaxiTariff,
            target::LEAD => Record::Lead,
            target::LANDING => Record::Landing,
            target::BLOG_POST => Record::BlogPost,
            target::MESSAGE_THREAD => Record::MessageThread,
            target::RECEIPT => Record::Receipt,
            target::SETTLEMENT => Record::Settlement,
            target::CARRIER => Record::Carrier,
            target::LINE => Record::Line,
            target::PRODUCT => Record::Product,
            _ => return None,
        })
    }

    /// The record of a task's `sobre` ("customer:12"), by the task's entity code.
    fn of_entity_code(code: &str) -> Option<Self> {
        Some(match code {
            "customer" => Record::Customer,
            "policy" => Record::Policy,
            "claim" => Record::Claim,
            "lead" => Record::Lead,
            "quote" => Record::Quote,
            _ => return None,
        })
    }
}

/// How a value of a key is said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    /// Cents, said in euros.
    Money,
    /// `2026-11-23`, said `23/11/2026`.
    Date,
    /// `2026-11`, said `11/2026`.
    Month,
    /// A whole number of things.
    Count,
    /// Basis points, said as a percentage.
    Percent,
    /// An id of a record, said by its number or name.
    Ref(Record),
    /// A status or stage code, said by the enum of the entry's record.
    Status,
    /// A code of one of the enums below, said by its label.
    Code,
    /// Names of fields of a form, said by their labels.
    Fields,
    /// A whole document (a risk, a tariff): too long for a line; its page shows it.
    Document,
    /// Technical data with no meaning for a reader (file hashes, internal ids).
    Hidden,
}

/// The Spanish label of a key and how its values are said.
fn field(key: &str) -> (&'static str, Kind) {
    use Kind::*;
    match key {
        "estado" => ("Estado", Status),
        "etapa" => ("Etapa", Status),
        "motivo" => ("Motivo", Text),
        "nota" => ("Nota", Text),
        "mensaje" => ("Mensaje", Text),
        "descripcion" => ("Descripción", Text),
        "origen" => ("Origen", Code),
        "tipo" => ("Tipo", Code),
        "forma_pago" => ("Forma de pago", Code),
        "finalidad" => ("Finalidad", Code),
        "segmento" => ("Segmento", Code),
        "rol" | "role" => ("Rol", Code),
        "enlace" => ("Enlace", Code),
        "numero" | "number" => ("Número", Text),
        "titulo" => ("Título", Text),
        "nombre" => ("Nombre", Text),
        "version_documento" => ("Versión del documento", Text),
        "clase_documento" => ("Documento", Text),
        "apellidos" => ("Apellidos", Text),
        "razon_social" => ("Razón social", Text),
        "nif" => ("NIF", Text),
        "nif_duplicado" => ("NIF del duplicado", Text),
        "email" => ("Correo", Text),
        "correo" => ("Correo", Text),
        "correo_nuevo" => ("Correo nuevo", Text),
        "telefono" => ("Teléfono", Text),
        "direccion" => ("Dirección", Text),
        "codigo_postal" => ("Código postal", Text),
        "localidad" => ("Localidad", Text),
        "provincia" => ("Provincia", Text),
        "iban" => ("IBAN", Text),
        "etiquetas" => ("Etiquetas", Text),
        "notas" => ("Notas", Text),
        "cif" => ("CIF", Text),
        "clave_dgsfp" => ("Clave DGSFP", Text),
        "telefono_siniestros" => ("Teléfono de siniestros", Text),
        "telefono_asistencia" => ("Teléfono de asistencia 24 h", Text),
        "resumen" => ("Resumen", Text),
        "coberturas" => ("Coberturas", Text),
        "desde" => ("Desde", Date),
        "comision_nueva" => ("Comisión de nueva producción", Percent),
        "comision_cartera" => ("Comisión de cartera", Percent),
        "interesado" => ("Interesado", Text),
        "campana" => ("Campaña", Text),
        "slug" => ("Dirección de la página", Text),
        "portada" => ("Portada", Text),
        "version" | "version_textos" => ("Versión del texto", Text),
        "fecha" => ("Fecha", Date),
        "fecha_nacimiento" => ("Fecha de nacimiento", Date),
        "efecto" => ("Efecto", Date),
        "vencimiento" => ("Vencimiento", Date),
        "vence" => ("Vence", Date),
        "validez" => ("Válido hasta", Date),
        "proxima_accion" => ("Próxima acción", Date),
        "publicar_el" => ("Publicación", Date),
        "mes" => ("Mes", Month),
        "prima_neta" => ("Prima neta", Money),
        "prima_total" => ("Prima total", Money),
        "cambio_prima" => ("Cambio de prima", Money),
        "importe" => ("Importe", Money),
        "importe_reclamado" => ("Importe reclamado", Money),
        "importe_aceptado" => ("Importe aceptado", Money),
        "importe_pagado" => ("Importe pagado", Money),
        "total" => ("Total", Money),
        "esperado" => ("Esperado", Money),
        "recibido" => ("Recibido", Money),
        "diferencia" => ("Diferencia", Money),
        "participacion" => ("Participación", Percent),
        "otorgado" => ("Otorgado", Text),
        "nuevo" => ("Cliente nuevo", Text),
        "exigir_dos_pasos" => ("Verificación en dos pasos obligatoria", Text),
        "visible_cliente" => ("Visible para el cliente", Text),
        "fallos" => ("Intentos fallidos", Count),
        "sesiones" | "sesiones_cerradas" => ("Sesiones cerradas", Count),
        "lineas" => ("Líneas", Count),
        "lineas_nuevas" => ("Líneas nuevas", Count),
        "presupuestos" => ("Presupuestos", Count),
        "peso" => ("Peso", Count),
        "tamano" | "bytes" => ("Tamaño (bytes)", Count),
        "policies" => ("Pólizas", Count),
        "claims" => ("Siniestros", Count),
        "consents" => ("Consentimientos", Count),
        "interactions" => ("Interacciones", Count),
        "tasks" => ("Tareas", Count),
        "movidos" => ("Movido al cliente", Text),
        "reparto" => ("Reparto", Count),
        "cliente" | "superviviente" => ("Cliente", Ref(Record::Customer)),
        "duplicado" => ("Duplicado", Ref(Record::Customer)),
        "compania" => ("Compañía", Ref(Record::Carrier)),
        "producto" => ("Producto", Ref(Record::Product)),
        "ramo" => ("Ramo", Ref(Record::Line)),
        "poliza" => ("Póliza", Ref(Record::Policy)),
        "agente" | "comercial" => ("Comercial", Ref(Record::Staff)),
        "responsable" => ("Responsable", Ref(Record::Staff)),
        "tramitador" => ("Tramitador", Ref(Record::Staff)),
        "tarea" => ("Tarea", Ref(Record::Task)),
        "opcion" | "opcion_elegida" => ("Opción", Ref(Record::QuoteOption)),
        "lead_id" => ("Lead", Ref(Record::Lead)),
        "copia_de" => ("Copia de", Ref(Record::TaxiTariff)),
        "sustituye_a" => ("Sustituye a", Ref(Record::TaxiTariff)),
        "opcion_anadida" => ("Opción añadida", Text),
        "registro_de_distribucion" => ("Registro de distribución", Text),
        "opcion_recomendada" => ("Opción recomendada", Text),
        "motivo_sin_registro" => ("Motivo para emitir sin el registro completo", Text),
        "canal" => ("Canal", Text),
        "prueba" => ("Prueba de entrega", Text),
        "opcion_quitada" => ("Opción quitada", Text),
        "opciones" => ("Opciones", Text),
        "campos" => ("Datos", Fields),
        "riesgo" => ("Riesgo", Document),
        "tarifa" => ("Tarifa", Document),
        "sobre" => ("Sobre", Text),
        "sha256" | "interaccion" | "documento" | "variante" => ("", Hidden),
        _ => ("", Text),
    }
}

/// A key this module does not know, as words: `campo_nuevo` → "Campo nuevo".
fn humanize(key: &str) -> String {
    let words = key.replace(['_', '.'], " ");
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn label_of(key: &str) -> String {
    match field(key) {
        ("", _) => humanize(key),
        (label, _) => label.to_owned(),
    }
}

/// A code of an enum, by its label; the first enum that knows it wins (their codes do not
/// overlap, except statuses, which [`status_label`] reads with the record's type).
fn code_label(code: &str) -> Option<String> {
    use crate::customers::{ConsentPurpose, InteractionKind, Kind as CustomerKind, Segment};
    let label = crate::claims::KINDS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, label)| *label)
        .or_else(|| crate::policies::Frequency::parse(code).map(|f| f.label()))
        .or_else(|| CustomerKind::parse(code).map(CustomerKind::label))
        .or_else(|| InteractionKind::parse(code).map(InteractionKind::label))
        .or_else(|| ConsentPurpose::parse(code).map(ConsentPurpose::label))
        .or_else(|| Segment::parse(code).map(Segment::label))
        .or_else(|| crate::auth::staff::Role::parse(code).map(|r| r.label()))
        .or_else(|| {
            crate::leads::SOURCES
                .iter()
                .find(|(c, _)| *c == code)
                .map(|(_, label)| *label)
        })
        .or(match code {
            // Which e-mailed link was used (staff and client accounts share these codes).
            "invitation" => Some("Invitación"),
            "password_reset" => Some("Restablecimiento de contraseña"),
            "registration" => Some("Alta en e-SORI"),
            "email_change" => Some("Cambio de correo"),
            _ => None,
        });
    label.map(str::to_owned)
}

/// A status or stage code said by the enum of the record the entry is about.
fn status_label(target_type: Option<&str>, code: &str) -> Option<String> {
    let label = match target_type? {
        target::CLAIM => crate::claims::ClaimStatus::parse(code).map(|s| s.label()),
        target::TASK => crate::tasks::status_label(code),
        target::POLICY => crate::policies::Status::parse(code).map(|s| s.label()),
        target::QUOTE => crate::quotes::QuoteStatus::parse(code).map(|s| s.label()),
        target::RECEIPT => crate::receipts::Status::parse(code).map(|s| s.label()),
        target::SETTLEMENT => crate::commissions::SettlementStatus::parse(code).map(|s| s.label()),
        target::LEAD => crate::leads::stage::Stage::parse(code).map(|s| s.label()),
        _ => None,
    }?;
    Some(label.to_lowercase())
}

/// Names of the records an entry points at, loaded once for a page of entries.
#[derive(Debug, Clone, Default)]
pub struct Names(HashMap<(Record, i64), String>);

impl Names {
    fn get(&self, record: Record, id: i64) -> Option<&str> {
        self.0.get(&(record, id)).map(String::as_str)
    }

    /// The numbers and names of every record that `entries` point at: one query per kind of
    /// record present.
    pub fn load<'a>(
        conn: &mut PgConnection,
        entries: impl IntoIterator<Item = (Option<&'a str>, Option<i64>, &'a Value)>,
    ) -> QueryResult<Self> {
        let mut wanted: HashMap<Record, HashSet<i64>> = HashMap::new();
        for (target_type, target_id, details) in entries {
            if let (Some(record), Some(id)) = (target_type.and_then(Record::of_target), target_id) {
                wanted.entry(record).or_default().insert(id);
            }
            collect_refs(details, &mut wanted);
        }
        let mut names = HashMap::new();
        for (record, ids) in wanted {
            let ids: Vec<i64> = ids.into_iter().collect();
            for (id, name) in load_names(conn, record, &ids)? {
                names.insert((record, id), name);
            }
        }
        Ok(Names(names))
    }
}

fn collect_refs(value: &Value, wanted: &mut HashMap<Record, HashSet<i64>>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (field(key).1, inner) {
                    (Kind::Ref(record), Value::Object(change)) => {
                        for side in ["before", "after"] {
                            if let Some(id) = change.get(side).and_then(Value::as_i64) {
                                wanted.entry(record).or_default().insert(id);
                            }
                        }
                    }
                    (Kind::Ref(record), inner) => {
                        if let Some(id) = inner.as_i64() {
                            wanted.entry(record).or_default().insert(id);
                        }
                    }
                    (_, Value::String(text)) if key == "sobre" => {
                        if let Some((record, id)) = entity_ref(text) {
                            wanted.entry(record).or_default().insert(id);
                        }
                    }
                    _ => collect_refs(inner, wanted),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, wanted)),
        _ => {}
    }
}

/// A task's `sobre`: "customer:12".
fn entity_ref(text: &str) -> Option<(Record, i64)> {
    let (code, id) = text.split_once(':')?;
    Some((Record::of_entity_code(code)?, id.parse().ok()?))
}

fn load_names(
    conn: &mut PgConnection,
    record: Record,
    ids: &[i64],
) -> QueryResult<Vec<(i64, String)>> {
    let ids = ids.to_vec();
    match record {
        Record::Staff => staff_users::table
            .filter(staff_users::id.eq_any(ids))
            .select((staff_users::id, staff_users::name))
            .load(conn),
        Record::Carrier => carriers::table
            .filter(carriers::id.eq_any(ids))
            .select((carriers::id, carriers::name))
            .load(conn),
        Record::Customer => customers::table
            .filter(customers::id.eq_any(ids))
            .select((customers::id, customers::display_name))
            .load(conn),
        Record::Policy => policies::table
            .filter(policies::id.eq_any(ids))
            .select((policies::id, policies::number))
            .load(conn),
        Record::Product => products::table
            .filter(products::id.eq_any(ids))
            .select((products::id, products::name))
            .load(conn),
        Record::Line => lines_of_business::table
            .filter(lines_of_business::id.eq_any(ids))
            .select((lines_of_business::id, lines_of_business::name))
            .load(conn),
        Record::Receipt => receipts::table
            .filter(receipts::id.eq_any(ids))
            .select((receipts::id, receipts::number))
            .load(conn),
        Record::Quote => quotes::table
            .filter(quotes::id.eq_any(ids))
            .select((quotes::id, quotes::number))
            .load(conn),
        Record::QuoteOption => {
            let rows: Vec<(i64, String, String)> = quote_options::table
                .inner_join(carriers::table)
                .inner_join(products::table)
                .filter(quote_options::id.eq_any(ids))
                .select((quote_options::id, carriers::name, products::name))
                .load(conn)?;
            Ok(rows
                .into_iter()
                .map(|(id, carrier, product)| (id, format!("{carrier}, {product}")))
                .collect())
        }
        Record::Lead => leads::table
            .filter(leads::id.eq_any(ids))
            .select((leads::id, leads::full_name))
            .load(conn),
        Record::Task => tasks::table
            .filter(tasks::id.eq_any(ids))
            .select((tasks::id, tasks::title))
            .load(conn),
        Record::Claim => claims::table
            .filter(claims::id.eq_any(ids))
            .select((claims::id, claims::number))
            .load(conn),
        Record::Settlement => {
            let rows: Vec<(i64, String, NaiveDate)> = carrier_settlements::table
                .inner_join(carriers::table)
                .filter(carrier_settlements::id.eq_any(ids))
                .select((
                    carrier_settlements::id,
                    carriers::name,
                    carrier_settlements::period,
                ))
                .load(conn)?;
            Ok(rows
                .into_iter()
                .map(|(id, carrier, period)| (id, format!("{carrier}, {}", month(period))))
                .collect())
        }
        Record::Landing => landings::table
            .filter(landings::id.eq_any(ids))
            .select((landings::id, landings::title))
            .load(conn),
        Record::BlogPost => blog_posts::table
            .filter(blog_posts::id.eq_any(ids))
            .select((blog_posts::id, blog_posts::title))
            .load(conn),
        Record::MessageThread => message_threads::table
            .filter(message_threads::id.eq_any(ids))
            .select((message_threads::id, message_threads::subject))
            .load(conn),
        Record::TaxiTariff => {
            let rows: Vec<(i64, String, i32)> = taxi_tariff_versions::table
                .inner_join(carriers::table)
                .filter(taxi_tariff_versions::id.eq_any(ids))
                .select((
                    taxi_tariff_versions::id,
                    carriers::name,
                    taxi_tariff_versions::version,
                ))
                .load(conn)?;
            Ok(rows
                .into_iter()
                .map(|(id, carrier, version)| (id, format!("{carrier}, versión {version}")))
                .collect())
        }
    }
}

fn month(day: NaiveDate) -> String {
    day.format("%m/%Y").to_string()
}

/// What an entry is about: "Recibo R-12-2026-1", "Empleado Ana Pérez", "Correo".
pub fn target_text(target_type: Option<&str>, target_id: Option<i64>, names: &Names) -> String {
    let Some(target_type) = target_type else {
        return String::new();
    };
    let name = target::label(target_type).unwrap_or("Registro");
    let known = Record::of_target(target_type)
        .zip(target_id)
        .and_then(|(record, id)| names.get(record, id));
    match known {
        Some(known) => format!("{name} {known}"),
        // Deleted since, or a record that has no number: its kind is what a reader can use.
        None => name.to_owned(),
    }
}

/// The details of an entry as one line: "Estado: pendiente → hecha · Importe: 500,00 €".
pub fn details_text(target_type: Option<&str>, details: &Value, names: &Names) -> String {
    let reader = Reader { target_type, names };
    match details {
        Value::Object(map) => reader.fields(map).join(" · "),
        Value::Null => String::new(),
        other => reader.value(Kind::Text, other),
    }
}

struct Reader<'a> {
    target_type: Option<&'a str>,
    names: &'a Names,
}

impl Reader<'_> {
    fn fields(&self, map: &serde_json::Map<String, Value>) -> Vec<String> {
        let mut parts = Vec::new();
        for (key, value) in map {
            let (_, kind) = field(key);
            if kind == Kind::Hidden {
                continue;
            }
            let label = label_of(key);
            let text = match value {
                Value::Object(change) if is_change(change) => {
                    if kind == Kind::Document {
                        "modificada".to_owned()
                    } else {
                        let before = change.get("before").unwrap_or(&Value::Null);
                        let after = change.get("after").unwrap_or(&Value::Null);
                        format!(
                            "{} → {}",
                            self.value_of(key, kind, before),
                            self.value_of(key, kind, after)
                        )
                    }
                }
                _ if kind == Kind::Document => continue,
                _ => self.value_of(key, kind, value),
            };
            parts.push(format!("{label}: {text}"));
        }
        parts
    }

    fn value_of(&self, key: &str, kind: Kind, value: &Value) -> String {
        match (key, value) {
            ("sobre", Value::String(text)) => match entity_ref(text) {
                Some((record, id)) => self.reference(record, id),
                None => text.clone(),
            },
            _ => self.value(kind, value),
        }
    }

    fn value(&self, kind: Kind, value: &Value) -> String {
        match value {
            Value::Null => "—".to_owned(),
            Value::Bool(true) => "sí".to_owned(),
            Value::Bool(false) => "no".to_owned(),
            Value::Object(map) => format!("({})", self.fields(map).join(", ")),
            Value::Array(items) if kind == Kind::Fields => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map_or_else(|| self.value(Kind::Text, item), label_of)
                })
                .collect::<Vec<_>>()
                .join(", "),
            Value::Array(items) => {
                if items.is_empty() {
                    "—".to_owned()
                } else {
                    items
                        .iter()
                        .map(|item| self.value(kind, item))
                        .collect::<Vec<_>>()
                        .join("; ")
                }
            }
            Value::Number(number) => match (kind, number.as_i64()) {
                (Kind::Money, Some(cents)) => crate::money::format_cents(cents),
                (Kind::Percent, Some(bp)) => format!("{},{:02} %", bp / 100, (bp % 100).abs()),
                (Kind::Ref(record), Some(id)) => self.reference(record, id),
                _ => number.to_string(),
            },
            Value::String(text) => match kind {
                Kind::Date => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .map(|day| day.format("%d/%m/%Y").to_string())
                    .unwrap_or_else(|_| text.clone()),
                Kind::Month => NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d")
                    .map(month)
                    .unwrap_or_else(|_| text.clone()),
                Kind::Status => {
                    status_label(self.target_type, text).unwrap_or_else(|| text.clone())
                }
                Kind::Code => code_label(text).unwrap_or_else(|| text.clone()),
                _ => text.clone(),
            },
        }
    }

    fn reference(&self, record: Record, id: i64) -> String {
        self.names
            .get(record, id)
            .map_or_else(|| "(ya no existe)".to_owned(), str::to_owned)
    }
}

fn is_change(map: &serde_json::Map<String, Value>) -> bool {
    !map.is_empty() && map.keys().all(|k| k == "before" || k == "after")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(pairs: &[(Record, i64, &str)]) -> Names {
        Names(
            pairs
                .iter()
                .map(|(record, id, name)| ((*record, *id), (*name).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn a_status_change_reads_in_the_words_of_its_record() {
        let details = json!({ "estado": { "before": "open", "after": "done" } });
        assert_eq!(
            details_text(Some(target::TASK), &details, &Names::default()),
            "Estado: pendiente → hecha"
        );
        let details = json!({ "estado": { "before": "open", "after": "in_progress" } });
        assert_eq!(
            details_text(Some(target::CLAIM), &details, &Names::default()),
            "Estado: abierto → en trámite"
        );
    }

    #[test]
    fn amounts_are_euros_codes_are_labels_and_ids_are_names() {
        let details = json!({
            "numero": "POL-9",
            "compania": 6,
            "prima_neta": 50000,
            "forma_pago": "annual",
            "efecto": "2026-11-23",
            "riesgo": { "plate": "1234BCD" },
        });
        let names = names(&[(Record::Carrier, 6, "Mapfre")]);
        assert_eq!(
            details_text(Some(target::POLICY), &details, &names),
            "Compañía: Mapfre · Efecto: 23/11/2026 · Forma de pago: Anual · Número: POL-9 · Prima neta: 500,00 €"
        );
    }

    #[test]
    fn a_receipt_is_named_by_its_number_and_a_lost_record_by_its_kind() {
        let names = names(&[(Record::Receipt, 1982, "R-7-2026-3")]);
        assert_eq!(
            target_text(Some(target::RECEIPT), Some(1982), &names),
            "Recibo R-7-2026-3"
        );
        assert_eq!(
            target_text(Some(target::RECEIPT), Some(5), &names),
            "Recibo"
        );
        assert_eq!(target_text(Some(target::EMAIL), None, &names), "Correo");
        assert_eq!(target_text(None, None, &names), "");
    }

    #[test]
    fn unknown_keys_read_as_words_and_technical_ones_are_left_out() {
        let details = json!({ "campo_nuevo": true, "sha256": "abc", "tarifa": { "before": {}, "after": {} } });
        assert_eq!(
            details_text(None, &details, &Names::default()),
            "Campo nuevo: sí · Tarifa: modificada"
        );
    }

    #[test]
    fn references_inside_changes_and_tasks_subjects_are_named() {
        let names = names(&[
            (Record::Staff, 1, "Ana Pérez"),
            (Record::Staff, 2, "Luis Gil"),
            (Record::Customer, 12, "López Rodríguez, Paula"),
        ]);
        let details = json!({ "responsable": { "before": 1, "after": 2 }, "sobre": "customer:12" });
        assert_eq!(
            details_text(Some(target::TASK), &details, &names),
            "Responsable: Ana Pérez → Luis Gil · Sobre: López Rodríguez, Paula"
        );
        let mut wanted = HashMap::new();
        collect_refs(&details, &mut wanted);
        assert_eq!(wanted[&Record::Staff], HashSet::from([1, 2]));
        assert_eq!(wanted[&Record::Customer], HashSet::from([12]));
    }
}
