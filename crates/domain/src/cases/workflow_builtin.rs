//! The workflows Diwan ships, declared in full as data with the engine's
//! types: municipality requests (track 2) and internal memos (track 1).
//! Part of `workflow`, in a file of its own so that the engine stays
//! readable.

use super::*;

fn st(code: &str, clock: Clock, with_filer: bool) -> StateDef {
    StateDef {
        code: code.into(),
        clock,
        with_filer,
        terminated: false,
    }
}

/// A state where a case ends without being carried through.
fn end(code: &str) -> StateDef {
    StateDef {
        terminated: true,
        ..st(code, Clock::Stopped, false)
    }
}

pub(super) fn tr(
    action: &str,
    from: &[&str],
    to: &str,
    roles: &[Role],
    party: Party,
    needs: &[Needs],
) -> TransitionDef {
    TransitionDef {
        action: action.into(),
        from: from.iter().map(|s| (*s).into()).collect(),
        to: to.into(),
        roles: roles.to_vec(),
        party,
        needs: needs.to_vec(),
        notifies: Vec::new(),
        carries_file: false,
        message_visibility: Visibility::Public,
        prompt: Prompt::Message,
        auto_route: false,
    }
}

/// The workflow of a municipality's request to the ministry.
pub fn municipal_request() -> Workflow {
    use Needs as N;
    use Party::*;
    use Recipients as To;
    use Role::*;
    let muni = [MunicipalClerk, MunicipalHead];
    let dept = [Officer, DepartmentHead];
    Workflow {
        code: "municipal_request".into(),
        initial: "draft".into(),
        audience: Audience::Public,
        states: vec![
            st("draft", Clock::NotStarted, true),
            st("submitted", Clock::Running, false),
            st("routed", Clock::Running, false),
            st("assigned", Clock::Running, false),
            st("info_requested", Clock::Paused, true),
            st("answered", Clock::Stopped, true),
            end("rejected"),
            end("withdrawn"),
            st("closed", Clock::Stopped, false),
        ],
        transitions: vec![
            tr("submit", &["draft"], "submitted", &muni, Filer, &[]).notify("routed", To::Registry),
            tr(
                "route",
                &["submitted"],
                "routed",
                &[RegistryClerk, Admin],
                Registry,
                &[N::Department],
            )
            .notify("routed", To::DepartmentHeads)
            .automatic(),
            tr(
                "assign",
                &["routed", "assigned"],
                "assigned",
                &[DepartmentHead],
                Holder,
                &[N::Assignee],
            )
            .notify("assigned", To::Assignee),
            tr(
                "request_info",
                &["assigned"],
                "info_requested",
                &dept,
                Assignee,
                &[N::Message],
            )
            .notify("info_requested", To::Filer)
            .with_file(),
            tr(
                "reply",
                &["info_requested"],
                "assigned",
                &muni,
                Filer,
                &[N::Message],
            )
            .notify("reply_received", To::Holders)
            .with_file(),
            tr(
                "forward",
                &["routed", "assigned"],
                "routed",
                &dept,
                Assignee,
                &[N::Department],
            )
            .notify("routed", To::DepartmentHeads),
            tr(
                "answer",
                &["assigned"],
                "answered",
                &dept,
                Assignee,
                &[N::Message],
            )
            .notify("answered", To::Filer)
            .with_file()
            .asking(Prompt::Answer),
            tr(
                "reject",
                &["routed", "assigned"],
                "rejected",
                &dept,
                Assignee,
                &[N::Message],
            )
            .notify("rejected", To::Filer)
            .asking(Prompt::Reason),
            tr(
                "reject",
                &["submitted"],
                "rejected",
                &[RegistryClerk, Admin],
                Registry,
                &[N::Message],
            )
            .notify("rejected", To::Filer)
            .asking(Prompt::Reason),
            tr(
                "withdraw",
                &["draft", "submitted", "routed", "assigned", "info_requested"],
                "withdrawn",
                &muni,
                Filer,
                &[],
            )
            .asking(Prompt::Reason),
            tr("acknowledge", &["answered"], "closed", &muni, Filer, &[]),
        ],
    }
}

/// The workflow of an internal memo from one ministry department to another.
pub fn internal_memo() -> Workflow {
    use Needs as N;
    use Party::*;
    use Recipients as To;
    use Role::*;
    let staff = [Officer, DepartmentHead];
    Workflow {
        code: "internal_memo".into(),
        initial: "draft".into(),
        audience: Audience::Internal,
        states: vec![
            st("draft", Clock::NotStarted, true),
            st("routed", Clock::Running, false),
            st("assigned", Clock::Running, false),
            st("info_requested", Clock::Paused, true),
            st("answered", Clock::Stopped, true),
            end("withdrawn"),
            st("closed", Clock::Stopped, false),
        ],
        transitions: vec![
            tr(
                "send",
                &["draft"],
                "routed",
                &staff,
                Filer,
                &[N::Department],
            )
            .notify("routed", To::DepartmentHeads),
            tr(
                "assign",
                &["routed", "assigned"],
                "assigned",
                &[DepartmentHead],
                Holder,
                &[N::Assignee],
            )
            .notify("assigned", To::Assignee),
            tr(
                "request_info",
                &["assigned"],
                "info_requested",
                &staff,
                Assignee,
                &[N::Message],
            )
            .notify("info_requested", To::Filer)
            .with_file(),
            tr(
                "reply",
                &["info_requested"],
                "assigned",
                &staff,
                Filer,
                &[N::Message],
            )
            .notify("reply_received", To::Holders)
            .with_file(),
            tr(
                "forward",
                &["routed", "assigned"],
                "routed",
                &staff,
                Assignee,
                &[N::Department],
            )
            .notify("routed", To::DepartmentHeads),
            tr(
                "answer",
                &["routed", "assigned"],
                "answered",
                &staff,
                Assignee,
                &[N::Message],
            )
            .notify("answered", To::Filer)
            .with_file()
            .asking(Prompt::Answer),
            tr(
                "withdraw",
                &["draft", "routed", "assigned", "info_requested"],
                "withdrawn",
                &staff,
                Filer,
                &[],
            )
            .asking(Prompt::Reason),
            tr("acknowledge", &["answered"], "closed", &staff, Filer, &[]),
        ],
    }
}

/// The workflows Diwan ships, by code.
pub fn builtin(code: &str) -> Option<Workflow> {
    match code {
        "municipal_request" => Some(municipal_request()),
        "internal_memo" => Some(internal_memo()),
        _ => None,
    }
}

/// The codes of the shipped workflows. The first of each audience is the
/// one a GovStack process of that type gets when it names none.
pub const BUILTIN_WORKFLOWS: [&str; 2] = ["municipal_request", "internal_memo"];
