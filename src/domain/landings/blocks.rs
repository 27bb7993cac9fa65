//! The content blocks of a landing variant: hero, benefits, testimonials, FAQ and call to
//! action. Stored as JSON and edited as a small JSON document, validated here.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hero {
    pub title: String,
    #[serde(default)]
    pub text: String,
    /// Label of the button that scrolls to the form.
    #[serde(default)]
    pub cta_label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Benefit {
    pub title: String,
    #[serde(default)]
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Testimonial {
    pub quote: String,
    pub author: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faq {
    pub question: String,
    pub answer: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cta {
    pub title: String,
    #[serde(default)]
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Blocks {
    pub hero: Hero,
    #[serde(default)]
    pub benefits: Vec<Benefit>,
    #[serde(default)]
    pub testimonials: Vec<Testimonial>,
    #[serde(default)]
    pub faq: Vec<Faq>,
    #[serde(default)]
    pub cta: Option<Cta>,
}

/// Longest text of any block (a paragraph, not an article).
const MAX_TEXT: usize = 2_000;
const MAX_ITEMS: usize = 12;

impl Blocks {
    /// Reads what the database stores; a row that no longer parses shows an empty page
    /// rather than an error to visitors (the editor never writes one).
    pub fn from_json(value: &serde_json::Value) -> Self {
        serde_json::from_value(value.clone()).unwrap_or_default()
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    pub fn pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Parses and checks the blocks typed in the back-office; the message says what to fix.
pub fn parse(json: &str) -> Result<Blocks, String> {
    let blocks: Blocks = serde_json::from_str(json).map_err(|e| {
        format!(
            "Los bloques no son un JSON válido ({e}). Se admiten hero, benefits, testimonials, faq y cta."
        )
    })?;
    if blocks.hero.title.trim().is_empty() {
        return Err("El bloque hero necesita un título (hero.title).".to_owned());
    }
    if blocks.benefits.len() > MAX_ITEMS
        || blocks.testimonials.len() > MAX_ITEMS
        || blocks.faq.len() > MAX_ITEMS
    {
        return Err(format!(
            "Cada lista de bloques admite como mucho {MAX_ITEMS} elementos."
        ));
    }
    let texts = std::iter::once(&blocks.hero.title)
        .chain([&blocks.hero.text, &blocks.hero.cta_label])
        .chain(blocks.benefits.iter().flat_map(|b| [&b.title, &b.text]))
        .chain(
            blocks
                .testimonials
                .iter()
                .flat_map(|t| [&t.quote, &t.author]),
        )
        .chain(blocks.faq.iter().flat_map(|f| [&f.question, &f.answer]))
        .chain(blocks.cta.iter().flat_map(|c| [&c.title, &c.text]));
    for text in texts {
        if text.chars().count() > MAX_TEXT {
            return Err(format!(
                "Cada texto de los bloques admite como mucho {MAX_TEXT} caracteres."
            ));
        }
    }
    if blocks
        .faq
        .iter()
        .any(|f| f.question.trim().is_empty() || f.answer.trim().is_empty())
    {
        return Err("Cada pregunta frecuente necesita pregunta y respuesta.".to_owned());
    }
    Ok(blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_need_a_hero_title_and_known_keys() {
        assert!(parse(r#"{"hero":{"title":"Hogar"}}"#).is_ok());
        assert!(parse(r#"{"hero":{"title":""}}"#).is_err());
        assert!(parse(r#"{"hero":{"title":"x"},"script":"<b>"}"#).is_err());
        assert!(parse("{").is_err());
    }
}
