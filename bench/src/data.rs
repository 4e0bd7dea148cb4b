//! The benchmark's synthetic data: who files, what they write, and the
//! million cases the loader puts straight into the database.
//!
//! Everything here is deterministic for a given seed, so two runs load the
//! same cases.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diwan_domain::text::normalize_for_search;
use rand::distributions::{Distribution, WeightedIndex};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;
use uuid::Uuid;

/// Libyan municipalities beyond the fourteen of the demo: Arabic name and a
/// Latin transliteration. The benchmark numbers any it still needs.
pub const MORE_MUNICIPALITIES: &[(&str, &str)] = &[
    ("بلدية أجدابيا", "Ajdabiya"),
    ("بلدية الكفرة", "Kufra"),
    ("بلدية المرج", "Marj"),
    ("بلدية شحات", "Shahat"),
    ("بلدية القبة", "Qubbah"),
    ("بلدية توكرة", "Tukrah"),
    ("بلدية سلوق", "Suluq"),
    ("بلدية جالو", "Jalu"),
    ("بلدية أوجلة", "Awjila"),
    ("بلدية البريقة", "Brega"),
    ("بلدية هون", "Hun"),
    ("بلدية ودان", "Waddan"),
    ("بلدية سوكنة", "Sokna"),
    ("بلدية أوباري", "Ubari"),
    ("بلدية مرزق", "Murzuq"),
    ("بلدية براك الشاطئ", "Brak"),
    ("بلدية القطرون", "Qatrun"),
    ("بلدية تراغن", "Traghan"),
    ("بلدية غدامس", "Ghadames"),
    ("بلدية نالوت", "Nalut"),
    ("بلدية يفرن", "Yafran"),
    ("بلدية الزنتان", "Zintan"),
    ("بلدية جادو", "Jadu"),
    ("بلدية الرجبان", "Rujban"),
    ("بلدية مزدة", "Mizdah"),
    ("بلدية بني وليد", "Bani Walid"),
    ("بلدية ترهونة", "Tarhuna"),
    ("بلدية مسلاتة", "Msallata"),
    ("بلدية زوارة", "Zuwara"),
    ("بلدية الجميل", "Jumayl"),
    ("بلدية رقدالين", "Riqdalin"),
    ("بلدية العجيلات", "Ajaylat"),
    ("بلدية صرمان", "Surman"),
    ("بلدية ككلة", "Kikla"),
    ("بلدية الأصابعة", "Asabiya"),
    ("بلدية العزيزية", "Aziziya"),
    ("بلدية سوق الجمعة", "Souq al-Juma"),
    ("بلدية تاجوراء", "Tajura"),
    ("بلدية حي الأندلس", "Hay al-Andalus"),
    ("بلدية أبو سليم", "Abu Salim"),
    ("بلدية جنزور", "Janzur"),
    ("بلدية عين زارة", "Ain Zara"),
    ("بلدية قصر بن غشير", "Qasr bin Ghashir"),
    ("بلدية سوق الخميس", "Souq al-Khamis"),
    ("بلدية الأبيار", "Abyar"),
    ("بلدية قمينس", "Qaminis"),
    ("بلدية الأبرق", "Abraq"),
    ("بلدية الجغبوب", "Jaghbub"),
    ("بلدية تازربو", "Tazirbu"),
    ("بلدية زلة", "Zallah"),
    ("بلدية الشقيقة", "Shgeiga"),
    ("بلدية القلعة", "Qalaa"),
    ("بلدية الزهراء", "Zahra"),
    ("بلدية الماية", "Maya"),
    ("بلدية قصر الأخيار", "Qasr al-Akhyar"),
    ("بلدية الشويرف", "Shwayrif"),
    ("بلدية وادي عتبة", "Wadi Utbah"),
    ("بلدية أم الأرانب", "Umm al-Aranib"),
    ("بلدية تمسة", "Tmessa"),
    ("بلدية الحرابة", "Haraba"),
];

/// Neighbourhoods that complaints name.
const NEIGHBOURHOODS: &[&str] = &[
    "الأندلس",
    "السلماني",
    "الفويهات",
    "قرقارش",
    "الهضبة",
    "الصابري",
    "بن عاشور",
    "الحدائق",
    "المنشية",
    "الظهرة",
    "السياحية",
    "الكيش",
];

