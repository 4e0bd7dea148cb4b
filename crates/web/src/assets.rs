//! Static files embedded in the binary.
//!
//! The stylesheet and the icon are compiled in with `include_bytes!` so that
//! a deployment is a single executable. Each file gets an entity tag derived
//! from its contents, computed once on first use, so the handler can answer
//! conditional requests with `304 Not Modified`.

use std::sync::OnceLock;

/// One embedded file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asset {
    /// The file name as it appears under `/static/`.
    pub name: &'static str,
    pub bytes: &'static [u8],
    /// The value for the `Content-Type` header.
    pub content_type: &'static str,
}

/// Every embedded file. Lookups are by exact name, so no request path can
/// reach anything that is not listed here.
const ASSETS: [Asset; 2] = [
    Asset {
        name: "diwan.css",
        bytes: include_bytes!("../static/diwan.css"),
        content_type: "text/css; charset=utf-8",
    },
    Asset {
        name: "favicon.svg",
        bytes: include_bytes!("../static/favicon.svg"),
        content_type: "image/svg+xml",
    },
];

/// The embedded file called `name` (for example "diwan.css"), with its
/// content type.
pub fn get(name: &str) -> Option<(&'static [u8], &'static str)> {
    asset(name).map(|asset| (asset.bytes, asset.content_type))
}

/// The embedded file called `name`.
pub fn asset(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.name == name)
}

/// The names of all embedded files.
pub fn names() -> impl Iterator<Item = &'static str> {
    ASSETS.iter().map(|asset| asset.name)
}

/// The strong entity tag of `name`, quoted and ready for the `ETag`
/// header (for example `"3f2a…"`).
pub fn etag(name: &str) -> Option<&'static str> {
    let index = ASSETS.iter().position(|asset| asset.name == name)?;
    tags().etags.get(index).map(String::as_str)
}

/// A short fingerprint of all embedded files together, suitable as a
/// cache-busting query (`/static/diwan.css?v=…`) or a build marker.
pub fn version() -> &'static str {
    &tags().version
}

struct Tags {
    etags: Vec<String>,
    version: String,
}

fn tags() -> &'static Tags {
    static TAGS: OnceLock<Tags> = OnceLock::new();
    TAGS.get_or_init(|| {
        let hashes: Vec<u64> = ASSETS.iter().map(|asset| fnv1a(asset.bytes)).collect();
        let etags = hashes
            .iter()
            .map(|hash| format!("\"{hash:016x}\""))
            .collect();
        // Hashing the per-file hashes changes the version whenever any
        // file changes.
        let combined: Vec<u8> = hashes.iter().flat_map(|hash| hash.to_le_bytes()).collect();
        let version = format!("{:016x}", fnv1a(&combined))[..10].to_owned();
        Tags { etags, version }
    })
}

/// 64-bit FNV-1a. The tags only need to change when the bytes change; no
/// adversary chooses these files, so a cryptographic hash would buy nothing.
fn fnv1a(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(PRIME)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_files_are_served_with_their_types() {
        let (css, css_type) = get("diwan.css").expect("stylesheet");
        assert!(css_type.starts_with("text/css"));
        assert!(!css.is_empty());
        let (svg, svg_type) = get("favicon.svg").expect("icon");
        assert_eq!(svg_type, "image/svg+xml");
        assert!(svg.starts_with(b"<svg"));
        assert_eq!(names().count(), 2);
    }

    #[test]
    fn unknown_names_are_refused() {
        for name in [
            "",
            "missing.css",
            "../Cargo.toml",
            "/diwan.css",
            "DIWAN.CSS",
        ] {
            assert!(get(name).is_none(), "{name}");
            assert!(etag(name).is_none(), "{name}");
        }
    }

    #[test]
    fn tags_are_stable_quoted_and_distinct() {
        let css = etag("diwan.css").unwrap();
        let svg = etag("favicon.svg").unwrap();
        assert_eq!(css, etag("diwan.css").unwrap());
        assert!(css.starts_with('"') && css.ends_with('"') && css.len() == 18);
        assert_ne!(css, svg);
        assert_eq!(version().len(), 10);
        // Published FNV-1a test vectors.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn stylesheet_is_small_and_direction_neutral() {
        let (css, _) = get("diwan.css").unwrap();
        // Under 10 KiB: one round trip on a weak connection, cached after.
        assert!(css.len() < 10 * 1024, "diwan.css is {} bytes", css.len());
        let css = std::str::from_utf8(css).unwrap();
        // Physical sides would break one of the two directions.
        for physical in [
            "-left", "-right", ": left", ": right", "\tleft:", " left:", " right:", "float:",
        ] {
            assert!(!css.contains(physical), "diwan.css uses {physical:?}");
        }
        for class in [
            ".card",
            ".badge-overdue",
            ".badge-due-soon",
            ".badge-state",
            ".muted",
            ".form-row",
            ".actions",
            ".flash-error",
            ".flash-ok",
            ".grid",
            ".stat",
            ".pager",
            ".visually-hidden",
            "table.list",
            ".table-wrap",
            ".field-error",
            ".button-secondary",
            ":focus-visible",
        ] {
            assert!(css.contains(class), "diwan.css lacks {class}");
        }
    }
}
