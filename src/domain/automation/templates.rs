//! The e-mail templates staff write (back-office, «Automatización»): versioned, so a rule
//! always sends what a person saved and the history says who changed what. Every save inserts
//! a new version of the template's key; the newest version is the one in use.
//!
//! A template speaks about one kind of record ([`Entity`]) and may only use the placeholders
//! that record fills (`{{numero_siniestro}}`, spaces inside the braces allowed), so a saved
//! template never goes out with a hole in it. The HTML body is sanitised on saving; rendering
//! escapes the values and wraps the body in the brokerage's e-mail layout.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Deserialize;

use super::placeholders::{self, Entity, UNSUBSCRIBE};
use crate::audit::{Action, Actor};
use crate::db::schema::{email_templates, staff_users};
use crate::validation::FieldErrors;

/// What the audit log calls the record of a saved version (`target_id`: the version's id).
pub const AUDIT_TARGET: &str = "email_template";

/// The footer of every e-mail sent from a template.
pub const FOOTER: &str = "Soriano Mediadores, correduría de seguros · Calle Mayor 1, 28013 Madrid";

/// Field names of the template form, as [`FieldErrors`] names them.
pub mod field {
    pub const KEY: &str = "clave";
    pub const NAME: &str = "nombre";
    pub const ENTITY: &str = "entidad";
    pub const CATEGORY: &str = "categoria";
    pub const SUBJECT: &str = "asunto";
    pub const BODY_TEXT: &str = "cuerpo_texto";
    pub const BODY_HTML: &str = "cuerpo_html";
    pub const CHANGE_NOTE: &str = "nota";
}

/// Database limits (`email_templates` CHECKs), in characters.
const MAX_NAME: usize = 120;
const MAX_SUBJECT: usize = 200;
const MAX_BODY_TEXT: usize = 20_000;
const MAX_BODY_HTML: usize = 40_000;
const MAX_CHANGE_NOTE: usize = 500;

/// Whether the template may reach every client (service) or only those who consented to
/// commercial messages, with an unsubscribe link (marketing, LSSI art. 21).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    Service,
    Marketing,
}

crate::text_enum!(Category);

impl Category {
    pub const ALL: [Category; 2] = [Category::Service, Category::Marketing];

    /// The value stored in `email_templates.category`.
    pub fn code(self) -> &'static str {
        match self {
            Category::Service => "service",
            Category::Marketing => "marketing",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Category::Service => "Servicio",
            Category::Marketing => "Comercial",
        }
    }

    pub fn is_marketing(self) -> bool {
        self == Category::Marketing
    }
}

/// One saved version of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateVersion {
    pub id: i64,
    pub key: String,
    pub version: i32,
    pub name: String,
    pub entity: Entity,
    pub category: Category,
    pub subject: String,
    pub body_text: String,
    /// Sanitised on saving: only formatting tags and links.
    pub body_html: String,
    pub change_note: String,
    pub created_by_staff_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// A template filled with a record's values, ready for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    /// A whole HTML document: the body inside the e-mail layout.
    pub html: String,
}

/// What staff typed, with the record kind and category already chosen; [`save`] checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateDraft {
    pub key: String,
    pub name: String,
    pub entity: Entity,
    pub category: Category,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub change_note: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("la plantilla tiene errores")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

// ---------------------------------------------------------------------------------------------
// Placeholders

/// Names of the placeholders used in `text` (in order of first appearance, deduplicated); Err
/// with a Spanish message quoting the fragment for an unclosed `{{`.
pub fn placeholders_in(text: &str) -> Result<Vec<String>, String> {
    let mut names: Vec<String> = Vec::new();
    substitute(text, |name| {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
        Ok(Cow::Borrowed(""))
    })?;
    Ok(names)
}

