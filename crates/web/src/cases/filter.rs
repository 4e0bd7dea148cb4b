//! The filters of a queue or a search, read in one place for the JSON API
//! (`GET /api/v1/cases`) and the queue page (`/cases`), and the cursors
//! that page through their results.
//!
//! The two forms differ only where their inputs differ: the API takes its
//! states comma-separated and as they are, and reads `overdue` and
//! `due_soon` as yes or no; the page's form repeats `state` (with `open`
//! for every unfinished state), sends its checkboxes only when ticked, and
//! checks the dates' order and the search text's length for the form.

use crate::kit::cursor;
use crate::kit::form::{read_bool, read_day, read_uuid};
use diwan_domain::cases::workflow::Registry;
use diwan_domain::Reason;
use diwan_services::cases::queues::CaseFilter;
use diwan_store::{CaseRow, Cursor, SortKey};

/// Who sent the filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form<'a> {
    /// The query parameters of the JSON API.
    Api,
    /// The queue page's filter form, which offers the states of these workflows.
    Page(&'a Registry),
}

impl Form<'_> {
    /// The name of the cursor parameter.
    pub fn cursor_param(self) -> &'static str {
        match self {
            Form::Api => "cursor",
            Form::Page(_) => "after",
        }
    }
}

/// The filters as sent, each value as its form gives it.
#[derive(Debug, Default)]
pub struct FilterInput<'a> {
    pub states: Vec<&'a str>,
    pub case_type: Option<&'a str>,
    pub municipality: Option<&'a str>,
    pub department: Option<&'a str>,
    pub assignee: Option<&'a str>,
    pub overdue: Option<&'a str>,
    pub due_soon: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub q: Option<&'a str>,
    pub sort: Option<&'a str>,
    pub order: Option<&'a str>,
    pub after: Option<&'a str>,
    pub limit: Option<&'a str>,
}

/// The filter read, and what was wrong with it: `(parameter, reason)` in
/// the order the parameters are checked.
#[derive(Debug, Default)]
pub struct ReadFilter {
    pub filter: CaseFilter,
    pub errors: Vec<(&'static str, Reason)>,
}

impl ReadFilter {
    /// Whether the cursor could not be read or does not fit the sort.
    pub fn bad_cursor(&self, form: Form) -> bool {
        self.errors.iter().any(|(p, _)| *p == form.cursor_param())
    }
}

/// Reads the filters. Every value is checked, so that a form can show
/// every mistake at once; the API answers with the first.
pub fn read(input: &FilterInput, form: Form) -> ReadFilter {
    let mut out = ReadFilter::default();
    let f = &mut out.filter;
    let errors = &mut out.errors;
    match input.sort {
        None | Some("" | "updated") => f.sort = SortKey::Updated,
        Some("created") => f.sort = SortKey::Created,
        Some("due") => f.sort = SortKey::Due,
        Some(_) => errors.push(("sort", Reason::FieldInvalid)),
    }
    match input.order {
        None | Some("" | "desc") => f.ascending = false,
        Some("asc") => f.ascending = true,
        Some(_) => errors.push(("order", Reason::FieldInvalid)),
    }
    if let Some(a) = input.after.filter(|a| !a.is_empty()) {
        match after(a, f.sort) {
            Some(c) => f.after = Some(c),
            None => errors.push((form.cursor_param(), Reason::FieldInvalid)),
        }
    }
    if let Some(s) = input.limit.map(str::trim).filter(|s| !s.is_empty()) {
        match diwan_domain::text::parse_number(s).filter(|n| (1..=100).contains(n)) {
            Some(n) => f.limit = Some(n as i64),
            None => errors.push(("limit", Reason::FieldInvalid)),
        }
    }
    match form {
        Form::Api => {
            f.states = input
                .states
                .iter()
                .flat_map(|s| s.split(','))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
        }
        Form::Page(workflows) => {
            let known = workflows.states();
            for s in &input.states {
                // Two words stand for sets of states, whatever the workflows
                // call them: every open state, and every state that waits on
                // the filer.
                if *s == "open" {
                    f.states.extend(workflows.open_states());
                } else if *s == "paused" {
                    f.states.extend(workflows.paused_states());
                } else if known.iter().any(|k| k.code == *s) {
                    f.states.push((*s).to_owned());
                } else {
                    errors.push(("state", Reason::FieldInvalid));
                }
            }
        }
    }
    let mut id = |name: &'static str, v: Option<&str>| match read_uuid(v) {
        Ok(id) => id,
        Err(reason) => {
            errors.push((name, reason));
            None
        }
    };
    f.case_type_id = id("type", input.case_type);
    f.municipality_id = id("municipality", input.municipality);
    f.department_id = id("department", input.department);
    f.assignee_id = id("assignee", input.assignee);
    match form {
        Form::Api => {
            match read_bool(input.overdue) {
                Ok(v) => f.overdue = v,
                Err(reason) => errors.push(("overdue", reason)),
            }
            match read_bool(input.due_soon) {
                Ok(v) => f.due_soon = v.unwrap_or(false),
                Err(reason) => errors.push(("due_soon", reason)),
            }
        }
        Form::Page(_) => {
            if read_bool(input.overdue) == Ok(Some(true)) {
                f.overdue = Some(true);
            }
            f.due_soon = read_bool(input.due_soon) == Ok(Some(true));
        }
    }
    let mut day = |name: &'static str, v: Option<&str>| match read_day(v) {
        Ok(d) => d,
        Err(reason) => {
            errors.push((name, reason));
            None
        }
    };
    f.from = day("from", input.from);
    f.to = day("to", input.to);
    f.text = input.q.map(str::to_owned);
    if matches!(form, Form::Page(_)) {
        if let (Some(a), Some(b)) = (f.from, f.to) {
            if a > b {
                errors.push(("to", Reason::DateInvalid));
            }
        }
        if input.q.is_some_and(|q| q.chars().count() > 200) {
            errors.push(("q", Reason::FieldTooLong));
        }
    }
    out
}

