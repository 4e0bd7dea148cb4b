//! Reading what forms send: `application/x-www-form-urlencoded` bodies and
//! query strings (with repeated keys, which serde's form decoding does not
//! allow) and `multipart/form-data` with at most one file.

use axum::extract::Multipart;
use axum::http::StatusCode;
use chrono::NaiveDate;
use diwan_domain::Reason;
use uuid::Uuid;

/// The name/value pairs of a form or query string, in order.
#[derive(Debug, Clone, Default)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// Parses `a=1&b=x+y&c=%D8%A8`. Malformed escapes are kept as written.
    pub fn parse(raw: &[u8]) -> Fields {
        let pairs = raw
            .split(|b| *b == b'&')
            .filter(|p| !p.is_empty())
            .take(1000)
            .map(|p| {
                let (k, v) = match p.iter().position(|b| *b == b'=') {
                    Some(i) => (&p[..i], &p[i + 1..]),
                    None => (p, &b""[..]),
                };
                (decode(k), decode(v))
            })
            .collect();
        Fields(pairs)
    }

    pub fn from_query(q: Option<&str>) -> Fields {
        q.map(|q| Fields::parse(q.as_bytes())).unwrap_or_default()
    }

    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The first value of `name`, trimmed, when it is not blank.
    pub fn opt(&self, name: &str) -> Option<&str> {
        Some(self.get(name).trim()).filter(|v| !v.is_empty())
    }

    /// Every non-blank value of `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Whether a checkbox was ticked.
    pub fn checked(&self, name: &str) -> bool {
        matches!(self.get(name).trim(), "1" | "on" | "true" | "yes")
    }

    /// The pairs as an `application/x-www-form-urlencoded` string.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        for (k, v) in &self.0 {
            if !out.is_empty() {
                out.push('&');
            }
            encode_into(&mut out, k);
            out.push('=');
            encode_into(&mut out, v);
        }
        out
    }

    pub fn push(&mut self, name: &str, value: String) {
        self.0.push((name.to_owned(), value));
    }
}

fn encode_into(out: &mut String, s: &str) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes one component of a form body: `+` is a space, `%XX` a byte.
pub fn decode(s: &[u8]) -> String {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < s.len() => match (hex(s[i + 1]), hex(s[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    clean(String::from_utf8_lossy(&out).into_owned())
}

/// Every value a form sends is cleaned of control and bidirectional
/// override characters and bounded in length before any handler sees it.
fn clean(s: String) -> String {
    match diwan_domain::text::clean_input(&s) {
        std::borrow::Cow::Borrowed(_) => s,
        std::borrow::Cow::Owned(c) => c,
    }
}

/// A value, trimmed, when it is not blank.
pub fn given(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}

/// An identifier, when one is given; the reason when it is not one.
pub fn read_uuid(v: Option<&str>) -> Result<Option<Uuid>, Reason> {
    match given(v) {
        None => Ok(None),
        Some(s) => Uuid::parse_str(s)
            .map(Some)
            .map_err(|_| Reason::FieldInvalid),
    }
}

/// A yes or no (`1`, `true`, `on`, `yes` or `0`, `false`, `off`, `no`),
/// when one is given; the reason when it is neither.
pub fn read_bool(v: Option<&str>) -> Result<Option<bool>, Reason> {
    match given(v) {
        None => Ok(None),
        Some("1" | "true" | "on" | "yes") => Ok(Some(true)),
        Some("0" | "false" | "off" | "no") => Ok(Some(false)),
        Some(_) => Err(Reason::FieldInvalid),
    }
}

/// A day (YYYY-MM-DD, any digits), when one is given; the reason when it
/// is not one.
pub fn read_day(v: Option<&str>) -> Result<Option<NaiveDate>, Reason> {
    match given(v) {
        None => Ok(None),
        Some(s) => diwan_domain::calendar::parse_date(s)
            .map(Some)
            .map_err(|_| Reason::DateInvalid),
    }
}

/// A file sent with a form.
pub use diwan_services::cases::Upload;

/// What a multipart form sent. Reading stops at the first broken part; the
/// fields read until then are kept so that the form can be shown again.
#[derive(Debug, Default)]
pub struct MultipartForm {
    pub fields: Fields,
    pub file: Option<Upload>,
    /// The body was larger than the server accepts.
    pub too_large: bool,
    /// The body was not a readable multipart form.
    pub broken: bool,
}

/// Reads a multipart form whose file input is called `file`. An empty file
/// input (no file chosen) gives no upload.
pub async fn read_multipart(mp: Option<Multipart>) -> MultipartForm {
    let mut out = MultipartForm::default();
    let Some(mut mp) = mp else {
        out.broken = true;
        return out;
    };
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                mark(&mut out, e.status());
                break;
            }
        };
        let name = field.name().unwrap_or("").to_owned();
        if name == "file" {
            let filename = clean(field.file_name().unwrap_or("").to_owned());
            match field.bytes().await {
                Ok(data) => {
                    if !filename.is_empty() || !data.is_empty() {
                        out.file = Some(Upload {
                            filename,
                            data,
                            truncated: false,
                        });
                    }
                }
                Err(e) => {
                    mark(&mut out, e.status());
                    break;
                }
            }
        } else {
            match field.text().await {
                Ok(v) => out.fields.push(&name, clean(v)),
                Err(e) => {
                    mark(&mut out, e.status());
                    break;
                }
            }
        }
        if out.fields.0.len() > 200 {
            out.broken = true;
            break;
        }
    }
    out
}

impl MultipartForm {
    /// The file sent, as the services take it: one cut off at the size
    /// limit is marked so.
    pub fn upload(&self) -> Option<Upload> {
        if self.too_large {
            return Some(Upload {
                truncated: true,
                ..Upload::default()
            });
        }
        self.file.clone()
    }
}

fn mark(out: &mut MultipartForm, status: StatusCode) {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        out.too_large = true;
    } else {
        out.broken = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_forms() {
        let f = Fields::parse(b"a=1&b=x+y&c=%D8%A8&state=draft&state=routed&empty=&flag&bad=%zz%4");
        assert_eq!(f.get("a"), "1");
        assert_eq!(f.get("b"), "x y");
        assert_eq!(f.get("c"), "ب");
        assert_eq!(f.all("state").collect::<Vec<_>>(), ["draft", "routed"]);
        assert_eq!(f.opt("empty"), None);
        assert_eq!(f.get("flag"), "");
        assert_eq!(f.get("bad"), "%zz%4");
        assert_eq!(f.get("missing"), "");
        assert!(Fields::parse(b"x=on").checked("x"));
        assert!(!Fields::parse(b"x=0").checked("x"));
        assert_eq!(decode(b"%"), "%");
        assert_eq!(decode(b"%4"), "%4");
        assert_eq!(decode(b"%41"), "A");
        // Values are cleaned as they are decoded, and encode back losslessly.
        let f = Fields::parse(b"name=a%00b%E2%80%AEc&q=%D8%A8+x%26y");
        assert_eq!(f.get("name"), "abc");
        assert_eq!(Fields::parse(f.encode().as_bytes()).0, f.0);
    }
}
