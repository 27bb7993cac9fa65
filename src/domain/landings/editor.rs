//! What staff edit: a landing's settings and its variants, validated from the form's raw
//! strings with Spanish messages, and the commands that store them (the caller audits).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{landing_variants, landings, lines_of_business};
use crate::landings::blocks::{self, Blocks};
use crate::landings::form::{self, FormField};
use crate::listing::PageNumber;
use crate::validation::FieldErrors;

/// The landing form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct LandingForm {
    #[serde(default)]
    pub titulo: String,
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub descripcion: String,
    #[serde(default)]
    pub linea: String,
    #[serde(default)]
    pub campana: String,
    #[serde(default)]
    pub campos: String,
    #[serde(default)]
    pub texto_privacidad: String,
    #[serde(default)]
    pub texto_comunicaciones: String,
    #[serde(default)]
    pub version_textos: String,
}

/// A valid landing, ready to store.
#[derive(Debug, Clone)]
pub struct LandingDraft {
    pub title: String,
    pub slug: String,
    pub meta_description: String,
    pub line_id: Option<i64>,
    pub campaign: Option<String>,
    pub fields: Vec<FormField>,
    pub privacy_text: String,
    pub marketing_text: String,
    pub consent_version: String,
}

/// Whether `slug` is lower-case words joined by hyphens.
pub fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 80
        && slug.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

impl LandingForm {
    /// The form of an existing landing, for editing.
    pub fn of(landing: &super::LandingRow) -> Self {
        Self {
            titulo: landing.title.clone(),
            slug: landing.slug.clone(),
            descripcion: landing.meta_description.clone(),
            linea: landing.line_id.map(|id| id.to_string()).unwrap_or_default(),
            campana: landing.campaign.clone().unwrap_or_default(),
            campos: serde_json::to_string_pretty(&landing.fields()).unwrap_or_default(),
            texto_privacidad: landing.privacy_text.clone(),
            texto_comunicaciones: landing.marketing_text.clone(),
            version_textos: landing.consent_version.clone(),
        }
    }

    /// A new landing's starting point: the contact fields and the usual consent texts.
    pub fn blank() -> Self {
        Self {
            campos: serde_json::to_string_pretty(&form::contact_fields()).unwrap_or_default(),
            texto_privacidad: "He leído y acepto que Soriano Mediadores trate mis datos para atender mi solicitud.".to_owned(),
            texto_comunicaciones: "Quiero recibir ofertas de seguros de Soriano Mediadores.".to_owned(),
            version_textos: "v1".to_owned(),
            ..Self::default()
        }
    }

    pub fn validate(&self, line_exists: impl Fn(i64) -> bool) -> Result<LandingDraft, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = self.titulo.trim();
        if title.is_empty() || title.chars().count() > 200 {
            errors.add("titulo", "Escriba un título (hasta 200 caracteres).");
        }
        let slug = self.slug.trim().to_lowercase();
        if !valid_slug(&slug) {
            errors.add(
                "slug",
                "La dirección lleva minúsculas sin acentos, cifras y guiones (por ejemplo, seguro-hogar).",
            );
        }
        if self.descripcion.chars().count() > 300 {
            errors.add(
                "descripcion",
                "La descripción admite como mucho 300 caracteres.",
            );
        }
        let line_id = match self.linea.trim() {
            "" => None,
            text => match text.parse::<i64>() {
                Ok(id) if line_exists(id) => Some(id),
                _ => {
                    errors.add("linea", "Elija un ramo de la lista.");
                    None
                }
            },
        };
        let campaign = Some(self.campana.trim().to_owned()).filter(|c| !c.is_empty());
        if campaign.as_ref().is_some_and(|c| c.chars().count() > 100) {
            errors.add("campana", "La campaña admite como mucho 100 caracteres.");
        }
        let fields = match form::parse_definition(&self.campos) {
            Ok(fields) => fields,
            Err(message) => {
                errors.add("campos", message);
                vec![]
            }
        };
        let privacy = self.texto_privacidad.trim();
        if privacy.is_empty() || privacy.chars().count() > 1000 {
            errors.add(
                "texto_privacidad",
                "Escriba el texto del consentimiento de privacidad (hasta 1000 caracteres).",
            );
        }
        if self.texto_comunicaciones.chars().count() > 1000 {
            errors.add(
                "texto_comunicaciones",
                "El texto admite como mucho 1000 caracteres.",
            );
        }
        let version = self.version_textos.trim();
        if version.is_empty() || version.chars().count() > 40 {
            errors.add(
                "version_textos",
                "Indique la versión de los textos (por ejemplo, v2 o 2026-11).",
            );
        }
        errors.into_result(LandingDraft {
            title: title.to_owned(),
            slug,
            meta_description: self.descripcion.trim().to_owned(),
            line_id,
            campaign,
            fields,
            privacy_text: privacy.to_owned(),
            marketing_text: self.texto_comunicaciones.trim().to_owned(),
            consent_version: version.to_owned(),
        })
    }
}

