//! IBAN, phone, postcode and e-mail.

use std::fmt;

use super::{compact_upper, string_type};

/// International Bank Account Number (ISO 13616), e.g. `ES9121000418450200051332`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Iban(String);
string_type!(Iban);

/// Remainder of the IBAN number (rearranged, letters as two digits) modulo 97.
fn iban_remainder(rearranged: &str) -> Option<u32> {
    let mut remainder: u32 = 0;
    for c in rearranged.chars() {
        let value = c.to_digit(36)?;
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    Some(remainder)
}

impl Iban {
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let value = compact_upper(text);
        if value.is_empty() {
            return Err("Escriba el IBAN.");
        }
        let bytes = value.as_bytes();
        if !(15..=34).contains(&bytes.len())
            || !bytes[..2].iter().all(u8::is_ascii_uppercase)
            || !bytes[2..4].iter().all(u8::is_ascii_digit)
            || !bytes.iter().all(u8::is_ascii_alphanumeric)
        {
            return Err(
                "El IBAN empieza por el código del país y tiene hasta 34 caracteres (por ejemplo, ES91 2100 0418 4502 0005 1332).",
            );
        }
        if value.starts_with("ES") && bytes.len() != 24 {
            return Err("Un IBAN español tiene 24 caracteres (ES y 22 cifras).");
        }
        let rearranged = format!("{}{}", &value[4..], &value[..4]);
        if iban_remainder(&rearranged) != Some(1) {
            return Err("Los dígitos de control del IBAN no son correctos. Revíselo.");
        }
        Ok(Self(value))
    }

    /// Builds a valid IBAN from a country and its account part (demo data, tests).
    pub fn from_parts(country: &str, account: &str) -> Option<Self> {
        let rearranged = format!("{account}{country}00");
        let check = 98 - iban_remainder(&rearranged)?;
        Self::parse(&format!("{country}{check:02}{account}")).ok()
    }

    /// In groups of four, as printed on bank documents: `ES91 2100 0418 ...`.
    pub fn grouped(&self) -> String {
        let mut out = String::with_capacity(self.0.len() + self.0.len() / 4);
        for (i, c) in self.0.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push(' ');
            }
            out.push(c);
        }
        out
    }
}

impl fmt::Display for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.grouped())
    }
}

/// A Spanish phone number: 9 digits, starting with 6 or 7 (mobile) or 8 or 9 (landline).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);
string_type!(Phone);

impl Phone {
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let mut value: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '.' | '(' | ')' | '/'))
            .collect();
        if value.is_empty() {
            return Err("Escriba el teléfono.");
        }
        if let Some(rest) = value.strip_prefix("+34") {
            value = rest.to_owned();
        } else if let Some(rest) = value.strip_prefix("0034") {
            value = rest.to_owned();
        } else if value.len() == 11 && value.starts_with("34") {
            value = value[2..].to_owned();
        }
        let bytes = value.as_bytes();
        if bytes.len() != 9 || !bytes.iter().all(u8::is_ascii_digit) {
            return Err("El teléfono tiene 9 cifras (puede llevar delante +34).");
        }
        if !matches!(bytes[0], b'6' | b'7' | b'8' | b'9') {
            return Err("El teléfono empieza por 6 o 7 (móvil) o por 8 o 9 (fijo).");
        }
        Ok(Self(value))
    }

    /// `600 123 456`, for reading.
    pub fn formatted(&self) -> String {
        format!("{} {} {}", &self.0[..3], &self.0[3..6], &self.0[6..])
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

const PROVINCES: [&str; 52] = [
    "Araba/Álava",
    "Albacete",
    "Alicante/Alacant",
    "Almería",
    "Ávila",
    "Badajoz",
    "Illes Balears",
    "Barcelona",
    "Burgos",
    "Cáceres",
    "Cádiz",
    "Castellón/Castelló",
    "Ciudad Real",
    "Córdoba",
    "A Coruña",
    "Cuenca",
    "Girona",
    "Granada",
    "Guadalajara",
    "Gipuzkoa",
    "Huelva",
    "Huesca",
    "Jaén",
    "León",
    "Lleida",
    "La Rioja",
    "Lugo",
    "Madrid",
    "Málaga",
    "Murcia",
    "Navarra",
    "Ourense",
    "Asturias",
    "Palencia",
    "Las Palmas",
    "Pontevedra",
    "Salamanca",
    "Santa Cruz de Tenerife",
    "Cantabria",
    "Segovia",
    "Sevilla",
    "Soria",
    "Tarragona",
    "Teruel",
    "Toledo",
    "Valencia/València",
    "Valladolid",
    "Bizkaia",
    "Zamora",
    "Zaragoza",
    "Ceuta",
    "Melilla",
];

/// The Spanish province of code `01`–`52` (the first two digits of a postcode).
pub fn province_name(code: u32) -> Option<&'static str> {
    (1..=52)
        .contains(&code)
        .then(|| PROVINCES[(code - 1) as usize])
}

/// Every province, by code, for selects.
pub fn provinces() -> impl Iterator<Item = (u32, &'static str)> {
    PROVINCES
        .iter()
        .enumerate()
        .map(|(i, p)| (i as u32 + 1, *p))
}

/// A Spanish postcode: 5 digits, the first two the province (01–52).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Postcode(String);
string_type!(Postcode);

