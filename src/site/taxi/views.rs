//! What the quoter shows: lines, prices, the rate and breakdown partials.

use super::*;

pub struct LineView {
    pub label: String,
    pub band: String,
    pub rate: Rate,
    pub amount: Euros,
    pub class: &'static str,
}

pub struct PriceView {
    pub carrier_id: i64,
    pub carrier_name: String,
    pub total_cents: i64,
    pub total: Euros,
    pub net: Euros,
    pub taxes: Euros,
    pub monthly: Euros,
    pub monthly_first: Euros,
    pub lines: Vec<LineView>,
    pub missing: Vec<&'static str>,
    pub fits: bool,
    pub version: i32,
}

/// A line's coefficient as the breakdown shows it: "×1,150" for a factor (per mille), "8,15 %"
/// for a tax (basis points), nothing otherwise. Written straight into the page.
#[derive(Debug, Clone, Copy)]
pub struct Rate(LineKind, Option<i64>);

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.0, self.1) {
            (LineKind::Factor, Some(m)) => write!(f, "×{},{:03}", m / 1000, m % 1000),
            (LineKind::Tax, Some(bp)) => write!(f, "{},{:02} %", bp / 100, bp % 100),
            _ => Ok(()),
        }
    }
}

/// Digits, a comma, "×" or "%": nothing to escape.
impl askama::filters::HtmlSafe for Rate {}

pub(super) fn line_views(lines: Vec<rating::Line>) -> Vec<LineView> {
    lines
        .into_iter()
        .map(|line| LineView {
            rate: Rate(line.kind, line.rate),
            amount: Euros(line.amount_cents),
            class: match line.kind {
                LineKind::Base => "line-base",
                LineKind::Factor => "line-factor",
                LineKind::Minimum => "line-minimum",
                LineKind::Option => "line-option",
                LineKind::Tax => "line-tax",
            },
            label: line.label,
            band: line.band.unwrap_or_default(),
        })
        .collect()
}

impl PriceView {
    /// `with_lines`: whether the breakdown goes with the price (the full page) or is fetched
    /// when the driver opens it (the live partial, see [`breakdown`]).
    pub(super) fn new(price: CarrierPrice, version: i32, with_lines: bool) -> Self {
        let q = price.quote;
        Self {
            carrier_id: price.carrier_id,
            carrier_name: price.carrier_name,
            total_cents: q.total_cents,
            total: Euros(q.total_cents),
            net: Euros(q.net_cents),
            taxes: Euros(q.taxes_cents),
            monthly: Euros(q.monthly_cents),
            monthly_first: Euros(q.monthly_first_cents),
            missing: q.missing_extras.iter().map(|e| e.label()).collect(),
            fits: q.missing_extras.is_empty(),
            lines: if with_lines {
                line_views(q.lines)
            } else {
                Vec::new()
            },
            version,
        }
    }
}

/// The prices part of the quoter: carriers side by side, or why there is no price yet.
#[derive(Template)]
#[template(path = "site/taxi/_prices.html")]
pub struct PricesPartial {
    pub prices: Vec<PriceView>,
    /// "precio" or "cobertura".
    pub order: String,
    /// Query string of the current input (for the sort links, breakdowns and "Lo quiero").
    pub query: QueryAttr,
    pub valid_until: String,
    /// Why there are no prices (incomplete or invalid input, no tariffs).
    pub message: String,
    /// For htmx answers: errors to place next to the fields (out-of-band swaps).
    pub oob_errors: Vec<(&'static str, String)>,
    /// The live answer leaves the breakdown tables out (most drivers open none, and they are
    /// most of the markup); opening one fetches it from `/taxi/desglose`.
    pub lazy_breakdowns: bool,
}

/// The input as a query string, ready for an HTML attribute. It goes into every card several
/// times, so it is escaped once here rather than on each write: percent-encoding leaves `&`
/// as the only character HTML cares about. Empty fields are left out.
pub struct QueryAttr(String);

impl QueryAttr {
    pub(super) fn of(raw: &RawInput) -> Self {
        let encoded = serde_urlencoded::to_string(raw).unwrap_or_default();
        let filled: Vec<&str> = encoded.split('&').filter(|p| !p.ends_with('=')).collect();
        Self(filled.join("&amp;"))
    }
}

impl std::fmt::Display for QueryAttr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Percent-encoded pairs joined by `&amp;`: nothing left to escape.
impl askama::filters::HtmlSafe for QueryAttr {}

/// One carrier's breakdown table, fetched when the driver opens it.
#[derive(Template)]
#[template(path = "site/taxi/_breakdown_table.html")]
pub struct BreakdownPartial {
    pub lines: Vec<LineView>,
    pub total: Euros,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_attribute_leaves_out_empty_fields_and_is_escaped_once() {
        let raw = RawInput {
            anio: "2022".into(),
            municipio: "L'Hospitalet & Co".into(),
            ..RawInput::default()
        };
        let attr = QueryAttr::of(&raw).to_string();
        assert_eq!(attr, "anio=2022&amp;municipio=L%27Hospitalet+%26+Co");
        assert!(!attr.contains("valor="));
    }
}