/// `text` with every `{{name}}` replaced by `value(name)`; the first error stops it. An
/// unclosed `{{` (no `}}` before the next `{{` or the end) is an error naming the fragment.
fn substitute<'v>(
    text: &str,
    mut value: impl FnMut(&str) -> Result<Cow<'v, str>, String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .filter(|&end| !after[..end].contains("{{"))
            .ok_or_else(|| unclosed(text, text.len() - rest.len() + start))?;
        out.push_str(&value(after[..end].trim())?);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn unclosed(text: &str, at: usize) -> String {
    let fragment: String = text[at..].chars().take(24).collect();
    let fragment = fragment.lines().next().unwrap_or_default();
    let position = text[..at].chars().count() + 1;
    format!("Falta cerrar con }}}} el marcador que empieza en «{fragment}…» (carácter {position}).")
}

/// How a placeholder is written in templates, messages and help: `{{name}}`.
pub fn braced(name: &str) -> String {
    format!("{{{{{name}}}}}")
}

// ---------------------------------------------------------------------------------------------
// Rendering

/// Renders the version with `values` (placeholder name → plain text value). Subject and text
/// body: plain substitution (line breaks in the subject become spaces). HTML body: values
/// HTML-escaped, the result wrapped in the e-mail layout. A placeholder with no value is an
/// error naming it.
pub fn render(
    version: &TemplateVersion,
    values: &BTreeMap<String, String>,
) -> Result<Rendered, String> {
    let plain = |name: &str| {
        values
            .get(name)
            .map(|v| Cow::Borrowed(v.as_str()))
            .ok_or_else(|| missing(name))
    };
    let subject = substitute(&version.subject, plain)?
        .replace(['\r', '\n'], " ")
        .trim()
        .to_owned();
    let text = substitute(&version.body_text, plain)?;
    let body = substitute(&version.body_html, |name| {
        values
            .get(name)
            .map(|v| Cow::Owned(escape_html(v)))
            .ok_or_else(|| missing(name))
    })?;
    let html = layout(&subject, &body);
    Ok(Rendered {
        subject,
        text,
        html,
    })
}

fn missing(name: &str) -> String {
    format!(
        "El registro no tiene valor para el marcador {}.",
        braced(name)
    )
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The inline styles of the layout (e-mail clients ignore style sheets). Listed once so that
/// a page previewing the e-mail can allow exactly these in its Content-Security-Policy.
pub const LAYOUT_STYLES: [&str; 5] = [
    STYLE_PAGE,
    STYLE_CARD,
    STYLE_HEADER,
    STYLE_BODY,
    STYLE_FOOTER,
];
const STYLE_PAGE: &str =
    "margin:0;padding:0;background:#f3f5f8;font-family:Arial,Helvetica,sans-serif;color:#1f2933;";
const STYLE_CARD: &str =
    "width:100%;max-width:600px;background:#ffffff;border:1px solid #dde3ea;border-radius:6px;";
const STYLE_HEADER: &str = "padding:20px 28px;background:#0b4f8a;border-radius:6px 6px 0 0;color:#ffffff;font-size:20px;font-weight:bold;";
const STYLE_BODY: &str = "padding:28px;font-size:16px;line-height:1.5;";
const STYLE_FOOTER: &str =
    "padding:16px 28px;border-top:1px solid #dde3ea;font-size:12px;line-height:1.5;color:#5f6b7a;";

/// The e-mail document around a rendered (safe) HTML body.
fn layout(subject: &str, body: &str) -> String {
    format!(
        r##"<!doctype html>
<html lang="es">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
</head>
<body style="{STYLE_PAGE}">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="#f3f5f8">
<tr>
<td align="center" bgcolor="#f3f5f8">
<br>
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="{STYLE_CARD}">
<tr>
<td style="{STYLE_HEADER}">Soriano Mediadores</td>
</tr>
<tr>
<td style="{STYLE_BODY}">
{body}
</td>
</tr>
<tr>
<td style="{STYLE_FOOTER}">{footer}</td>
</tr>
</table>
<br>
</td>
</tr>
</table>
</body>
</html>
"##,
        title = escape_html(subject),
        footer = escape_html(FOOTER),
    )
}

// ---------------------------------------------------------------------------------------------
// Validation

/// The HTML staff may write: formatting, lists, simple tables and links. Everything else
/// (scripts, styles, images, event handlers) is removed. A relative link is kept only when it
/// is a placeholder (`href="{{enlace_portal}}"`), which rendering fills with a full address.
pub fn sanitise_html(html: &str) -> String {
    fn placeholder_link(url: &str) -> Option<Cow<'_, str>> {
        let url = url.trim();
        url.starts_with("{{").then_some(Cow::Borrowed(url))
    }
    ammonia::Builder::empty()
        .add_tags([
            "p",
            "br",
            "strong",
            "b",
            "em",
            "i",
            "u",
            "a",
            "ul",
            "ol",
            "li",
            "h2",
            "h3",
            "blockquote",
            "hr",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
        ])
        .url_schemes(["http", "https", "mailto", "tel"].into())
        .url_relative(ammonia::UrlRelative::Custom(Box::new(placeholder_link)))
        .link_rel(Some("noopener noreferrer"))
        .clean(html)
        .to_string()
}

