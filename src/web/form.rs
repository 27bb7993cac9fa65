//! The extractors every form of the application is read with: values reach the handler
//! without control characters, and the fields that had any are named (see
//! [`crate::validation`] for the errors and parsing the domain shares).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;

use crate::validation::{
    FieldErrors, INVALID_CHARACTERS, allowed_char, without_control_characters,
};
use crate::web::error::AppError;

/// A URL-encoded form, read like `web::Form` (same size limit), for every form of the
/// application. Values reach the handler without control characters; the fields that had any
/// are kept, and [`Form::text_errors`] names them, so the handler shows the form again with a
/// 422 and the message next to each of those fields, and writes nothing.
///
/// A form body no one checks should still be safe: [`Form::refuse_bad_text`] turns the same
/// finding into a 422 error page for handlers without a page of their own to show again.
pub struct Form<T> {
    inner: T,
    /// (field, had a line break or tab, had another control character)
    flagged: Vec<(String, bool, bool)>,
}

impl<T> Form<T> {
    pub fn into_inner(self) -> T {
        self.inner
    }

    /// [`INVALID_CHARACTERS`] for each field with a control character, tab and line breaks
    /// allowed only in the `multiline` fields.
    pub fn text_errors(&self, multiline: &[&str]) -> FieldErrors {
        let mut errors = FieldErrors::new();
        for (name, breaks, control) in &self.flagged {
            if *control || (*breaks && !multiline.contains(&name.as_str())) {
                errors.add_named(name, INVALID_CHARACTERS);
            }
        }
        errors
    }

    /// The fields with a control character other than tab and line breaks (which are refused
    /// in any field), for forms that learn which fields are multi-line only later.
    pub fn control_errors(&self) -> FieldErrors {
        let mut errors = FieldErrors::new();
        for (name, _, control) in &self.flagged {
            if *control {
                errors.add_named(name, INVALID_CHARACTERS);
            }
        }
        errors
    }

    /// `result`, the form's own validation, with the control-character messages first: an
    /// `Err` with every message as soon as a field has control characters.
    pub fn validated<C>(
        &self,
        multiline: &[&str],
        result: Result<C, FieldErrors>,
    ) -> Result<C, FieldErrors> {
        let mut errors = self.text_errors(multiline);
        if errors.is_empty() {
            return result;
        }
        if let Err(others) = result {
            errors.merge(others);
        }
        Err(errors)
    }

    /// The form, or a 422 error page when a field has control characters (tab and line
    /// breaks pass in `multiline` fields): for the handlers that have no form page to show
    /// again (buttons, one-field actions).
    pub fn refuse_bad_text(self, multiline: &[&str]) -> Result<T, AppError> {
        match self.text_errors(multiline).iter().next() {
            Some((field, _)) => Err(AppError::InvalidText(field.to_owned())),
            None => Ok(self.inner),
        }
    }
}

impl<T> std::ops::Deref for Form<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Form<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let pairs = web::Form::<Vec<(String, String)>>::from_request(req, payload);
        Box::pin(async move {
            let pairs = pairs.await?.into_inner();
            let mut flagged = Vec::new();
            let mut cleaned = Vec::with_capacity(pairs.len());
            for (name, value) in pairs {
                let breaks = value.contains(['\t', '\n', '\r']);
                let control = !value.chars().all(|c| allowed_char(c, true));
                if breaks || control {
                    flagged.push((name.clone(), breaks, control));
                }
                let value = without_control_characters(&value).into_owned();
                cleaned.push((without_control_characters(&name).into_owned(), value));
            }
            let encoded = serde_urlencoded::to_string(&cleaned)
                .map_err(|e| AppError::BadRequest(e.to_string()))?;
            let inner = serde_urlencoded::from_str::<T>(&encoded)
                .map_err(|e| AppError::BadRequest(e.to_string()))?;
            Ok(Self { inner, flagged })
        })
    }
}

/// A URL-encoded form for handlers that have no form page to show again with messages (an
/// action button, staff forms not yet moved to [`Form::validated`]): a value with a control
/// character other than tab and line breaks is answered with a 422 error page saying so, before
/// the handler runs, so nothing is written and PostgreSQL never sees a NUL byte.
pub struct StrictForm<T>(pub T);

impl<T> StrictForm<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for StrictForm<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for StrictForm<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let form = Form::<T>::from_request(req, payload);
        Box::pin(async move {
            let form = form.await?;
            if let Some((field, _, _)) = form.flagged.iter().find(|(_, _, control)| *control) {
                return Err(AppError::InvalidText(field.clone()).into());
            }
            Ok(Self(form.inner))
        })
    }
}
