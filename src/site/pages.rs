//! The corporate site's pages besides the home: one page per line of business, about us,
//! contact (its form becomes a lead), legal pages, the blog, `sitemap.xml` and `robots.txt`.
//! Every page carries its canonical URL, description and Open Graph tags, and answers 304
//! when the browser's copy is current (see `conditional`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::blog::{self, Post};
use crate::catalog::{self, Line};
use crate::config::{BrokerInfo, Config};
use crate::db::schema::landings;
use crate::db::{Db, DbError};
use crate::distribution::legal_texts;
use crate::landings::form::{self, Errors};
use crate::landings::intake::{self, Outcome, Sender, Target};
use crate::landings::spam;
use crate::listing::PageNumber;
use crate::site::conditional;
use crate::site::landings::{
    FieldView, Hidden, RETRY_NOTICE, RefusedPage, absolute, kept_hidden, lead_form_summary,
    value_of,
};
use crate::validation::SummaryItem;
use crate::web::AppKeys;
use crate::web::error::AppError;
use crate::web::form::Form;
use crate::web::listing::Pager;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

/// Version of the consent texts of the contact form (change it when the texts change).
pub const CONTACT_CONSENT_VERSION: &str = "web-2026-11";
pub const CONTACT_PRIVACY_TEXT: &str =
    "He leído y acepto que Soriano Mediadores trate mis datos para responder a mi consulta.";
pub const CONTACT_MARKETING_TEXT: &str = "Quiero recibir ofertas de seguros de Soriano Mediadores.";

const POSTS_PER_PAGE: i64 = 10;

/// What the `<head>` says about a page: title, description, canonical URL (Open Graph too).
pub struct Meta {
    pub title: String,
    pub description: String,
    pub canonical: String,
}

impl Meta {
    fn new(config: &Config, path: &str, title: &str, description: &str) -> Self {
        Self {
            title: title.to_owned(),
            description: description.to_owned(),
            canonical: absolute(config, path),
        }
    }
}

/// Pages with fixed text: about, legal notice, privacy, cookies.
#[derive(Template)]
#[template(path = "site/static_page.html")]
pub struct StaticPage {
    pub ctx: PageContext,
    pub meta: Meta,
    /// Which text: `about`, `legal`, `privacy` or `cookies`.
    pub which: &'static str,
    /// The legal identity the notice and the privacy policy state.
    pub broker: BrokerInfo,
}

/// When the fixed texts last changed, for Last-Modified.
fn texts_revised() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T00:00:00Z")
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_default()
}

async fn static_page(
    req: HttpRequest,
    ctx: PageContext,
    config: web::Data<Config>,
    which: &'static str,
) -> Result<HttpResponse, AppError> {
    let (path, title, description) = match which {
        "about" => (
            "/quienes-somos",
            "Quiénes somos",
            "Soriano Mediadores es una correduría de seguros independiente: comparamos compañías y le acompañamos en cada siniestro.",
        ),
        "legal" => (
            "/aviso-legal",
            "Aviso legal",
            "Datos identificativos y condiciones de uso del sitio web de Soriano Mediadores.",
        ),
        "privacy" => (
            "/privacidad",
            "Política de privacidad",
            "Cómo trata Soriano Mediadores sus datos personales y cómo ejercer sus derechos.",
        ),
        _ => (
            "/cookies",
            "Política de cookies",
            "Qué cookies usa el sitio de Soriano Mediadores: solo técnicas, sin scripts de terceros.",
        ),
    };
    let page = StaticPage {
        meta: Meta::new(&config, path, title, description),
        ctx,
        which,
        broker: config.broker.clone(),
    };
    conditional::page(&req, &page, Some(texts_revised()))
}

pub async fn about(
    req: HttpRequest,
    ctx: PageContext,
    config: web::Data<Config>,
) -> Result<HttpResponse, AppError> {
    static_page(req, ctx, config, "about").await
}
pub async fn legal(
    req: HttpRequest,
    ctx: PageContext,
    config: web::Data<Config>,
) -> Result<HttpResponse, AppError> {
    static_page(req, ctx, config, "legal").await
}
pub async fn privacy(
    req: HttpRequest,
    ctx: PageContext,
    config: web::Data<Config>,
) -> Result<HttpResponse, AppError> {
    static_page(req, ctx, config, "privacy").await
}
pub async fn cookies(
    req: HttpRequest,
    ctx: PageContext,
    config: web::Data<Config>,
) -> Result<HttpResponse, AppError> {
    static_page(req, ctx, config, "cookies").await
}

