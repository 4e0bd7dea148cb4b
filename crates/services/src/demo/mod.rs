//! Demo data: the Ministry of Local Government with its departments, real
//! Libyan municipalities, one person per role and a few dozen requests in
//! various states, all made through the ordinary use cases so that the audit
//! trail, the history and the notifications are what real use would leave.

use crate::accounts::NewUser;
use crate::organizations::NewOrg;
use crate::{Caller, Result, Services};
use diwan_domain::organizations::{OrgKind, DEFAULT_TIME_ZONE};
use diwan_domain::Role;
use diwan_store::{CaseType, Organization, User};
use uuid::Uuid;

mod cases;
use cases::demo_fields;

/// The password of every demo account. Demo data is for trying Diwan out,
/// never for production.
pub const DEMO_PASSWORD: &str = "diwan-demo-2026";

/// A demo account, printed by `diwan serve --demo`.
#[derive(Debug, Clone)]
pub struct DemoSignIn {
    pub username: String,
    pub role: Role,
    pub org: String,
}

/// Libyan municipalities: Arabic name, Latin transliteration, code.
pub const MUNICIPALITIES: &[(&str, &str, &str)] = &[
    ("بلدية طرابلس المركز", "Tripoli Center", "TRP"),
    ("بلدية بنغازي", "Benghazi", "BEN"),
    ("بلدية مصراتة", "Misrata", "MIS"),
    ("بلدية الزاوية", "Zawiya", "ZAW"),
    ("بلدية سبها", "Sabha", "SEB"),
    ("بلدية البيضاء", "Bayda", "BAY"),
    ("بلدية درنة", "Derna", "DER"),
    ("بلدية سرت", "Sirte", "SRT"),
    ("بلدية غريان", "Gharyan", "GHR"),
    ("بلدية زليتن", "Zliten", "ZLI"),
    ("بلدية طبرق", "Tobruk", "TOB"),
    ("بلدية الخمس", "Khoms", "KHO"),
    ("بلدية صبراتة", "Sabratha", "SAB"),
    ("بلدية غات", "Ghat", "GHT"),
];

/// Ministry departments: Arabic, English, French, code.
const DEPARTMENTS: &[(&str, &str, &str, &str)] = &[
    (
        "إدارة التخطيط والميزانية",
        "Planning and Budget Department",
        "Direction de la planification et du budget",
        "PLAN",
    ),
    (
        "إدارة المشروعات",
        "Projects Department",
        "Direction des projets",
        "PROJ",
    ),
    (
        "إدارة الشؤون الإدارية والموارد البشرية",
        "Administration and Human Resources Department",
        "Direction de l'administration et des ressources humaines",
        "HR",
    ),
    (
        "إدارة الشؤون القانونية",
        "Legal Affairs Department",
        "Direction des affaires juridiques",
        "LEGAL",
    ),
    (
        "إدارة خدمة المواطن",
        "Citizen Services Department",
        "Direction des services aux citoyens",
        "CITIZEN",
    ),
];

/// Libyan public holidays of 2026 and 2027 with fixed dates, and the
/// expected dates of the Islamic ones (they follow the lunar calendar and are
/// confirmed each year).
const HOLIDAYS: &[(&str, &str)] = &[
    ("2026-02-17", "ذكرى ثورة 17 فبراير"),
    ("2026-03-20", "عيد الفطر"),
    ("2026-03-21", "عيد الفطر"),
    ("2026-05-01", "عيد العمال"),
    ("2026-05-26", "وقفة عرفة"),
    ("2026-05-27", "عيد الأضحى"),
    ("2026-05-28", "عيد الأضحى"),
    ("2026-08-25", "المولد النبوي الشريف"),
    ("2026-09-16", "يوم الشهيد"),
    ("2026-10-23", "يوم التحرير"),
    ("2026-12-24", "عيد الاستقلال"),
    ("2027-02-17", "ذكرى ثورة 17 فبراير"),
    ("2027-05-01", "عيد العمال"),
    ("2027-09-16", "يوم الشهيد"),
    ("2027-10-23", "يوم التحرير"),
    ("2027-12-24", "عيد الاستقلال"),
];

/// code, workflow, prefix, Arabic, English, French names, default department, auto-route, deadline.
type CatalogueEntry = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    usize,
    bool,
    i32,
);

fn caller(u: &User) -> Caller {
    Caller {
        user_id: u.id,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role: u.role,
        org_id: u.org_id,
        ip: None,
        scopes: None,
        locale: None,
    }
}

