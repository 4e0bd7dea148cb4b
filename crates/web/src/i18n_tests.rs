//! Tests of `i18n`, kept beside it so that the module stays readable.

use super::*;
use chrono::TimeZone;
use std::collections::BTreeSet;

fn i18n() -> &'static I18n {
    I18n::global()
}

#[test]
fn shipped_files_parse() {
    assert!(I18n::try_new().is_ok(), "{:?}", I18n::try_new().err());
}

#[test]
fn every_language_has_the_same_message_ids() {
    // File by file: each capability's messages stay in its own file in
    // every language.
    for (n, file) in FILES.iter().enumerate() {
        let ids: Vec<(Lang, BTreeSet<&str>)> = SOURCES
            .iter()
            .map(|(lang, sources)| (*lang, message_ids(sources[n])))
            .collect();
        let (_, arabic) = &ids[0];
        assert!(!arabic.is_empty(), "{file}.ftl is empty");
        for (lang, other) in &ids[1..] {
            let missing: Vec<_> = arabic.difference(other).collect();
            let extra: Vec<_> = other.difference(arabic).collect();
            assert!(missing.is_empty(), "{lang}/{file}.ftl lacks {missing:?}");
            assert!(
                extra.is_empty(),
                "{lang}/{file}.ftl has ids Arabic lacks: {extra:?}"
            );
        }
    }
    let ids: Vec<(Lang, BTreeSet<&str>)> = SOURCES
        .iter()
        .map(|(lang, sources)| (*lang, sources.iter().flat_map(|s| message_ids(s)).collect()))
        .collect();
    assert!(ids[0].1.len() > 100, "suspiciously few messages");
    // The textual scan must agree with what Fluent itself loaded.
    for (lang, set) in &ids {
        for id in set {
            assert!(
                i18n().bundle(*lang).has_message(id),
                "{lang}: {id} not loaded"
            );
        }
    }
}

#[test]
fn keys_the_pages_rely_on_exist() {
    let required = [
        "app-name",
        "skip-to-content",
        "nav-queue",
        "signed-in-as",
        "acting-for",
        "error-not-found",
        "error-csrf-failed",
        "error-unsupported-media-type",
        "state-info-requested",
        "action-request-info",
        "role-registry-clerk",
        "cases-count",
        "unread-count",
        "attachment-limits",
        "notification-reply-received",
        "audit-from-where",
        "api-openapi-link",
    ];
    for lang in Lang::ALL {
        for key in required {
            assert!(i18n().has(lang, key), "{lang} lacks {key}");
        }
    }
}

/// Every error code and every reason a field can be refused for is said
/// in every language: the closed sets and the files cannot drift apart.
#[test]
fn every_error_code_and_reason_is_translated() {
    for lang in Lang::ALL {
        for code in diwan_domain::ErrorCode::ALL {
            let key = code.translation_key();
            assert!(i18n().has(lang, &key), "{lang} lacks {key}");
        }
        for reason in diwan_domain::Reason::ALL {
            assert!(
                i18n().has(lang, reason.key()),
                "{lang} lacks {}",
                reason.key()
            );
        }
    }
}

#[test]
fn no_isolation_marks_and_no_leftover_placeholders() {
    let tr = i18n().tr(Lang::Ar);
    let text = tr.t_s("signed-in-as", "name", "سالم");
    assert!(text.contains("سالم"));
    assert!(!text.contains('\u{2068}') && !text.contains('\u{2069}'));
    for lang in Lang::ALL {
        let tr = i18n().tr(lang);
        let text = tr.t_s("request-filed", "number", "LY-2025-000042");
        assert!(text.contains("LY-2025-000042"), "{lang}: {text}");
        assert!(!text.contains('{'), "{lang}: {text}");
        let size = tr.t_n("attachment-limits", "size", 25);
        assert!(size.contains("25"), "{lang}: {size}");
    }
}

