//! The demo's requests: the typed fields of its case types, and a few
//! dozen requests in various states, filed and moved through the ordinary
//! use cases by the demo's people.

use super::{caller, Demo};
use crate::cases::{Move, NewCase};
use crate::{Result, Services};
use diwan_domain::cases::fields::{FieldDef, FieldKind};

fn field(code: &str, kind: FieldKind, required: bool, ar: &str, en: &str, fr: &str) -> FieldDef {
    FieldDef {
        code: code.into(),
        kind,
        required,
        label_ar: ar.into(),
        label_en: en.into(),
        label_fr: fr.into(),
    }
}

/// The typed fields of the demo's case types.
pub(super) fn demo_fields(code: &str) -> Vec<FieldDef> {
    let lyd = || FieldKind::Money {
        currency: "LYD".into(),
        decimals: 3,
    };
    match code {
        "budget_transfer" => vec![
            field(
                "amount",
                lyd(),
                false,
                "المبلغ (دينار ليبي)",
                "Amount (LYD)",
                "Montant (LYD)",
            ),
            field(
                "from_line",
                FieldKind::Text { max: 120 },
                false,
                "من بند",
                "From budget line",
                "Depuis la ligne budgétaire",
            ),
            field(
                "to_line",
                FieldKind::Text { max: 120 },
                false,
                "إلى بند",
                "To budget line",
                "Vers la ligne budgétaire",
            ),
        ],
        "project_approval" => vec![
            field(
                "estimated_cost",
                lyd(),
                false,
                "التكلفة التقديرية (دينار ليبي)",
                "Estimated cost (LYD)",
                "Coût estimé (LYD)",
            ),
            field(
                "start_date",
                FieldKind::Date,
                false,
                "تاريخ البدء المقترح",
                "Proposed start date",
                "Date de début proposée",
            ),
        ],
        "staffing" => vec![field(
            "positions",
            FieldKind::Integer,
            false,
            "عدد الوظائف",
            "Number of positions",
            "Nombre de postes",
        )],
        _ => Vec::new(),
    }
}

