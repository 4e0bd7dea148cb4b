//! Attachments: checked by their magic bytes against an allow-list, hashed
//! with SHA-256, kept in the object store (a local directory by default, or
//! S3-compatible storage), and served only to those who may see the case.

use super::{facts, Effects};
use crate::audit::{entry, record};
use crate::{Caller, Error, Result, Services};
use bytes::Bytes;
use diwan_domain::cases::workflow::Scope;
use diwan_domain::Reason;
use diwan_domain::{DomainError, ErrorCode};
use diwan_store::Attachment;
use object_store::path::Path as ObjectPath;
pub use object_store::GetResult;
use object_store::{ObjectStore, PutPayload};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The content types accepted, as recognized from the file's first bytes.
pub const ALLOWED_TYPES: &[&str] = &[
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/tiff",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
];

/// Recognizes a file's type from its content, never from its name.
pub fn sniff(data: &[u8]) -> Option<&'static str> {
    let t = infer::get(data)?.mime_type();
    // Old Office formats share one container; infer names them by the container.
    let t = if t == "application/x-ole-storage" {
        "application/msword"
    } else {
        t
    };
    ALLOWED_TYPES.iter().copied().find(|a| *a == t)
}

/// The file name extensions that go with a detected type; the first is the
/// one given to a name that has none of them. Old Office formats share one
/// container, so any of their extensions goes with it.
fn extensions_of(content_type: &str) -> &'static [&'static str] {
    match content_type {
        "application/pdf" => &["pdf"],
        "image/jpeg" => &["jpg", "jpeg"],
        "image/png" => &["png"],
        "image/gif" => &["gif"],
        "image/webp" => &["webp"],
        "image/tiff" => &["tif", "tiff"],
        "application/msword" => &["doc", "xls", "ppt"],
        "application/vnd.ms-excel" => &["xls"],
        "application/vnd.ms-powerpoint" => &["ppt"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => &["docx"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => &["xlsx"],
        "application/vnd.openxmlformats-officedocument.presentationml.presentation" => &["pptx"],
        "application/vnd.oasis.opendocument.text" => &["odt"],
        "application/vnd.oasis.opendocument.spreadsheet" => &["ods"],
        "application/vnd.oasis.opendocument.presentation" => &["odp"],
        _ => &["bin"],
    }
}

/// A file name safe to store and show: no directories, no control or
/// bidirectional override characters (which can make "invoice\u{202E}fdp.hta"
/// display as "invoiceath.pdf"), none of the characters file systems refuse,
/// and an extension that matches the type detected from the content.
fn clean_filename(name: &str, content_type: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| {
            !diwan_domain::text::is_forbidden_char(*c)
                && !c.is_control()
                && !matches!(c, '"' | '<' | '>' | '|' | ':' | '*' | '?')
        })
        .take(150)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    let allowed = extensions_of(content_type);
    let (stem, ext) = match cleaned.rsplit_once('.') {
        Some((stem, ext)) => (stem.trim(), ext.to_lowercase()),
        None => (cleaned, String::new()),
    };
    if allowed.contains(&ext.as_str()) && !stem.is_empty() {
        return format!("{stem}.{ext}");
    }
    let stem = if stem.is_empty() { "file" } else { stem };
    format!("{stem}.{}", allowed[0])
}

/// A file as it arrives with a request, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct Upload {
    pub filename: String,
    pub data: Bytes,
    /// The file went past the size limit and was cut off on arrival.
    pub truncated: bool,
}

/// A file checked and written to the object store, whose record waits for
/// its use case to commit.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub id: Uuid,
    pub case_id: Uuid,
    pub filename: String,
    pub content_type: &'static str,
    pub size: i64,
    pub sha256: String,
    pub key: String,
}

