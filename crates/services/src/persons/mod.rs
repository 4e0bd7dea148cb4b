//! The registry of persons: adding and correcting a person, reading one,
//! and searching by national number, mobile number or name.
//!
//! A municipality's staff see and keep only the persons who live in it;
//! the ministry's see everyone, and only administrators and a
//! municipality's staff change the registry. Every read of a person's
//! record by staff is audited, as case reads are: the person may later ask
//! who looked.

pub mod imports;

use crate::audit::record;
use crate::error::Problems;
use crate::frame::Shown;
use crate::{Caller, Error, Result, Services};
use diwan_domain::calendar::parse_date;
use diwan_domain::organizations::OrgKind;
use diwan_domain::persons::{
    check_birth_date, parse_email, parse_name, search_text, Language, Mobile, NationalNumber,
    PersonLookup, Sex, MAX_MOBILES,
};
use diwan_domain::{Reason, Role};
use diwan_store::{Person, PersonQuery, ReadTx, Tx};
use serde_json::json;
use uuid::Uuid;

/// The most persons one page of a search shows.
pub const PAGE: u32 = 50;

/// A person as a form or the API sends it: text, parsed here, so that the
/// page and the API refuse the same things for the same reasons.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonForm {
    pub national_number: String,
    pub name_ar: String,
    pub name_latin: Option<String>,
    /// From the national number when not given.
    pub sex: Option<String>,
    pub birth_date: Option<String>,
    /// `None`: no mobile, or, with `keeps_absent`, those the registry has.
    pub mobiles: Option<Vec<String>>,
    pub email: Option<String>,
    pub municipality_id: Option<Uuid>,
    /// Arabic when not given.
    pub language: Option<String>,
    /// Whether bulk SMS and bulk e-mail are refused; as before when `None`.
    pub sms_opt_out: Option<bool>,
    pub email_opt_out: Option<bool>,
    /// Whether what the form leaves out (`None`) keeps what the registry
    /// has for a person already registered, as the API reads a request
    /// that sends only the fields it changes, rather than clearing it or
    /// taking its default, as a page reads its form, which sends them all.
    pub keeps_absent: bool,
}

impl PersonForm {
    /// `p` as a form.
    pub fn of(p: &Person) -> PersonForm {
        PersonForm {
            national_number: p.national_number.clone(),
            name_ar: p.name_ar.clone(),
            name_latin: p.name_latin.clone(),
            sex: Some(p.sex.as_str().to_owned()),
            birth_date: p.birth_date.map(|d| d.to_string()),
            mobiles: Some(p.mobiles.clone()),
            email: p.email.clone(),
            municipality_id: p.municipality_id,
            language: Some(p.language.as_str().to_owned()),
            sms_opt_out: None,
            email_opt_out: None,
            keeps_absent: false,
        }
    }

    /// The form with what it leaves out taken from `p`'s record, but for
    /// the municipality, which depends on who saves it.
    fn over(self, p: &Person) -> PersonForm {
        let was = PersonForm::of(p);
        PersonForm {
            name_latin: self.name_latin.or(was.name_latin),
            sex: self.sex.or(was.sex),
            birth_date: self.birth_date.or(was.birth_date),
            mobiles: self.mobiles.or(was.mobiles),
            email: self.email.or(was.email),
            language: self.language.or(was.language),
            ..self
        }
    }
}

/// What a saved form did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub person: Person,
    pub created: bool,
}

