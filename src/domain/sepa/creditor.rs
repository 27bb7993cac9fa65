//! The SEPA creditor identifier (AT-02 in the EPC rulebooks).

use std::fmt;

use crate::identifiers::{TaxId, string_type};

/// Who collects a direct debit, as the debtor's bank knows it: country, two check digits, a
/// three-character business code chosen by the creditor (usually `000`) and the national id.
/// In Spain the national id is the NIF, e.g. `ES77000B85626240`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreditorId(String);
string_type!(CreditorId);

/// Country, check digits and business code come before the national id.
const PREFIX_LEN: usize = 7;
/// The EPC caps AT-02 at 35 characters (the length of the `Othr/Id` it travels in).
const MAX_LEN: usize = 35;

const SHAPE_ERROR: &str = "El identificador de acreedor SEPA tiene el código del país, dos dígitos de control, un sufijo de tres caracteres y el NIF (por ejemplo, ES77000B85626240).";
const SPANISH_LEN_ERROR: &str = "Un identificador de acreedor español tiene 16 caracteres: ES, dos dígitos de control, el sufijo (normalmente 000) y el NIF.";
const NIF_ERROR: &str = "El NIF del identificador de acreedor no es válido. Revíselo.";
const CHECK_ERROR: &str = "Los dígitos de control del identificador de acreedor no son correctos.";
const SUFFIX_ERROR: &str =
    "El sufijo del identificador de acreedor tiene tres letras o cifras (normalmente 000).";

/// The two check digits for `national_id` in `country`: ISO 7064 MOD 97-10 over the national
/// id followed by the country and `00`, letters counted as 10..35. The business code is left
/// out on purpose, so that one creditor keeps the same check digits under every suffix.
fn check_digits(country: &str, national_id: &str) -> Option<u32> {
    let mut remainder: u32 = 0;
    for c in national_id
        .chars()
        .chain(country.chars())
        .chain("00".chars())
    {
        let value = c.to_digit(36)?;
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    Some(98 - remainder)
}

fn is_upper_alphanumeric(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

impl CreditorId {
    /// Reads an identifier as typed: spaces are ignored and letters upper-cased.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let value: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_uppercase)
            .collect();
        if value.is_empty() {
            return Err("Escriba el identificador de acreedor SEPA.");
        }
        let bytes = value.as_bytes();
        if !(PREFIX_LEN + 1..=MAX_LEN).contains(&bytes.len())
            || !bytes[..2].iter().all(u8::is_ascii_uppercase)
            || !bytes[2..4].iter().all(u8::is_ascii_digit)
            || !is_upper_alphanumeric(&value)
        {
            return Err(SHAPE_ERROR);
        }
        let (country, national_id) = (&value[..2], &value[PREFIX_LEN..]);
        if country == "ES" {
            if bytes.len() != 16 {
                return Err(SPANISH_LEN_ERROR);
            }
            TaxId::parse(national_id).map_err(|_| NIF_ERROR)?;
        }
        let given: u32 = value[2..4].parse().map_err(|_| SHAPE_ERROR)?;
        if check_digits(country, national_id) != Some(given) {
            return Err(CHECK_ERROR);
        }
        Ok(Self(value))
    }

    /// The Spanish identifier of the holder of `nif` under business code `suffix` (`000`
    /// unless the creditor runs several collection lines and told its bank so).
    pub fn for_nif(nif: &str, suffix: &str) -> Result<Self, &'static str> {
        let nif = TaxId::parse(nif)?;
        let suffix: String = suffix
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_uppercase)
            .collect();
        if suffix.len() != 3 || !is_upper_alphanumeric(&suffix) {
            return Err(SUFFIX_ERROR);
        }
        let check = check_digits("ES", nif.as_str()).ok_or(NIF_ERROR)?;
        Self::parse(&format!("ES{check:02}{suffix}{}", nif.as_str()))
    }
}