impl Services {
    /// Checks an upload's size and type, from its content; nothing is stored.
    pub(crate) fn check_upload(&self, up: &Upload) -> Result<&'static str> {
        if up.truncated || up.data.len() > self.config.max_attachment_bytes {
            return Err(DomainError::new(ErrorCode::PayloadTooLarge)
                .with("file", Reason::FileTooLarge)
                .into());
        }
        if up.data.is_empty() {
            return Err(Error::invalid("file", Reason::FileEmpty));
        }
        sniff(&up.data).ok_or_else(|| {
            Error::Domain(
                DomainError::new(ErrorCode::UnsupportedMediaType)
                    .with("file", Reason::FileTypeNotAllowed),
            )
        })
    }

    /// Checks an upload and writes it to the object store, before the
    /// transaction that records it (so that no transaction waits on file
    /// storage); [`Services::remove_files`] takes it away again if that
    /// transaction does not commit.
    pub(crate) async fn store_file(
        &self,
        _caller: &Caller,
        case_id: Uuid,
        up: Upload,
    ) -> Result<Stored> {
        let content_type = self.check_upload(&up)?;
        let id = Uuid::now_v7();
        let key = format!("cases/{case_id}/{id}");
        let stored = Stored {
            id,
            case_id,
            filename: clean_filename(&up.filename, content_type),
            content_type,
            size: up.data.len() as i64,
            sha256: hex::encode(Sha256::digest(&up.data)),
            key,
        };
        self.files
            .put(
                &ObjectPath::from(stored.key.as_str()),
                PutPayload::from_bytes(up.data),
            )
            .await?;
        Ok(stored)
    }

    /// Removes files whose records were not committed, so that none is left
    /// behind without one.
    pub(crate) async fn remove_files(&self, files: &[Stored]) {
        for f in files {
            if let Err(e) = self.files.delete(&ObjectPath::from(f.key.as_str())).await {
                tracing::warn!(key = %f.key, error = %e, "an uncommitted file could not be removed");
            }
        }
    }

    /// Adds the record of a stored file, and its audit record, to `fx`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn attach_stored(
        &self,
        caller: &Caller,
        case: &diwan_store::Case,
        f: &Stored,
        internal: bool,
        message_id: Option<Uuid>,
        at: chrono::DateTime<chrono::Utc>,
        fx: &mut Effects,
    ) {
        let a = Attachment {
            id: f.id,
            case_id: case.id,
            message_id,
            filename: f.filename.clone(),
            content_type: f.content_type.to_owned(),
            size: f.size,
            sha256: f.sha256.clone(),
            storage_key: f.key.clone(),
            uploaded_by: caller.user_id,
            internal,
            at,
        };
        fx.audit.push(entry(
            Some(caller),
            at,
            "attachment.add",
            "case",
            Some(case.id.to_string()),
            json!({"attachment_id": a.id, "sha256": a.sha256, "size": a.size, "content_type": a.content_type, "message_id": a.message_id}),
        ));
        fx.attachments.push(a);
    }

    /// Attaches a file to a case the caller may act on, in one transaction
    /// with its audit record.
    pub async fn add_attachment(
        &self,
        caller: &Caller,
        case_id: Uuid,
        up: Upload,
        internal: bool,
    ) -> Result<Attachment> {
        if !caller.can_write() {
            return Err(Error::forbidden());
        }
        // Nothing is stored for a case the caller may not attach to: checked
        // first on what the case is now, and again, for good, in the
        // transaction that records the file.
        {
            let mut tx = self.store.read().await?;
            let case = tx.get_case(case_id).await?.ok_or_else(Error::not_found)?;
            may_attach(caller, &case, internal)?;
        }
        // The rest runs to its end even if the caller stops waiting (a
        // client that drops its connection), so that a stored file whose
        // record does not commit is still removed.
        let (services, caller) = (self.clone(), caller.clone());
        tokio::spawn(async move {
            let stored = services.store_file(&caller, case_id, up).await?;
            let saved = services.record_attachment(&caller, &stored, internal).await;
            if saved.is_err() {
                services.remove_files(std::slice::from_ref(&stored)).await;
            }
            saved
        })
        .await
        .map_err(|e| Error::Internal(format!("an upload stopped: {e}")))?
    }

    async fn record_attachment(
        &self,
        caller: &Caller,
        f: &Stored,
        internal: bool,
    ) -> Result<Attachment> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let case = tx.get_case(f.case_id).await?.ok_or_else(Error::not_found)?;
        may_attach(caller, &case, internal)?;
        let mut fx = Effects::default();
        self.attach_stored(caller, &case, f, internal, None, now, &mut fx);
        let a = fx.attachments[0].clone();
        fx.write(&mut *tx).await?;
        tx.commit().await?;
        Ok(a)
    }

    /// Opens an attachment for download, authorized exactly as its case is.
    pub async fn open_attachment(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<(Attachment, GetResult)> {
        let mut tx = self.store.begin().await?;
        let a = tx.get_attachment(id).await?.ok_or_else(Error::not_found)?;
        let case = tx.get_case(a.case_id).await?.ok_or_else(Error::not_found)?;
        if !Scope::for_actor(&caller.actor()).can_see(&facts(&case))
            || (a.internal && caller.role.is_municipal())
        {
            return Err(Error::not_found());
        }
        record(
            &mut *tx,
            Some(caller),
            self.now(),
            "attachment.download",
            "case",
            Some(case.id.to_string()),
            json!({"attachment_id": a.id}),
        )
        .await?;
        tx.commit().await?;
        let got = self
            .files
            .get(&ObjectPath::from(a.storage_key.as_str()))
            .await?;
        Ok((a, got))
    }
}