#[test]
fn arabic_plurals_use_six_distinct_forms() {
    let tr = i18n().tr(Lang::Ar);
    for key in ["cases-count", "unread-count"] {
        // Digits are masked so that the test compares the grammatical
        // forms chosen, not merely the numbers written into them.
        let shapes: Vec<String> = [0_i64, 1, 2, 3, 11, 100]
            .iter()
            .map(|n| {
                tr.t_n(key, "count", *n)
                    .chars()
                    .map(|c| if c.is_ascii_digit() { '#' } else { c })
                    .collect()
            })
            .collect();
        let distinct: BTreeSet<&String> = shapes.iter().collect();
        assert_eq!(distinct.len(), 6, "{key}: {shapes:#?}");
    }
    assert_eq!(tr.t_n("cases-count", "count", 1), "معاملة واحدة");
    assert_eq!(tr.t_n("cases-count", "count", 2), "معاملتان");
    assert_eq!(tr.t_n("cases-count", "count", 5), "5 معاملات");
    assert_eq!(tr.t_n("cases-count", "count", 103), "103 معاملات");
    assert_eq!(tr.t_n("cases-count", "count", 111), "111 معاملةً");
    assert_eq!(tr.t_n("cases-count", "count", 200), "200 معاملة");
    assert_eq!(
        tr.t_n("unread-count", "count", 1_010),
        "1010 إشعارات غير مقروءة"
    );
}

#[test]
fn arabic_plural_categories_follow_cldr() {
    let cases: [(f64, &str); 18] = [
        (0.0, "zero"),
        (1.0, "one"),
        (2.0, "two"),
        (3.0, "few"),
        (10.0, "few"),
        (11.0, "many"),
        (99.0, "many"),
        (100.0, "other"),
        (101.0, "other"),
        (102.0, "other"),
        (103.0, "few"),
        (110.0, "few"),
        (111.0, "many"),
        (199.0, "many"),
        (1_000.0, "other"),
        (1_003.0, "few"),
        (2.5, "other"),
        (-3.0, "few"),
    ];
    for (n, category) in cases {
        assert_eq!(arabic_plural_category(n), category, "{n}");
    }
}

#[test]
fn arabic_plural_messages_select_through_the_function() {
    // Every Arabic plural must go through PLURAL(); see
    // arabic_plural_function for why.
    let (_, arabic) = SOURCES[0];
    assert!(
        arabic.iter().all(|s| !s.contains("$count ->")),
        "select on PLURAL($count)"
    );
    assert!(arabic.iter().any(|s| s.contains("PLURAL($count) ->")));
}

#[test]
fn english_and_french_plurals() {
    let en = i18n().tr(Lang::En);
    assert_eq!(en.t_n("cases-count", "count", 1), "1 case");
    assert_eq!(en.t_n("cases-count", "count", 7), "7 cases");
    let fr = i18n().tr(Lang::Fr);
    assert_eq!(fr.t_n("cases-count", "count", 1), "1 dossier");
    assert_eq!(fr.t_n("cases-count", "count", 7), "7 dossiers");
    // References are accepted because templates pass arguments by
    // reference.
    let count: &usize = &7;
    assert_eq!(fr.t_n("cases-count", "count", count), "7 dossiers");
}

#[test]
fn fallbacks_never_panic() {
    let en = i18n().tr(Lang::En);
    assert_eq!(en.t("no-such-key"), "no-such-key");
    assert_eq!(en.t(""), "");
    assert_eq!(
        en.t("app-name.no-such-attribute"),
        "app-name.no-such-attribute"
    );
    assert_eq!(en.t("app-name"), "Diwan");
    assert_eq!(i18n().tr(Lang::Ar).t("app-name"), "ديوان");
    assert_eq!(
        en.t_code("state-", "info_requested"),
        en.t("state-info-requested")
    );
    assert_eq!(
        en.t_code("role-", "registry_clerk"),
        en.t("role-registry-clerk")
    );
    // A variable the caller forgot shows as a placeholder, not a panic.
    assert!(en.t("signed-in-as").contains("name"));
}

#[test]
fn language_codes() {
    assert_eq!(Lang::default(), Lang::Ar);
    assert_eq!(Lang::Ar.dir(), "rtl");
    assert_eq!(Lang::En.dir(), "ltr");
    assert_eq!(Lang::Fr.dir(), "ltr");
    assert_eq!(Lang::from_code("FR"), Some(Lang::Fr));
    assert_eq!(Lang::from_code("fr-FR"), None);
    assert_eq!(Lang::from_tag("fr-FR"), Some(Lang::Fr));
    assert_eq!(Lang::from_code("de"), None);
    for lang in Lang::ALL {
        assert_eq!(Lang::from_code(lang.code()), Some(lang));
        assert_eq!(lang.to_string().parse::<Lang>(), Ok(lang));
    }
    let tr = i18n().tr(Lang::En);
    assert!(tr.is("en") && !tr.is("ar"));
    assert_eq!((tr.code(), tr.dir(), tr.lang()), ("en", "ltr", Lang::En));
}

