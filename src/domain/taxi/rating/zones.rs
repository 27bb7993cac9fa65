//! Risk zone of a taxi licence: urban density drives how often a taxi has a claim, so the
//! licence's municipality and province pick one of four zones.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Zone {
    One,
    Two,
    Three,
    Four,
}

/// Large cities (besides Madrid and Barcelona) whose licences are zone 2, normalised.
const BIG_CITIES: &[&str] = &[
    "valencia",
    "sevilla",
    "zaragoza",
    "malaga",
    "murcia",
    "palma",
    "palma de mallorca",
    "las palmas de gran canaria",
    "bilbao",
    "alicante",
    "cordoba",
    "valladolid",
    "vigo",
    "gijon",
    "l'hospitalet de llobregat",
    "hospitalet de llobregat",
    "a coruna",
    "la coruna",
    "vitoria",
    "vitoria-gasteiz",
    "granada",
    "elche",
    "oviedo",
    "badalona",
];

/// Provinces (INE code) of Madrid and Barcelona: their other municipalities are zone 2.
const METRO_PROVINCES: &[u32] = &[8, 28];

/// Dense or touristic provinces: zone 3 (the rest are zone 4).
const DENSE_PROVINCES: &[u32] = &[3, 7, 11, 15, 29, 30, 33, 35, 38, 41, 46, 48, 50];

impl Zone {
    /// The zone of a licence issued by `municipality` in province `province` (INE code).
    pub fn of(municipality: &str, province: u32) -> Zone {
        let name = normalise(municipality);
        if name == "madrid" || name == "barcelona" {
            Zone::One
        } else if BIG_CITIES.contains(&name.as_str()) || METRO_PROVINCES.contains(&province) {
            Zone::Two
        } else if DENSE_PROVINCES.contains(&province) {
            Zone::Three
        } else {
            Zone::Four
        }
    }

    pub fn band(self) -> usize {
        self as usize
    }

    pub fn number(self) -> u8 {
        self as u8 + 1
    }
}

/// Lower case, accents removed, single spaces: "  Málaga " → "malaga".
pub fn normalise(text: &str) -> String {
    let folded: String = text
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            other => other,
        })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cities_and_provinces_pick_their_zone() {
        assert_eq!(Zone::of("Madrid", 28), Zone::One);
        assert_eq!(Zone::of(" barcelona ", 8), Zone::One);
        assert_eq!(Zone::of("Alcalá de Henares", 28), Zone::Two);
        assert_eq!(Zone::of("Málaga", 29), Zone::Two);
        assert_eq!(Zone::of("Marbella", 29), Zone::Three);
        assert_eq!(Zone::of("Soria", 42), Zone::Four);
    }
}