/// Subjects per case type, in the order of the demo's case types
/// (budget transfer, project approval, staffing, legal opinion, complaint).
pub const SUBJECTS: [&[&str]; 5] = [
    &[
        "مناقلة بند صيانة الطرق إلى بند الإنارة العامة",
        "طلب دعم ميزانية النظافة العامة",
        "طلب تعزيز بند المرتبات للربع الأخير",
        "مناقلة مخصصات الوقود إلى بند صيانة الآليات",
    ],
    &[
        "اعتماد مشروع صيانة مدرسة ابتدائية",
        "اعتماد مشروع رصف الطرق الداخلية",
        "اعتماد مشروع توسعة شبكة المياه",
        "اعتماد مشروع إنشاء حديقة عامة",
    ],
    &[
        "ندب مهندس مدني إلى قسم المشروعات بالبلدية",
        "تعيين محاسب بإدارة الشؤون المالية",
        "طلب تمديد عقود العاملين المؤقتين",
        "نقل موظف من مكتب الخدمات إلى ديوان البلدية",
    ],
    &[
        "رأي قانوني في عقد إيجار السوق البلدي",
        "رأي قانوني بشأن نزاع على ملكية أرض",
        "مراجعة مشروع لائحة الرسوم البلدية",
        "رأي قانوني في تسوية مستحقات مقاول",
    ],
    &[
        "شكوى مواطن بشأن تجمع مياه الأمطار",
        "شكوى بشأن انقطاع الإنارة العامة",
        "شكوى بشأن تراكم القمامة في الحي",
        "شكوى بشأن تأخر إصدار رخصة بناء",
    ],
];

/// Closing sentences, one of which ends every body.
const CLOSINGS: &[&str] = &[
    "مرفق المقايسة والمخططات ومحضر اجتماع المجلس البلدي.",
    "نأمل التكرم بالموافقة واتخاذ ما ترونه مناسبًا.",
    "وتفضلوا بقبول فائق الاحترام والتقدير.",
    "نرجو الإفادة في أقرب وقت ممكن نظرًا لأهمية الموضوع.",
    "مرفق صورة من المراسلات السابقة بشأن الموضوع.",
];

/// Words that searches look for, typed as a person types them; the
/// benchmark counts how many cases each matches after loading.
pub const SEARCH_WORDS: &[&str] = &["مدرسة", "القمامة", "الإنارة", "الأندلس", "المرتبات"];

/// The case types the benchmark files and loads: the demo's five municipal
/// request types, with the share of cases each gets.
pub const TYPE_WEIGHTS: [u32; 5] = [20, 20, 15, 15, 30];

/// A case type as the benchmark needs it.
#[derive(Clone, Debug)]
pub struct Kind {
    pub id: Uuid,
    pub prefix: String,
    /// Index into `World::departments`.
    pub department: usize,
    pub auto_route: bool,
    pub deadline_days: i64,
}

#[derive(Clone, Debug)]
pub struct Municipality {
    pub id: Uuid,
    pub name_ar: String,
    pub clerk_id: Uuid,
    pub clerk_username: String,
}

#[derive(Clone, Debug)]
pub struct Department {
    pub id: Uuid,
    pub head_username: String,
    /// Officers (and heads who work cases) who get assignments.
    pub officers: Vec<Uuid>,
}

/// The organizations, people and case types loaded through the services.
#[derive(Clone, Debug)]
pub struct World {
    pub ministry_id: Uuid,
    pub departments: Vec<Department>,
    pub municipalities: Vec<Municipality>,
    pub kinds: Vec<Kind>,
    pub registry_username: String,
}

/// One case row, in the columns of the `cases` table.
#[derive(Clone, Debug)]
pub struct CaseRow {
    pub id: Uuid,
    pub case_type_id: Uuid,
    pub tracking_number: String,
    pub subject: String,
    pub body: String,
    pub fields: String,
    pub filer_org_id: Uuid,
    pub filer_user_id: Uuid,
    pub holder_org_id: Option<Uuid>,
    pub holder_since: Option<DateTime<Utc>>,
    pub assignee_id: Option<Uuid>,
    pub state: &'static str,
    pub clock: &'static str,
    pub due_date: Option<NaiveDate>,
    pub paused_days_left: Option<i32>,
    pub overdue: bool,
    pub submitted_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub search_text: String,
}