#[test]
fn negotiation() {
    assert_eq!(negotiate(None, None, Some("fr-FR,fr;q=0.9")), Lang::Fr);
    assert_eq!(negotiate(None, None, Some("de")), Lang::Ar);
    assert_eq!(negotiate(None, None, None), Lang::Ar);
    assert_eq!(negotiate(None, None, Some("")), Lang::Ar);
    assert_eq!(negotiate(None, Some("en"), Some("fr")), Lang::En);
    assert_eq!(negotiate(Some("fr"), Some("en"), Some("ar")), Lang::Fr);
    // Invalid earlier sources fall through to later ones.
    assert_eq!(negotiate(Some("xx"), Some("en"), None), Lang::En);
    assert_eq!(negotiate(Some(""), Some("zz"), Some("en-GB")), Lang::En);
    // Quality values are honoured, whatever the order.
    assert_eq!(
        negotiate(None, None, Some("de-DE, en;q=0.5, ar-LY;q=0.8")),
        Lang::Ar
    );
    assert_eq!(
        negotiate(None, None, Some("ar;q=0.2, en-GB;q=0.7")),
        Lang::En
    );
    // Ties go to the first listed; q=0 and malformed q are ignored.
    assert_eq!(negotiate(None, None, Some("en, fr")), Lang::En);
    assert_eq!(negotiate(None, None, Some("en;q=0, fr;q=0.1")), Lang::Fr);
    assert_eq!(negotiate(None, None, Some("en;q=abc, fr;q=0.1")), Lang::Fr);
    assert_eq!(negotiate(None, None, Some("en;q=2")), Lang::Ar);
    assert_eq!(negotiate(None, None, Some("*;q=1, fr;q=0.3")), Lang::Fr);
    assert_eq!(negotiate(None, None, Some("*")), Lang::Ar);
}

#[test]
fn dates_in_the_organisation_time_zone() {
    let tr = i18n().tr(Lang::Ar);
    let day = NaiveDate::from_ymd_opt(2025, 3, 9).unwrap();
    assert_eq!(tr.date(day), "2025-03-09");
    // Templates pass arguments by reference.
    let day_ref: &NaiveDate = &day;
    assert_eq!(tr.date(day_ref), "2025-03-09");
    // Tripoli is UTC+2 all year round.
    let at = Utc.with_ymd_and_hms(2025, 12, 31, 23, 30, 0).unwrap();
    assert_eq!(tr.datetime(at, "Africa/Tripoli"), "2026-01-01 01:30");
    assert_eq!(tr.datetime(at, ""), "2026-01-01 01:30");
    assert_eq!(tr.datetime(at, "Not/AZone"), "2026-01-01 01:30");
    let at_ref: &DateTime<Utc> = &at;
    assert_eq!(tr.datetime(at_ref, "Europe/Paris"), "2026-01-01 00:30");
    assert_eq!(tr.datetime(at, "UTC"), "2025-12-31 23:30");
}

/// Every page struct carries these fields; a stand-in lets the
/// layout be compiled and rendered here.
struct NavUser {
    display_name: String,
    org_name: String,
    role: String,
    is_municipal: bool,
    is_ministry_staff: bool,
    is_admin: bool,
    is_auditor: bool,
    may_message: bool,
    may_inquire: bool,
    unread: i64,
}

#[derive(askama::Template)]
#[template(
    source = "{% extends \"base.html\" %}{% import \"macros.html\" as m %}{% block title %}{{ tr.t(\"queue-title\") }}{% endblock %}{% block content %}<h1>{{ tr.t_n(\"cases-count\", \"count\", count) }}</h1>{% call m::state_badge(\"info_requested\") %}{% call m::due_badge(count > 10, true) %}{% call m::field_error(\"e1\", \"field-required\") %}{% call m::field_error(\"e2\", \"\") %}{% call m::csrf_input() %}{% endblock %}",
    ext = "html"
)]
struct Page<'a> {
    tr: Tr<'a>,
    user: Option<NavUser>,
    csrf: String,
    path: String,
    count: i64,
}

fn staff(unread: i64) -> NavUser {
    NavUser {
        display_name: "سالم <المبروك>".into(),
        org_name: "إدارة الشؤون البلدية".into(),
        role: "مدير المنظومة".into(),
        is_municipal: false,
        is_ministry_staff: true,
        is_admin: true,
        is_auditor: false,
        may_message: true,
        may_inquire: true,
        unread,
    }
}

