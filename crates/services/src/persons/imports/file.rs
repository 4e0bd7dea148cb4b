//! Reading a registry file: its header line, and its records one at a
//! time, with bounds on what is held whatever the file holds.

use crate::{Error, Result};
use diwan_domain::persons::import_column;

/// The most of a refused line kept to show.
const MAX_CONTENT_CHARS: usize = 1000;
/// The header must lie within this many bytes of the start.
pub(super) const MAX_HEADER_BYTES: usize = 64 * 1024;

/// What a file's first line says: the delimiter and each column's field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub delimiter: u8,
    pub columns: Vec<String>,
    /// The byte after the header line (and a byte-order mark before it).
    pub end: usize,
}

/// Reads the header line at the start of `head`: a UTF-8 byte-order mark
/// is skipped, the delimiter is a semicolon when the line has more of them
/// than commas, and each column is named by [`import_column`]. `None` when
/// the line is not complete in `head`, not UTF-8, or lacks the national
/// number or the Arabic name.
pub fn read_header(head: &[u8]) -> Option<Header> {
    let bom = if head.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let rest = &head[bom..];
    let nl = rest.iter().position(|b| *b == b'\n')?;
    let line = std::str::from_utf8(&rest[..nl]).ok()?;
    let line = line.strip_suffix('\r').unwrap_or(line);
    let delimiter = if line.matches(';').count() > line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let columns: Vec<String> = split_line(line, delimiter)
        .iter()
        .map(|h| import_column(h).unwrap_or("").to_owned())
        .collect();
    for required in ["national_number", "name_ar"] {
        if !columns.iter().any(|c| c == required) {
            return None;
        }
    }
    Some(Header {
        delimiter,
        columns,
        end: bom + nl + 1,
    })
}

/// The fields of one line, quotes honoured (`"a;b"` is one field, `""` a
/// quote).
fn split_line(line: &str, delimiter: u8) -> Vec<String> {
    let d = delimiter as char;
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        let cur = out.last_mut().expect("one field at least");
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            '"' => quoted = !quoted,
            c if c == d && !quoted => out.push(String::new()),
            c => cur.push(c),
        }
    }
    out
}

/// The most bytes of lines one chunk holds, however long its lines.
pub(super) const MAX_CHUNK_BYTES: usize = 2 * 1024 * 1024;

/// The longest record read as one; a longer one (an unclosed quote) is
/// cut there and refused.
const MAX_RECORD_BYTES: usize = 64 * 1024;

