//! Money in integer euro cents: parsing what people type and writing it the Spanish way.

/// An amount in cents that writes itself the Spanish way, "1.234,56 €" (thousands with dots,
/// decimal comma, two decimals), straight into the output: no intermediate `String`. Pages
/// with many amounts (price breakdowns, lists of receipts) spend noticeably less on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Euros(pub i64);

impl std::fmt::Display for Euros {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // "-9.223.372.036.854.775,80 €" is the longest: 27 bytes + the 3-byte euro sign.
        let mut buffer = [0u8; 32];
        let mut at = buffer.len();
        let mut push = |bytes: &[u8]| {
            at -= bytes.len();
            buffer[at..at + bytes.len()].copy_from_slice(bytes);
        };
        let abs = self.0.unsigned_abs();
        let (mut euros, rest) = (abs / 100, abs % 100);
        push(" €".as_bytes());
        push(&[b'0' + (rest % 10) as u8]);
        push(&[b',', b'0' + (rest / 10) as u8]);
        let mut digits = 0;
        loop {
            if digits > 0 && digits % 3 == 0 {
                push(b".");
            }
            push(&[b'0' + (euros % 10) as u8]);
            digits += 1;
            euros /= 10;
            if euros == 0 {
                break;
            }
        }
        if self.0 < 0 {
            push(b"-");
        }
        // Only ASCII digits, separators and the euro sign were written.
        f.write_str(std::str::from_utf8(&buffer[at..]).map_err(|_| std::fmt::Error)?)
    }
}

/// "1.234,56 €" (thousands with dots, decimal comma, two decimals).
pub fn format_cents(cents: i64) -> String {
    Euros(cents).to_string()
}

/// Parses an amount typed in a form: "1234", "1234,5", "1.234,56", "1234.56", "1 234,56 €".
/// Returns the Spanish message for the field when it is not an amount. Negative amounts are
/// refused (callers that accept them say so explicitly).
pub fn parse_cents(text: &str) -> Result<i64, &'static str> {
    let cleaned: String = text
        .trim()
        .trim_end_matches('€')
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if cleaned.is_empty() {
        return Err("Escriba un importe.");
    }
    if cleaned.starts_with('-') {
        return Err("El importe no puede ser negativo.");
    }
    // The last ',' or '.' followed by one or two digits is the decimal separator; any other
    // dots are thousands separators.
    let (integer, decimals) = match cleaned.rfind([',', '.']) {
        Some(pos) if (1..=2).contains(&(cleaned.len() - pos - 1)) => {
            (&cleaned[..pos], &cleaned[pos + 1..])
        }
        _ => (cleaned.as_str(), ""),
    };
    let integer: String = integer.chars().filter(|c| *c != '.').collect();
    if integer.is_empty() && decimals.is_empty() {
        return Err("Escriba un importe.");
    }
    if !integer.chars().all(|c| c.is_ascii_digit()) || !decimals.chars().all(|c| c.is_ascii_digit())
    {
        return Err("Escriba el importe en euros, por ejemplo 1.250,50.");
    }
    let euros: i64 = if integer.is_empty() {
        0
    } else {
        integer
            .parse()
            .map_err(|_| "El importe es demasiado grande.")?
    };
    if euros > 100_000_000 {
        return Err("El importe es demasiado grande.");
    }
    let cents: i64 = match decimals.len() {
        0 => 0,
        1 => decimals.parse::<i64>().unwrap_or(0) * 10,
        _ => decimals.parse::<i64>().unwrap_or(0),
    };
    Ok(euros * 100 + cents)
}

/// The amount for an input field: "1234,56" (no thousands separator, no symbol).
pub fn cents_for_input(cents: i64) -> String {
    format!("{},{:02}", cents / 100, (cents % 100).abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_the_spanish_way() {
        assert_eq!(format_cents(0), "0,00 €");
        assert_eq!(format_cents(5), "0,05 €");
        assert_eq!(format_cents(123456), "1.234,56 €");
        assert_eq!(format_cents(100000000), "1.000.000,00 €");
        assert_eq!(format_cents(-2550), "-25,50 €");
        assert_eq!(format_cents(-99), "-0,99 €");
        assert_eq!(format_cents(100_000), "1.000,00 €");
        assert_eq!(format_cents(99_999), "999,99 €");
        assert_eq!(format_cents(i64::MIN), "-92.233.720.368.547.758,08 €");
        assert_eq!(cents_for_input(123456), "1234,56");
    }

    #[test]
    fn typed_amounts_are_understood() {
        assert_eq!(parse_cents("1234"), Ok(123400));
        assert_eq!(parse_cents("1234,5"), Ok(123450));
        assert_eq!(parse_cents("1.234,56"), Ok(123456));
        assert_eq!(parse_cents("1234.56"), Ok(123456));
        assert_eq!(parse_cents(" 1 234,56 € "), Ok(123456));
        assert_eq!(parse_cents("1.234"), Ok(123400));
        assert_eq!(parse_cents("0,99"), Ok(99));
    }

    #[test]
    fn nonsense_is_refused_with_a_message() {
        assert!(parse_cents("").is_err());
        assert!(parse_cents("-5").is_err());
        assert!(parse_cents("12a").is_err());
        assert!(parse_cents("1,2,3").is_err());
        assert!(parse_cents("999999999999").is_err());
    }

    #[test]
    fn written_amounts_parse_back() {
        for cents in [0, 1, 99, 100, 123456, 99999999] {
            assert_eq!(parse_cents(&format_cents(cents)), Ok(cents));
            assert_eq!(parse_cents(&cents_for_input(cents)), Ok(cents));
        }
    }
}
