//! Reading an SMS reply to an inquiry's question, leniently: digits in
//! any of the sets people type (١, ۱, 1), the words for yes and no in
//! Arabic, English and French, an option's name instead of its number,
//! stray spaces and punctuation, and the inquiry's short code anywhere in
//! the reply when a person has several inquiries open.

use super::{Answer, Question, QuestionKind, MAX_FREE_TEXT_CHARS};
use crate::text::{is_forbidden_char, search_terms};

/// Words read as yes, normalized for search (alef forms folded).
const YES: &[&str] = &["نعم", "ايوه", "ايوا", "اي", "ايه", "yes", "y", "oui"];
/// Words read as no.
const NO: &[&str] = &["لا", "كلا", "no", "n", "non"];

/// Letters short codes are made of: Latin capitals a basic phone types,
/// without those read as digits (I, O, S, Z, B, G).
const CODE_LETTERS: &str = "ACDEFHJKLMNPQRTUVWXY";

/// The short code number `n` (0, 1, …) names: a letter and a digit, `A1`,
/// `A2`, …; 200 of them.
pub fn code_for(n: usize) -> Option<String> {
    let letter = CODE_LETTERS.chars().nth(n / 9)?;
    Some(format!("{letter}{}", n % 9 + 1))
}

/// Whether `token` (normalized, lower case) is a short code.
fn is_code(token: &str) -> bool {
    let mut c = token.chars();
    matches!(
        (c.next(), c.next(), c.next()),
        (Some(l), Some(d), None) if CODE_LETTERS.contains(l.to_ascii_uppercase()) && ('1'..='9').contains(&d)
    )
}

/// A reply split: the short code it names (upper case), if any, and its
/// other words, normalized, with digits parted from the letters they touch
/// (`رقم2` reads as `رقم 2`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: Option<String>,
    pub words: Vec<String>,
    /// The reply as sent, for a free-text answer.
    pub text: String,
}

impl Reply {
    pub fn read(text: &str) -> Reply {
        let mut code = None;
        let mut words = Vec::new();
        for term in search_terms(text) {
            for t in term.split('-').filter(|t| !t.is_empty()) {
                if code.is_none() && is_code(t) {
                    code = Some(t.to_ascii_uppercase());
                    continue;
                }
                // Part digits from letters.
                let mut word = String::new();
                let mut digits = None;
                for c in t.chars() {
                    let d = c.is_ascii_digit();
                    if digits.is_some_and(|was| was != d) {
                        words.push(std::mem::take(&mut word));
                    }
                    digits = Some(d);
                    word.push(c);
                }
                if !word.is_empty() {
                    words.push(word);
                }
            }
        }
        Reply {
            code,
            words,
            text: text
                .trim()
                .chars()
                .filter(|c| !is_forbidden_char(*c))
                .take(MAX_FREE_TEXT_CHARS)
                .collect(),
        }
    }

    /// Without the short code, a free-text answer's own words.
    fn free_text(&self) -> String {
        match &self.code {
            None => self.text.clone(),
            Some(code) => {
                let lower = code.to_ascii_lowercase();
                self.text
                    .split_whitespace()
                    .filter(|w| !w.eq_ignore_ascii_case(code) && *w != lower)
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        }
    }
}

/// The answer `reply` gives to `q`, or `None` when it cannot be read as
/// one (nothing recognised, or two answers at once).
pub fn answer(q: &Question, reply: &Reply) -> Option<Answer> {
    let numbers: Vec<u8> = {
        let mut n: Vec<u8> = reply
            .words
            .iter()
            .filter_map(|w| w.parse::<u8>().ok())
            .collect();
        n.sort();
        n.dedup();
        n
    };
    let one_number = |max: usize| match numbers.as_slice() {
        [n] if (1..=max).contains(&(*n as usize)) => Some(*n),
        _ => None,
    };
    match q.kind {
        QuestionKind::FreeText => {
            let t = reply.free_text();
            (!t.trim().is_empty()).then(|| Answer::Text(t.trim().to_owned()))
        }
        QuestionKind::Scale => one_number(5).map(Answer::Number),
        QuestionKind::YesNo => {
            let yes = reply.words.iter().any(|w| YES.contains(&w.as_str())) || numbers == [1];
            let no = reply.words.iter().any(|w| NO.contains(&w.as_str())) || numbers == [2];
            match (yes, no) {
                (true, false) => Some(Answer::Yes),
                (false, true) => Some(Answer::No),
                _ => None,
            }
        }
        QuestionKind::SingleChoice => {
            if !numbers.is_empty() {
                return one_number(q.options.len()).map(Answer::Number);
            }
            // An option's name instead of its number.
            let said = reply.words.join(" ");
            let named: Vec<usize> = q
                .options
                .iter()
                .enumerate()
                .filter(|(_, o)| search_terms(o).join(" ") == said)
                .map(|(i, _)| i + 1)
                .collect();
            match named.as_slice() {
                [i] => Some(Answer::Number(*i as u8)),
                _ => None,
            }
        }
    }
}

/// Which of a person's open inquiries a reply is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matched<T> {
    One(T),
    /// Several are open and the reply names none of them.
    Several,
    /// None is open.
    None,
}

