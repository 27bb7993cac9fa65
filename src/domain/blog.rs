//! Blog posts of the corporate site: written in Markdown in the back-office, rendered to HTML
//! on the server and sanitised (pulldown-cmark turns Markdown into HTML; ammonia then keeps
//! only safe tags and attributes, so neither raw HTML in a post nor a `javascript:` link can
//! run script on the public site).

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::Deserialize;

use crate::db::schema::blog_posts;
use crate::listing::PageNumber;
use crate::validation::{FieldErrors, parse_date};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = blog_posts)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Post {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body_markdown: String,
    pub cover_url: Option<String>,
    pub published_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Post {
    /// The body as safe HTML.
    pub fn body_html(&self) -> String {
        render_markdown(&self.body_markdown)
    }
}

/// Markdown → sanitised HTML.
pub fn render_markdown(markdown: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let parser = Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    );
    let mut unsafe_html = String::new();
    html::push_html(&mut unsafe_html, parser);
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .url_schemes(["http", "https", "mailto", "tel"].into())
        .clean(&unsafe_html)
        .to_string()
}

/// Posts visitors may read on `today`, newest first, one more than `per_page` to tell whether
/// there is a next page.
pub fn published_page(
    conn: &mut PgConnection,
    today: NaiveDate,
    page: PageNumber,
    per_page: i64,
) -> QueryResult<Vec<Post>> {
    blog_posts::table
        .filter(blog_posts::published_on.le(today))
        .order((blog_posts::published_on.desc(), blog_posts::id.desc()))
        .limit(per_page + 1)
        .offset(page.offset(per_page))
        .select(Post::as_select())
        .load(conn)
}

/// A post visitors may read, by slug.
pub fn published_by_slug(
    conn: &mut PgConnection,
    slug: &str,
    today: NaiveDate,
) -> QueryResult<Option<Post>> {
    blog_posts::table
        .filter(blog_posts::slug.eq(slug))
        .filter(blog_posts::published_on.le(today))
        .select(Post::as_select())
        .first(conn)
        .optional()
}

/// Every post, newest change first (back-office list), one more than `per_page`.
pub fn page(conn: &mut PgConnection, page: PageNumber, per_page: i64) -> QueryResult<Vec<Post>> {
    blog_posts::table
        .order((blog_posts::updated_at.desc(), blog_posts::id.desc()))
        .limit(per_page + 1)
        .offset(page.offset(per_page))
        .select(Post::as_select())
        .load(conn)
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Post> {
    blog_posts::table
        .find(id)
        .select(Post::as_select())
        .first(conn)
}

/// (slug, last change) of the readable posts, for the sitemap.
pub fn published_slugs(
    conn: &mut PgConnection,
    today: NaiveDate,
) -> QueryResult<Vec<(String, DateTime<Utc>)>> {
    blog_posts::table
        .filter(blog_posts::published_on.le(today))
        .order(blog_posts::published_on.desc())
        .select((blog_posts::slug, blog_posts::updated_at))
        .limit(5_000)
        .load(conn)
}

/// The post form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PostForm {
    #[serde(default)]
    pub titulo: String,
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub resumen: String,
    #[serde(default)]
    pub cuerpo: String,
    #[serde(default)]
    pub portada: String,
    /// Publication date; empty keeps it a draft.
    #[serde(default)]
    pub publicar_el: String,
}

#[derive(Debug, Clone)]
pub struct PostDraft {
    pub title: String,
    pub slug: String,
    pub summary: String,
    pub body: String,
    pub cover_url: Option<String>,
    pub published_on: Option<NaiveDate>,
}

impl PostForm {
    pub fn of(post: &Post) -> Self {
        Self {
            titulo: post.title.clone(),
            slug: post.slug.clone(),
            resumen: post.summary.clone(),
            cuerpo: post.body_markdown.clone(),
            portada: post.cover_url.clone().unwrap_or_default(),
            publicar_el: post
                .published_on
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
        }
    }

    pub fn validate(&self) -> Result<PostDraft, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = self.titulo.trim();
        if title.is_empty() || title.chars().count() > 200 {
            errors.add("titulo", "Escriba un título (hasta 200 caracteres).");
        }
        let slug = self.slug.trim().to_lowercase();
        if !crate::landings::editor::valid_slug(&slug) || slug.len() > 120 {
            errors.add(
                "slug",
                "La dirección lleva minúsculas sin acentos, cifras y guiones (por ejemplo, revisar-seguro-hogar).",
            );
        }
        if self.resumen.chars().count() > 300 {
            errors.add("resumen", "El resumen admite como mucho 300 caracteres.");
        }
        if self.cuerpo.trim().is_empty() || self.cuerpo.len() > 100_000 {
            errors.add(
                "cuerpo",
                "Escriba el texto de la entrada (hasta 100.000 caracteres).",
            );
        }
        let cover = self.portada.trim();
        let cover_url = if cover.is_empty() {
            None
        } else if (cover.starts_with("https://")
            || cover.starts_with("/static/")
            || cover.starts_with(MEDIA_PREFIX))
            && cover.len() <= 500
            && !cover.contains(['"', '<', '>', ' '])
        {
            Some(cover.to_owned())
        } else {
            errors.add(
                "portada",
                "La imagen de portada es una dirección https:// (o /static/…, /media/…) sin espacios; o súbala abajo.",
            );
            None
        };
        let published_on = match self.publicar_el.trim() {
            "" => None,
            text => match parse_date(text) {
                Ok(day) => Some(day),
                Err(message) => {
                    errors.add("publicar_el", message);
                    None
                }
            },
        };
        errors.into_result(PostDraft {
            title: title.to_owned(),
            slug,
            summary: self.resumen.trim().to_owned(),
            body: self.cuerpo.clone(),
            cover_url,
            published_on,
        })
    }
}

