//! DNI, NIE and CIF.

use std::fmt;

use super::{compact_upper, string_type};

const DNI_LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";

/// The control letter of a DNI number (also of a NIE once its first letter is replaced).
pub fn dni_letter(number: u32) -> char {
    DNI_LETTERS[(number % 23) as usize] as char
}

/// Documento Nacional de Identidad: 8 digits and the control letter, e.g. `12345678Z`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Dni(String);
string_type!(Dni);

impl Dni {
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let value = compact_upper(text);
        if value.is_empty() {
            return Err("Escriba el DNI.");
        }
        let bytes = value.as_bytes();
        if bytes.len() != 9
            || !bytes[..8].iter().all(u8::is_ascii_digit)
            || !bytes[8].is_ascii_alphabetic()
        {
            return Err("El DNI tiene 8 cifras y una letra (por ejemplo, 12345678Z).");
        }
        let number: u32 = value[..8].parse().map_err(|_| "El DNI no es válido.")?;
        if dni_letter(number) != bytes[8] as char {
            return Err("La letra del DNI no corresponde al número. Revíselo.");
        }
        Ok(Self(value))
    }
}

impl fmt::Display for Dni {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Número de Identidad de Extranjero: X, Y or Z, 7 digits and the control letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Nie(String);
string_type!(Nie);

impl Nie {
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let value = compact_upper(text);
        if value.is_empty() {
            return Err("Escriba el NIE.");
        }
        let bytes = value.as_bytes();
        let prefix = match bytes.first() {
            Some(b'X') => 0,
            Some(b'Y') => 1,
            Some(b'Z') => 2,
            _ => return Err("El NIE empieza por X, Y o Z (por ejemplo, X1234567L)."),
        };
        if bytes.len() != 9
            || !bytes[1..8].iter().all(u8::is_ascii_digit)
            || !bytes[8].is_ascii_alphabetic()
        {
            return Err(
                "El NIE tiene una letra X, Y o Z, 7 cifras y una letra (por ejemplo, X1234567L).",
            );
        }
        let digits: u32 = value[1..8].parse().map_err(|_| "El NIE no es válido.")?;
        if dni_letter(prefix * 10_000_000 + digits) != bytes[8] as char {
            return Err("La letra del NIE no corresponde al número. Revíselo.");
        }
        Ok(Self(value))
    }
}

impl fmt::Display for Nie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Código de Identificación Fiscal of a company: a letter for the kind of entity, 7 digits
/// and a control digit or letter (which one depends on the first letter).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cif(String);
string_type!(Cif);

/// Entity letters that exist.
const CIF_KINDS: &str = "ABCDEFGHJNPQRSUVW";

enum CifControl {
    Digit,
    Letter,
    Either,
}

fn cif_control_kind(first: u8) -> CifControl {
    match first {
        b'A' | b'B' | b'E' | b'H' => CifControl::Digit,
        b'N' | b'P' | b'Q' | b'R' | b'S' | b'W' => CifControl::Letter,
        _ => CifControl::Either,
    }
}

/// The control digit (0–9) of the seven digits of a CIF.
pub(crate) fn cif_control_digit(digits: &[u8]) -> u32 {
    let mut sum = 0;
    for (i, d) in digits.iter().enumerate() {
        let d = u32::from(d - b'0');
        if i % 2 == 0 {
            let doubled = d * 2;
            sum += doubled / 10 + doubled % 10;
        } else {
            sum += d;
        }
    }
    (10 - sum % 10) % 10
}

const CIF_LETTERS: &[u8; 10] = b"JABCDEFGHI";