/// States and their shares (per thousand) among loaded cases.
const STATES: &[(&str, u32)] = &[
    ("draft", 30),
    ("submitted", 30),
    ("routed", 80),
    ("assigned", 140),
    ("info_requested", 50),
    ("answered", 270),
    ("rejected", 50),
    ("withdrawn", 20),
    ("closed", 330),
];

fn clock_of(state: &str) -> &'static str {
    match state {
        "draft" => "not_started",
        "info_requested" => "paused",
        "answered" | "rejected" | "withdrawn" | "closed" => "stopped",
        _ => "running",
    }
}

/// The skeleton of a case, drawn first so cases can be numbered in filing order.
#[derive(Clone, Copy)]
pub struct Skeleton {
    pub created_at: DateTime<Utc>,
    pub kind: usize,
    pub municipality: usize,
    pub state: usize,
    pub seq: u32,
    pub year: i32,
}

/// Libya's time (UTC+2, no daylight saving): the ministry's calendar day and year.
fn local_date(t: DateTime<Utc>) -> NaiveDate {
    (t + Duration::hours(2)).date_naive()
}

/// Weights of municipalities: a few large cities file most, as in life (Zipf, s = 0.9).
pub fn municipality_weights(n: usize) -> Vec<f64> {
    (0..n).map(|i| 1.0 / ((i + 1) as f64).powf(0.9)).collect()
}

/// Draws `count` case skeletons over the two years before `now`, sorted by
/// filing time and numbered per prefix and year.
pub fn skeletons(
    rng: &mut StdRng,
    world: &World,
    count: usize,
    now: DateTime<Utc>,
) -> (Vec<Skeleton>, Vec<(String, i32, u32)>) {
    let munis =
        WeightedIndex::new(municipality_weights(world.municipalities.len())).expect("weights");
    let kinds = WeightedIndex::new(TYPE_WEIGHTS).expect("weights");
    let states = WeightedIndex::new(STATES.iter().map(|s| s.1)).expect("weights");
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let kind = kinds.sample(rng);
        let mut state = states.sample(rng);
        if STATES[state].0 == "submitted" && world.kinds[kind].auto_route {
            state = 2; // routed: these types route themselves on submission
        }
        let max_age_secs: i64 = match clock_of(STATES[state].0) {
            "not_started" => 30 * 86_400,
            "running" | "paused" => 90 * 86_400,
            _ => 730 * 86_400,
        };
        let age = rng.gen_range(3_600..max_age_secs);
        let created_at =
            now - Duration::seconds(age) + Duration::microseconds(rng.gen_range(0..1_000_000));
        out.push(Skeleton {
            created_at,
            kind,
            municipality: munis.sample(rng),
            state,
            seq: 0,
            year: 0,
        });
    }
    out.sort_by_key(|s| s.created_at);
    let mut last: std::collections::BTreeMap<(usize, i32), u32> = Default::default();
    for s in &mut out {
        let year = local_date(s.created_at)
            .format("%Y")
            .to_string()
            .parse()
            .unwrap_or(2026);
        let n = last.entry((s.kind, year)).or_insert(0);
        *n += 1;
        s.seq = *n;
        s.year = year;
    }
    let seqs = last
        .into_iter()
        .map(|((k, y), n)| (world.kinds[k].prefix.clone(), y, n))
        .collect();
    (out, seqs)
}

/// A subject and a body for a case of type `kind` filed by `muni`, with a
/// six-digit reference number that makes rare searches possible.
pub fn letter(
    rng: &mut StdRng,
    kind: usize,
    muni: &str,
    created: NaiveDate,
) -> (String, String, u32) {
    let subject = (*SUBJECTS[kind].choose(rng).expect("subjects")).to_owned();
    let reference: u32 = rng.gen_range(100_000..1_000_000);
    let council: u32 = rng.gen_range(1..200);
    let amount: u32 = rng.gen_range(5..900) * 1_000;
    let hood = NEIGHBOURHOODS.choose(rng).expect("neighbourhoods");
    let closing = CLOSINGS.choose(rng).expect("closings");
    let middle = match kind {
        0 => format!(
            "نرجو الموافقة على مناقلة مبلغ {amount} دينار وفق قرار المجلس البلدي رقم {council}."
        ),
        1 => format!("تبلغ القيمة التقديرية للمشروع {amount} دينار، ويخدم سكان منطقة {hood}."),
        2 => format!(
            "نظرًا للنقص في الكوادر الفنية نطلب ذلك لمدة سنة وفق قرار المجلس البلدي رقم {council}."
        ),
        3 => format!("نطلب الرأي القانوني قبل العرض على المجلس البلدي في جلسته رقم {council}."),
        _ => format!(
            "تلقت البلدية عبر مركز الاتصال شكاوى متكررة من سكان حي {hood}، ونرجو التدخل العاجل."
        ),
    };
    let body = format!(
        "بالإشارة إلى كتابنا رقم {reference} بتاريخ {}، تتقدم {muni} بهذا الطلب. {middle} {closing}",
        created.format("%Y-%m-%d")
    );
    (subject, body, reference)
}