/// Reads the next record, line break included: one line, or more while a
/// quoted field is open. Keeps at most [`MAX_RECORD_BYTES`] and one more of
/// it (a longer record is refused), whatever the file holds, and answers
/// how many bytes it took from the file. Counts the lines read into
/// `line`; `None` at the end of the file.
pub(super) async fn read_record<R: tokio::io::AsyncBufRead + Unpin>(
    reader: &mut R,
    line: &mut i64,
) -> Result<Option<(Vec<u8>, usize)>> {
    use tokio::io::AsyncBufReadExt;
    let broke = |e: std::io::Error| Error::Internal(format!("reading the file: {e}"));
    let mut raw = Vec::new();
    let mut consumed = 0;
    let mut quotes = 0;
    loop {
        let mut ended = false;
        loop {
            let buf = reader.fill_buf().await.map_err(broke)?;
            if buf.is_empty() {
                break;
            }
            let (take, found) = match buf.iter().position(|b| *b == b'\n') {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            let room = (MAX_RECORD_BYTES + 1).saturating_sub(raw.len());
            let kept = &buf[..take.min(room)];
            quotes += kept.iter().filter(|b| **b == b'"').count();
            raw.extend_from_slice(kept);
            reader.consume(take);
            consumed += take;
            if found {
                ended = true;
                *line += 1;
                break;
            }
        }
        if !ended || quotes % 2 == 0 || raw.len() > MAX_RECORD_BYTES {
            break;
        }
    }
    Ok((consumed > 0).then_some((raw, consumed)))
}

/// One record of the file, as read.
pub(super) struct Line {
    pub(super) number: i64,
    pub(super) cells: Vec<String>,
    pub(super) content: String,
    /// Whether the record was UTF-8 and whole.
    pub(super) utf8: bool,
}

impl Line {
    pub(super) fn read(number: i64, raw: &[u8], delimiter: u8) -> Line {
        let whole = raw.len() <= MAX_RECORD_BYTES;
        let (text, utf8) = match std::str::from_utf8(raw) {
            Ok(t) => (t.to_owned(), whole),
            Err(_) => (String::from_utf8_lossy(raw).into_owned(), false),
        };
        let text = text.trim_end_matches(['\r', '\n']);
        let content: String = text.chars().take(MAX_CONTENT_CHARS).collect();
        Line {
            number,
            cells: split_line(text, delimiter),
            content,
            utf8,
        }
    }

    /// The cells of the columns that hold `field`, not blank.
    pub(super) fn cells_of<'a>(
        &'a self,
        columns: &'a [String],
        field: &'a str,
    ) -> impl Iterator<Item = &'a str> {
        columns
            .iter()
            .zip(self.cells.iter())
            .filter(move |(c, _)| c.as_str() == field)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    pub(super) fn cell(&self, columns: &[String], field: &str) -> Option<String> {
        self.cells_of(columns, field).next().map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_is_read_with_its_delimiter_in_either_language() {
        let h =
            read_header("\u{FEFF}الرقم الوطني;الاسم;رقم الهاتف;ملاحظات\r\n1;2".as_bytes()).unwrap();
        assert_eq!(h.delimiter, b';');
        assert_eq!(h.columns, ["national_number", "name_ar", "mobile", ""]);
        assert_eq!(
            h.end,
            "\u{FEFF}الرقم الوطني;الاسم;رقم الهاتف;ملاحظات\r\n".len()
        );
        let h = read_header(b"national_number,\"name, ar\",mobile\n").unwrap();
        assert_eq!(h.delimiter, b',');
        assert_eq!(h.columns[1], "name_ar");
        assert!(
            read_header(b"name,mobile\n").is_none(),
            "no national number"
        );
        assert!(
            read_header(b"national_number,name").is_none(),
            "no complete line"
        );
    }

    #[tokio::test]
    async fn records_are_read_with_their_line_numbers_quotes_and_all() {
        let data: &[u8] = b"a;1\r\n\r\n\"b\nc\";2\nd;\"x;y\"\ne;5";
        let mut r = tokio::io::BufReader::new(data);
        let mut line = 2;
        let mut got = Vec::new();
        loop {
            let number = line;
            let Some((raw, _)) = read_record(&mut r, &mut line).await.unwrap() else {
                break;
            };
            if raw.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            let l = Line::read(number, &raw, b';');
            got.push((l.number, l.cells));
        }
        assert_eq!(
            got,
            [
                (2, vec!["a".to_owned(), "1".into()]),
                (4, vec!["b\nc".into(), "2".into()]),
                (6, vec!["d".into(), "x;y".into()]),
                (7, vec!["e".into(), "5".into()]),
            ]
        );
        let bad = Line::read(9, b"\xff;1\n", b';');
        assert!(!bad.utf8);
        // A line longer than a record may be is kept only so far, and what
        // follows it is read as usual.
        let mut long = vec![b'x'; 3 * MAX_RECORD_BYTES];
        long.extend_from_slice(b"\nnext;1\n");
        let mut r = tokio::io::BufReader::new(&long[..]);
        let mut line = 1;
        let (raw, taken) = read_record(&mut r, &mut line).await.unwrap().unwrap();
        assert_eq!(
            (raw.len(), taken, line),
            (MAX_RECORD_BYTES + 1, 3 * MAX_RECORD_BYTES + 1, 2)
        );
        assert!(!Line::read(1, &raw, b';').utf8, "refused");
        let (raw, _) = read_record(&mut r, &mut line).await.unwrap().unwrap();
        assert_eq!(raw, b"next;1\n");
    }
}
