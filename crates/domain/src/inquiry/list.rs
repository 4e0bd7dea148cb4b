//! An inquiry's audience given as a list: a file or a pasted text with a
//! person of the registry on each line, named by national number or by
//! mobile number, however a spreadsheet exported them (a cell among others,
//! separated by commas, semicolons or tabs; quoted; Arabic-Indic digits; a
//! header line).

use crate::persons::{Mobile, NationalNumber};
use crate::Reason;

/// The longest line kept to show back, in characters.
pub const MAX_SHOWN_CHARS: usize = 80;

/// What a line names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListEntry {
    NationalNumber(NationalNumber),
    Mobile(Mobile),
}

impl ListEntry {
    /// The number as the registry keeps it: twelve digits, or E.164.
    pub fn key(&self) -> &str {
        match self {
            ListEntry::NationalNumber(n) => n.as_str(),
            ListEntry::Mobile(m) => m.as_str(),
        }
    }
}

/// One line of a list, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListLine {
    /// Its number in the file, from 1.
    pub line: usize,
    /// What it holds, cut to [`MAX_SHOWN_CHARS`], to show back.
    pub content: String,
    pub entry: Result<ListEntry, Reason>,
}

fn cells(line: &str) -> impl Iterator<Item = &str> {
    line.split([',', ';', '\t', '\u{060C}', '|'])
        .map(|c| c.trim().trim_matches('"').trim())
        .filter(|c| !c.is_empty())
}

/// What one line names: the first of its cells that reads as a national
/// number, or else the first that reads as a mobile number.
fn entry(line: &str) -> Result<ListEntry, Reason> {
    if let Some(n) = cells(line).find_map(|c| NationalNumber::parse(c).ok()) {
        return Ok(ListEntry::NationalNumber(n));
    }
    cells(line)
        .filter(|c| c.chars().any(|ch| ch.is_numeric()))
        .find_map(|c| Mobile::parse(c).ok())
        .map(ListEntry::Mobile)
        .ok_or(Reason::InquiryListEntryUnread)
}

/// The lines of `text` with something on them, each read; a first line
/// without a digit is a header and skipped.
pub fn read(text: &str) -> impl Iterator<Item = ListLine> + '_ {
    text.trim_start_matches('\u{feff}')
        .lines()
        .enumerate()
        .filter(|(at, l)| !l.trim().is_empty() && (*at != 0 || l.chars().any(char::is_numeric)))
        .map(|(at, l)| ListLine {
            line: at + 1,
            content: l
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_SHOWN_CHARS)
                .collect(),
            entry: entry(l),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_name_persons_by_national_number_or_mobile_in_any_cell() {
        let text = "\u{feff}الاسم;الرقم الوطني;الهاتف\n\
                    سالم;119850012345;0912345678\n\
                    \"091 234 5679\"\n\
                    \n\
                    ٢١٩٩٠٠٠١٢٣٤٥\n\
                    سالم علي\n\
                    +33612345678,x\n";
        let lines: Vec<ListLine> = read(text).collect();
        let got: Vec<(usize, Result<&str, Reason>)> = lines
            .iter()
            .map(|l| (l.line, l.entry.as_ref().map(|e| e.key()).map_err(|r| *r)))
            .collect();
        assert_eq!(
            got,
            [
                (2, Ok("119850012345")),
                (3, Ok("+218912345679")),
                (5, Ok("219900012345")),
                (6, Err(Reason::InquiryListEntryUnread)),
                (7, Ok("+33612345678")),
            ]
        );
        assert_eq!(lines[3].content, "سالم علي");
    }

    #[test]
    fn a_first_line_with_digits_is_read_and_a_long_line_is_cut_to_show() {
        let long = format!("0912345678,{}", "x".repeat(500));
        let lines: Vec<ListLine> = read(&long).collect();
        assert_eq!(lines.len(), 1);
        assert!(lines[0].entry.is_ok());
        assert_eq!(lines[0].content.chars().count(), MAX_SHOWN_CHARS);
    }
}