#[test]
fn base_layout_renders_for_a_signed_in_user() {
    use askama::Template;
    let page = Page {
        tr: i18n().tr(Lang::Ar),
        user: Some(staff(3)),
        csrf: "tok\"en".into(),
        path: "/cases?page=2&sort=due".into(),
        count: 11,
    };
    let html = page.render().unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains(r#"<html lang="ar" dir="rtl">"#));
    assert!(html.contains(r#"<link rel="stylesheet" href="/static/diwan.css">"#));
    assert!(html.contains(r#"href="/static/favicon.svg""#));
    assert!(html.contains(r##"href="#main""##));
    assert!(html.contains(r#"<main id="main" tabindex="-1">"#));
    assert!(html.contains("<title>المعاملات · ديوان</title>"));
    assert!(html.contains("<h1>11 معاملةً</h1>"));
    // The shared macros use the page's tr and csrf.
    assert!(html.contains(r#"<span class="badge badge-state">بانتظار استيفاء البيانات</span>"#));
    assert!(html.contains(r#"<span class="badge badge-overdue">متأخرة</span>"#));
    assert!(html.contains(r#"<p class="field-error" id="e1">هذا الحقل مطلوب.</p>"#));
    assert!(!html.contains(r#"id="e2""#));
    // Sign-out, the language switcher and the page's own form.
    assert_eq!(html.matches(r#"name="csrf""#).count(), 3);
    // User text and attribute values are escaped.
    assert!(html.contains("سالم &#60;المبروك&#62;"), "{html}");
    assert!(html.contains(r#"name="csrf" value="tok&#34;en""#), "{html}");
    assert!(
        html.contains(r#"name="next" value="/cases?page=2&#38;sort=due""#),
        "{html}"
    );
    assert!(html.contains(r#"action="/sign-out""#));
    // Only the current section is marked, not its sub-pages.
    assert!(
        html.contains(r#"<a href="/cases" aria-current="page">"#),
        "{html}"
    );
    assert_eq!(html.matches("aria-current").count(), 1);
    // Ministry staff and admins see their links; municipal ones are hidden.
    for link in [
        "/memos/new",
        "/dashboard",
        "/audit",
        "/admin/users",
        "/account/tokens",
        "/api",
        "/search",
    ] {
        assert!(
            html.contains(&format!(r#"href="{link}""#)),
            "missing {link}"
        );
    }
    assert!(!html.contains(r#"href="/cases/new""#));
    assert!(html.contains("3 إشعارات غير مقروءة"));
    assert!(html.contains(r#"<option value="ar" lang="ar" dir="rtl" selected>"#));
    assert!(!html.contains("<script"));
    assert!(!html.contains('\u{2068}'));
}

#[test]
fn base_layout_renders_signed_out() {
    use askama::Template;
    let page = Page {
        tr: i18n().tr(Lang::Fr),
        user: None,
        csrf: String::new(),
        path: "/sign-in".into(),
        count: 0,
    };
    let html = page.render().unwrap();
    assert!(html.contains(r#"<html lang="fr" dir="ltr">"#));
    assert!(html.contains(r#"href="/sign-in""#));
    assert!(!html.contains("/sign-out"));
    assert!(!html.contains("<nav"));
    assert!(html.contains(r#"<option value="fr" lang="fr" dir="ltr" selected>"#));
    assert!(html.contains(r#"<label for="lang-select">Langue</label>"#));
    assert!(html.contains(r#"<span class="badge badge-due-soon">Échéance proche</span>"#));
}

#[test]
fn municipal_users_see_the_new_request_link() {
    use askama::Template;
    let user = NavUser {
        is_municipal: true,
        is_ministry_staff: false,
        is_admin: false,
        ..staff(0)
    };
    let page = Page {
        tr: i18n().tr(Lang::En),
        user: Some(user),
        csrf: "t".into(),
        path: "/cases/new".into(),
        count: 1,
    };
    let html = page.render().unwrap();
    assert!(
        html.contains(r#"<a href="/cases/new" aria-current="page">"#),
        "{html}"
    );
    assert_eq!(html.matches("aria-current").count(), 1);
    for link in ["/memos/new", "/dashboard", "/audit", "/admin/users"] {
        assert!(
            !html.contains(&format!(r#"href="{link}""#)),
            "unexpected {link}"
        );
    }
    assert!(!html.contains("badge-count"));
}

#[test]
fn i18n_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<I18n>();
    assert_send_sync::<Tr<'static>>();
}
