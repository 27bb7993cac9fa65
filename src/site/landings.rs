//! Public landing pages: `/l/{slug}` (the variant's blocks and the form), its submission and
//! the thank-you page. The A/B variant sticks to a visitor through a cookie holding only the
//! variant's id; each view adds one to the variant's daily visit counter.

use std::sync::Arc;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;

use crate::config::Config;
use crate::db::{Db, DbError};
use crate::landings::form::{self, Errors, FieldKind, FormField};
use crate::landings::intake::{self, Outcome, Sender, Target};
use crate::landings::published::{Published, PublishedLandings};
use crate::landings::visits::VisitTally;
use crate::landings::{self, Blocks, LandingRow, VariantRow, ab, spam};
use crate::validation::{FieldErrors, SummaryItem};
use crate::web::AppKeys;
use crate::web::error::AppError;
use crate::web::form::Form;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

/// The sticky-variant cookie of one landing: its value is only the variant's id.
fn variant_cookie(landing_id: i64) -> String {
    format!("sori_ab_{landing_id}")
}

/// One field of the form as the template draws it.
pub struct FieldView {
    pub name: String,
    pub label: String,
    pub required: bool,
    /// `input`, `select` or `checkbox`.
    pub control: &'static str,
    pub input_type: &'static str,
    pub autocomplete: &'static str,
    pub options: Vec<String>,
    pub value: String,
    pub error: Option<String>,
}

impl FieldView {
    pub fn build(fields: &[FormField], values: &[(String, String)], errors: &Errors) -> Vec<Self> {
        fields
            .iter()
            .map(|f| FieldView {
                name: f.name.clone(),
                label: f.label.clone(),
                required: f.required,
                control: match f.kind {
                    FieldKind::Select => "select",
                    FieldKind::Checkbox => "checkbox",
                    FieldKind::Textarea => "textarea",
                    _ => "input",
                },
                input_type: f.kind.input_type(),
                autocomplete: f.kind.autocomplete(),
                options: f.options.clone(),
                value: value_of(values, &f.name).to_owned(),
                error: errors.get(&f.name).cloned(),
            })
            .collect()
    }
}

/// The error summary of the lead form (`site/_lead_form.html`): its fields' ids are `f-` and
/// the name; the privacy checkbox's is its name.
pub fn lead_form_summary(fields: &[FieldView], privacy_error: Option<&String>) -> Vec<SummaryItem> {
    fields
        .iter()
        .filter_map(|f| {
            f.error
                .as_ref()
                .map(|message| SummaryItem::new(format!("f-{}", f.name), message.clone()))
        })
        .chain(
            privacy_error.map(|message| SummaryItem::new(intake::PRIVACY_FIELD, message.clone())),
        )
        .collect()
}

/// What the page says when the spam defence asks a person to send the form again.
pub const RETRY_NOTICE: &str = "Por seguridad, revise los datos y vuelva a enviar el formulario.";

pub fn value_of<'a>(values: &'a [(String, String)], name: &str) -> &'a str {
    values
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_default()
}

/// The hidden fields that travel with the form.
pub struct Hidden {
    pub form_token: String,
    pub started: String,
    pub variant_id: i64,
    /// UTM parameters and referrer, as (name, value).
    pub tracking: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "site/landing.html")]
pub struct LandingPage {
    pub ctx: PageContext,
    pub landing: LandingRow,
    pub blocks: Arc<Blocks>,
    pub fields: Vec<FieldView>,
    pub hidden: Hidden,
    pub privacy_checked: bool,
    pub marketing_checked: bool,
    pub privacy_error: Option<String>,
    /// The error summary above the form, and the note of a form to send again ("" if none).
    pub summary: Vec<SummaryItem>,
    pub notice: &'static str,
    /// Shown in the back-office preview: the form does not submit.
    pub preview: bool,
    pub canonical: String,
    pub form_action: String,
}