/// Matches a reply's short code against the open inquiries (each with its
/// code): the one it names; the only one open when it names none (or one
/// not open); several when more are open and it names none.
pub fn match_open<T: Clone>(open: &[(String, T)], code: Option<&str>) -> Matched<T> {
    if let Some(c) = code {
        if let Some((_, t)) = open.iter().find(|(k, _)| k.eq_ignore_ascii_case(c)) {
            return Matched::One(t.clone());
        }
    }
    match open {
        [] => Matched::None,
        [(_, t)] => Matched::One(t.clone()),
        _ => Matched::Several,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messaging::template::Texts;
    use proptest::prelude::*;

    fn q(kind: QuestionKind, options: &[&str]) -> Question {
        Question {
            kind,
            text: Texts {
                ar: "؟".into(),
                en: None,
                fr: None,
            },
            options: options.iter().map(|o| (*o).to_owned()).collect(),
        }
    }

    fn read(kind: QuestionKind, options: &[&str], text: &str) -> Option<Answer> {
        answer(&q(kind, options), &Reply::read(text))
    }

    #[test]
    fn yes_and_no_in_three_languages_and_as_numbers() {
        use QuestionKind::YesNo;
        for yes in [
            "نعم",
            " نعم! ",
            "Yes",
            "OUI",
            "1",
            "١",
            "۱",
            "نعم، أوافق",
            "أيوه",
        ] {
            assert_eq!(read(YesNo, &[], yes), Some(Answer::Yes), "{yes}");
        }
        for no in ["لا", "no.", "Non", "2", "٢", "لا أوافق"] {
            assert_eq!(read(YesNo, &[], no), Some(Answer::No), "{no}");
        }
        for neither in ["نعم لا", "ربما", "", "3", "١ ٢"] {
            assert_eq!(read(YesNo, &[], neither), None, "{neither}");
        }
    }

    #[test]
    fn options_by_number_in_any_digits_or_by_name() {
        use QuestionKind::SingleChoice;
        let o = ["مدرسة", "مستشفى", "طريق"];
        assert_eq!(read(SingleChoice, &o, "٢"), Some(Answer::Number(2)));
        assert_eq!(read(SingleChoice, &o, " (3). "), Some(Answer::Number(3)));
        assert_eq!(read(SingleChoice, &o, "رقم٢"), Some(Answer::Number(2)));
        assert_eq!(
            read(SingleChoice, &o, "2 2"),
            Some(Answer::Number(2)),
            "said twice"
        );
        assert_eq!(
            read(SingleChoice, &o, "مدرسه"),
            Some(Answer::Number(1)),
            "its name, taa marbuta folded"
        );
        assert_eq!(read(SingleChoice, &o, "4"), None, "no fourth option");
        assert_eq!(read(SingleChoice, &o, "1 2"), None, "two answers");
        assert_eq!(read(SingleChoice, &o, "جسر"), None);
        assert_eq!(read(QuestionKind::Scale, &[], "٥"), Some(Answer::Number(5)));
        assert_eq!(read(QuestionKind::Scale, &[], "6"), None);
    }

    #[test]
    fn the_short_code_is_found_anywhere_and_left_out_of_the_answer() {
        let r = Reply::read("k4 ٢");
        assert_eq!(r.code.as_deref(), Some("K4"));
        assert_eq!(answer(&q(QuestionKind::YesNo, &[]), &r), Some(Answer::No));
        let r = Reply::read("نعم K4");
        assert_eq!(r.code.as_deref(), Some("K4"));
        assert_eq!(
            answer(
                &q(QuestionKind::FreeText, &[]),
                &Reply::read("K4 نريد مدرسة")
            ),
            Some(Answer::Text("نريد مدرسة".into()))
        );
        assert_eq!(Reply::read("O1").code, None, "O is not a code letter");
        assert_eq!(code_for(0).as_deref(), Some("A1"));
        assert_eq!(code_for(9).as_deref(), Some("C1"));
        assert_eq!(code_for(179).as_deref(), Some("Y9"));
        assert_eq!(code_for(180), None);
        let codes: std::collections::HashSet<String> = (0..180).filter_map(code_for).collect();
        assert_eq!(codes.len(), 180);
        assert!(codes.iter().all(|c| is_code(&c.to_ascii_lowercase())));
    }

    #[test]
    fn a_reply_goes_to_the_inquiry_it_names_or_the_only_one_open() {
        let open = vec![("A1".to_owned(), 1), ("C3".to_owned(), 2)];
        assert_eq!(match_open(&open, Some("c3")), Matched::One(2));
        assert_eq!(match_open(&open, None), Matched::Several);
        assert_eq!(match_open(&open, Some("D4")), Matched::Several);
        assert_eq!(match_open(&open[..1], None), Matched::One(1));
        assert_eq!(match_open(&open[..1], Some("D4")), Matched::One(1));
        assert_eq!(match_open::<i32>(&[], Some("A1")), Matched::None);
    }

    proptest! {
        /// No reply makes reading panic, and an answer read always fits
        /// its question.
        #[test]
        fn any_reply_reads_to_a_fitting_answer_or_none(text in "\\PC{0,40}") {
            for (kind, options) in [
                (QuestionKind::YesNo, vec![]),
                (QuestionKind::Scale, vec![]),
                (QuestionKind::SingleChoice, vec!["أ", "ب"]),
                (QuestionKind::FreeText, vec![]),
            ] {
                let question = q(kind, &options);
                if let Some(a) = answer(&question, &Reply::read(&text)) {
                    prop_assert!(a.fits(&question), "{a:?} for {kind:?}");
                }
            }
        }

        /// A number typed in any digit set, with punctuation around it,
        /// reads as that number.
        #[test]
        fn numbers_read_in_every_digit_set(n in 1u8..=5, set in 0usize..3, pad in "[ .!؟،()]{0,3}") {
            let digit = match set {
                0 => char::from(b'0' + n),
                1 => char::from_u32(0x0660 + n as u32).unwrap(),
                _ => char::from_u32(0x06F0 + n as u32).unwrap(),
            };
            let text = format!("{pad}{digit}{pad}");
            prop_assert_eq!(read(QuestionKind::Scale, &[], &text), Some(Answer::Number(n)));
        }
    }
}