/// Builds the full row of a skeleton.
pub fn case_row(
    rng: &mut StdRng,
    world: &World,
    s: &Skeleton,
    now: DateTime<Utc>,
) -> (CaseRow, u32) {
    let kind = &world.kinds[s.kind];
    let dept = &world.departments[kind.department];
    let muni = &world.municipalities[s.municipality];
    let state = STATES[s.state].0;
    let clock = clock_of(state);
    let created = s.created_at;
    let tracking = format!("{}-{}-{:06}", kind.prefix, s.year, s.seq);
    let (subject, body, reference) = letter(rng, s.kind, &muni.name_ar, local_date(created));
    let clamp = |t: DateTime<Utc>| if t > now { now } else { t };
    let mut r = CaseRow {
        id: uuid_at(rng, created),
        case_type_id: kind.id,
        tracking_number: tracking,
        search_text: String::new(),
        subject,
        body,
        fields: if s.kind == 0 {
            format!("{{\"reference\": {reference}}}")
        } else {
            "{}".into()
        },
        filer_org_id: muni.id,
        filer_user_id: muni.clerk_id,
        holder_org_id: None,
        holder_since: None,
        assignee_id: None,
        state,
        clock,
        due_date: None,
        paused_days_left: None,
        overdue: false,
        submitted_at: None,
        closed_at: None,
        created_at: created,
        updated_at: clamp(created + Duration::seconds(rng.gen_range(0..3_600))),
    };
    if state != "draft" {
        let submitted = clamp(created + Duration::seconds(rng.gen_range(0..7_200)));
        r.submitted_at = Some(submitted);
        // Working days are about five sevenths of calendar days.
        r.due_date = Some(local_date(submitted) + Duration::days(kind.deadline_days * 7 / 5));
        if state == "submitted" {
            r.holder_org_id = Some(world.ministry_id);
            r.holder_since = Some(submitted);
            r.updated_at = submitted;
        } else {
            let routed = if kind.auto_route {
                submitted
            } else {
                clamp(submitted + Duration::seconds(rng.gen_range(600..2 * 86_400)))
            };
            r.holder_org_id = Some(dept.id);
            r.holder_since = Some(routed);
            if !matches!(state, "routed" | "withdrawn") {
                r.assignee_id = Some(*dept.officers.choose(rng).expect("officers"));
            }
            if clock == "stopped" {
                let closed = clamp(routed + Duration::seconds(rng.gen_range(86_400..45 * 86_400)));
                r.closed_at = Some(closed);
                r.updated_at = closed;
            } else {
                let age = (now - routed).num_seconds().max(1);
                r.updated_at =
                    clamp(routed + Duration::seconds(rng.gen_range(0..age.min(30 * 86_400))));
            }
            if clock == "paused" {
                r.paused_days_left =
                    Some(rng.gen_range(1..=i32::try_from(kind.deadline_days).unwrap_or(1).max(1)));
            }
        }
        r.overdue = clock == "running" && r.due_date.is_some_and(|d| d < local_date(now));
    }
    r.search_text =
        normalize_for_search(&format!("{} {} {}", r.tracking_number, r.subject, r.body));
    (r, reference)
}

/// A UUIDv7 whose time is `t`, so loaded ids sort by filing time as real ones do.
pub fn uuid_at(rng: &mut StdRng, t: DateTime<Utc>) -> Uuid {
    let ms = u64::try_from(t.timestamp_millis()).unwrap_or(0);
    let mut b: [u8; 16] = rng.gen();
    b[0..6].copy_from_slice(&ms.to_be_bytes()[2..8]);
    b[6] = 0x70 | (b[6] & 0x0f);
    b[8] = 0x80 | (b[8] & 0x3f);
    Uuid::from_bytes(b)
}