impl LandingPage {
    /// Builds the page of `landing` shown with `variant` (the back-office's preview: parses
    /// the form and the blocks from the rows).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        ctx: PageContext,
        config: &Config,
        landing: LandingRow,
        variant: &VariantRow,
        hidden: Hidden,
        values: &[(String, String)],
        errors: &Errors,
        preview: bool,
    ) -> Self {
        let fields = landing.fields();
        let blocks = Arc::new(Blocks::from_json(&variant.blocks));
        Self::build(
            ctx, config, landing, &fields, blocks, hidden, values, errors, preview,
        )
    }

    /// The page of a published landing with its variant at `index`, from what the cache
    /// already parsed.
    pub fn shown(
        ctx: PageContext,
        config: &Config,
        published: &Published,
        index: usize,
        hidden: Hidden,
        values: &[(String, String)],
        errors: &Errors,
    ) -> Self {
        Self::build(
            ctx,
            config,
            published.landing.clone(),
            &published.fields,
            Arc::clone(&published.blocks[index]),
            hidden,
            values,
            errors,
            false,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn build(
        ctx: PageContext,
        config: &Config,
        landing: LandingRow,
        fields: &[FormField],
        blocks: Arc<Blocks>,
        hidden: Hidden,
        values: &[(String, String)],
        errors: &Errors,
        preview: bool,
    ) -> Self {
        let fields = FieldView::build(fields, values, errors);
        let checked = |name| matches!(value_of(values, name), "si" | "sí" | "on" | "true" | "1");
        let privacy_error = errors.get(intake::PRIVACY_FIELD).cloned();
        Self {
            canonical: absolute(config, &format!("/l/{}", landing.slug)),
            // The fragment brings the answer to a failed submit back at the form, not at the
            // top of a long page.
            form_action: if preview {
                "#".to_owned()
            } else {
                format!("/l/{}#formulario", landing.slug)
            },
            summary: lead_form_summary(&fields, privacy_error.as_ref()),
            notice: "",
            ctx,
            blocks,
            fields,
            hidden,
            privacy_checked: checked(intake::PRIVACY_FIELD),
            marketing_checked: checked(intake::MARKETING_FIELD),
            privacy_error,
            preview,
            landing,
        }
    }
}

/// `path` on the public base URL.
pub fn absolute(config: &Config, path: &str) -> String {
    format!("{}{path}", config.base_url.as_str().trim_end_matches('/'))
}

#[derive(Template)]
#[template(path = "site/landing_thanks.html")]
pub struct ThanksPage {
    pub ctx: PageContext,
    pub title: String,
}

/// The polite answer to a submission that looks automated or comes too often.
#[derive(Template)]
#[template(path = "site/form_refused.html")]
pub struct RefusedPage {
    pub ctx: PageContext,
    pub back: String,
    pub too_many: bool,
}

#[derive(Debug, serde::Deserialize)]
pub struct Utm {
    utm_source: Option<String>,
    utm_medium: Option<String>,
    utm_campaign: Option<String>,
    utm_term: Option<String>,
    utm_content: Option<String>,
}

/// The published landing and its variants (from memory for a few seconds), or 404.
async fn load(db: &Db, pages: &PublishedLandings, slug: &str) -> Result<Arc<Published>, AppError> {
    pages.get(db, slug).await?.ok_or(AppError::NotFound)
}

/// The visitor's variant: the one in their cookie if it still exists, else a weighted draw.
fn sticky_variant(req: &HttpRequest, landing_id: i64, variants: &[VariantRow]) -> (usize, bool) {
    let remembered = req
        .cookie(&variant_cookie(landing_id))
        .and_then(|c| c.value().parse::<i64>().ok())
        .and_then(|id| variants.iter().position(|v| v.id == id));
    if let Some(index) = remembered {
        return (index, false);
    }
    let weights: Vec<(i64, i32)> = variants.iter().map(|v| (v.id, v.weight)).collect();
    let chosen = ab::pick(&weights, ab::roll())
        .and_then(|id| variants.iter().position(|v| v.id == id))
        .unwrap_or(0);
    (chosen, true)
}

/// GET /l/{slug}
// A handler's parameters are its extractors.
#[allow(clippy::too_many_arguments)]
pub async fn show(
    req: HttpRequest,
    ctx: PageContext,
    db: web::Data<Db>,
    visits: web::Data<VisitTally>,
    pages: web::Data<PublishedLandings>,
    config: web::Data<Config>,
    keys: web::Data<AppKeys>,
    path: web::Path<String>,
    utm: web::Query<Utm>,
) -> Result<HttpResponse, AppError> {
    let published = load(&db, &pages, &path.into_inner()).await?;
    let landing_id = published.landing.id;
    let (index, new_visitor) = sticky_variant(&req, landing_id, &published.variants);
    let variant_id = published.variants[index].id;
    visits.add(variant_id, landings::today());
    let referrer = req
        .headers()
        .get(actix_web::http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let utm = utm.into_inner();
    let tracking: Vec<(&'static str, String)> = [
        ("utm_source", utm.utm_source),
        ("utm_medium", utm.utm_medium),
        ("utm_campaign", utm.utm_campaign),
        ("utm_term", utm.utm_term),
        ("utm_content", utm.utm_content),
        (intake::REFERRER_FIELD, Some(referrer)),
    ]
    .into_iter()
    .map(|(k, v)| {
        (
            k,
            v.unwrap_or_default().chars().take(200).collect::<String>(),
        )
    })
    .filter(|(_, v)| !v.is_empty())
    .collect();
    let hidden = Hidden {
        form_token: crate::db::form_submissions::new_token(),
        started: spam::stamp(&keys.form_stamp, Utc::now()),
        variant_id,
        tracking,
    };
    let page = LandingPage::shown(ctx, &config, &published, index, hidden, &[], &Errors::new());
    let mut response = render::html(&page)?;
    // The page carries one-time tokens: never from a cache.
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    if new_visitor {
        let cookie = Cookie::build(variant_cookie(landing_id), variant_id.to_string())
            .path("/l/")
            .http_only(true)
            .secure(config.secure_cookies())
            .same_site(SameSite::Lax)
            .max_age(actix_web::cookie::time::Duration::days(90))
            .finish();
        response
            .add_cookie(&cookie)
            .map_err(|e| AppError::Internal(e.into()))?;
    }
    Ok(response)
}

/// Control characters (a `%00`...) in the fields the visitor sees: the form comes back with
/// the message next to each of them and every other message of the form, and nothing is
/// written. Hidden fields only lose those characters (`web::form::Form`).
pub(crate) fn invalid_text(
    target: &Target,
    sent: &[(String, String)],
    (bad, control): &(FieldErrors, FieldErrors),
) -> Option<form::Errors> {
    let shown = |name: &str| {
        target.fields.iter().any(|f| f.name == name)
            || [intake::PRIVACY_FIELD, intake::MARKETING_FIELD].contains(&name)
    };
    let multiline = |name: &str| {
        target
            .fields
            .iter()
            .any(|f| f.name == name && f.kind == form::FieldKind::Textarea)
    };
    let mut errors: form::Errors = bad
        .iter()
        .filter(|(field, _)| shown(field))
        .filter(|(field, _)| control.has(field) || !multiline(field))
        .map(|(field, message)| (field.to_owned(), message.to_owned()))
        .collect();
    if errors.is_empty() {
        return None;
    }
    let raw = sent.iter().cloned().collect();
    if let Err(others) = intake::validate(target, &raw) {
        for (field, message) in others {
            errors.entry(field).or_insert(message);
        }
    }
    Some(errors)
}

/// POST /l/{slug}
// A handler's parameters are its extractors.
#[allow(clippy::too_many_arguments)]
pub async fn submit(
    ctx: PageContext,
    meta: RequestMeta,
    db: web::Data<Db>,
    pages: web::Data<PublishedLandings>,
    config: web::Data<Config>,
    keys: web::Data<AppKeys>,
    path: web::Path<String>,
    form: Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let published = load(&db, &pages, &slug).await?;
    let (landing, variants) = (&published.landing, &published.variants);
    // Line breaks are fine in the target's textareas, known only once the target is.
    let bad_text = (form.text_errors(&[]), form.control_errors());
    let sent = form.into_inner();
    // The variant the page was shown with; anything else (tampering) counts for the first.
    let index = value_of(&sent, "variante")
        .parse::<i64>()
        .ok()
        .and_then(|id| variants.iter().position(|v| v.id == id))
        .unwrap_or(0);
    let variant_id = variants[index].id;
    let target = Target {
        source: "landing",
        landing_id: Some(landing.id),
        variant_id: Some(variant_id),
        line_id: landing.line_id,
        campaign: landing.campaign.clone(),
        fields: published.fields.clone(),
        consent_version: landing.consent_version.clone(),
        privacy_text_id: landing.privacy_text_id,
        marketing_text_id: landing.marketing_text_id,
        asks_marketing: !landing.marketing_text.trim().is_empty(),
    };
    let key = keys.form_stamp.clone();
    let sender = Sender {
        ip: meta.ip.clone(),
        user_agent: meta.user_agent.clone(),
        stamp_key: key.clone(),
        base_url: config.base_url.to_string(),
    };
    let values = sent.clone();
    let retry_target = target.clone();
    let outcome = match invalid_text(&target, &sent, &bad_text) {
        Some(errors) => Outcome::Invalid(errors),
        None => {
            db.transaction(move |conn| {
                intake::submit(conn, &target, &sender, &values, Utc::now()).map_err(DbError::from)
            })
            .await?
        }
    };
    let back = format!("/l/{slug}");
    match outcome {
        Outcome::Created(_) | Outcome::Added(_) | Outcome::Repeated(_) => {
            Ok(crate::web::flash::see_other(&format!("/l/{slug}/gracias")))
        }
        Outcome::Invalid(errors) => {
            let hidden = kept_hidden(&sent, variant_id, value_of(&sent, spam::STARTED_FIELD));
            let page = LandingPage::shown(ctx, &config, &published, index, hidden, &sent, &errors);
            render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Outcome::Bot(sign) if sign.person_may_retry() => {
            tracing::info!(?sign, slug, "landing form sent back to be sent again");
            // What they typed, a fresh start time, and the field errors there are already.
            let errors = intake::validate(&retry_target, &sent.iter().cloned().collect())
                .err()
                .unwrap_or_default();
            let started = spam::stamp(&key, Utc::now());
            let hidden = kept_hidden(&sent, variant_id, &started);
            let mut page =
                LandingPage::shown(ctx, &config, &published, index, hidden, &sent, &errors);
            page.notice = RETRY_NOTICE;
            render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Outcome::Bot(sign) => {
            tracing::info!(?sign, slug, "landing form refused as automated");
            render::html_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &RefusedPage {
                    ctx,
                    back,
                    too_many: false,
                },
            )
        }
        Outcome::RateLimited => render::html_with_status(
            StatusCode::TOO_MANY_REQUESTS,
            &RefusedPage {
                ctx,
                back,
                too_many: true,
            },
        ),
    }
}

/// The hidden fields of a form sent back: the visitor's one-time token (a new one if it was
/// not well formed), `started` and the tracking they came with.
pub fn kept_hidden(sent: &[(String, String)], variant_id: i64, started: &str) -> Hidden {
    let token = value_of(sent, intake::TOKEN_FIELD);
    Hidden {
        form_token: if crate::db::form_submissions::is_well_formed(token) {
            token.to_owned()
        } else {
            crate::db::form_submissions::new_token()
        },
        started: started.to_owned(),
        variant_id,
        tracking: intake::UTM_FIELDS
            .iter()
            .copied()
            .chain([intake::REFERRER_FIELD])
            .map(|name| {
                (
                    name,
                    value_of(sent, name).chars().take(200).collect::<String>(),
                )
            })
            .filter(|(_, v)| !v.is_empty())
            .collect(),
    }
}

/// GET /l/{slug}/gracias
pub async fn thanks(
    ctx: PageContext,
    db: web::Data<Db>,
    pages: web::Data<PublishedLandings>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let published = load(&db, &pages, &path.into_inner()).await?;
    render::html(&ThanksPage {
        ctx,
        title: published.landing.title.clone(),
    })
}
