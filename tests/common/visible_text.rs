//! What a person reads on a page, and the internal values that must never be part of it.
//!
//! The one list of things a page must not show (English codes of the enums, JSON, field names
//! of the code, amounts in cents, raw ids in place of business numbers). A module that adds an
//! enum or a record adds its codes here, and every page walk of the suite checks them.

use std::sync::OnceLock;

use regex::Regex;

/// Stored codes of enums (statuses, kinds, frequencies, stages, taxi options...) and literals
/// of the code that mean nothing to a Spanish reader. Matched as whole words, in the case they
/// are stored (so the Spanish imperative "Active" is not the code `active`).
pub const INTERNAL_WORDS: &[&str] = &[
    // claim kinds and statuses
    "collision",
    "theft",
    "fire",
    "water_damage",
    "glass",
    "liability",
    "assistance",
    "other",
    "open",
    "in_progress",
    "closed",
    "rejected",
    "paid",
    "accepted",
    // policies and receipts
    "annual",
    "semiannual",
    "quarterly",
    "monthly",
    "active",
    "suspended",
    "cancelled",
    "canceled",
    "expired",
    "pending",
    "collected",
    "returned",
    // tasks, quotes, leads, settlements
    "done",
    "draft",
    "sent",
    "issued",
    "contacted",
    "qualified",
    "won",
    "lost",
    "converted",
    // customers
    "person",
    "company",
    // taxi rating options
    "combustion",
    "diesel",
    "petrol",
    "hybrid",
    "electric",
    "full",
    "basic",
    "third_party",
    "comprehensive",
    "occupants",
    "downtime",
    "night",
    "double",
    // literals of the code
    "true",
    "false",
    "null",
    "None",
    "Some",
];

/// Lines that name the code's keys on purpose: the help of the landing editor's JSON fields,
/// whose keys are what the staff member types. Each with its reason; keep this short.
pub const ALLOWED_LINES: &[&str] = &[
    // Landing editor: the block structure of the "Bloques (JSON)" field.
    "hero {title, text, cta_label}",
];

/// Fragments of JSON, field names and audit keys of the code.
pub const INTERNAL_FRAGMENTS: &[&str] = &[
    "{\"", "\":", "_cents", ".after", ".before", "_id:", "[object",
];

fn patterns() -> &'static [(Regex, &'static str)] {
    static PATTERNS: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let words = INTERNAL_WORDS
            .iter()
            .map(|w| regex::escape(w))
            .collect::<Vec<_>>()
            .join("|");
        vec![
            (
                Regex::new(&format!(r"\b(?:{words})\b")).unwrap(),
                "a code or literal of the program",
            ),
            // snake_case identifiers: field names and keys of the code (e-mails excepted).
            (
                Regex::new(r"(?:^|[\s(,;:])[a-z]+_[a-z_]+\b(?:[^@.\w]|$)").unwrap(),
                "a field name of the code",
            ),
            // Euros are written "1.234,56 €": four digits or more in a row before a euro sign,
            // or a bare whole number labelled as an amount, are cents.
            (
                Regex::new(r"\b\d{4,} ?€").unwrap(),
                "an amount in cents",
            ),
            (
                Regex::new(r"(?i)\b(?:prima[ a-z]*|importe[ a-z]*|total|cambio de prima|esperado|recibido|diferencia|comisión)\s*:\s*-?\d+\b(?:[^,.\d/:]|$)").unwrap(),
                "an amount in cents",
            ),
            // A record named by its database id ("Recibo nº 1982") instead of its number.
            (
                Regex::new(r"\b(?:Recibo|Póliza|Siniestro|Presupuesto|Cliente|Compañía|Lead|Tarea|Empleado|Liquidación)(?: nº)?:? \d+\b(?:[^,.\d/]|$)").unwrap(),
                "a record named by its id",
            ),
        ]
    })
}

/// The text of `html` a person sees: without scripts, styles, comments and tags, entities
/// decoded, whitespace collapsed. What a text area holds is the value being edited (the
/// landing editor's JSON), like an input's value, not something the page says.
pub fn visible_text(html: &str) -> String {
    static HIDDEN: OnceLock<Regex> = OnceLock::new();
    static TAG: OnceLock<Regex> = OnceLock::new();
    static ENTITY: OnceLock<Regex> = OnceLock::new();
    let hidden = HIDDEN.get_or_init(|| {
        Regex::new(r"(?is)<script\b.*?</script>|<style\b.*?</style>|<!--.*?-->|<template\b.*?</template>|<textarea\b.*?</textarea>").unwrap()
    });
    let tag = TAG.get_or_init(|| Regex::new(r"(?s)<[^>]*>").unwrap());
    let entity = ENTITY.get_or_init(|| Regex::new(r"&(#x?[0-9a-fA-F]+|[a-z]+);").unwrap());
    let text = hidden.replace_all(html, " ");
    let text = tag.replace_all(&text, "\n");
    let text = entity.replace_all(&text, |c: &regex::Captures| {
        let name = &c[1];
        let decoded = if let Some(hex) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X"))
        {
            u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
        } else if let Some(dec) = name.strip_prefix('#') {
            dec.parse().ok().and_then(char::from_u32)
        } else {
            match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => None,
            }
        };
        decoded.map_or_else(|| c[0].to_owned(), String::from)
    });
    text.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every internal value found in `text` (one line each: what it is and where).
pub fn internals_in(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        if ALLOWED_LINES
            .iter()
            .any(|allowed| line.starts_with(allowed))
        {
            continue;
        }
        for fragment in INTERNAL_FRAGMENTS {
            if line.contains(fragment) {
                found.push(format!("{fragment:?} in «{line}»"));
            }
        }
        for (pattern, what) in patterns() {
            if let Some(m) = pattern.find(line) {
                found.push(format!("{what} ({:?}) in «{line}»", m.as_str().trim()));
            }
        }
    }
    found
}

/// Internal values of the page at `path` (its HTML body), each naming the page.
pub fn internals_of_page(path: &str, html: &str) -> Vec<String> {
    internals_in(&visible_text(html))
        .into_iter()
        .map(|finding| format!("{path}: {finding}"))
        .collect()
}