/// Whether a line of business exists (for validation inside a transaction).
pub fn line_exists(conn: &mut PgConnection, id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(lines_of_business::table.find(id))).get_result(conn)
}

/// Whether another landing already uses `slug`.
pub fn slug_taken(conn: &mut PgConnection, slug: &str, except: Option<i64>) -> QueryResult<bool> {
    let mut query = landings::table.filter(landings::slug.eq(slug)).into_boxed();
    if let Some(id) = except {
        query = query.filter(landings::id.ne(id));
    }
    diesel::select(diesel::dsl::exists(query)).get_result(conn)
}

/// Stores a new landing, unpublished, with a first variant "A" showing `blocks`.
pub fn create(
    conn: &mut PgConnection,
    draft: &LandingDraft,
    blocks: &Blocks,
    now: DateTime<Utc>,
) -> QueryResult<i64> {
    let id: i64 = diesel::insert_into(landings::table)
        .values((
            landings::slug.eq(&draft.slug),
            landings::title.eq(&draft.title),
            landings::meta_description.eq(&draft.meta_description),
            landings::line_id.eq(draft.line_id),
            landings::campaign.eq(&draft.campaign),
            landings::form_fields.eq(serde_json::to_value(&draft.fields).unwrap_or_default()),
            landings::privacy_text.eq(&draft.privacy_text),
            landings::marketing_text.eq(&draft.marketing_text),
            landings::consent_version.eq(&draft.consent_version),
            landings::created_at.eq(now),
            landings::updated_at.eq(now),
        ))
        .returning(landings::id)
        .get_result(conn)?;
    add_variant(conn, id, "A", 1, blocks)?;
    Ok(id)
}

