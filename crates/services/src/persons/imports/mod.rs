//! Importing persons from a CSV file: the file is streamed to the file
//! store as it arrives, its header read, and a job queued; a worker reads
//! the file a chunk of lines at a time, never the whole of it, and commits
//! each chunk with the persons it wrote, their audit records, the lines it
//! refused and where the next chunk starts. A worker that dies leaves the
//! job to be taken over when its lease runs out, from the last commit:
//! nothing is half imported and nothing twice (and a person imported
//! again is only corrected, by national number).
//!
//! A blank cell keeps what the registry has: an import adds and corrects,
//! it never erases.

mod file;

use super::{decide, is_municipality, own_municipality, parse_form, Outcome, PersonForm};
use crate::audit::{entry, record};
use crate::{Caller, Error, Result, Services};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use diwan_domain::persons::{split_mobiles, NationalNumber};
use diwan_domain::{ErrorCode, Reason, Role};
use diwan_store::{ImportRejection, ImportState, Organization, Person, PersonImport};
pub use file::{read_header, Header};
use file::{read_record, Line, MAX_CHUNK_BYTES, MAX_HEADER_BYTES};
use futures::{Stream, StreamExt, TryStreamExt};
use object_store::path::Path as FilePath;
use object_store::{GetOptions, GetRange, ObjectStore, WriteMultipart};
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;
use uuid::Uuid;

/// Lines read and committed together.
pub const CHUNK: usize = 500;
/// The most imports an import page lists.
pub const RECENT_IMPORTS: i64 = 20;

/// Who may import: administrators, and a municipality's staff for its own
/// residents.
fn may_import(c: &Caller) -> bool {
    c.can_write() && (c.role == Role::Admin || c.role.is_municipal())
}

