//! The SEPA character set: what every bank in the scheme must accept in a payment file.
//!
//! The EPC guarantees only `a-z A-Z 0-9 / - ? : ( ) . , ' +` and space; a bank may accept more
//! (Spanish banks usually take Ñ and Ç) but may also reject or mangle it, so files are written
//! in the basic set and names lose their accents on the way (`Muñoz` becomes `Munoz`).

/// Debtor and creditor names (AT-14, AT-03).
pub const NAME_MAX: usize = 70;
/// Unstructured remittance information (AT-22).
pub const REMITTANCE_MAX: usize = 140;
/// MsgId, PmtInfId, EndToEndId (AT-10) and the mandate reference (AT-01).
pub const ID_MAX: usize = 35;

/// Text in the SEPA set, at most `max_chars` characters: accents dropped, `&` as `+`, any
/// other character outside the set as a space, runs of spaces collapsed, no space at either
/// end.
pub fn text(input: &str, max_chars: usize) -> String {
    let mut folded = String::with_capacity(input.len());
    for c in input.chars() {
        fold(c, &mut folded);
    }
    let mut out = String::with_capacity(folded.len().min(max_chars));
    for word in folded.split(' ').filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    // Everything is ASCII by now, so a byte index is a character index.
    out.truncate(max_chars);
    out.truncate(out.trim_end().len());
    out
}

/// An identifier (MsgId, PmtInfId, EndToEndId, mandate reference) in the SEPA set, at most
/// `max_chars` characters. Spaces are dropped rather than replaced, as in an IBAN. The EPC
/// also forbids a `/` at either end and `//` anywhere (banks use `/` to delimit structured
/// references), so those slashes become `-`.
pub fn identifier(input: &str, max_chars: usize) -> String {
    let mut folded = String::with_capacity(input.len());
    for c in input.chars() {
        fold(c, &mut folded);
    }
    folded.retain(|c| c != ' ');
    folded.truncate(max_chars);
    let last = folded.len().saturating_sub(1);
    let mut out = String::with_capacity(folded.len());
    let mut previous = None;
    for (i, c) in folded.chars().enumerate() {
        let c = if c == '/' && (i == 0 || i == last || previous == Some('/')) {
            '-'
        } else {
            c
        };
        out.push(c);
        previous = Some(c);
    }
    out
}

/// Whether `c` is in the SEPA set.
pub fn is_allowed(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '/' | '-' | '?' | ':' | '(' | ')' | '.' | ',' | '\'' | '+' | ' '
        )
}

/// Appends the SEPA form of `c` (possibly nothing, possibly more than one character).
fn fold(c: char, out: &mut String) {
    if is_allowed(c) {
        out.push(c);
        return;
    }
    let replacement = match c {
        '\u{C0}'..='\u{FF}' => LATIN_1[c as usize - 0xC0],
        '\u{100}'..='\u{17F}' => LATIN_EXTENDED_A[c as usize - 0x100],
        // Romanian comma-below letters (Latin Extended-B).
        'Ș' => "S",
        'ș' => "s",
        'Ț' => "T",
        'ț' => "t",
        'ẞ' => "SS",
        // "C/ Mayor, 1º 2ª": the ordinal indicators are letters, and `°` is often typed for `º`.
        'ª' => "a",
        'º' | '°' => "o",
        '¹' => "1",
        '²' => "2",
        '³' => "3",
        '&' => "+",
        '_' => "-",
        '€' => "EUR",
        '‘' | '’' | '‚' | '‛' | '´' | '`' | 'ʼ' => "'",
        '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' => "-",
        // Text pasted from macOS or a PDF may carry accents as separate combining marks, and the
        // Catalan `l·l` must stay one word: these vanish instead of splitting words.
        '\u{300}'..='\u{36F}'
        | '·'
        | '\u{AD}'
        | '\u{200B}'..='\u{200D}'
        | '\u{2060}'
        | '\u{FEFF}' => "",
        _ => " ",
    };
    out.push_str(replacement);
}

#[rustfmt::skip]
const LATIN_1: [&str; 64] = [
    // ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏ
    "A", "A", "A", "A", "A", "A", "AE", "C", "E", "E", "E", "E", "I", "I", "I", "I",
    // ÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞß
    "D", "N", "O", "O", "O", "O", "O", " ", "O", "U", "U", "U", "U", "Y", "TH", "ss",
    // àáâãäåæçèéêëìíîï
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    // ðñòóôõö÷øùúûüýþÿ
    "d", "n", "o", "o", "o", "o", "o", " ", "o", "u", "u", "u", "u", "y", "th", "y",
];