pub fn update(
    conn: &mut PgConnection,
    id: i64,
    draft: &LandingDraft,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(landings::table.find(id))
        .set((
            landings::slug.eq(&draft.slug),
            landings::title.eq(&draft.title),
            landings::meta_description.eq(&draft.meta_description),
            landings::line_id.eq(draft.line_id),
            landings::campaign.eq(&draft.campaign),
            landings::form_fields.eq(serde_json::to_value(&draft.fields).unwrap_or_default()),
            landings::privacy_text.eq(&draft.privacy_text),
            landings::marketing_text.eq(&draft.marketing_text),
            landings::consent_version.eq(&draft.consent_version),
            landings::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Publishes or withdraws a landing; returns whether it existed.
pub fn set_published(
    conn: &mut PgConnection,
    id: i64,
    published: bool,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    let changed = diesel::update(landings::table.find(id))
        .set((
            landings::published.eq(published),
            landings::published_at.eq(published.then_some(now)),
            landings::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// The variant form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct VariantForm {
    #[serde(default)]
    pub nombre: String,
    #[serde(default)]
    pub peso: String,
    #[serde(default)]
    pub bloques: String,
}

pub struct VariantDraft {
    pub name: String,
    pub weight: i32,
    pub blocks: Blocks,
}

impl VariantForm {
    pub fn validate(&self) -> Result<VariantDraft, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = self.nombre.trim();
        if name.is_empty() || name.chars().count() > 40 {
            errors.add(
                "nombre",
                "Escriba un nombre para la variante (hasta 40 caracteres).",
            );
        }
        let weight = match self.peso.trim().parse::<i32>() {
            Ok(w) if (0..=100).contains(&w) => w,
            _ => {
                errors.add("peso", "El peso es un número entero de 0 a 100.");
                0
            }
        };
        let blocks = match blocks::parse(&self.bloques) {
            Ok(b) => b,
            Err(message) => {
                errors.add("bloques", message);
                Blocks::default()
            }
        };
        errors.into_result(VariantDraft {
            name: name.to_owned(),
            weight,
            blocks,
        })
    }
}

pub fn add_variant(
    conn: &mut PgConnection,
    landing_id: i64,
    name: &str,
    weight: i32,
    blocks: &Blocks,
) -> QueryResult<i64> {
    diesel::insert_into(landing_variants::table)
        .values((
            landing_variants::landing_id.eq(landing_id),
            landing_variants::name.eq(name),
            landing_variants::weight.eq(weight),
            landing_variants::blocks.eq(blocks.to_json()),
        ))
        .returning(landing_variants::id)
        .get_result(conn)
}

/// Changes a variant of `landing_id`; returns whether it belonged to it.
pub fn update_variant(
    conn: &mut PgConnection,
    landing_id: i64,
    variant_id: i64,
    draft: &VariantDraft,
) -> QueryResult<bool> {
    let changed = diesel::update(
        landing_variants::table
            .filter(landing_variants::id.eq(variant_id))
            .filter(landing_variants::landing_id.eq(landing_id)),
    )
    .set((
        landing_variants::name.eq(&draft.name),
        landing_variants::weight.eq(draft.weight),
        landing_variants::blocks.eq(draft.blocks.to_json()),
    ))
    .execute(conn)?;
    diesel::update(landings::table.find(landing_id))
        .set(landings::updated_at.eq(Utc::now()))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Whether another variant of the landing already has `name`.
pub fn variant_name_taken(
    conn: &mut PgConnection,
    landing_id: i64,
    name: &str,
    except: Option<i64>,
) -> QueryResult<bool> {
    let mut query = landing_variants::table
        .filter(landing_variants::landing_id.eq(landing_id))
        .filter(landing_variants::name.eq(name))
        .into_boxed();
    if let Some(id) = except {
        query = query.filter(landing_variants::id.ne(id));
    }
    diesel::select(diesel::dsl::exists(query)).get_result(conn)
}

/// A page of landings for the back-office list, newest change first, with one more row than
/// `per_page` to tell whether there is a next page.
pub fn page(
    conn: &mut PgConnection,
    page: PageNumber,
    per_page: i64,
) -> QueryResult<Vec<super::LandingRow>> {
    landings::table
        .order((landings::updated_at.desc(), landings::id.desc()))
        .limit(per_page + 1)
        .offset(page.offset(per_page))
        .select(super::LandingRow::as_select())
        .load(conn)
}

/// Whether a form's one-time token was already used, and for which record: checked before
/// validating, so that a double submit of a create form leads to the record it created
/// instead of failing on "this address is taken" (the claim inside the transaction still
/// settles concurrent submits).
pub fn used_token(conn: &mut PgConnection, token: &str) -> QueryResult<Option<Option<i64>>> {
    use crate::db::schema::form_submissions;
    form_submissions::table
        .find(token)
        .select(form_submissions::entity_id)
        .first::<Option<i64>>(conn)
        .optional()
}