/// A page of persons and the cursor of the next, if there is one.
#[derive(Debug, Clone)]
pub struct PersonPage {
    pub persons: Vec<Person>,
    pub next: Option<Uuid>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The fields of `f`, parsed: everything but the ids and times of a person.
pub(crate) struct Parsed {
    national_number: NationalNumber,
    name_ar: String,
    name_latin: Option<String>,
    sex: Sex,
    birth_date: Option<chrono::NaiveDate>,
    mobiles: Vec<String>,
    email: Option<String>,
    language: Language,
}

pub(crate) fn parse_form(f: &PersonForm, today: chrono::NaiveDate) -> Result<Parsed> {
    let mut p = Problems::default();
    let national_number = p.take(NationalNumber::parse(&f.national_number).map_err(Error::from))?;
    let name_ar = p.take(parse_name("name_ar", &f.name_ar).map_err(Error::from))?;
    let name_latin = match given(&f.name_latin) {
        Some(s) => p.take(parse_name("name_latin", s).map_err(Error::from))?,
        None => None,
    };
    let sex = match given(&f.sex) {
        Some(s) => p.take(s.parse::<Sex>().map_err(Error::from))?,
        None => national_number.as_ref().map(NationalNumber::sex),
    };
    let birth_date = match given(&f.birth_date) {
        Some(s) => p.take(
            parse_date(s)
                .map_err(|_| Error::invalid("birth_date", Reason::DateInvalid))
                .and_then(|d| check_birth_date(d, today).map_err(Error::from)),
        )?,
        None => None,
    };
    let mut mobiles = Vec::new();
    let typed = f.mobiles.as_deref().unwrap_or_default();
    for m in typed.iter().map(|m| m.trim()).filter(|m| !m.is_empty()) {
        if let Some(m) = p.take(Mobile::parse(m).map_err(Error::from))? {
            if !mobiles.contains(&m.to_string()) {
                mobiles.push(m.to_string());
            }
        }
    }
    if typed.len() > MAX_MOBILES {
        p.add("mobile", Reason::FieldTooLong);
    }
    let email = match given(&f.email) {
        Some(s) => p.take(parse_email(s).map_err(Error::from))?,
        None => None,
    };
    let language = match given(&f.language) {
        Some(s) => p.take(s.parse::<Language>().map_err(Error::from))?,
        None => Some(Language::default()),
    };
    p.finish()?;
    match (national_number, name_ar, sex, language) {
        (Some(national_number), Some(name_ar), Some(sex), Some(language)) => Ok(Parsed {
            national_number,
            name_ar,
            name_latin,
            sex,
            birth_date,
            mobiles,
            email,
            language,
        }),
        _ => Err(Error::Internal(
            "a person form passed its checks incomplete".into(),
        )),
    }
}

/// The municipality whose residents `c` alone sees, if `c` is a
/// municipality's staff.
pub(crate) fn own_municipality(c: &Caller) -> Option<Uuid> {
    c.role.is_municipal().then_some(c.org_id)
}

/// Whether `c` may change the registry's persons of `municipality`.
pub(crate) fn may_keep(c: &Caller, municipality: Option<Uuid>) -> bool {
    if !c.can_write() {
        return false;
    }
    match c.role {
        Role::Admin => true,
        r if r.is_municipal() => municipality == Some(c.org_id),
        _ => false,
    }
}

/// What saving a person's form does to the registry.
pub(crate) enum Outcome {
    New(Person),
    Changed(Person, Vec<&'static str>),
    Same(Person),
}

/// Decides what `f` (already parsed as `parsed`) does, given the person
/// the registry has with that national number, if any. `municipality_id`
/// is where the person is to live, checked to be a municipality.
pub(crate) fn decide(
    caller: &Caller,
    f: &PersonForm,
    parsed: Parsed,
    municipality_id: Option<Uuid>,
    before: Option<&Person>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Outcome> {
    if !may_keep(caller, municipality_id) {
        return Err(Error::forbidden());
    }
    if let Some(b) = before {
        // Another municipality's resident is not this caller's to see:
        // the number is taken, and nothing more is said.
        if !may_keep(caller, b.municipality_id) {
            return Err(if own_municipality(caller).is_some() {
                Error::Domain(
                    diwan_domain::DomainError::new(diwan_domain::ErrorCode::Conflict)
                        .with("national_number", Reason::NationalNumberElsewhere),
                )
            } else {
                Error::forbidden()
            });
        }
    }
    let opt_out = |was: Option<chrono::DateTime<chrono::Utc>>, wanted: Option<bool>| match wanted {
        None => was,
        Some(w) => w.then(|| was.unwrap_or(now)),
    };
    let person = Person {
        id: before.map_or_else(Uuid::now_v7, |b| b.id),
        national_number: parsed.national_number.to_string(),
        search_text: search_text(&parsed.name_ar, parsed.name_latin.as_deref()),
        name_ar: parsed.name_ar,
        name_latin: parsed.name_latin,
        sex: parsed.sex,
        birth_date: parsed.birth_date,
        mobiles: parsed.mobiles,
        email: parsed.email,
        municipality_id,
        language: parsed.language,
        sms_opt_out_at: opt_out(before.and_then(|b| b.sms_opt_out_at), f.sms_opt_out),
        email_opt_out_at: opt_out(before.and_then(|b| b.email_opt_out_at), f.email_opt_out),
        created_at: before.map_or(now, |b| b.created_at),
        updated_at: now,
    };
    Ok(match before {
        None => Outcome::New(person),
        Some(b) => {
            let changed = changed_fields(b, &person);
            if changed.is_empty() {
                Outcome::Same(b.clone())
            } else {
                Outcome::Changed(person, changed)
            }
        }
    })
}

/// Whether `m` is a municipality of `orgs`.
fn is_municipality(orgs: &[diwan_store::Organization], m: Uuid) -> bool {
    orgs.iter()
        .any(|o| o.id == m && o.kind == OrgKind::Municipality)
}

impl Services {
    /// Adds a person to the registry, or corrects the one with that
    /// national number: one transaction with its audit record, which names
    /// the fields that changed.
    pub async fn save_person(&self, caller: &Caller, f: PersonForm) -> Result<Saved> {
        let now = self.now();
        if !may_keep(caller, own_municipality(caller)) {
            return Err(Error::forbidden());
        }
        let mut tx = self.store.begin().await?;
        let before = match NationalNumber::parse(&f.national_number) {
            Ok(n) => tx.person_by_number(n.as_str()).await?,
            // Told with the form's other mistakes.
            Err(_) => None,
        };
        let f = match &before {
            Some(b) if f.keeps_absent => f.over(b),
            _ => f,
        };
        let parsed = parse_form(&f, now.date_naive())?;
        let municipality_id = match own_municipality(caller) {
            // A municipality's staff register its own residents.
            Some(own) => Some(f.municipality_id.unwrap_or(own)),
            None if f.keeps_absent => f
                .municipality_id
                .or(before.as_ref().and_then(|b| b.municipality_id)),
            None => f.municipality_id,
        };
        if !may_keep(caller, municipality_id) {
            return Err(Error::forbidden());
        }
        if let Some(m) = municipality_id {
            if !is_municipality(&self.cache.orgs(&mut *tx).await?, m) {
                return Err(Error::invalid(
                    "municipality_id",
                    Reason::MunicipalityUnknown,
                ));
            }
        }
        let (person, created) =
            match decide(caller, &f, parsed, municipality_id, before.as_ref(), now)? {
                Outcome::Same(p) => {
                    return Ok(Saved {
                        person: p,
                        created: false,
                    })
                }
                Outcome::New(p) => {
                    tx.insert_person(&p).await?;
                    record(
                        &mut *tx,
                        Some(caller),
                        now,
                        "person.create",
                        "person",
                        Some(p.id.to_string()),
                        json!({"municipality_id": p.municipality_id}),
                    )
                    .await?;
                    (p, true)
                }
                Outcome::Changed(p, changed) => {
                    tx.update_person(&p).await?;
                    record(
                        &mut *tx,
                        Some(caller),
                        now,
                        "person.update",
                        "person",
                        Some(p.id.to_string()),
                        json!({"changed": changed}),
                    )
                    .await?;
                    (p, false)
                }
            };
        tx.commit().await?;
        Ok(Saved { person, created })
    }

    /// One person's record, as staff read it: audited.
    pub async fn person(&self, caller: &Caller, id: Uuid) -> Result<Person> {
        let mut tx = self.store.begin().await?;
        let p = self.read_person(&mut *tx, caller, id).await?;
        tx.commit().await?;
        Ok(p)
    }

    /// The page of one person's record (or its form): the record, audited
    /// as [`Services::person`] does, with the page's frame.
    pub async fn person_page(&self, caller: &Caller, id: Uuid) -> Result<Shown<Person>> {
        let mut tx = self.store.begin().await?;
        let body = self.read_person(&mut *tx, caller, id).await?;
        let frame = self.frame_in(&mut *tx, caller).await?;
        tx.commit().await?;
        Ok(Shown { frame, body })
    }

    async fn read_person(&self, tx: &mut dyn Tx, caller: &Caller, id: Uuid) -> Result<Person> {
        let p = tx.get_person(id).await?.ok_or_else(Error::not_found)?;
        if own_municipality(caller).is_some_and(|m| p.municipality_id != Some(m)) {
            return Err(Error::not_found());
        }
        record(
            tx,
            Some(caller),
            self.now(),
            "person.read",
            "person",
            Some(p.id.to_string()),
            json!({}),
        )
        .await?;
        Ok(p)
    }

    /// A page of the registry, newest first: everyone in the caller's
    /// sight, or those `q` finds (a national number, a mobile number, or
    /// words of a name, read however they are typed).
    pub async fn search_persons(&self, caller: &Caller, s: &PersonSearch) -> Result<PersonPage> {
        let mut tx = self.store.read().await?;
        search(&mut *tx, caller, s).await
    }

    /// The registry's page: a search, with the page's frame.
    pub async fn persons_page(
        &self,
        caller: &Caller,
        s: &PersonSearch,
    ) -> Result<Shown<PersonPage>> {
        let mut tx = self.store.read().await?;
        let body = search(&mut *tx, caller, s).await?;
        let frame = self.frame_in(&mut *tx, caller).await?;
        Ok(Shown { frame, body })
    }
}

/// What a registry search asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonSearch {
    pub q: Option<String>,
    pub before: Option<Uuid>,
    pub limit: Option<u32>,
}

async fn search(tx: &mut dyn ReadTx, caller: &Caller, s: &PersonSearch) -> Result<PersonPage> {
    let limit = s.limit.unwrap_or(PAGE).clamp(1, PAGE);
    let query = PersonQuery {
        lookup: s.q.as_deref().and_then(PersonLookup::read),
        municipality_id: own_municipality(caller),
        before: s.before,
        limit: limit + 1,
    };
    let mut persons = tx.search_persons(&query).await?;
    let next = if persons.len() > limit as usize {
        persons.truncate(limit as usize);
        persons.last().map(|p| p.id)
    } else {
        None
    };
    Ok(PersonPage { persons, next })
}

/// The names of the fields `after` changes in `before`.
fn changed_fields(before: &Person, after: &Person) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut check = |name, differs: bool| {
        if differs {
            out.push(name);
        }
    };
    check("name_ar", before.name_ar != after.name_ar);
    check("name_latin", before.name_latin != after.name_latin);
    check("sex", before.sex != after.sex);
    check("birth_date", before.birth_date != after.birth_date);
    check("mobiles", before.mobiles != after.mobiles);
    check("email", before.email != after.email);
    check(
        "municipality_id",
        before.municipality_id != after.municipality_id,
    );
    check("language", before.language != after.language);
    check("sms_opt_out", before.sms_opt_out_at != after.sms_opt_out_at);
    check(
        "email_opt_out",
        before.email_opt_out_at != after.email_opt_out_at,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> PersonForm {
        PersonForm {
            national_number: "119850012345".into(),
            name_ar: "محمد علي سالم الورفلي".into(),
            mobiles: Some(vec!["091 234 5678".into()]),
            ..PersonForm::default()
        }
    }

    #[test]
    fn a_form_is_read_with_the_sex_of_its_national_number_and_arabic() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let p = parse_form(&form(), today).unwrap();
        assert_eq!(p.sex, Sex::Male);
        assert_eq!(p.language, Language::Ar);
        assert_eq!(p.mobiles, vec!["+218912345678".to_owned()]);
    }

    #[test]
    fn every_mistake_of_a_form_is_told_at_once() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let f = PersonForm {
            national_number: "12".into(),
            name_ar: " ".into(),
            birth_date: Some("2030-01-01".into()),
            mobiles: Some(vec!["021 333 4444".into()]),
            email: Some("nobody".into()),
            language: Some("de".into()),
            ..PersonForm::default()
        };
        let e = parse_form(&f, today).err().unwrap();
        let fields: Vec<&str> = e.details().iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "national_number",
                "name_ar",
                "birth_date",
                "mobile",
                "email",
                "language"
            ]
        );
    }
}
