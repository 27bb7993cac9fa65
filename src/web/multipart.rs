//! Reading `multipart/form-data` uploads with limits: every part is buffered up to its limit
//! and the rest of an oversized part is drained, so the request still completes and the user
//! gets the form back with a message instead of a broken connection.

use actix_multipart::Multipart;
use futures_util::StreamExt;

use crate::documents;
use crate::validation::{self, FieldErrors};
use crate::web::error::AppError;

/// One part of the form, text field or file.
pub struct Part {
    pub name: String,
    /// The file's name as sent, cleaned of paths and control characters.
    pub filename: Option<String>,
    /// Empty when the part went over its limit.
    pub bytes: Vec<u8>,
    /// The part was larger than its limit (its bytes were dropped).
    pub overflow: bool,
}

impl Part {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// The text without control characters; a field that had any (tab and line breaks pass
    /// when `multiline`) gets its message in `errors`, as `web::form::Form` does for
    /// URL-encoded forms.
    pub fn checked_text(&self, multiline: bool, errors: &mut FieldErrors) -> String {
        let text = self.text();
        if !text.chars().all(|c| validation::allowed_char(c, multiline)) {
            errors.add_named(&self.name, validation::INVALID_CHARACTERS);
        }
        validation::without_control_characters(&text).into_owned()
    }
}

/// Most parts a form may send: more is not a person's form.
const MAX_PARTS: usize = 60;

/// Reads every part of `payload`; parts named in `file_fields` may hold up to `file_limit`
/// bytes, any other part `text_limit`.
pub async fn read(
    mut payload: Multipart,
    file_fields: &[&str],
    file_limit: usize,
    text_limit: usize,
) -> Result<Vec<Part>, AppError> {
    let mut parts = Vec::new();
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|e| AppError::BadRequest(e.to_string()))?;
        if parts.len() == MAX_PARTS {
            return Err(AppError::PayloadTooLarge);
        }
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(documents::clean_filename);
        let limit = if file_fields.contains(&name.as_str()) {
            file_limit
        } else {
            text_limit
        };
        let (mut bytes, mut overflow) = (Vec::new(), false);
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| AppError::BadRequest(e.to_string()))?;
            if overflow || bytes.len() + chunk.len() > limit {
                overflow = true;
                continue;
            }
            bytes.extend_from_slice(&chunk);
        }
        if overflow {
            bytes = Vec::new();
        }
        parts.push(Part {
            name,
            filename,
            bytes,
            overflow,
        });
    }
    Ok(parts)
}