/// Checks `draft` (field messages in Spanish) and returns it cleaned: names trimmed, the HTML
/// body sanitised. Whether the key exists already is [`save`]'s business.
pub fn check(draft: &TemplateDraft) -> Result<TemplateDraft, FieldErrors> {
    let mut errors = FieldErrors::new();
    let key = draft.key.trim();
    if !valid_key(key) {
        errors.add(
            field::KEY,
            "La clave lleva minúsculas sin acentos, cifras y guiones bajos, empieza por una letra y tiene de 2 a 61 caracteres (por ejemplo, aviso_renovacion).",
        );
    }
    let name = draft.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        errors.add(
            field::NAME,
            format!("Escriba el nombre de la plantilla (hasta {MAX_NAME} caracteres)."),
        );
    }
    let subject = draft.subject.trim();
    if subject.is_empty() || subject.chars().count() > MAX_SUBJECT {
        errors.add(
            field::SUBJECT,
            format!("Escriba el asunto (hasta {MAX_SUBJECT} caracteres)."),
        );
    } else if subject.contains(['\r', '\n']) {
        errors.add(field::SUBJECT, "El asunto va en una sola línea.");
    }
    if draft.body_text.trim().is_empty() || draft.body_text.chars().count() > MAX_BODY_TEXT {
        errors.add(
            field::BODY_TEXT,
            "Escriba el texto del correo (hasta 20.000 caracteres).",
        );
    }
    let body_html = sanitise_html(&draft.body_html);
    if draft.body_html.trim().is_empty() {
        errors.add(
            field::BODY_HTML,
            "Escriba la versión HTML del correo (hasta 40.000 caracteres).",
        );
    } else if body_html.trim().is_empty() {
        errors.add(
            field::BODY_HTML,
            "La versión HTML no tiene contenido que se pueda enviar: use párrafos, listas, tablas y enlaces.",
        );
    } else if draft.body_html.chars().count() > MAX_BODY_HTML
        || body_html.chars().count() > MAX_BODY_HTML
    {
        errors.add(
            field::BODY_HTML,
            "La versión HTML admite como mucho 40.000 caracteres.",
        );
    }
    let change_note = draft.change_note.trim();
    if change_note.chars().count() > MAX_CHANGE_NOTE {
        errors.add(
            field::CHANGE_NOTE,
            format!("La nota del cambio admite como mucho {MAX_CHANGE_NOTE} caracteres."),
        );
    }
    let marketing = draft.category.is_marketing();
    for (field, text) in [
        (field::SUBJECT, subject),
        (field::BODY_TEXT, draft.body_text.as_str()),
        (field::BODY_HTML, draft.body_html.as_str()),
    ] {
        if let Err(message) = check_placeholders(draft.entity, marketing, text) {
            errors.add(field, message);
        }
    }
    if marketing {
        for (field, text) in [
            (field::BODY_TEXT, draft.body_text.as_str()),
            (field::BODY_HTML, body_html.as_str()),
        ] {
            let names = placeholders_in(text).unwrap_or_default();
            if !names.iter().any(|n| n == UNSUBSCRIBE.name) {
                errors.add(
                    field,
                    format!(
                        "Un correo comercial debe llevar el enlace de baja {} (LSSI, art. 21).",
                        braced(UNSUBSCRIBE.name)
                    ),
                );
            }
        }
    }
    errors.into_result(TemplateDraft {
        key: key.to_owned(),
        name: name.to_owned(),
        entity: draft.entity,
        category: draft.category,
        subject: subject.to_owned(),
        body_text: draft.body_text.clone(),
        body_html,
        change_note: change_note.to_owned(),
    })
}