pub fn slug_taken(conn: &mut PgConnection, slug: &str, except: Option<i64>) -> QueryResult<bool> {
    let mut query = blog_posts::table
        .filter(blog_posts::slug.eq(slug))
        .into_boxed();
    if let Some(id) = except {
        query = query.filter(blog_posts::id.ne(id));
    }
    diesel::select(diesel::dsl::exists(query)).get_result(conn)
}

pub fn create(conn: &mut PgConnection, draft: &PostDraft, now: DateTime<Utc>) -> QueryResult<i64> {
    diesel::insert_into(blog_posts::table)
        .values((
            blog_posts::slug.eq(&draft.slug),
            blog_posts::title.eq(&draft.title),
            blog_posts::summary.eq(&draft.summary),
            blog_posts::body_markdown.eq(&draft.body),
            blog_posts::cover_url.eq(&draft.cover_url),
            blog_posts::published_on.eq(draft.published_on),
            blog_posts::created_at.eq(now),
            blog_posts::updated_at.eq(now),
        ))
        .returning(blog_posts::id)
        .get_result(conn)
}

pub fn update(
    conn: &mut PgConnection,
    id: i64,
    draft: &PostDraft,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    let changed = diesel::update(blog_posts::table.find(id))
        .set((
            blog_posts::slug.eq(&draft.slug),
            blog_posts::title.eq(&draft.title),
            blog_posts::summary.eq(&draft.summary),
            blog_posts::body_markdown.eq(&draft.body),
            blog_posts::cover_url.eq(&draft.cover_url),
            blog_posts::published_on.eq(draft.published_on),
            blog_posts::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

// ---------------------------------------------------------------------------------------------
// Cover images

/// Where uploaded site images are served from (`/media/<sha256>.<ext>`).
pub const MEDIA_PREFIX: &str = "/media/";
/// Largest cover image accepted.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;

/// The public URL of an image stored with [`store_image`].
pub fn media_url(sha256: &str, content_type: &str) -> String {
    let extension = match content_type {
        "image/png" => "png",
        "image/webp" => "webp",
        _ => "jpg",
    };
    format!("{MEDIA_PREFIX}{sha256}.{extension}")
}

/// Checks that `bytes` are a picture a browser shows (by content, not by name): its content
/// type, or the Spanish message for the form.
pub fn check_image(bytes: &[u8], filename: &str) -> Result<&'static str, &'static str> {
    if bytes.is_empty() {
        return Err("Elija una imagen.");
    }
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err("La imagen puede ocupar como máximo 5 MB.");
    }
    match crate::documents::sniff(bytes, filename) {
        Ok(kind @ ("image/jpeg" | "image/png" | "image/webp")) => Ok(kind),
        Ok(_) => Err("Suba una imagen JPG, PNG o WebP."),
        Err(message) => Err(message),
    }
}

/// Stores an image once per content (the same bytes again reuse the row) and returns its URL.
pub fn store_image(
    conn: &mut PgConnection,
    bytes: &[u8],
    content_type: &str,
    staff_id: i64,
) -> QueryResult<String> {
    use crate::db::schema::site_images;
    let sha256 = crate::util::sha256_hex(bytes);
    diesel::insert_into(site_images::table)
        .values((
            site_images::sha256.eq(&sha256),
            site_images::content_type.eq(content_type),
            site_images::bytes.eq(bytes),
            site_images::size_bytes.eq(bytes.len() as i32),
            site_images::uploaded_by_staff_id.eq(staff_id),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(media_url(&sha256, content_type))
}

/// An image by the file name of its URL (`<sha256>.<ext>`): (content type, bytes).
pub fn image(conn: &mut PgConnection, name: &str) -> QueryResult<Option<(String, Vec<u8>)>> {
    use crate::db::schema::site_images;
    let Some((sha256, _)) = name.split_once('.') else {
        return Ok(None);
    };
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    site_images::table
        .find(sha256.to_ascii_lowercase())
        .select((site_images::content_type, site_images::bytes))
        .first(conn)
        .optional()
}

/// Sets (or with `None` removes) the cover of post `id`; false when there is no such post.
pub fn set_cover(
    conn: &mut PgConnection,
    id: i64,
    cover_url: Option<&str>,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    let changed = diesel::update(blog_posts::table.find(id))
        .set((
            blog_posts::cover_url.eq(cover_url),
            blog_posts::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

#[cfg(test)]
mod tests {
    use super::render_markdown;

    #[test]
    fn markdown_is_rendered_and_script_removed() {
        let html = render_markdown(
            "# Hola\n\n**negrita** [enlace](https://a.es) <script>alert(1)</script> [x](javascript:alert(1))",
        );
        assert!(html.contains("<h1>Hola</h1>"));
        assert!(html.contains("<strong>negrita</strong>"));
        assert!(html.contains(r#"href="https://a.es""#));
        assert!(!html.contains("<script"));
        assert!(!html.contains("javascript:"));
    }
}
