//! Rendering: text and JSON golden files (JSON validated against the committed schema), the HTML
//! page's structure, and what must never appear in any rendering (tokens, personal data when
//! asked to hide it).

mod common;

use common::*;
use serde_json::Value;
use sfb_probe::personal::redact_personal;
use sfb_probe::render::{html, json, text};
use sfb_probe::report::Report;
use sfb_trace::RedactionPolicy;

fn all_renderings(trace: &sfb_trace::SignInTrace) -> [String; 4] {
    let r = Report::new(trace);
    [
        text::render(&r, text::TextOptions { color: false }),
        text::render(&r, text::TextOptions { color: true }),
        json::render(&r),
        html::render(&r),
    ]
}

#[test]
fn text_golden() {
    for (name, trace) in [
        ("auth-failure.txt", auth_failure(RedactionPolicy::default())),
        ("healthy.txt", healthy(RedactionPolicy::default())),
    ] {
        let r = Report::new(&trace);
        golden(name, &text::render(&r, text::TextOptions { color: false }));
    }
}

#[test]
fn json_golden_and_schema() {
    let v = validator("probe-report.schema.json");
    for (name, trace) in [
        (
            "auth-failure.json",
            auth_failure(RedactionPolicy::default()),
        ),
        ("healthy.json", healthy(RedactionPolicy::default())),
        (
            "auth-failure-personal.json",
            redact_personal(&auth_failure(RedactionPolicy::default())),
        ),
    ] {
        let out = json::render(&Report::new(&trace));
        golden(name, &out);
        // The committed golden file itself is what is validated.
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(golden_path(name)).unwrap()).unwrap();
        let errors = schema_errors(&v, &doc);
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        // And the trace inside reads back as a trace.
        let trace_json = serde_json::to_vec(&doc["trace"]).unwrap();
        sfb_trace::SignInTrace::from_json(&trace_json).unwrap();
    }
}

#[test]
fn the_schema_rejects_what_it_should() {
    let v = validator("probe-report.schema.json");
    let good: Value = serde_json::from_str(&json::render(&Report::new(&auth_failure(
        RedactionPolicy::default(),
    ))))
    .unwrap();
    for (path, bad) in [
        ("/schema", Value::from("sfb.probe-report/2")),
        ("/status", Value::from("skipped")),
        ("/root_cause/cause", Value::from("Not A Code")),
        ("/steps/0/status", Value::from("ok")),
        ("/trace/schema", Value::from("sfb.sign-in-trace/0")),
    ] {
        let mut doc = good.clone();
        *doc.pointer_mut(path).unwrap() = bad;
        assert!(!schema_errors(&v, &doc).is_empty(), "{path} accepted");
    }
}

#[test]
fn root_cause_comes_first_in_text() {
    let trace = auth_failure(RedactionPolicy::default());
    let out = text::render(&Report::new(&trace), text::TextOptions { color: false });
    let root = out.find("root cause:").unwrap();
    let steps = out.find("steps:").unwrap();
    let ladder = out.find("sip ladder").unwrap();
    assert!(root < steps && steps < ladder, "{out}");
    assert!(
        out.contains("ms-diagnostics: 4004 Credentials provided"),
        "{out}"
    );
    assert!(out.contains("source=fe01.contoso.com"), "{out}");
}

#[test]
fn no_token_or_password_in_any_rendering() {
    let trace = auth_failure(RedactionPolicy::default());
    for out in all_renderings(&trace) {
        for secret in [RAW_CHALLENGE, RAW_AUTHENTICATE, CANARY_PASSWORD] {
            assert!(!out.contains(secret), "{secret} leaked");
        }
        // What support engineers need stays.
        assert!(out.contains("C9A1B3D2") || !out.contains("opaque"));
    }
    // With --raw-trace the tokens are kept, and every rendering says so.
    let raw = auth_failure(RedactionPolicy {
        raw_trace: true,
        redact_personal: false,
    });
    let [plain, _, json_out, page] = all_renderings(&raw);
    assert!(plain.contains(RAW_AUTHENTICATE) && plain.contains("warning: raw trace"));
    assert!(json_out.contains(RAW_AUTHENTICATE));
    assert!(page.contains("Raw trace:"));
}

#[test]
fn redact_personal_hides_people_everywhere() {
    let trace = redact_personal(&auth_failure(RedactionPolicy::default()));
    for out in all_renderings(&trace) {
        for personal in [
            "alice@contoso.com",
            "Alice Smith",
            "HELPDESK-PC",
            "user=bob",
        ] {
            assert!(!out.contains(personal), "{personal} shown");
        }
        assert!(out.contains("fe01.contoso.com"), "server names must stay");
    }
}

#[test]
fn html_is_self_contained_with_cards_and_ladder() {
    let trace = auth_failure(RedactionPolicy::default());
    let page = html::render(&Report::new(&trace));
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("Content-Security-Policy"));
    for id in [
        "id=\"root-cause\"",
        "id=\"step-discovery\"",
        "id=\"step-settings\"",
        "<svg id=\"ladder\"",
        "id=\"evidence-tls\"",
        "id=\"evidence-auth_token\"",
    ] {
        assert!(page.contains(id), "{id} missing");
    }
    assert_eq!(page.matches("<g class=\"msg\">").count(), 6);
    assert!(!page.contains("<script"));
    assert!(!page.contains(" src="));
    assert!(!page.contains("url(http"));
    assert!(!page.contains("<link"));
}