impl Services {
    /// Loads the whole demo: the base and a few dozen requests in various states.
    pub async fn load_demo(&self) -> Result<Demo> {
        let demo = self.load_demo_base().await?;
        let u = |name: &str| {
            caller(
                demo.users
                    .iter()
                    .find(|u| u.username == name)
                    .expect("demo user exists"),
            )
        };
        let registry = u("registry");
        let subjects: &[(&str, &str)] = &[
            ("مناقلة بند صيانة الطرق إلى بند الإنارة العامة", "نرجو الموافقة على مناقلة مبلغ 250,000 دينار من بند صيانة الطرق إلى بند الإنارة العامة لاستكمال مشروع إنارة الطريق الساحلي."),
            ("اعتماد مشروع صيانة مدرسة الشهداء الابتدائية", "تتقدم البلدية بطلب اعتماد مشروع صيانة مدرسة الشهداء الابتدائية، مرفق المقايسة والمخططات."),
            ("ندب مهندس مدني إلى قسم المشروعات بالبلدية", "نظرًا للنقص في الكوادر الفنية نطلب ندب مهندس مدني لمدة سنة."),
            ("رأي قانوني في عقد إيجار السوق البلدي", "نطلب الرأي القانوني في تجديد عقد إيجار السوق البلدي المنتهي."),
            ("شكوى مواطن بشأن تجمع مياه الأمطار بحي الأندلس", "تلقت البلدية عبر مركز الاتصال 1415 شكوى متكررة بشأن تجمع مياه الأمطار."),
            ("طلب دعم ميزانية النظافة العامة", "نطلب دعمًا إضافيًا لميزانية النظافة العامة للربع الأخير."),
        ];
        let clerks = [
            "clerk.tripoli",
            "clerk.benghazi",
            "clerk.misrata",
            "clerk.sabha",
        ];
        let heads = [
            "head.plan",
            "head.proj",
            "head.hr",
            "head.legal",
            "head.citizen",
        ];
        let officers = [
            "officer.plan",
            "officer.proj",
            "officer.hr",
            "officer.legal",
            "head.citizen",
        ];
        let mut n = 0usize;
        for round in 0..6 {
            for (ti, t) in demo.case_types.iter().enumerate().take(5) {
                let clerk = u(clerks[(round + ti) % clerks.len()]);
                let (subject, body) = subjects[(ti + round) % subjects.len()];
                let stage = (n * 7 + round) % 9;
                n += 1;
                let c = self
                    .create_case(
                        &clerk,
                        NewCase {
                            case_type_id: Some(t.id),
                            subject: subject.into(),
                            body: body.into(),
                            submit: stage > 0,
                            ..NewCase::default()
                        },
                    )
                    .await?;
                if stage == 0 {
                    continue; // a draft
                }
                let dept = demo.departments[ti % demo.departments.len()].id;
                if !t.auto_route {
                    if stage == 1 {
                        continue; // waits at the registry
                    }
                    self.transition(
                        &registry,
                        c.id,
                        Move {
                            action: "route".into(),
                            department_id: Some(dept),
                            ..Move::default()
                        },
                    )
                    .await?;
                }
                if stage == 2 {
                    continue; // routed, unassigned
                }
                let head = u(heads[ti % heads.len()]);
                let officer = u(officers[ti % officers.len()]);
                self.transition(
                    &head,
                    c.id,
                    Move {
                        action: "assign".into(),
                        assignee_id: Some(officer.user_id),
                        ..Move::default()
                    },
                )
                .await?;
                if stage == 3 {
                    continue;
                }
                self.post_message(
                    &officer,
                    c.id,
                    "يُرجى استيفاء المستندات المطلوبة وفق التعميم رقم 12 لسنة 2026.",
                    true,
                )
                .await?;
                self.transition(
                    &officer,
                    c.id,
                    Move {
                        action: "request_info".into(),
                        message: Some("نرجو موافاتنا بنسخة من محضر اجتماع المجلس البلدي.".into()),
                        ..Move::default()
                    },
                )
                .await?;
                if stage == 4 {
                    continue; // waits on the municipality
                }
                self.transition(
                    &clerk,
                    c.id,
                    Move {
                        action: "reply".into(),
                        message: Some("مرفق محضر الاجتماع المعتمد.".into()),
                        ..Move::default()
                    },
                )
                .await?;
                if stage == 5 {
                    continue;
                }
                if stage == 6 {
                    self.transition(
                        &officer,
                        c.id,
                        Move {
                            action: "reject".into(),
                            message: Some(
                                "الطلب لا يستوفي الشروط المنصوص عليها في اللائحة المالية.".into(),
                            ),
                            ..Move::default()
                        },
                    )
                    .await?;
                    continue;
                }
                self.transition(
                    &officer,
                    c.id,
                    Move {
                        action: "answer".into(),
                        message: Some(
                            "تمت الموافقة على الطلب، ويُحال إلى الجهات المختصة للتنفيذ.".into(),
                        ),
                        ..Move::default()
                    },
                )
                .await?;
                if stage == 8 {
                    self.transition(
                        &clerk,
                        c.id,
                        Move {
                            action: "acknowledge".into(),
                            ..Move::default()
                        },
                    )
                    .await?;
                }
            }
        }
        // Two memos between departments.
        let memo = demo
            .case_types
            .iter()
            .find(|t| t.workflow == "internal_memo")
            .expect("memo type");
        let head_plan = u("head.plan");
        self.create_case(
            &head_plan,
            NewCase {
                case_type_id: Some(memo.id),
                subject: "إحالة تقرير الإنفاق الربعي".into(),
                body: "نحيل إليكم تقرير الإنفاق للربع الثالث لإبداء الرأي.".into(),
                submit: true,
                department_id: Some(demo.departments[3].id),
                ..NewCase::default()
            },
        )
        .await?;
        self.create_case(
            &u("officer.proj"),
            NewCase {
                case_type_id: Some(memo.id),
                subject: "مسودة مذكرة بشأن معايير المشروعات".into(),
                body: "مسودة قيد الإعداد.".into(),
                ..NewCase::default()
            },
        )
        .await?;
        Ok(demo)
    }
}
