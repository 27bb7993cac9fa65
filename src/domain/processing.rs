//! The record of processing activities (RGPD art. 30.1): for each activity, its purposes,
//! legal basis, whose data and which, to whom it goes, transfers abroad, how long it is kept
//! and how it is protected. Kept in the database so that it is edited where it is read,
//! versioned by the audit log and exported for an inspection.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Deserialize;

use crate::audit::{self, Action, Actor, NewEntry};
use crate::db::schema::{processing_activities, staff_users};
use crate::validation::FieldErrors;

/// One activity of the record.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = processing_activities)]
pub struct Activity {
    pub id: i64,
    pub position: i32,
    pub name: String,
    pub purposes: String,
    pub legal_basis: String,
    pub data_subjects: String,
    pub data_categories: String,
    pub recipients: String,
    pub transfers: String,
    pub retention: String,
    pub security_measures: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by_staff_id: Option<i64>,
}

/// Every activity in the record's order, with the name of who changed each last.
pub fn list(conn: &mut PgConnection) -> QueryResult<Vec<(Activity, Option<String>)>> {
    processing_activities::table
        .left_join(
            staff_users::table.on(staff_users::id
                .nullable()
                .eq(processing_activities::updated_by_staff_id)),
        )
        .order((processing_activities::position, processing_activities::id))
        .select((Activity::as_select(), staff_users::name.nullable()))
        .load(conn)
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Option<Activity>> {
    processing_activities::table
        .find(id)
        .select(Activity::as_select())
        .first(conn)
        .optional()
}

/// The activity form as typed (field names are the form's, in Spanish).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ActivityForm {
    #[serde(default)]
    pub nombre: String,
    #[serde(default)]
    pub finalidades: String,
    #[serde(default)]
    pub base_juridica: String,
    #[serde(default)]
    pub interesados: String,
    #[serde(default)]
    pub categorias_datos: String,
    #[serde(default)]
    pub destinatarios: String,
    #[serde(default)]
    pub transferencias: String,
    #[serde(default)]
    pub conservacion: String,
    #[serde(default)]
    pub medidas_seguridad: String,
    #[serde(default)]
    pub orden: String,
}

/// The fields that may hold line breaks (all but the name and the order).
pub const MULTILINE: [&str; 8] = [
    "finalidades",
    "base_juridica",
    "interesados",
    "categorias_datos",
    "destinatarios",
    "transferencias",
    "conservacion",
    "medidas_seguridad",
];

/// A checked activity, ready to save.
#[derive(Debug, Clone)]
pub struct ActivityDraft {
    pub position: i32,
    pub name: String,
    pub purposes: String,
    pub legal_basis: String,
    pub data_subjects: String,
    pub data_categories: String,
    pub recipients: String,
    pub transfers: String,
    pub retention: String,
    pub security_measures: String,
}

impl ActivityForm {
    pub fn of(activity: &Activity) -> Self {
        Self {
            nombre: activity.name.clone(),
            finalidades: activity.purposes.clone(),
            base_juridica: activity.legal_basis.clone(),
            interesados: activity.data_subjects.clone(),
            categorias_datos: activity.data_categories.clone(),
            destinatarios: activity.recipients.clone(),
            transferencias: activity.transfers.clone(),
            conservacion: activity.retention.clone(),
            medidas_seguridad: activity.security_measures.clone(),
            orden: activity.position.to_string(),
        }
    }