/// Reads a cursor that must fit the sort: a time for the time sorts, a
/// date for the due-date sort.
pub fn after(text: &str, sort: SortKey) -> Option<Cursor> {
    let c = cursor::decode(text)?;
    let fits = matches!(
        (&c, sort),
        (Cursor::Time(..), SortKey::Updated | SortKey::Created) | (Cursor::Date(..), SortKey::Due)
    );
    fits.then_some(c)
}

/// The cursor that continues after `row` in the given order.
pub fn cursor_after(row: &CaseRow, sort: SortKey) -> Cursor {
    match sort {
        SortKey::Updated => Cursor::Time(row.updated_at, row.id),
        SortKey::Created => Cursor::Time(row.created_at, row.id),
        SortKey::Due => Cursor::Date(row.due_date, row.id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_is_every_unfinished_state() {
        let workflows = Registry::builtin();
        let input = FilterInput {
            states: vec!["open"],
            ..FilterInput::default()
        };
        let r = read(&input, Form::Page(&workflows));
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.filter.states, workflows.open_states());
    }

    #[test]
    fn the_api_reports_its_first_mistake_first() {
        let input = FilterInput {
            states: vec!["routed, assigned"],
            sort: Some("sideways"),
            case_type: Some("nope"),
            overdue: Some("maybe"),
            ..FilterInput::default()
        };
        let r = read(&input, Form::Api);
        assert_eq!(
            r.errors,
            [
                ("sort", Reason::FieldInvalid),
                ("type", Reason::FieldInvalid),
                ("overdue", Reason::FieldInvalid)
            ]
        );
        assert_eq!(r.filter.states, ["routed", "assigned"]);
    }

    #[test]
    fn the_page_checks_states_and_reads_ticked_boxes() {
        let input = FilterInput {
            states: vec!["open", "bogus"],
            overdue: Some("0"),
            due_soon: Some("1"),
            from: Some("2026-03-09"),
            to: Some("2026-03-01"),
            after: Some("d.-.01890a5d-ac96-774b-bcce-b302099a8057"),
            ..FilterInput::default()
        };
        let workflows = Registry::builtin();
        let r = read(&input, Form::Page(&workflows));
        assert!(r.filter.states.iter().any(|s| s == "routed"));
        assert_eq!(r.filter.overdue, None);
        assert!(r.filter.due_soon);
        assert!(r.errors.contains(&("state", Reason::FieldInvalid)));
        assert!(r.errors.contains(&("to", Reason::DateInvalid)));
        // A due-date cursor does not fit the default sort.
        assert!(r.bad_cursor(Form::Page(&workflows)));
    }
}
