//! Staff roles. A role says what a person may do; the organization they act
//! for says on which cases.

use crate::Reason;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    RegistryClerk,
    DepartmentHead,
    Officer,
    MunicipalClerk,
    MunicipalHead,
    Auditor,
    /// Runs national inquiries (the ministry's communications office).
    InquiryManager,
    /// Answers the 1415 call centre: finds callers, records their answers.
    CallCentreAgent,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::Admin,
        Role::RegistryClerk,
        Role::DepartmentHead,
        Role::Officer,
        Role::MunicipalClerk,
        Role::MunicipalHead,
        Role::Auditor,
        Role::InquiryManager,
        Role::CallCentreAgent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::RegistryClerk => "registry_clerk",
            Role::DepartmentHead => "department_head",
            Role::Officer => "officer",
            Role::MunicipalClerk => "municipal_clerk",
            Role::MunicipalHead => "municipal_head",
            Role::Auditor => "auditor",
            Role::InquiryManager => "inquiry_manager",
            Role::CallCentreAgent => "call_centre_agent",
        }
    }

    /// Municipal roles act for one municipality and see only its cases.
    pub fn is_municipal(self) -> bool {
        matches!(self, Role::MunicipalClerk | Role::MunicipalHead)
    }

    /// Roles that see every case of the ministry and of all municipalities.
    pub fn sees_everything(self) -> bool {
        matches!(self, Role::Admin | Role::RegistryClerk | Role::Auditor)
    }

    /// Auditors read; they never change a case.
    pub fn is_read_only(self) -> bool {
        matches!(self, Role::Auditor)
    }
}

impl FromStr for Role {
    type Err = crate::DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| crate::DomainError::invalid("role", Reason::RoleUnknown))
    }
}