#[rustfmt::skip]
const LATIN_EXTENDED_A: [&str; 128] = [
    // ĀāĂăĄąĆćĈĉĊċČčĎď
    "A", "a", "A", "a", "A", "a", "C", "c", "C", "c", "C", "c", "C", "c", "D", "d",
    // ĐđĒēĔĕĖėĘęĚěĜĝĞğ
    "D", "d", "E", "e", "E", "e", "E", "e", "E", "e", "E", "e", "G", "g", "G", "g",
    // ĠġĢģĤĥĦħĨĩĪīĬĭĮį
    "G", "g", "G", "g", "H", "h", "H", "h", "I", "i", "I", "i", "I", "i", "I", "i",
    // İıĲĳĴĵĶķĸĹĺĻļĽľĿ
    "I", "i", "IJ", "ij", "J", "j", "K", "k", "k", "L", "l", "L", "l", "L", "l", "L",
    // ŀŁłŃńŅņŇňŉŊŋŌōŎŏ
    "l", "L", "l", "N", "n", "N", "n", "N", "n", "n", "N", "n", "O", "o", "O", "o",
    // ŐőŒœŔŕŖŗŘřŚśŜŝŞş
    "O", "o", "OE", "oe", "R", "r", "R", "r", "R", "r", "S", "s", "S", "s", "S", "s",
    // ŠšŢţŤťŦŧŨũŪūŬŭŮů
    "S", "s", "T", "t", "T", "t", "T", "t", "U", "u", "U", "u", "U", "u", "U", "u",
    // ŰűŲųŴŵŶŷŸŹźŻżŽžſ
    "U", "u", "U", "u", "W", "w", "Y", "y", "Y", "Z", "z", "Z", "z", "Z", "z", "s",
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn drops_spanish_and_neighbouring_accents() {
        assert_eq!(
            text("Muñoz Ibáñez, Begoña; Peñíscola (Castelló)", 70),
            "Munoz Ibanez, Begona Peniscola (Castello)"
        );
        assert_eq!(
            text("ÁÉÍÓÚÜÑ áéíóúüñ àèìòù ç Ç", 70),
            "AEIOUUN aeiouun aeiou c C"
        );
        assert_eq!(
            text("Ourense, Xoán Fernández; São João", 70),
            "Ourense, Xoan Fernandez Sao Joao"
        );
        assert_eq!(
            text("Größe Übermaß Œuvre Ærø", 70),
            "Grosse Ubermass OEuvre AEro"
        );
        assert_eq!(text("âêîôû ëïÿ ãõ å ø", 70), "aeiou eiy ao a o");
    }

    #[test]
    fn maps_symbols() {
        assert_eq!(text("Pérez & Hijos, S.L.", 70), "Perez + Hijos, S.L.");
        assert_eq!(text("C/ Mayor, 1º 2ª", 70), "C/ Mayor, 1o 2a");
        assert_eq!(
            text("O’Donnell – recibo 12 €", 70),
            "O'Donnell - recibo 12 EUR"
        );
        assert_eq!(text("col·legi d'advocats", 70), "collegi d'advocats");
        assert_eq!(text("a<b>\"c\"@d#e;f", 70), "a b c d e f");
        assert_eq!(text("pol_2024", 70), "pol-2024");
    }

    #[test]
    fn keeps_words_together_when_accents_are_combining_marks() {
        assert_eq!(text("Jose\u{301} Mun\u{303}oz", 70), "Jose Munoz");
    }

    #[test]
    fn collapses_and_trims_spaces() {
        assert_eq!(
            text("  Ana \t\n  López\u{A0}\u{A0}García  ", 70),
            "Ana Lopez Garcia"
        );
        assert_eq!(text("", 70), "");
        assert_eq!(text("☃ ☃", 70), "");
    }

    #[test]
    fn truncates_by_characters_then_trims() {
        assert_eq!(text("Ñandú ágil", 5), "Nandu");
        assert_eq!(text("Ñandú ágil", 6), "Nandu");
        assert_eq!(text("Ñandú ágil", 7), "Nandu a");
        assert_eq!(text("abc", 0), "");
    }

    #[test]
    fn identifiers_have_no_spaces_and_no_stray_slashes() {
        assert_eq!(identifier(" POL 2024 / 0001 ", 35), "POL2024/0001");
        assert_eq!(identifier("/REC//2024/", 35), "-REC/-2024-");
        assert_eq!(identifier("a///b", 35), "a/-/b");
        assert_eq!(identifier("Recibo Nº 12 & 13", 35), "ReciboNo12+13");
        assert_eq!(identifier("ABC/DEF", 4), "ABC-");
        assert_eq!(identifier(&"x".repeat(50), ID_MAX).len(), 35);
    }

    proptest! {
        #[test]
        fn text_stays_in_the_set_and_within_the_limit(
            input in any::<String>(),
            max in 0usize..200,
        ) {
            let out = text(&input, max);
            prop_assert!(out.chars().all(is_allowed), "{out:?}");
            prop_assert!(out.chars().count() <= max);
            prop_assert!(!out.starts_with(' ') && !out.ends_with(' '));
            prop_assert!(!out.contains("  "));
        }

        #[test]
        fn text_of_accented_latin_keeps_every_letter(
            input in "[a-zA-ZñÑáéíóúÁÉÍÓÚüÜçÇàèòÀÈÒ]{0,60}",
        ) {
            prop_assert_eq!(text(&input, 200).len(), input.chars().count());
        }

        #[test]
        fn identifiers_follow_the_epc_rules(input in any::<String>(), max in 0usize..60) {
            let out = identifier(&input, max);
            prop_assert!(out.chars().all(|c| is_allowed(c) && c != ' '), "{out:?}");
            prop_assert!(out.chars().count() <= max);
            prop_assert!(
                !out.starts_with('/') && !out.ends_with('/') && !out.contains("//"),
                "{out:?}"
            );
        }
    }
}
