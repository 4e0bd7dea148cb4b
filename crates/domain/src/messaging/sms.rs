//! How an SMS is encoded and how many parts it takes.
//!
//! A text goes as GSM-7 (3GPP TS 23.038's default alphabet, with its
//! extension table, whose characters take two septets) when every one of
//! its characters is in that alphabet, and as UCS-2 otherwise. A single
//! message holds 160 septets or 70 UTF-16 units; once split, each part
//! holds 153 or 67, the rest being the header that joins them. A character
//! outside the Basic Multilingual Plane (an emoji) is two UTF-16 units, and
//! neither such a pair nor an extension character is cut between parts.

use serde::Serialize;

/// The encoding a text is sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Gsm7 => "gsm7",
            Encoding::Ucs2 => "ucs2",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "gsm7" => Some(Encoding::Gsm7),
            "ucs2" => Some(Encoding::Ucs2),
            _ => None,
        }
    }

    /// Kannel's `coding` parameter: 0 for the default alphabet, 2 for UCS-2.
    pub fn kannel_coding(self) -> u8 {
        match self {
            Encoding::Gsm7 => 0,
            Encoding::Ucs2 => 2,
        }
    }

    /// Units one message holds alone, and each part of a split message.
    fn capacity(self) -> (usize, usize) {
        match self {
            Encoding::Gsm7 => (160, 153),
            Encoding::Ucs2 => (70, 67),
        }
    }
}

/// What sending a text costs in the network's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SmsCount {
    pub encoding: Encoding,
    /// Characters as people count them (Unicode scalar values).
    pub characters: usize,
    /// Septets (GSM-7) or UTF-16 units (UCS-2).
    pub units: usize,
    /// Parts the network bills; an empty text is one part.
    pub parts: usize,
}

/// The default alphabet, in its code order (0x1B, the escape, is left out).
const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The extension table: each is sent as the escape and a second septet.
const EXTENSION: &str = "\u{c}^{}\\[~]|€";

/// Septets a character takes in GSM-7, or `None` when it has none.
pub fn gsm7_septets(c: char) -> Option<usize> {
    if BASIC.contains(c) {
        Some(1)
    } else if EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Whether every character of `text` has a GSM-7 form.
pub fn is_gsm7(text: &str) -> bool {
    text.chars().all(|c| gsm7_septets(c).is_some())
}

/// The encoding `text` is sent in: GSM-7 when every character has a form
/// there, UCS-2 otherwise. Stops at the first character without one.
pub fn encoding(text: &str) -> Encoding {
    if is_gsm7(text) {
        Encoding::Gsm7
    } else {
        Encoding::Ucs2
    }
}

/// The encoding, length and parts of `text`.
pub fn count(text: &str) -> SmsCount {
    let encoding = encoding(text);
    let unit = |c: char| match encoding {
        Encoding::Gsm7 => gsm7_septets(c).unwrap_or(1),
        Encoding::Ucs2 => c.len_utf16(),
    };
    let units: usize = text.chars().map(unit).sum();
    let (single, each) = encoding.capacity();
    let parts = if units <= single {
        1
    } else {
        // Fill parts in order; a character that does not fit starts the next.
        let mut parts = 1;
        let mut used = 0;
        for c in text.chars() {
            let u = unit(c);
            if used + u > each {
                parts += 1;
                used = 0;
            }
            used += u;
        }
        parts
    };
    SmsCount {
        encoding,
        characters: text.chars().count(),
        units,
        parts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_alphabet_has_its_127_characters_and_10_extensions() {
        assert_eq!(BASIC.chars().count(), 127);
        assert_eq!(EXTENSION.chars().count(), 10);
    }

    #[test]
    fn latin_text_is_gsm7_and_counts_extensions_twice() {
        let c = count("Hello {world} €5");
        assert_eq!(c.encoding, Encoding::Gsm7);
        assert_eq!(c.characters, 16);
        assert_eq!(c.units, 19);
        assert_eq!(c.parts, 1);
    }

    #[test]
    fn gsm7_limits_are_160_then_153() {
        assert_eq!(count(&"a".repeat(160)).parts, 1);
        assert_eq!(count(&"a".repeat(161)).parts, 2);
        assert_eq!(count(&"a".repeat(306)).parts, 2);
        assert_eq!(count(&"a".repeat(307)).parts, 3);
    }

    #[test]
    fn an_extension_character_is_not_cut_between_parts() {
        // 152 septets then '€' (two) does not fit in the first part's 153.
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(9));
        let c = count(&text);
        assert_eq!(c.units, 163);
        assert_eq!(c.parts, 2);
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        assert_eq!(count(&text).units, 306);
        assert_eq!(count(&text).parts, 3);
    }

    #[test]
    fn arabic_is_ucs2_with_limits_70_then_67() {
        let c = count("مرحبا");
        assert_eq!(c.encoding, Encoding::Ucs2);
        assert_eq!(c.units, 5);
        assert_eq!(count(&"ب".repeat(70)).parts, 1);
        assert_eq!(count(&"ب".repeat(71)).parts, 2);
        assert_eq!(count(&"ب".repeat(134)).parts, 2);
        assert_eq!(count(&"ب".repeat(135)).parts, 3);
    }

    #[test]
    fn arabic_indic_digits_need_ucs2_and_an_emoji_counts_two() {
        let c = count("رقم ١٢٣ 😀");
        assert_eq!(c.encoding, Encoding::Ucs2);
        assert_eq!(c.characters, 9);
        assert_eq!(c.units, 10);
        // 69 units and an emoji: 71 units, two parts; the pair is not cut.
        let text = format!("{}😀", "ب".repeat(69));
        assert_eq!(count(&text).units, 71);
        assert_eq!(count(&text).parts, 2);
        let text = format!("{}😀{}", "ب".repeat(66), "ب".repeat(66));
        assert_eq!(count(&text).parts, 3);
    }

    #[test]
    fn one_character_outside_the_alphabet_turns_all_to_ucs2() {
        assert_eq!(count("price: 5 `").encoding, Encoding::Ucs2);
        assert_eq!(count("ç").encoding, Encoding::Ucs2);
        assert_eq!(count("Ç").encoding, Encoding::Gsm7);
        assert_eq!(count("").parts, 1);
    }

    proptest! {
        #[test]
        fn parts_hold_every_unit_and_no_more_than_needed(s in "\\PC{0,400}") {
            let c = count(&s);
            let (single, each) = c.encoding.capacity();
            if c.units <= single {
                prop_assert_eq!(c.parts, 1);
            } else {
                prop_assert!(c.parts * each >= c.units);
                // A part loses at most one unit to a character that did not fit.
                prop_assert!(c.units + c.parts > (c.parts - 1) * each);
            }
            prop_assert_eq!(c.encoding == Encoding::Gsm7, is_gsm7(&s));
        }
    }
}