impl Postcode {
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let value: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if value.is_empty() {
            return Err("Escriba el código postal.");
        }
        if value.len() != 5 || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err("El código postal tiene 5 cifras.");
        }
        let province: u32 = value[..2]
            .parse()
            .map_err(|_| "El código postal no es válido.")?;
        if province_name(province).is_none() {
            return Err(
                "El código postal no corresponde a ninguna provincia (empieza por 01 a 52).",
            );
        }
        Ok(Self(value))
    }

    pub fn province_name(&self) -> &'static str {
        self.0[..2]
            .parse()
            .ok()
            .and_then(province_name)
            .unwrap_or_default()
    }
}

impl fmt::Display for Postcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address that looks deliverable, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);
string_type!(Email);

impl Email {
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let value = text.trim().to_lowercase();
        if value.is_empty() {
            return Err("Escriba el correo electrónico.");
        }
        let plausible = value.len() <= 254
            && !value.chars().any(|c| c.is_whitespace() || c.is_control())
            && match value.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !domain.contains("..")
                }
                None => false,
            };
        if !plausible {
            return Err(
                "El correo electrónico no tiene un formato válido (por ejemplo, nombre@dominio.es).",
            );
        }
        Ok(Self(value))
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn iban_checks_mod_97_and_spanish_length() {
        let iban = Iban::parse("es91 2100 0418 4502 0005 1332").unwrap();
        assert_eq!(iban.as_str(), "ES9121000418450200051332");
        assert_eq!(iban.to_string(), "ES91 2100 0418 4502 0005 1332");
        assert!(
            Iban::parse("ES9221000418450200051332").is_err(),
            "wrong check"
        );
        assert!(
            Iban::parse("ES91210004184502000513").is_err(),
            "short Spanish IBAN"
        );
        // Other countries keep their own length.
        assert!(Iban::parse("DE89370400440532013000").is_ok());
        assert!(Iban::parse("GB82 WEST 1234 5698 7654 32").is_ok());
        assert!(Iban::parse("").is_err());
        assert!(Iban::parse("1234").is_err());
    }

    #[test]
    fn iban_from_parts_computes_the_check_digits() {
        assert_eq!(
            Iban::from_parts("ES", "21000418450200051332")
                .unwrap()
                .as_str(),
            "ES9121000418450200051332"
        );
    }

    #[test]
    fn phone_accepts_prefixes_and_separators() {
        for text in [
            "600123456",
            "+34 600 123 456",
            "0034-600-12-34-56",
            "600.12.34.56",
            "34600123456",
        ] {
            assert_eq!(Phone::parse(text).unwrap().as_str(), "600123456", "{text}");
        }
        assert_eq!(
            Phone::parse("912345678").unwrap().formatted(),
            "912 345 678"
        );
        assert!(Phone::parse("500123456").is_err());
        assert!(Phone::parse("60012345").is_err());
        assert!(Phone::parse("6001234567").is_err());
        assert!(Phone::parse("abc").is_err());
    }

    #[test]
    fn postcode_knows_its_province() {
        let madrid = Postcode::parse("28001").unwrap();
        assert_eq!(madrid.province_name(), "Madrid");
        assert_eq!(
            Postcode::parse(" 08001 ").unwrap().province_name(),
            "Barcelona"
        );
        assert_eq!(Postcode::parse("52001").unwrap().province_name(), "Melilla");
        assert_eq!(
            Postcode::parse("01001").unwrap().province_name(),
            "Araba/Álava"
        );
        assert!(Postcode::parse("53001").is_err());
        assert!(Postcode::parse("00001").is_err());
        assert!(Postcode::parse("2800").is_err());
        assert!(Postcode::parse("28O01").is_err());
        assert_eq!(province_name(41), Some("Sevilla"));
        assert_eq!(provinces().count(), 52);
    }

    #[test]
    fn email_is_lower_cased_and_plausible() {
        assert_eq!(
            Email::parse(" Ana.Garcia@Ejemplo.ES ").unwrap().as_str(),
            "ana.garcia@ejemplo.es"
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@ejemplo.es",
            "ana@ejemplo",
            "ana garcia@ejemplo.es",
            "a@b@c.es",
            "ana@.es",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn iban_with_a_wrong_check_fails(account in "[0-9]{20}", delta in 1u32..97) {
            let iban = Iban::from_parts("ES", &account).unwrap();
            let check: u32 = iban.as_str()[2..4].parse().unwrap();
            let wrong = (check + delta) % 100;
            prop_assume!(wrong != check && (2..=98).contains(&wrong));
            let text = format!("ES{wrong:02}{account}");
            prop_assert!(Iban::parse(&text).is_err(), "{}", text);
        }

        #[test]
        fn phone_normalisation_is_idempotent(
            first in prop::sample::select(vec!['6', '7', '8', '9']),
            rest in "[0-9]{8}",
            prefix in prop::sample::select(vec!["", "+34", "0034", "+34 "]),
            separator in prop::sample::select(vec!["", " ", "-", "."]),
        ) {
            let digits = format!("{first}{rest}");
            let typed = format!("{prefix}{}{separator}{}{separator}{}", &digits[..3], &digits[3..6], &digits[6..]);
            let once = Phone::parse(&typed).unwrap();
            let twice = Phone::parse(once.as_str()).unwrap();
            prop_assert_eq!(once.as_str(), digits.as_str());
            prop_assert_eq!(once, twice);
        }
    }
}