/// Whether `caller` may attach a file to `case`: a case they can see, not
/// finished, theirs as filer or the ministry's side; internal files only
/// from the ministry's side.
fn may_attach(caller: &Caller, case: &diwan_store::Case, internal: bool) -> Result<()> {
    if !Scope::for_actor(&caller.actor()).can_see(&facts(case)) {
        return Err(Error::not_found());
    }
    let finished = case.clock == diwan_domain::cases::workflow::Clock::Stopped;
    let filer = case.filer_org_id == caller.org_id;
    let ministry_side = !caller.role.is_municipal();
    if finished || (internal && !ministry_side) || !(filer || ministry_side) {
        return Err(Error::forbidden());
    }
    Ok(())
}

/// Opens the file store named by `url`: a local directory path, `file://…`,
/// or `s3://bucket` (credentials and endpoint from the usual AWS_* variables).
pub fn open_file_store(url: &str) -> Result<std::sync::Arc<dyn ObjectStore>> {
    if let Some(bucket) = url.strip_prefix("s3://") {
        let s = object_store::aws::AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .build()?;
        return Ok(std::sync::Arc::new(s));
    }
    let path = url.strip_prefix("file://").unwrap_or(url);
    std::fs::create_dir_all(path)
        .map_err(|e| Error::Internal(format!("cannot create {path}: {e}")))?;
    Ok(std::sync::Arc::new(
        object_store::local::LocalFileSystem::new_with_prefix(path)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognizes_allowed_types_by_content() {
        assert_eq!(
            sniff(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"),
            Some("application/pdf")
        );
        assert_eq!(
            sniff(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D]),
            Some("image/png")
        );
        assert_eq!(
            sniff(b"MZ\x90\x00\x03\x00\x00\x00"),
            None,
            "a Windows program is refused"
        );
        assert_eq!(sniff(b"<html><script>alert(1)</script>"), None);
        assert_eq!(sniff(b"plain text"), None);
    }

    #[test]
    fn file_names_lose_paths_and_controls() {
        let pdf = "application/pdf";
        assert_eq!(clean_filename("../../etc/passwd", pdf), "passwd.pdf");
        assert_eq!(clean_filename("C:\\docs\\تقرير.pdf", pdf), "تقرير.pdf");
        assert_eq!(clean_filename("a\u{0}b\n.pdf", pdf), "ab.pdf");
        assert_eq!(clean_filename("", pdf), "file.pdf");
        assert_eq!(clean_filename(".pdf", pdf), "pdf.pdf");
    }

    #[test]
    fn file_names_lose_bidi_overrides_and_take_the_detected_extension() {
        let pdf = "application/pdf";
        // Shown as "invoiceath.pdf" with the override; it is an .hta file name.
        assert_eq!(
            clean_filename("invoice\u{202E}fdp.hta", pdf),
            "invoicefdp.pdf"
        );
        assert_eq!(clean_filename("x\u{2067}y.PDF", pdf), "xy.pdf");
        assert_eq!(clean_filename("photo.jpeg", "image/jpeg"), "photo.jpeg");
        assert_eq!(clean_filename("photo.png", "image/jpeg"), "photo.jpg");
        assert_eq!(clean_filename("scan", "image/tiff"), "scan.tif");
        assert_eq!(clean_filename("تقرير مالي.exe", pdf), "تقرير مالي.pdf");
    }
}