fn org(parent: Option<Uuid>, kind: OrgKind, code: &str, ar: &str, en: &str, fr: &str) -> NewOrg {
    NewOrg {
        parent_id: parent,
        kind,
        code: code.into(),
        name_ar: ar.into(),
        name_en: en.into(),
        name_fr: fr.into(),
        time_zone: DEFAULT_TIME_ZONE.into(),
    }
}

/// The demo organizations, people and case types, as loaded.
pub struct Demo {
    pub ministry: Organization,
    pub departments: Vec<Organization>,
    pub municipalities: Vec<Organization>,
    pub users: Vec<User>,
    pub case_types: Vec<CaseType>,
    pub sign_ins: Vec<DemoSignIn>,
}

impl Services {
    /// Whether the database holds no organization yet.
    pub async fn is_empty(&self) -> Result<bool> {
        Ok(self.list_orgs().await?.is_empty())
    }

    /// Loads the organizations, accounts and catalogue of the demo (no cases).
    pub async fn load_demo_base(&self) -> Result<Demo> {
        let ministry = self
            .create_org(
                None,
                org(
                    None,
                    OrgKind::Ministry,
                    "MLG",
                    "وزارة الحكم المحلي",
                    "Ministry of Local Government",
                    "Ministère de la Gouvernance locale",
                ),
            )
            .await?;
        for (day, name) in HOLIDAYS {
            let d = diwan_domain::calendar::parse_date(day)?;
            self.add_holiday(None, ministry.id, d, name).await?;
        }
        let mut departments = Vec::new();
        for (ar, en, fr, code) in DEPARTMENTS {
            let d = self
                .create_org(
                    None,
                    org(Some(ministry.id), OrgKind::Department, code, ar, en, fr),
                )
                .await?;
            departments.push(d);
        }
        // Sections show that the tree goes deeper than departments.
        self.create_org(
            None,
            org(
                Some(departments[0].id),
                OrgKind::Section,
                "PLAN-BUDGET",
                "قسم الميزانية",
                "Budget Section",
                "Section du budget",
            ),
        )
        .await?;
        self.create_org(
            None,
            org(
                Some(departments[0].id),
                OrgKind::Section,
                "PLAN-STATS",
                "قسم الإحصاء",
                "Statistics Section",
                "Section des statistiques",
            ),
        )
        .await?;
        let mut municipalities = Vec::new();
        for (ar, latin, code) in MUNICIPALITIES {
            let fr = latin.replace("Center", "Centre");
            let m = self
                .create_org(
                    None,
                    org(
                        Some(ministry.id),
                        OrgKind::Municipality,
                        &format!("M-{code}"),
                        ar,
                        &format!("{latin} Municipality"),
                        &format!("Municipalité de {fr}"),
                    ),
                )
                .await?;
            municipalities.push(m);
        }

        let people: &[(&str, &str, Role, Uuid)] = &[
            ("admin", "مدير المنظومة", Role::Admin, ministry.id),
            (
                "registry",
                "سالم الورفلي — قلم الوزارة",
                Role::RegistryClerk,
                ministry.id,
            ),
            (
                "auditor",
                "فاطمة الزوي — المراجعة",
                Role::Auditor,
                ministry.id,
            ),
            (
                "head.plan",
                "عبد الله المبروك — مدير إدارة التخطيط",
                Role::DepartmentHead,
                departments[0].id,
            ),
            (
                "officer.plan",
                "مريم الشريف — موظفة التخطيط",
                Role::Officer,
                departments[0].id,
            ),
            (
                "officer.plan2",
                "خالد بن عمران — موظف التخطيط",
                Role::Officer,
                departments[0].id,
            ),
            (
                "head.proj",
                "أحمد القذافي الدم — مدير إدارة المشروعات",
                Role::DepartmentHead,
                departments[1].id,
            ),
            (
                "officer.proj",
                "هند الفيتوري — موظفة المشروعات",
                Role::Officer,
                departments[1].id,
            ),
            (
                "head.hr",
                "نوري الترهوني — مدير الشؤون الإدارية",
                Role::DepartmentHead,
                departments[2].id,
            ),
            (
                "officer.hr",
                "سعاد المقريف — موظفة الشؤون الإدارية",
                Role::Officer,
                departments[2].id,
            ),
            (
                "head.legal",
                "منصور الكيخيا — مدير الشؤون القانونية",
                Role::DepartmentHead,
                departments[3].id,
            ),
            (
                "officer.legal",
                "رحاب السنوسي — مستشارة قانونية",
                Role::Officer,
                departments[3].id,
            ),
            (
                "head.citizen",
                "علي الزنتاني — مدير خدمة المواطن",
                Role::DepartmentHead,
                departments[4].id,
            ),
            (
                "inquiry.manager",
                "سلوى المنتصر — الاستعلام الوطني",
                Role::InquiryManager,
                departments[4].id,
            ),
            (
                "inquiry.approver",
                "نوري بوسهمين — اعتماد الاستعلامات",
                Role::InquiryManager,
                departments[4].id,
            ),
            (
                "agent.1415",
                "مريم الورفلي — مركز الاتصال 1415",
                Role::CallCentreAgent,
                departments[4].id,
            ),
            (
                "clerk.tripoli",
                "ليلى بن سليمان — موظفة بلدية طرابلس المركز",
                Role::MunicipalClerk,
                municipalities[0].id,
            ),
            (
                "head.tripoli",
                "عميد بلدية طرابلس المركز",
                Role::MunicipalHead,
                municipalities[0].id,
            ),
            (
                "clerk.benghazi",
                "يوسف العبيدي — موظف بلدية بنغازي",
                Role::MunicipalClerk,
                municipalities[1].id,
            ),
            (
                "head.benghazi",
                "عميد بلدية بنغازي",
                Role::MunicipalHead,
                municipalities[1].id,
            ),
            (
                "clerk.misrata",
                "آمنة الدبيبة — موظفة بلدية مصراتة",
                Role::MunicipalClerk,
                municipalities[2].id,
            ),
            (
                "clerk.sabha",
                "محمد التارقي — موظف بلدية سبها",
                Role::MunicipalClerk,
                municipalities[4].id,
            ),
        ];
        let mut users = Vec::new();
        let mut sign_ins = Vec::new();
        let orgs = self.list_orgs().await?;
        // Every demo account has the same password: hash it once.
        let demo_hash = self.passwords.hash(DEMO_PASSWORD).await?;
        for (username, name, role, org_id) in people {
            let u = self
                .create_user(
                    None,
                    NewUser {
                        username: (*username).into(),
                        display_name: (*name).into(),
                        role: *role,
                        org_id: *org_id,
                        password: DEMO_PASSWORD.into(),
                        password_hash: Some(demo_hash.clone()),
                    },
                )
                .await?;
            let org = orgs
                .iter()
                .find(|o| o.id == *org_id)
                .map(|o| o.name_en.clone())
                .unwrap_or_default();
            sign_ins.push(DemoSignIn {
                username: u.username.clone(),
                role: u.role,
                org,
            });
            users.push(u);
        }

        let types: &[CatalogueEntry] = &[
            (
                "budget_transfer",
                "municipal_request",
                "BDG",
                "طلب مناقلة في الميزانية",
                "Budget transfer",
                "Virement budgétaire",
                0,
                false,
                10,
            ),
            (
                "project_approval",
                "municipal_request",
                "PRJ",
                "طلب اعتماد مشروع",
                "Project approval",
                "Approbation de projet",
                1,
                false,
                15,
            ),
            (
                "staffing",
                "municipal_request",
                "STF",
                "طلب تعيين أو ندب موظفين",
                "Staffing request",
                "Demande de personnel",
                2,
                true,
                10,
            ),
            (
                "legal_opinion",
                "municipal_request",
                "LGL",
                "طلب رأي قانوني",
                "Legal opinion",
                "Avis juridique",
                3,
                false,
                7,
            ),
            (
                "citizen_complaint",
                "municipal_request",
                "CMP",
                "شكوى مواطن مُصعّدة",
                "Escalated citizen complaint",
                "Plainte de citoyen transmise",
                4,
                true,
                5,
            ),
            (
                "internal_memo",
                "internal_memo",
                "MEM",
                "مذكرة داخلية",
                "Internal memo",
                "Note interne",
                0,
                false,
                5,
            ),
        ];
        let mut case_types = Vec::new();
        for (code, wf, prefix, ar, en, fr, dept, auto, days) in types.iter() {
            let fields = demo_fields(code);
            let t = self
                .save_case_type(
                    None,
                    CaseType {
                        id: Uuid::now_v7(),
                        code: (*code).into(),
                        workflow: (*wf).into(),
                        prefix: (*prefix).into(),
                        name_ar: (*ar).into(),
                        name_en: (*en).into(),
                        name_fr: (*fr).into(),
                        default_department_id: Some(departments[*dept].id),
                        auto_route: *auto,
                        deadline_days: *days,
                        active: true,
                        fields,
                    },
                )
                .await?;
            case_types.push(t);
        }
        Ok(Demo {
            ministry,
            departments,
            municipalities,
            users,
            case_types,
            sign_ins,
        })
    }
}