impl Cif {
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let value = compact_upper(text);
        if value.is_empty() {
            return Err("Escriba el CIF.");
        }
        let bytes = value.as_bytes();
        if bytes.len() != 9
            || !bytes[0].is_ascii_alphabetic()
            || !bytes[1..8].iter().all(u8::is_ascii_digit)
            || !bytes[8].is_ascii_alphanumeric()
        {
            return Err(
                "El CIF tiene una letra, 7 cifras y un carácter de control (por ejemplo, B12345674).",
            );
        }
        if !CIF_KINDS.as_bytes().contains(&bytes[0]) {
            return Err("La letra inicial del CIF no corresponde a ningún tipo de entidad.");
        }
        let digit = cif_control_digit(&bytes[1..8]);
        let as_digit = b'0' + digit as u8;
        let as_letter = CIF_LETTERS[digit as usize];
        let control = bytes[8];
        let ok = match cif_control_kind(bytes[0]) {
            CifControl::Digit => control == as_digit,
            CifControl::Letter => control == as_letter,
            CifControl::Either => control == as_digit || control == as_letter,
        };
        if !ok {
            return Err("El carácter de control del CIF no es correcto. Revíselo.");
        }
        Ok(Self(value))
    }

    /// A valid CIF for entity letter `kind` and seven digits (demo data, tests).
    pub fn from_parts(kind: char, digits: u32) -> Option<Self> {
        let text = format!("{kind}{:07}", digits % 10_000_000);
        let digit = cif_control_digit(&text.as_bytes()[1..8]);
        let control = match cif_control_kind(kind as u8) {
            CifControl::Letter => CIF_LETTERS[digit as usize] as char,
            _ => char::from(b'0' + digit as u8),
        };
        Self::parse(&format!("{text}{control}")).ok()
    }
}

impl fmt::Display for Cif {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tax id of either kind, told apart by its shape.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TaxId {
    Dni(Dni),
    Nie(Nie),
    Cif(Cif),
}

impl TaxId {
    /// A DNI when it starts with a digit, a NIE with X/Y/Z, a CIF with any other letter.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let value = compact_upper(text);
        match value.chars().next() {
            None => Err("Escriba el DNI, NIE o CIF."),
            Some(c) if c.is_ascii_digit() => Dni::parse(&value).map(TaxId::Dni),
            Some('X' | 'Y' | 'Z') => Nie::parse(&value).map(TaxId::Nie),
            Some(c) if c.is_ascii_alphabetic() => Cif::parse(&value).map(TaxId::Cif),
            Some(_) => Err("Escriba un DNI, NIE o CIF válido."),
        }
    }

    /// For a person: DNI or NIE.
    pub fn parse_person(text: &str) -> Result<Self, &'static str> {
        match Self::parse(text)? {
            TaxId::Cif(_) => Err("Para una persona, escriba su DNI o NIE (el CIF es de empresas)."),
            other => Ok(other),
        }
    }

    /// For a company: CIF.
    pub fn parse_company(text: &str) -> Result<Self, &'static str> {
        if compact_upper(text).is_empty() {
            return Err("Escriba el CIF.");
        }
        match Self::parse(text)? {
            TaxId::Cif(cif) => Ok(TaxId::Cif(cif)),
            _ => Err("Para una empresa, escriba su CIF (el DNI y el NIE son de personas)."),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            TaxId::Dni(v) => v.as_str(),
            TaxId::Nie(v) => v.as_str(),
            TaxId::Cif(v) => v.as_str(),
        }
    }

    /// "DNI", "NIE" or "CIF".
    pub fn kind_label(&self) -> &'static str {
        match self {
            TaxId::Dni(_) => "DNI",
            TaxId::Nie(_) => "NIE",
            TaxId::Cif(_) => "CIF",
        }
    }
}