/// A municipality's name with the word "municipality" left out, in any of
/// its languages, normalized for comparison.
fn bare_name(name: &str) -> String {
    diwan_domain::text::normalize_for_search(name)
        .split_whitespace()
        .filter(|w| {
            !matches!(
                *w,
                "بلديه" | "municipality" | "municipalite" | "municipalité" | "de" | "d"
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The municipality a cell names: its code, or its name in any language
/// with or without the word "municipality", whatever the letter case.
fn municipality_named(orgs: &[Organization], cell: &str) -> Option<Uuid> {
    let code = cell.trim().to_lowercase();
    let name = bare_name(cell);
    orgs.iter()
        .filter(|o| o.kind == diwan_domain::organizations::OrgKind::Municipality)
        .find(|o| {
            o.code.to_lowercase() == code
                || (!name.is_empty()
                    && [&o.name_ar, &o.name_en, &o.name_fr]
                        .iter()
                        .any(|n| bare_name(n) == name))
        })
        .map(|o| o.id)
}

/// The `field=reason` pairs of a refusal.
fn reasons_of(e: &Error) -> String {
    let details = e.details();
    if details.is_empty() {
        return format!("line={}", e.code().as_str());
    }
    details
        .iter()
        .map(|(f, r)| format!("{f}={}", r.key()))
        .collect::<Vec<_>>()
        .join(" ")
}

impl Services {
    /// Takes a CSV file of persons as it arrives, into the file store, and
    /// queues its import. The file must be UTF-8, with a header line that
    /// names at least the national number and the Arabic name; it may be
    /// as large as `Config::max_import_bytes`.
    pub async fn start_person_import<S, E>(
        &self,
        caller: &Caller,
        file_name: &str,
        body: S,
    ) -> Result<PersonImport>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Send + Unpin,
        E: std::fmt::Display,
    {
        if !may_import(caller) {
            return Err(Error::forbidden());
        }
        let id = Uuid::now_v7();
        let key = FilePath::from(format!("imports/{id}.csv"));
        let upload = self.files.put_multipart(&key).await?;
        let mut write = WriteMultipart::new(upload);
        let mut head: Vec<u8> = Vec::new();
        let mut size: usize = 0;
        let mut body = body;
        let failed = loop {
            match body.next().await {
                None => break None,
                Some(Err(e)) => break Some(Error::Internal(format!("the upload broke off: {e}"))),
                Some(Ok(chunk)) => {
                    size += chunk.len();
                    if size > self.config.max_import_bytes {
                        break Some(Error::Domain(
                            diwan_domain::DomainError::new(ErrorCode::PayloadTooLarge)
                                .with("file", Reason::FileTooLarge),
                        ));
                    }
                    if head.len() < MAX_HEADER_BYTES {
                        let take = chunk.len().min(MAX_HEADER_BYTES - head.len());
                        head.extend_from_slice(&chunk[..take]);
                    }
                    if let Err(e) = write.wait_for_capacity(4).await {
                        break Some(e.into());
                    }
                    write.put(chunk);
                }
            }
        };
        if let Some(e) = failed {
            let _ = write.abort().await;
            return Err(e);
        }
        write.finish().await?;
        // A last line without its line break still counts.
        if !head.contains(&b'\n') && head.len() == size {
            head.push(b'\n');
        }
        let Some(header) = read_header(&head) else {
            let _ = self.files.delete(&key).await;
            return Err(Error::invalid("file", Reason::ImportHeaderInvalid));
        };
        let now = self.now();
        let import = PersonImport {
            id,
            org_id: caller.org_id,
            created_by: caller.user_id,
            file_name: diwan_domain::text::clean_line(file_name, 200),
            file_key: key.to_string(),
            file_bytes: size as i64,
            delimiter: (header.delimiter as char).to_string(),
            columns: header.columns,
            state: ImportState::Queued,
            next_offset: header.end as i64,
            next_line: 2,
            created: 0,
            updated: 0,
            unchanged: 0,
            rejected: 0,
            lease_owner: None,
            lease_until: None,
            error: None,
            created_at: now,
            started_at: None,
            finished_at: None,
        };
        let saved = async {
            let mut tx = self.store.begin().await?;
            tx.insert_import(&import).await?;
            record(
                &mut *tx,
                Some(caller),
                now,
                "person.import",
                "person_import",
                Some(id.to_string()),
                json!({"file_name": import.file_name, "bytes": size}),
            )
            .await?;
            tx.commit().await?;
            Ok::<_, Error>(())
        }
        .await;
        if let Err(e) = saved {
            let _ = self.files.delete(&key).await;
            return Err(e);
        }
        self.imports_waiting.notify_one();
        Ok(import)
    }

    /// An import, as its sender (or an administrator) sees it.
    pub async fn person_import(&self, caller: &Caller, id: Uuid) -> Result<PersonImport> {
        let mut tx = self.store.read().await?;
        let i = tx.get_import(id).await?.ok_or_else(Error::not_found)?;
        if caller.role != Role::Admin && i.org_id != caller.org_id {
            return Err(Error::not_found());
        }
        Ok(i)
    }

    /// The newest imports of the caller's organization (of all, for
    /// administrators).
    pub async fn person_imports(&self, caller: &Caller) -> Result<Vec<PersonImport>> {
        if !may_import(caller) {
            return Err(Error::not_found());
        }
        let mut tx = self.store.read().await?;
        let org = (caller.role != Role::Admin).then_some(caller.org_id);
        Ok(tx.list_imports(org, RECENT_IMPORTS).await?)
    }

    /// The lines an import refused, a page at a time after `after_line`.
    pub async fn import_rejections(
        &self,
        caller: &Caller,
        id: Uuid,
        after_line: i64,
        limit: i64,
    ) -> Result<Vec<ImportRejection>> {
        self.person_import(caller, id).await?;
        let mut tx = self.store.read().await?;
        Ok(tx
            .import_rejections(id, after_line, limit.clamp(1, 10_000))
            .await?)
    }

    /// Takes the next import waiting (or one whose worker stopped) and
    /// reads it to its end; `false` when none waits.
    pub async fn work_person_import(&self, owner: Uuid) -> Result<bool> {
        let now = self.now();
        let until = now + chrono::Duration::from_std(self.config.import_lease).unwrap_or_default();
        let claimed = {
            let mut tx = self.store.begin().await?;
            let i = tx.claim_import(owner, now, until).await?;
            tx.commit().await?;
            i
        };
        let Some(import) = claimed else {
            return Ok(false);
        };
        let id = import.id;
        if let Err(e) = self.read_import(owner, import).await {
            tracing::error!(import = %id, error = %e, "a person import stopped");
            // The file could not be read on: the import fails, saying why.
            let mut tx = self.store.begin().await?;
            if let Some(mut i) = tx.get_import(id).await? {
                i.state = ImportState::Failed;
                i.error = Some(e.to_string());
                i.finished_at = Some(self.now());
                i.lease_owner = None;
                if tx.save_import(&i, owner).await? {
                    tx.commit().await?;
                }
            }
        }
        Ok(true)
    }

    /// Reads `import` from where it stands, a chunk per transaction.
    async fn read_import(&self, owner: Uuid, mut import: PersonImport) -> Result<()> {
        if import.next_offset >= import.file_bytes {
            // Nothing after the header: read to its end already.
            self.import_chunk(owner, &mut import, Vec::new(), true)
                .await?;
            return Ok(());
        }
        let key = FilePath::from(import.file_key.as_str());
        let options = GetOptions {
            range: Some(GetRange::Offset(import.next_offset as u64)),
            ..GetOptions::default()
        };
        let stream = self
            .files
            .get_opts(&key, options)
            .await?
            .into_stream()
            .map_err(std::io::Error::other);
        let mut reader = tokio::io::BufReader::with_capacity(
            64 * 1024,
            tokio_util::io::StreamReader::new(stream),
        );
        let delimiter = import.delimiter.as_bytes().first().copied().unwrap_or(b',');
        let (mut offset, mut line) = (import.next_offset, import.next_line);
        loop {
            let mut lines = Vec::with_capacity(CHUNK);
            let mut ended = false;
            let mut held = 0;
            while lines.len() < CHUNK {
                let number = line;
                let Some((raw, taken)) = read_record(&mut reader, &mut line).await? else {
                    ended = true;
                    break;
                };
                offset += taken as i64;
                if raw.iter().all(|b| b.is_ascii_whitespace()) {
                    continue;
                }
                held += raw.len();
                lines.push(Line::read(number, &raw, delimiter));
                if held > MAX_CHUNK_BYTES {
                    break;
                }
            }
            import.next_offset = offset;
            import.next_line = line;
            if !self.import_chunk(owner, &mut import, lines, ended).await? {
                tracing::warn!(import = %import.id, "another worker took this import over");
                return Ok(());
            }
            if ended {
                return Ok(());
            }
        }
    }

    /// Writes one chunk of `import` and its progress in one transaction;
    /// `false` when the import is no longer `owner`'s.
    async fn import_chunk(
        &self,
        owner: Uuid,
        import: &mut PersonImport,
        lines: Vec<Line>,
        ended: bool,
    ) -> Result<bool> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let creator = tx
            .get_user(import.created_by)
            .await?
            .ok_or_else(Error::not_found)?;
        if !creator.active {
            return Err(Error::Internal(
                "the account that sent the import was deactivated".into(),
            ));
        }
        // The import acts with its sender's rights, as they are now.
        let caller = Caller {
            user_id: creator.id,
            username: creator.username.clone(),
            display_name: creator.display_name.clone(),
            role: creator.role,
            org_id: creator.org_id,
            ip: None,
            scopes: None,
            locale: None,
        };
        let orgs = self.cache.orgs(&mut *tx).await?;
        let numbers: Vec<String> = lines
            .iter()
            .filter_map(|l| l.cell(&import.columns, "national_number"))
            .filter_map(|n| NationalNumber::parse(&n).ok())
            .map(|n| n.to_string())
            .collect();
        let mut known: HashMap<String, Person> = tx
            .persons_by_numbers(&numbers)
            .await?
            .into_iter()
            .map(|p| (p.national_number.clone(), p))
            .collect();
        let mut rejections = Vec::new();
        let mut audit = Vec::new();
        let read = lines.len() as u64;
        for line in lines {
            let outcome = if !line.utf8 {
                Err(Error::invalid("line", Reason::FieldInvalid))
            } else {
                self.import_line(&caller, &import.columns, &line, &known, &orgs, now)
            };
            match outcome {
                Err(e) if e.code() == ErrorCode::Internal => return Err(e),
                Err(e) => {
                    import.rejected += 1;
                    rejections.push(ImportRejection {
                        import_id: import.id,
                        line: line.number,
                        reasons: reasons_of(&e),
                        content: line.content,
                    });
                }
                Ok(Outcome::Same(_)) => import.unchanged += 1,
                Ok(Outcome::New(p)) => {
                    tx.insert_person(&p).await?;
                    import.created += 1;
                    audit.push(entry(
                        Some(&caller),
                        now,
                        "person.create",
                        "person",
                        Some(p.id.to_string()),
                        json!({"import_id": import.id, "line": line.number, "municipality_id": p.municipality_id}),
                    ));
                    known.insert(p.national_number.clone(), p);
                }
                Ok(Outcome::Changed(p, changed)) => {
                    tx.update_person(&p).await?;
                    import.updated += 1;
                    audit.push(entry(
                        Some(&caller),
                        now,
                        "person.update",
                        "person",
                        Some(p.id.to_string()),
                        json!({"import_id": import.id, "line": line.number, "changed": changed}),
                    ));
                    known.insert(p.national_number.clone(), p);
                }
            }
        }
        tx.insert_rejections(&rejections).await?;
        tx.append_audit(&audit).await?;
        if ended {
            import.state = ImportState::Done;
            import.finished_at = Some(now);
            import.lease_owner = None;
            import.lease_until = None;
            audit_done(&mut *tx, &caller, import, now).await?;
            if import.created + import.updated > CHUNK as i64 {
                tx.refresh_person_statistics().await?;
            }
        } else {
            import.lease_until = Some(
                now + chrono::Duration::from_std(self.config.import_lease).unwrap_or_default(),
            );
        }
        if !tx.save_import(import, owner).await? {
            return Ok(false);
        }
        tx.commit().await?;
        metrics::counter!("diwan_person_import_lines_total").increment(read);
        Ok(true)
    }

    /// What one line does, or why it is refused.
    fn import_line(
        &self,
        caller: &Caller,
        columns: &[String],
        line: &Line,
        known: &HashMap<String, Person>,
        orgs: &[Organization],
        now: DateTime<Utc>,
    ) -> Result<Outcome> {
        let number = line.cell(columns, "national_number").unwrap_or_default();
        let before = NationalNumber::parse(&number)
            .ok()
            .and_then(|n| known.get(n.as_str()));
        // `p` as a form, so that an imported line changes only what it gives.
        let mut f = before.map(PersonForm::of).unwrap_or_default();
        f.national_number = number;
        if let Some(v) = line.cell(columns, "name_ar") {
            f.name_ar = v;
        }
        let set = |field: &str, slot: &mut Option<String>| {
            if let Some(v) = line.cell(columns, field) {
                *slot = Some(v);
            }
        };
        set("name_latin", &mut f.name_latin);
        set("sex", &mut f.sex);
        set("birth_date", &mut f.birth_date);
        set("email", &mut f.email);
        set("language", &mut f.language);
        let mobiles: Vec<String> = line
            .cells_of(columns, "mobile")
            .flat_map(split_mobiles)
            .map(str::to_owned)
            .collect();
        if !mobiles.is_empty() {
            f.mobiles = Some(mobiles);
        }
        let parsed = parse_form(&f, now.date_naive())?;
        let municipality_id = match line.cell(columns, "municipality") {
            Some(cell) => Some(
                municipality_named(orgs, &cell)
                    .ok_or_else(|| Error::invalid("municipality", Reason::MunicipalityUnknown))?,
            ),
            // A municipality's staff import its own residents; otherwise the
            // person stays where the registry has them.
            None => own_municipality(caller).or(f.municipality_id),
        };
        if let (Some(own), Some(m)) = (own_municipality(caller), municipality_id) {
            if own != m {
                return Err(Error::invalid("municipality", Reason::MunicipalityNotOwn));
            }
        }
        if let Some(m) = municipality_id {
            if !is_municipality(orgs, m) {
                return Err(Error::invalid("municipality", Reason::MunicipalityUnknown));
            }
        }
        decide(caller, &f, parsed, municipality_id, before, now).map_err(|e| {
            if e.code() == ErrorCode::Forbidden {
                Error::invalid("national_number", Reason::NationalNumberElsewhere)
            } else {
                e
            }
        })
    }

    /// Works imports until `shutdown`: whatever waits, then again when an
    /// upload is queued here or every few seconds (for those queued on
    /// other nodes, or left by a worker that stopped).
    pub async fn run_import_worker(&self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let owner = Uuid::now_v7();
        loop {
            match self.work_person_import(owner).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => tracing::error!(error = %e, "the person import worker failed"),
            }
            tokio::select! {
                _ = self.imports_waiting.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                _ = shutdown.changed() => break,
            }
        }
    }
}

/// The record of an import that read its file to the end.
async fn audit_done(
    tx: &mut dyn diwan_store::Tx,
    caller: &Caller,
    i: &PersonImport,
    now: DateTime<Utc>,
) -> Result<()> {
    record(
        tx,
        Some(caller),
        now,
        "person.import.done",
        "person_import",
        Some(i.id.to_string()),
        json!({"created": i.created, "updated": i.updated, "unchanged": i.unchanged, "rejected": i.rejected}),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_municipality_is_named_by_its_code_or_its_name() {
        let org = |code: &str, ar: &str, en: &str, fr: &str| Organization {
            id: Uuid::now_v7(),
            parent_id: None,
            kind: diwan_domain::organizations::OrgKind::Municipality,
            code: code.into(),
            name_ar: ar.into(),
            name_en: en.into(),
            name_fr: fr.into(),
            time_zone: "Africa/Tripoli".into(),
            created_at: chrono::Utc::now(),
        };
        let orgs = vec![org(
            "M-BEN",
            "بلدية بنغازي",
            "Benghazi Municipality",
            "Municipalité de Benghazi",
        )];
        for cell in [
            "m-ben",
            "بنغازي",
            "بلدية بنغازي",
            "benghazi",
            "Municipalité de Benghazi",
        ] {
            assert_eq!(municipality_named(&orgs, cell), Some(orgs[0].id), "{cell}");
        }
        assert_eq!(municipality_named(&orgs, "بلدية"), None);
        assert_eq!(municipality_named(&orgs, "مصراتة"), None);
    }
}