pub struct LandingLink {
    pub slug: String,
    pub title: String,
}

#[derive(Template)]
#[template(path = "site/line.html")]
pub struct LinePage {
    pub ctx: PageContext,
    pub meta: Meta,
    pub line: Line,
    pub landings: Vec<LandingLink>,
}

/// GET /seguros/{linea}
pub async fn line(
    req: HttpRequest,
    ctx: PageContext,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    use diesel::prelude::*;
    let code = path.into_inner();
    let (line, links) = db
        .run(move |conn| {
            let Some(line) = catalog::lines(conn)?.into_iter().find(|l| l.code == code) else {
                return Ok::<_, DbError>(None);
            };
            let links: Vec<(String, String)> = landings::table
                .filter(landings::line_id.eq(line.id))
                .filter(landings::published.eq(true))
                .order(landings::title)
                .select((landings::slug, landings::title))
                .limit(20)
                .load(conn)?;
            Ok(Some((line, links)))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    let page = LinePage {
        meta: Meta::new(
            &config,
            &format!("/seguros/{}", line.code),
            &format!("Seguro de {}", line.name.to_lowercase()),
            &line.summary,
        ),
        ctx,
        landings: links
            .into_iter()
            .map(|(slug, title)| LandingLink { slug, title })
            .collect(),
        line,
    };
    conditional::page(&req, &page, None)
}

#[derive(Template)]
#[template(path = "site/contact.html")]
pub struct ContactPage {
    pub ctx: PageContext,
    pub meta: Meta,
    pub fields: Vec<FieldView>,
    pub hidden: Hidden,
    pub privacy_checked: bool,
    pub marketing_checked: bool,
    pub privacy_error: Option<String>,
    pub summary: Vec<SummaryItem>,
    pub notice: &'static str,
    pub form_action: String,
    pub preview: bool,
}

impl ContactPage {
    fn new(
        ctx: PageContext,
        config: &Config,
        hidden: Hidden,
        values: &[(String, String)],
        errors: &Errors,
    ) -> Self {
        let checked = |name| matches!(value_of(values, name), "si" | "sí" | "on");
        let fields = FieldView::build(&form::contact_fields(), values, errors);
        let privacy_error = errors.get(intake::PRIVACY_FIELD).cloned();
        Self {
            meta: Meta::new(
                config,
                "/contacto",
                "Contacto",
                "Escríbanos o llámenos: le respondemos el mismo día laborable.",
            ),
            ctx,
            summary: lead_form_summary(&fields, privacy_error.as_ref()),
            notice: "",
            fields,
            hidden,
            privacy_checked: checked(intake::PRIVACY_FIELD),
            marketing_checked: checked(intake::MARKETING_FIELD),
            privacy_error,
            // Back at the form after a failed submit, not at the top of the page.
            form_action: "/contacto#formulario".to_owned(),
            preview: false,
        }
    }
}

/// GET /contacto (not cached: the form carries one-time tokens).
pub async fn contact(
    ctx: PageContext,
    config: web::Data<Config>,
    keys: web::Data<AppKeys>,
) -> Result<HttpResponse, AppError> {
    let hidden = Hidden {
        form_token: crate::db::form_submissions::new_token(),
        started: spam::stamp(&keys.form_stamp, Utc::now()),
        variant_id: 0,
        tracking: vec![],
    };
    let mut response = render::html(&ContactPage::new(ctx, &config, hidden, &[], &Errors::new()))?;
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// POST /contacto: the message becomes a lead (source `web_form`).
pub async fn contact_submit(
    ctx: PageContext,
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    keys: web::Data<AppKeys>,
    form: Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    // Line breaks are fine in the target's textareas, known only once the target is.
    let bad_text = (form.text_errors(&[]), form.control_errors());
    let sent = form.into_inner();
    let target = Target {
        source: "web_form",
        landing_id: None,
        variant_id: None,
        line_id: None,
        campaign: None,
        fields: form::contact_fields(),
        consent_version: CONTACT_CONSENT_VERSION.to_owned(),
        privacy_text_id: None,
        marketing_text_id: None,
        asks_marketing: true,
    };
    let sender = Sender {
        ip: meta.ip.clone(),
        user_agent: meta.user_agent.clone(),
        stamp_key: keys.form_stamp.clone(),
        base_url: config.base_url.to_string(),
    };
    let values = sent.clone();
    let retry_target = target.clone();
    let outcome = match crate::site::landings::invalid_text(&target, &sent, &bad_text) {
        Some(errors) => Outcome::Invalid(errors),
        None => {
            db.transaction(move |conn| {
                // The consent keeps the words of the two clauses on this page.
                let mut target = target;
                target.privacy_text_id = Some(legal_texts::store(
                    conn,
                    "privacy",
                    CONTACT_CONSENT_VERSION,
                    CONTACT_PRIVACY_TEXT,
                )?);
                target.marketing_text_id = Some(legal_texts::store(
                    conn,
                    "marketing",
                    CONTACT_CONSENT_VERSION,
                    CONTACT_MARKETING_TEXT,
                )?);
                intake::submit(conn, &target, &sender, &values, Utc::now()).map_err(DbError::from)
            })
            .await?
        }
    };
    match outcome {
        Outcome::Created(_) | Outcome::Added(_) | Outcome::Repeated(_) => {
            Ok(crate::web::flash::see_other("/contacto/gracias"))
        }
        Outcome::Invalid(errors) => {
            let started = value_of(&sent, spam::STARTED_FIELD).to_owned();
            render::html_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ContactPage::new(
                    ctx,
                    &config,
                    kept_hidden(&sent, 0, &started),
                    &sent,
                    &errors,
                ),
            )
        }
        Outcome::Bot(sign) if sign.person_may_retry() => {
            tracing::info!(?sign, "contact form sent back to be sent again");
            let errors = intake::validate(&retry_target, &sent.iter().cloned().collect())
                .err()
                .unwrap_or_default();
            let started = spam::stamp(&keys.form_stamp, Utc::now());
            let mut page = ContactPage::new(
                ctx,
                &config,
                kept_hidden(&sent, 0, &started),
                &sent,
                &errors,
            );
            page.notice = RETRY_NOTICE;
            render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Outcome::Bot(sign) => {
            tracing::info!(?sign, "contact form refused as automated");
            render::html_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &RefusedPage {
                    ctx,
                    back: "/contacto".to_owned(),
                    too_many: false,
                },
            )
        }
        Outcome::RateLimited => render::html_with_status(
            StatusCode::TOO_MANY_REQUESTS,
            &RefusedPage {
                ctx,
                back: "/contacto".to_owned(),
                too_many: true,
            },
        ),
    }
}

/// GET /contacto/gracias
pub async fn contact_thanks(ctx: PageContext) -> Result<HttpResponse, AppError> {
    render::html(&crate::site::landings::ThanksPage {
        ctx,
        title: "su consulta".to_owned(),
    })
}

pub struct PostItem {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub date: String,
    pub cover_url: Option<String>,
}

impl PostItem {
    fn of(post: &Post) -> Self {
        Self {
            slug: post.slug.clone(),
            title: post.title.clone(),
            summary: post.summary.clone(),
            date: post
                .published_on
                .map(crate::format::date)
                .unwrap_or_default(),
            cover_url: post.cover_url.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "site/blog.html")]
pub struct BlogPage {
    pub ctx: PageContext,
    pub meta: Meta,
    pub posts: Vec<PostItem>,
    pub pager: Pager,
}

#[derive(Debug, Deserialize)]
pub struct BlogQuery {
    #[serde(default)]
    pagina: String,
}

/// GET /blog
pub async fn blog_index(
    req: HttpRequest,
    ctx: PageContext,
    db: web::Data<Db>,
    config: web::Data<Config>,
    query: web::Query<BlogQuery>,
) -> Result<HttpResponse, AppError> {
    let page = PageNumber::parse(&query.pagina);
    let today = crate::landings::today();
    let mut posts = db
        .run(move |conn| {
            blog::published_page(conn, today, page, POSTS_PER_PAGE).map_err(DbError::from)
        })
        .await?;
    let more = posts.len() as i64 > POSTS_PER_PAGE;
    posts.truncate(POSTS_PER_PAGE as usize);
    let last_modified = posts.iter().map(|p| p.updated_at).max();
    let path = if page == PageNumber::FIRST {
        "/blog".to_owned()
    } else {
        format!("/blog?pagina={}", page.number())
    };
    let page_view = BlogPage {
        meta: Meta::new(
            &config,
            &path,
            "Blog",
            "Consejos y novedades sobre seguros de Soriano Mediadores.",
        ),
        ctx,
        posts: posts.iter().map(PostItem::of).collect(),
        pager: Pager::numbered(page, more, "/blog", &[]),
    };
    conditional::page(&req, &page_view, last_modified)
}

#[derive(Template)]
#[template(path = "site/post.html")]
pub struct PostPage {
    pub ctx: PageContext,
    pub meta: Meta,
    pub post: PostItem,
    /// Sanitised HTML of the body (see `blog::render_markdown`).
    pub body_html: String,
}

/// GET /blog/{slug}
pub async fn blog_post(
    req: HttpRequest,
    ctx: PageContext,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = path.into_inner();
    let today = crate::landings::today();
    let post = db
        .run(move |conn| blog::published_by_slug(conn, &slug, today).map_err(DbError::from))
        .await?
        .ok_or(AppError::NotFound)?;
    let page = PostPage {
        meta: Meta::new(
            &config,
            &format!("/blog/{}", post.slug),
            &post.title,
            &post.summary,
        ),
        ctx,
        body_html: post.body_html(),
        post: PostItem::of(&post),
    };
    conditional::page(&req, &page, Some(post.updated_at))
}

/// GET /sitemap.xml: home, fixed pages, lines, readable posts and published landings.
pub async fn sitemap(
    req: HttpRequest,
    db: web::Data<Db>,
    config: web::Data<Config>,
) -> Result<HttpResponse, AppError> {
    let today = crate::landings::today();
    let (lines, posts, landing_rows) = db
        .run(move |conn| {
            Ok::<_, DbError>((
                catalog::lines(conn)?,
                blog::published_slugs(conn, today)?,
                crate::landings::published(conn)?,
            ))
        })
        .await?;
    let mut urls: Vec<(String, Option<DateTime<Utc>>)> = [
        "/",
        "/quienes-somos",
        "/contacto",
        "/blog",
        "/aviso-legal",
        "/privacidad",
        "/cookies",
    ]
    .into_iter()
    .map(|p| (p.to_owned(), None))
    .collect();
    urls.extend(lines.iter().map(|l| (format!("/seguros/{}", l.code), None)));
    urls.extend(
        posts
            .iter()
            .map(|(slug, at)| (format!("/blog/{slug}"), Some(*at))),
    );
    urls.extend(
        landing_rows
            .iter()
            .map(|(slug, at)| (format!("/l/{slug}"), Some(*at))),
    );
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for (path, at) in &urls {
        // Slugs are [a-z0-9-] by construction, so nothing here needs XML escaping.
        xml.push_str("<url><loc>");
        xml.push_str(&absolute(&config, path));
        xml.push_str("</loc>");
        if let Some(at) = at {
            xml.push_str(&format!("<lastmod>{}</lastmod>", at.format("%Y-%m-%d")));
        }
        xml.push_str("</url>\n");
    }
    xml.push_str("</urlset>\n");
    let last = urls.iter().filter_map(|(_, at)| *at).max();
    Ok(conditional::respond(
        &req,
        "application/xml; charset=utf-8",
        xml,
        last,
    ))
}

/// GET /robots.txt
pub async fn robots(req: HttpRequest, config: web::Data<Config>) -> HttpResponse {
    let body = format!(
        "User-agent: *\nDisallow: /admin\nDisallow: /portal\nDisallow: /l/*/gracias\nDisallow: /contacto/gracias\n\nSitemap: {}\n",
        absolute(&config, "/sitemap.xml")
    );
    conditional::respond(&req, "text/plain; charset=utf-8", body, None)
}