impl fmt::Display for CreditorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identifiers::{Cif, dni_letter};
    use proptest::prelude::*;

    #[test]
    fn accepts_the_published_example() {
        let id = CreditorId::parse("ES77000B85626240").unwrap();
        assert_eq!(id.as_str(), "ES77000B85626240");
        assert_eq!(id.to_string(), "ES77000B85626240");
    }

    #[test]
    fn ignores_spaces_and_case() {
        let id = CreditorId::parse(" es77 000 b8562 6240 ").unwrap();
        assert_eq!(id.as_str(), "ES77000B85626240");
    }

    #[test]
    fn the_suffix_does_not_change_the_check_digits() {
        assert_eq!(
            CreditorId::parse("ES77ZZZB85626240").unwrap().as_str(),
            "ES77ZZZB85626240"
        );
        assert_eq!(
            CreditorId::for_nif("B85626240", "001").unwrap().as_str(),
            "ES77001B85626240"
        );
    }

    #[test]
    fn for_nif_computes_the_published_example() {
        let id = CreditorId::for_nif("b-85626240", "000").unwrap();
        assert_eq!(id.as_str(), "ES77000B85626240");
    }

    #[test]
    fn refuses_wrong_check_digits() {
        assert_eq!(CreditorId::parse("ES78000B85626240"), Err(CHECK_ERROR));
        assert_eq!(
            CHECK_ERROR,
            "Los dígitos de control del identificador de acreedor no son correctos."
        );
    }

    #[test]
    fn refuses_an_invalid_nif() {
        // B85626241 has the wrong CIF control digit.
        assert_eq!(CreditorId::parse("ES77000B85626241"), Err(NIF_ERROR));
        assert_eq!(
            CreditorId::parse("ES77000I85626240"),
            Err(NIF_ERROR),
            "I is not a CIF entity letter"
        );
    }

    #[test]
    fn refuses_wrong_shapes() {
        assert_eq!(
            CreditorId::parse(""),
            Err("Escriba el identificador de acreedor SEPA.")
        );
        for text in [
            "ES",
            "ES77000",
            "E577000B85626240",
            "ESAB000B85626240",
            "ES77000B8562624-",
            "ES77000B85626240ÑÑ",
            "DE98ZZZ0999999999999999999999999999999",
        ] {
            assert_eq!(CreditorId::parse(text), Err(SHAPE_ERROR), "{text}");
        }
        assert_eq!(CreditorId::parse("ES77000B856262"), Err(SPANISH_LEN_ERROR));
    }

    #[test]
    fn accepts_other_countries_with_the_same_rule() {
        // The Deutsche Bundesbank's published example.
        assert!(CreditorId::parse("DE98ZZZ09999999999").is_ok());
        assert_eq!(CreditorId::parse("DE97ZZZ09999999999"), Err(CHECK_ERROR));
    }

    #[test]
    fn for_nif_refuses_bad_input() {
        assert!(CreditorId::for_nif("B85626241", "000").is_err());
        assert_eq!(CreditorId::for_nif("B85626240", "00"), Err(SUFFIX_ERROR));
        assert_eq!(CreditorId::for_nif("B85626240", "0-0"), Err(SUFFIX_ERROR));
    }

    fn any_nif() -> impl Strategy<Value = String> {
        prop_oneof![
            (0u32..100_000_000).prop_map(|n| format!("{n:08}{}", dni_letter(n))),
            (
                prop::sample::select(b"ABCDEFGHJNPQRSUVW".to_vec()),
                0u32..10_000_000
            )
                .prop_map(|(kind, digits)| Cif::from_parts(kind as char, digits)
                    .unwrap()
                    .as_str()
                    .to_owned()),
        ]
    }

    proptest! {
        #[test]
        fn for_nif_round_trips_and_detects_a_changed_check_digit(
            nif in any_nif(),
            suffix in "[A-Z0-9]{3}",
            position in 2usize..4,
            delta in 1u8..10,
        ) {
            let id = CreditorId::for_nif(&nif, &suffix).unwrap();
            prop_assert_eq!(CreditorId::parse(id.as_str()), Ok(id.clone()));
            prop_assert_eq!(&id.as_str()[PREFIX_LEN..], nif.as_str());

            let mut bytes = id.as_str().as_bytes().to_vec();
            bytes[position] = b'0' + (bytes[position] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert_eq!(CreditorId::parse(&changed), Err(CHECK_ERROR));
        }
    }
}