/// `^[a-z][a-z0-9_]{1,60}$`, as the table's CHECK.
pub fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && (2..=61).contains(&key.len())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The message for the first placeholder of `text` a template about `entity` cannot use.
fn check_placeholders(entity: Entity, marketing: bool, text: &str) -> Result<(), String> {
    for name in placeholders_in(text)? {
        if placeholders::allowed(entity, marketing, &name) {
            continue;
        }
        return Err(if name == UNSUBSCRIBE.name {
            format!(
                "El marcador {} solo se usa en plantillas comerciales.",
                braced(&name)
            )
        } else {
            format!(
                "El marcador {} no existe para plantillas de {}.",
                braced(&name),
                entity.label().to_lowercase()
            )
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Reading

#[derive(Queryable, Selectable)]
#[diesel(table_name = email_templates)]
#[diesel(check_for_backend(diesel::pg::Pg))]
struct Row {
    id: i64,
    key: String,
    version: i32,
    name: String,
    entity: String,
    category: Category,
    subject: String,
    body_text: String,
    body_html: String,
    change_note: String,
    created_by_staff_id: Option<i64>,
    created_at: DateTime<Utc>,
}

impl TryFrom<Row> for TemplateVersion {
    type Error = diesel::result::Error;

    fn try_from(row: Row) -> Result<Self, Self::Error> {
        let entity = Entity::parse(&row.entity).ok_or_else(|| {
            diesel::result::Error::DeserializationError(
                format!("unknown Entity code {:?}", row.entity).into(),
            )
        })?;
        Ok(TemplateVersion {
            id: row.id,
            key: row.key,
            version: row.version,
            name: row.name,
            entity,
            category: row.category,
            subject: row.subject,
            body_text: row.body_text,
            body_html: row.body_html,
            change_note: row.change_note,
            created_by_staff_id: row.created_by_staff_id,
            created_at: row.created_at,
        })
    }
}

fn convert(rows: Vec<Row>) -> QueryResult<Vec<TemplateVersion>> {
    rows.into_iter().map(TemplateVersion::try_from).collect()
}

/// The newest version of `key`.
pub fn current(conn: &mut PgConnection, key: &str) -> QueryResult<Option<TemplateVersion>> {
    email_templates::table
        .filter(email_templates::key.eq(key))
        .order(email_templates::version.desc())
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(TemplateVersion::try_from)
        .transpose()
}

/// Version `version` of `key`.
pub fn version(
    conn: &mut PgConnection,
    key: &str,
    version: i32,
) -> QueryResult<Option<TemplateVersion>> {
    email_templates::table
        .filter(email_templates::key.eq(key))
        .filter(email_templates::version.eq(version))
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(TemplateVersion::try_from)
        .transpose()
}

/// The newest version of every template, by name.
pub fn list_current(conn: &mut PgConnection) -> QueryResult<Vec<TemplateVersion>> {
    let rows = email_templates::table
        .distinct_on(email_templates::key)
        .order((email_templates::key, email_templates::version.desc()))
        .select(Row::as_select())
        .load(conn)?;
    let mut list = convert(rows)?;
    list.sort_by_cached_key(|t| (t.name.to_lowercase(), t.key.clone()));
    Ok(list)
}

/// Every version of `key`, newest first.
pub fn versions(conn: &mut PgConnection, key: &str) -> QueryResult<Vec<TemplateVersion>> {
    let rows = email_templates::table
        .filter(email_templates::key.eq(key))
        .order(email_templates::version.desc())
        .select(Row::as_select())
        .load(conn)?;
    convert(rows)
}

/// The names of the staff members who saved `versions` (by staff id), for lists and history.
pub fn author_names(
    conn: &mut PgConnection,
    versions: &[TemplateVersion],
) -> QueryResult<HashMap<i64, String>> {
    let mut ids: Vec<i64> = versions
        .iter()
        .filter_map(|v| v.created_by_staff_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(staff_users::table
        .filter(staff_users::id.eq_any(ids))
        .select((staff_users::id, staff_users::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

/// A version filled with a real record, for staff to see before it is ever sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// The record used: the one asked for, or the newest of the template's kind.
    pub record: Option<i64>,
    /// The e-mail, or why it cannot be made with this record (in Spanish).
    pub mail: Result<Rendered, String>,
}

/// Fills `version` with the record `record` of its kind (the newest one when `None`). A
/// commercial template gets an example unsubscribe link that leads nowhere: the real one is
/// made for each recipient when sending.
pub fn preview(
    conn: &mut PgConnection,
    version: &TemplateVersion,
    record: Option<i64>,
    base_url: &url::Url,
) -> QueryResult<Preview> {
    let entity = version.entity;
    let Some(id) = record.map_or_else(
        || super::facts::latest_record(conn, entity),
        |id| Ok(Some(id)),
    )?
    else {
        return Ok(Preview {
            record: None,
            mail: Err(format!(
                "Todavía no hay ningún registro de tipo «{}» con el que probar la plantilla.",
                entity.label().to_lowercase()
            )),
        });
    };
    let mail = super::facts::values_for(conn, entity, id, base_url).and_then(|mut values| {
        if version.category.is_marketing() {
            values
                .entry(UNSUBSCRIBE.name.to_owned())
                .or_insert_with(|| {
                    base_url
                        .join("/baja/ejemplo-de-vista-previa")
                        .map(String::from)
                        .unwrap_or_default()
                });
        }
        render(version, &values)
    });
    Ok(Preview {
        record: Some(id),
        mail,
    })
}

// ---------------------------------------------------------------------------------------------
// Saving

/// Checks `draft` and saves it as the next version of its key (version 1 for a new key), in
/// one transaction with its audit entry. Two saves of the same key at once queue on a lock
/// and get consecutive versions. An existing template keeps its record kind and category.
pub fn save(
    conn: &mut PgConnection,
    draft: TemplateDraft,
    by_staff_id: Option<i64>,
) -> Result<TemplateVersion, SaveError> {
    let actor = match by_staff_id {
        None => Actor::system(),
        Some(id) => {
            let staff = staff_users::table
                .find(id)
                .select(crate::auth::staff::StaffUser::as_select())
                .first(conn)?;
            Actor::new(&staff, "", "")
        }
    };
    save_as(conn, draft, &actor, Saving::Any)
}

/// What a save expects of the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saving {
    /// The «new template» form: the key must be free.
    NewTemplate,
    /// Either a new key or a new version of an existing one.
    Any,
}

/// [`save`] by `actor` (the staff member of a request, with its address for the audit log).
pub fn save_as(
    conn: &mut PgConnection,
    draft: TemplateDraft,
    actor: &Actor,
    saving: Saving,
) -> Result<TemplateVersion, SaveError> {
    conn.transaction(|conn| {
        let key = draft.key.trim();
        let previous = if valid_key(key) {
            // Serialises the saves of one key (also its first one, which has no row to lock).
            diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
                .bind::<diesel::sql_types::Text, _>(format!("email_templates:{key}"))
                .execute(conn)?;
            current(conn, key)?
        } else {
            None
        };
        // What the saved template allows comes first: its placeholders are judged by its kind.
        if let Some(previous) = &previous
            && let Some(errors) = refusal(previous, &draft, saving)
        {
            return Err(SaveError::Invalid(errors));
        }
        let draft = check(&draft).map_err(SaveError::Invalid)?;
        let next = previous.as_ref().map_or(1, |p| p.version + 1);
        let row: Row = diesel::insert_into(email_templates::table)
            .values((
                email_templates::key.eq(&draft.key),
                email_templates::version.eq(next),
                email_templates::name.eq(&draft.name),
                email_templates::entity.eq(draft.entity.code()),
                email_templates::category.eq(draft.category.code()),
                email_templates::subject.eq(&draft.subject),
                email_templates::body_text.eq(&draft.body_text),
                email_templates::body_html.eq(&draft.body_html),
                email_templates::change_note.eq(&draft.change_note),
                email_templates::created_by_staff_id.eq(actor.staff()),
            ))
            .returning(Row::as_returning())
            .get_result(conn)?;
        let saved = TemplateVersion::try_from(row)?;
        actor.record(
            conn,
            Action::EmailTemplateSaved,
            AUDIT_TARGET,
            saved.id,
            serde_json::json!({
                "plantilla": saved.name,
                "version": saved.version,
                "nota": saved.change_note,
            }),
        )?;
        Ok(saved)
    })
}

/// Why `draft` cannot become a version of the existing template `previous`: its key is taken
/// (from the «new template» form, with the draft's other problems), or it changes the record
/// kind or the category the template was made for.
fn refusal(
    previous: &TemplateVersion,
    draft: &TemplateDraft,
    saving: Saving,
) -> Option<FieldErrors> {
    let mut errors = FieldErrors::new();
    if saving == Saving::NewTemplate {
        errors.add(
            field::KEY,
            "Ya hay una plantilla con esta clave: elija otra o edite la existente.",
        );
        if let Err(others) = check(draft) {
            errors.merge(others);
        }
        return Some(errors);
    }
    if previous.entity != draft.entity {
        errors.add(
            field::ENTITY,
            format!(
                "Esta plantilla es de {}: no se puede cambiar (cree otra plantilla).",
                previous.entity.label().to_lowercase()
            ),
        );
    }
    if previous.category != draft.category {
        errors.add(
            field::CATEGORY,
            format!(
                "Esta plantilla es de tipo «{}»: no se puede cambiar (cree otra plantilla).",
                previous.category.label()
            ),
        );
    }
    (!errors.is_empty()).then_some(errors)
}

/// The template form as typed (field names as in [`field`]).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TemplateForm {
    #[serde(default)]
    pub clave: String,
    #[serde(default)]
    pub nombre: String,
    #[serde(default)]
    pub entidad: String,
    #[serde(default)]
    pub categoria: String,
    #[serde(default)]
    pub asunto: String,
    #[serde(default)]
    pub cuerpo_texto: String,
    #[serde(default)]
    pub cuerpo_html: String,
    #[serde(default)]
    pub nota: String,
}

impl TemplateForm {
    /// The form filled with `version`, to write the next one (the change note starts empty).
    pub fn of(version: &TemplateVersion) -> Self {
        Self {
            clave: version.key.clone(),
            nombre: version.name.clone(),
            entidad: version.entity.code().to_owned(),
            categoria: version.category.code().to_owned(),
            asunto: version.subject.clone(),
            cuerpo_texto: version.body_text.clone(),
            cuerpo_html: version.body_html.clone(),
            nota: String::new(),
        }
    }

    /// The draft as typed, or what is wrong with its record kind and category. The rest is
    /// checked by [`save`], after what the saved template allows (its kind cannot change).
    pub fn validate(&self) -> Result<TemplateDraft, FieldErrors> {
        let mut errors = FieldErrors::new();
        let entity = Entity::parse(self.entidad.trim());
        if entity.is_none() {
            errors.add(field::ENTITY, "Elija de qué trata la plantilla.");
        }
        let category = Category::parse(self.categoria.trim());
        if category.is_none() {
            errors.add(
                field::CATEGORY,
                "Elija si el correo es de servicio o comercial.",
            );
        }
        match (entity, category) {
            (Some(entity), Some(category)) => Ok(TemplateDraft {
                key: self.clave.clone(),
                name: self.nombre.clone(),
                entity,
                category,
                subject: self.asunto.clone(),
                body_text: self.cuerpo_texto.clone(),
                body_html: self.cuerpo_html.clone(),
                change_note: self.nota.clone(),
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(subject: &str, text: &str, html: &str) -> TemplateVersion {
        TemplateVersion {
            id: 1,
            key: "prueba".into(),
            version: 1,
            name: "Prueba".into(),
            entity: Entity::Claim,
            category: Category::Service,
            subject: subject.into(),
            body_text: text.into(),
            body_html: html.into(),
            change_note: String::new(),
            created_by_staff_id: None,
            created_at: Utc::now(),
        }
    }

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn draft(entity: Entity, category: Category, text: &str, html: &str) -> TemplateDraft {
        TemplateDraft {
            key: "aviso_prueba".into(),
            name: "Aviso de prueba".into(),
            entity,
            category,
            subject: "Su siniestro {{numero_siniestro}}".into(),
            body_text: text.into(),
            body_html: html.into(),
            change_note: String::new(),
        }
    }

    #[test]
    fn placeholders_are_listed_once_in_order_with_spaces_allowed() {
        assert_eq!(
            placeholders_in(
                "Hola {{nombre_cliente}}, su {{ numero_siniestro }} y {{nombre_cliente}}."
            )
            .unwrap(),
            vec!["nombre_cliente", "numero_siniestro"]
        );
        assert_eq!(
            placeholders_in("Sin marcadores { ni } }}").unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn an_unclosed_placeholder_is_an_error_quoting_it() {
        let error = placeholders_in("Hola {{nombre_cliente, adiós").unwrap_err();
        assert!(error.contains("{{nombre_cliente"), "{error}");
        assert!(error.contains("carácter 6"), "{error}");
        // A second opening before the closing one leaves the first unclosed.
        let error = placeholders_in("{{a {{b}}").unwrap_err();
        assert!(error.contains("«{{a {{b}}"), "{error}");
    }

    #[test]
    fn render_substitutes_and_escapes_values_in_html_only() {
        let rendered = render(
            &sample(
                "Siniestro {{numero_siniestro}}",
                "Hola {{ nombre_cliente }}: {{numero_siniestro}}",
                r#"<p>Hola {{nombre_cliente}}</p><p><a href="{{enlace_portal}}">Ver</a></p>"#,
            ),
            &values(&[
                ("numero_siniestro", "SIN-1"),
                ("nombre_cliente", "Ana <b>& \"Co\""),
                ("enlace_portal", "https://e.es/p?a=1&b=2"),
            ]),
        )
        .unwrap();
        assert_eq!(rendered.subject, "Siniestro SIN-1");
        assert_eq!(rendered.text, "Hola Ana <b>& \"Co\": SIN-1");
        assert!(
            rendered
                .html
                .contains("<p>Hola Ana &lt;b&gt;&amp; &quot;Co&quot;</p>")
        );
        assert!(
            rendered
                .html
                .contains(r#"href="https://e.es/p?a=1&amp;b=2""#)
        );
        assert!(rendered.html.contains("Soriano Mediadores"));
        assert!(rendered.html.contains(&escape_html(FOOTER)));
        assert!(rendered.html.contains("<title>Siniestro SIN-1</title>"));
    }

    #[test]
    fn render_refuses_a_placeholder_without_value() {
        let error = render(
            &sample("Asunto", "Póliza {{numero_poliza}}", "<p>x</p>"),
            &values(&[]),
        )
        .unwrap_err();
        assert!(error.contains("{{numero_poliza}}"), "{error}");
    }

    #[test]
    fn every_layout_style_is_declared_for_the_preview() {
        let html = layout("A", "B");
        let styles = inline_styles(&html);
        assert_eq!(styles.len(), LAYOUT_STYLES.len());
        for style in styles {
            assert!(LAYOUT_STYLES.contains(&style.as_str()), "{style}");
        }
    }

    fn inline_styles(html: &str) -> Vec<String> {
        html.split("style=\"")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap_or_default().to_owned())
            .collect()
    }

    #[test]
    fn unknown_placeholders_are_refused_next_to_their_field() {
        let errors = check(&draft(
            Entity::Claim,
            Category::Service,
            "Hola {{nombre_cliente}}, {{foo}}",
            "<p>{{prima_nueva}}</p>",
        ))
        .unwrap_err();
        assert_eq!(
            errors.get(field::BODY_TEXT),
            Some("El marcador {{foo}} no existe para plantillas de siniestro.")
        );
        assert_eq!(
            errors.get(field::BODY_HTML),
            Some("El marcador {{prima_nueva}} no existe para plantillas de siniestro.")
        );
        assert!(!errors.has(field::SUBJECT));
    }

    #[test]
    fn the_unsubscribe_link_is_for_marketing_and_required_there() {
        let errors = check(&draft(
            Entity::Claim,
            Category::Service,
            "Baja: {{enlace_baja}}",
            "<p>x</p>",
        ))
        .unwrap_err();
        assert!(
            errors
                .get(field::BODY_TEXT)
                .unwrap()
                .contains("comerciales")
        );
        let errors = check(&draft(
            Entity::Claim,
            Category::Marketing,
            "Sin baja",
            "<p>Baja: {{ enlace_baja }}</p>",
        ))
        .unwrap_err();
        assert!(
            errors
                .get(field::BODY_TEXT)
                .unwrap()
                .contains("{{enlace_baja}}")
        );
        assert!(!errors.has(field::BODY_HTML));
    }

    #[test]
    fn unclosed_placeholders_and_bad_keys_are_refused() {
        let mut bad = draft(
            Entity::Claim,
            Category::Service,
            "Hola {{nombre",
            "<p>x</p>",
        );
        bad.key = "Aviso".into();
        let errors = check(&bad).unwrap_err();
        assert!(
            errors
                .get(field::BODY_TEXT)
                .unwrap()
                .contains("Falta cerrar")
        );
        assert!(errors.has(field::KEY));
        for key in ["a", "1ab", "ab-c", "ñu", &"a".repeat(62)] {
            assert!(!valid_key(key), "{key}");
        }
        for key in ["ab", "aviso_renovacion_2", &"a".repeat(61)] {
            assert!(valid_key(key), "{key}");
        }
    }

    #[test]
    fn html_is_sanitised_and_placeholder_links_survive() {
        let checked = check(&draft(
            Entity::Claim,
            Category::Service,
            "Hola",
            r#"<h2 onclick="x()">Hola</h2><script>alert(1)</script><p style="color:red">Siga su <a href="{{enlace_portal}}">siniestro</a>, <a href="{{ enlace_portal }}">aquí</a> o <a href="javascript:alert(1)">no</a> o <a href="/relativo">no</a>.</p><img src="https://x.es/a.png"><table><tr><td>{{numero_siniestro}}</td></tr></table>"#,
        ))
        .unwrap();
        let html = &checked.body_html;
        assert!(html.contains("<h2>Hola</h2>"), "{html}");
        assert!(
            !html.contains("script") && !html.contains("alert"),
            "{html}"
        );
        assert!(!html.contains("style=") && !html.contains("<img"), "{html}");
        assert!(
            html.contains(r#"<a href="{{enlace_portal}}" rel="noopener noreferrer">siniestro</a>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<a href="{{ enlace_portal }}" rel="noopener noreferrer">aquí</a>"#),
            "{html}"
        );
        assert!(!html.contains("/relativo"), "{html}");
        assert!(html.contains("<td>{{numero_siniestro}}</td>"), "{html}");
        let rendered = render(
            &TemplateVersion {
                body_html: checked.body_html.clone(),
                ..sample("x", "y", "")
            },
            &values(&[
                ("enlace_portal", "https://e.es/portal/siniestros/7"),
                ("numero_siniestro", "SIN-7"),
            ]),
        )
        .unwrap();
        assert!(rendered.html.contains(
            r#"<a href="https://e.es/portal/siniestros/7" rel="noopener noreferrer">siniestro</a>"#
        ));
    }

    #[test]
    fn a_form_with_unknown_kind_or_category_says_so() {
        let form = TemplateForm {
            entidad: "poliza".into(),
            categoria: String::new(),
            ..TemplateForm::default()
        };
        let errors = form.validate().unwrap_err();
        assert!(errors.has(field::ENTITY) && errors.has(field::CATEGORY));
    }

    #[test]
    fn category_codes_round_trip() {
        for category in Category::ALL {
            assert_eq!(Category::parse(category.code()), Some(category));
        }
        assert_eq!(Category::Marketing.label(), "Comercial");
    }
}