    pub fn validate(&self) -> Result<ActivityDraft, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut text = |field: &'static str, value: &str, what: &str, max: usize| {
            let value = value.trim();
            if value.is_empty() {
                errors.add(field, format!("Escriba {what}."));
            } else if value.chars().count() > max {
                errors.add(
                    field,
                    format!("Demasiado largo: como mucho {max} caracteres."),
                );
            }
            value.to_owned()
        };
        let name = text("nombre", &self.nombre, "el nombre de la actividad", 200);
        let purposes = text(
            "finalidades",
            &self.finalidades,
            "para qué se tratan los datos",
            4000,
        );
        let legal_basis = text(
            "base_juridica",
            &self.base_juridica,
            "la base jurídica del tratamiento",
            2000,
        );
        let data_subjects = text(
            "interesados",
            &self.interesados,
            "de quién son los datos",
            2000,
        );
        let data_categories = text(
            "categorias_datos",
            &self.categorias_datos,
            "qué datos se tratan",
            4000,
        );
        let recipients = text(
            "destinatarios",
            &self.destinatarios,
            "a quién se comunican (o «Nadie fuera de la correduría»)",
            4000,
        );
        let transfers = text(
            "transferencias",
            &self.transferencias,
            "si hay transferencias internacionales (o «No se hacen»)",
            2000,
        );
        let retention = text(
            "conservacion",
            &self.conservacion,
            "cuánto tiempo se conservan",
            4000,
        );
        let security_measures = text(
            "medidas_seguridad",
            &self.medidas_seguridad,
            "las medidas de seguridad",
            4000,
        );
        let position = match self.orden.trim() {
            "" => 0,
            typed => match typed.parse::<i32>() {
                Ok(n) if (0..=1000).contains(&n) => n,
                _ => {
                    errors.add("orden", "Escriba un número entre 0 y 1000.");
                    0
                }
            },
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ActivityDraft {
            position,
            name,
            purposes,
            legal_basis,
            data_subjects,
            data_categories,
            recipients,
            transfers,
            retention,
            security_measures,
        })
    }
}

/// Why an activity was not saved.
#[derive(Debug)]
pub enum SaveError {
    Invalid(FieldErrors),
    NotFound,
    Database(diesel::result::Error),
}

impl From<diesel::result::Error> for SaveError {
    fn from(error: diesel::result::Error) -> Self {
        SaveError::Database(error)
    }
}

/// Creates the activity (`id` `None`) or replaces activity `id`, with its audit entry. A name
/// already used by another activity is refused next to the field. Call inside one transaction.
pub fn save(
    conn: &mut PgConnection,
    id: Option<i64>,
    draft: &ActivityDraft,
    by: &Actor,
) -> Result<i64, SaveError> {
    let taken: Option<i64> = processing_activities::table
        .filter(processing_activities::name.eq(&draft.name))
        .select(processing_activities::id)
        .first(conn)
        .optional()?;
    if taken.is_some_and(|other| Some(other) != id) {
        let mut errors = FieldErrors::new();
        errors.add("nombre", "Ya hay una actividad con ese nombre.");
        return Err(SaveError::Invalid(errors));
    }
    let values = (
        processing_activities::position.eq(draft.position),
        processing_activities::name.eq(&draft.name),
        processing_activities::purposes.eq(&draft.purposes),
        processing_activities::legal_basis.eq(&draft.legal_basis),
        processing_activities::data_subjects.eq(&draft.data_subjects),
        processing_activities::data_categories.eq(&draft.data_categories),
        processing_activities::recipients.eq(&draft.recipients),
        processing_activities::transfers.eq(&draft.transfers),
        processing_activities::retention.eq(&draft.retention),
        processing_activities::security_measures.eq(&draft.security_measures),
        processing_activities::updated_at.eq(diesel::dsl::now),
        processing_activities::updated_by_staff_id.eq(by.staff()),
    );
    let (saved, before) = match id {
        None => (
            diesel::insert_into(processing_activities::table)
                .values(values)
                .returning(processing_activities::id)
                .get_result::<i64>(conn)?,
            None,
        ),
        Some(id) => {
            let before = find(conn, id)?.ok_or(SaveError::NotFound)?;
            diesel::update(processing_activities::table.find(id))
                .set(values)
                .execute(conn)?;
            (id, Some(before))
        }
    };
    audit::record(
        conn,
        &NewEntry {
            target_type: Some("processing_activity"),
            target_id: Some(saved),
            details: serde_json::json!({
                "nombre": draft.name,
                "antes": before.map(|b| b.name),
            }),
            ..by.entry(Action::ProcessingActivitySaved)
        },
    )?;
    Ok(saved)
}