impl fmt::Display for TaxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dni_with_the_right_letter_parses_in_any_spelling() {
        assert_eq!(Dni::parse("12345678Z").unwrap().as_str(), "12345678Z");
        assert_eq!(Dni::parse(" 12.345.678-z ").unwrap().as_str(), "12345678Z");
        assert_eq!(Dni::parse("00000000T").unwrap().as_str(), "00000000T");
        assert_eq!(Dni::parse("12345678z").unwrap().to_string(), "12345678Z");
    }

    #[test]
    fn dni_with_a_wrong_letter_or_shape_is_refused() {
        assert_eq!(
            Dni::parse("12345678A"),
            Err("La letra del DNI no corresponde al número. Revíselo.")
        );
        assert!(Dni::parse("1234567Z").is_err());
        assert!(Dni::parse("123456789").is_err());
        assert!(Dni::parse("").is_err());
    }

    #[test]
    fn nie_replaces_its_first_letter_before_the_dni_rule() {
        assert_eq!(Nie::parse("X1234567L").unwrap().as_str(), "X1234567L");
        assert_eq!(Nie::parse("y-1234567-x").unwrap().as_str(), "Y1234567X");
        assert_eq!(Nie::parse("Z1234567R").unwrap().as_str(), "Z1234567R");
        assert!(Nie::parse("X1234567A").is_err());
        assert!(Nie::parse("A1234567L").is_err());
    }

    #[test]
    fn cif_control_follows_the_first_letter() {
        // Real companies' CIFs (carriers of the demo catalogue).
        for cif in [
            "A28141935",
            "A60917978",
            "A28007748",
            "V28027118",
            "B12345674",
        ] {
            assert!(Cif::parse(cif).is_ok(), "{cif}");
        }
        // Letter control for public bodies (Q) and foreign entities (N).
        assert!(Cif::parse("Q2826000H").is_ok());
        assert!(Cif::parse("Q28260008").is_err(), "Q requires a letter");
        assert!(Cif::parse("A2814193J").is_err(), "A requires a digit");
        assert!(Cif::parse("A28141936").is_err());
        assert!(Cif::parse("I28141935").is_err(), "no such entity letter");
        assert_eq!(Cif::parse("b-12345674").unwrap().as_str(), "B12345674");
    }

    #[test]
    fn cif_from_parts_builds_valid_cifs() {
        for kind in "ABCDEFGHJNPQRSUVW".chars() {
            for digits in [0, 1234567, 9_999_999, 2_814_193] {
                let cif = Cif::from_parts(kind, digits).unwrap();
                assert!(Cif::parse(cif.as_str()).is_ok(), "{cif}");
            }
        }
    }

    #[test]
    fn tax_id_decides_by_shape_and_by_kind_of_customer() {
        assert!(matches!(TaxId::parse("12345678Z"), Ok(TaxId::Dni(_))));
        assert!(matches!(TaxId::parse("x1234567l"), Ok(TaxId::Nie(_))));
        assert!(matches!(TaxId::parse("A28141935"), Ok(TaxId::Cif(_))));
        assert!(TaxId::parse_person("A28141935").is_err());
        assert!(TaxId::parse_company("12345678Z").is_err());
        assert!(TaxId::parse_company("A28141935").is_ok());
        assert!(TaxId::parse("").is_err());
        assert!(TaxId::parse("#1234567").is_err());
    }

    proptest! {
        #[test]
        fn every_generated_dni_parses(number in 0u32..100_000_000) {
            let text = format!("{number:08}{}", dni_letter(number));
            let dni = Dni::parse(&text).unwrap();
            prop_assert_eq!(dni.as_str(), text.as_str());
            prop_assert!(matches!(TaxId::parse(&text.to_lowercase()), Ok(TaxId::Dni(_))));
        }

        #[test]
        fn every_generated_nie_parses(prefix in 0u32..3, number in 0u32..10_000_000) {
            let letter = ['X', 'Y', 'Z'][prefix as usize];
            let text = format!("{letter}{number:07}{}", dni_letter(prefix * 10_000_000 + number));
            prop_assert!(Nie::parse(&text).is_ok());
            prop_assert!(matches!(TaxId::parse(&text), Ok(TaxId::Nie(_))));
        }

        #[test]
        fn changing_one_character_of_a_dni_makes_it_fail(
            number in 0u32..100_000_000,
            position in 0usize..9,
            replacement in prop::sample::select(b"0123456789TRWAGMYFPDXBNJZSQVHLCKE".to_vec()),
        ) {
            let text = format!("{number:08}{}", dni_letter(number));
            let mut bytes = text.clone().into_bytes();
            prop_assume!(bytes[position] != replacement);
            bytes[position] = replacement;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(Dni::parse(&changed).is_err(), "{} -> {}", text, changed);
        }
    }
}
