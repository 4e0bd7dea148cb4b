//! The registry of workflows: the shipped ones and those a configuration
//! defines as data (see `workflow.rs`).

use super::{builtin, Audience, Clock, StateDef, Workflow, BUILTIN_WORKFLOWS};
use crate::{DomainError, Reason};

/// The workflows a Diwan knows: the shipped ones, then those its
/// configuration defines as data. Case types name one of them by code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registry {
    workflows: Vec<Workflow>,
}

impl Default for Registry {
    fn default() -> Self {
        Registry::builtin()
    }
}

impl Registry {
    /// The shipped workflows only.
    pub fn builtin() -> Registry {
        Registry {
            workflows: BUILTIN_WORKFLOWS
                .iter()
                .filter_map(|c| builtin(c))
                .collect(),
        }
    }

    /// The shipped workflows and `extra`, each checked.
    pub fn with(extra: impl IntoIterator<Item = Workflow>) -> Result<Registry, DomainError> {
        let mut r = Registry::builtin();
        for wf in extra {
            r.register(wf)?;
        }
        Ok(r)
    }

    /// Adds a workflow defined as data, once it is checked. A code names one
    /// workflow only: registering a code again is refused.
    pub fn register(&mut self, wf: Workflow) -> Result<(), DomainError> {
        wf.validate()?;
        if self.get(&wf.code).is_some() {
            return Err(DomainError::invalid("workflow", Reason::WorkflowDuplicate));
        }
        self.workflows.push(wf);
        Ok(())
    }

    /// The workflow with this code.
    pub fn get(&self, code: &str) -> Option<&Workflow> {
        self.workflows.iter().find(|w| w.code == code)
    }

    /// Every workflow, the shipped ones first.
    pub fn all(&self) -> &[Workflow] {
        &self.workflows
    }

    /// Every state of every workflow, once per code, in definition order.
    pub fn states(&self) -> Vec<&StateDef> {
        let mut out: Vec<&StateDef> = Vec::new();
        for s in self.workflows.iter().flat_map(|w| &w.states) {
            if !out.iter().any(|o| o.code == s.code) {
                out.push(s);
            }
        }
        out
    }

    /// The codes of the states a case can be in while it is still being
    /// worked on.
    pub fn open_states(&self) -> Vec<String> {
        self.states()
            .into_iter()
            .filter(|s| s.is_open())
            .map(|s| s.code.clone())
            .collect()
    }

    /// The codes of the states in which a case waits on its filer (its
    /// clock paused).
    pub fn paused_states(&self) -> Vec<String> {
        self.states()
            .into_iter()
            .filter(|s| s.clock == Clock::Paused)
            .map(|s| s.code.clone())
            .collect()
    }

    /// The workflow a process of this audience gets when it names none: the
    /// first one registered.
    pub fn default_for(&self, audience: Audience) -> Option<&Workflow> {
        self.workflows.iter().find(|w| w.audience == audience)
    }
}
