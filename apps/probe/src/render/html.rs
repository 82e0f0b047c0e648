//! The `--html FILE` report: one self-contained page (inline CSS, no script, no external
//! resource; a Content-Security-Policy forbids loading any) with the root cause, a card per step,
//! an inline SVG ladder of the SIP exchange and the evidence in tables.
//!
//! Personal data is the caller's business: the probe passes a trace already put through
//! [`crate::personal::redact_personal`] unless `--show-personal` was given.

use std::fmt::Write as _;

use sfb_trace::{Direction, EvidenceKind, StepVerdict};

use crate::render::evidence_line;
use crate::report::{LadderRow, Report, status_name, step_name};

/// Horizontal distance between two lanes of the ladder.
const LANE_GAP: usize = 230;
/// Vertical distance between two arrows.
const ROW_GAP: usize = 46;
/// Left margin (the time column).
const LEFT: usize = 110;
/// Top margin (lane titles).
const TOP: usize = 56;
/// The narrowest ladder (room for an ms-diagnostics line).
const MIN_WIDTH: usize = 900;
/// The most hops drawn as lanes; further peers share the last lane.
const MAX_LANES: usize = 8;

const STYLE: &str = "\
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#1d2329;background:#f6f7f9}\
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}\
.meta{color:#5b6570;margin-bottom:16px}\
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:12px;text-transform:uppercase;color:#fff}\
.pass{background:#2e7d32}.warn{background:#b26a00}.fail{background:#c62828}.skipped{background:#8a939c}\
.root{background:#fff;border-left:6px solid #c62828;padding:12px 16px;border-radius:4px;box-shadow:0 1px 2px #0002}\
.root.ok{border-left-color:#2e7d32}\
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:12px}\
.card{overflow-wrap:anywhere;background:#fff;border-radius:6px;padding:10px 12px;box-shadow:0 1px 2px #0002;border-top:4px solid #8a939c}\
.card.pass{border-top-color:#2e7d32;background:#fff}.card.warn{border-top-color:#b26a00;background:#fff}\
.card.fail{border-top-color:#c62828;background:#fff}.card.skipped{background:#fff}\
.card h3{margin:0 0 6px;font-size:15px;text-transform:capitalize}\
.cause{font-family:ui-monospace,monospace;font-size:12px;color:#37474f}\
.remedy{color:#1b4f72}\
table{border-collapse:collapse;background:#fff;width:100%;font-size:13px;margin-bottom:12px}\
th,td{border:1px solid #dde1e5;padding:4px 8px;text-align:left;vertical-align:top}\
th{background:#eef1f4}td.id{font-family:ui-monospace,monospace;width:3em}\
pre{background:#fff;border:1px solid #dde1e5;padding:8px;overflow:auto;font-size:12px}\
svg{background:#fff;border-radius:6px;box-shadow:0 1px 2px #0002}\
.warnbox{background:#fff3e0;border:1px solid #b26a00;padding:8px 12px;border-radius:4px}";

/// The page (a complete HTML5 document).
pub fn render(report: &Report<'_>) -> String {
    let t = report.trace;
    let mut s = String::with_capacity(16 * 1024);
    s.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    s.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
    );
    let _ = write!(
        s,
        "<title>sfb-probe: {} {}</title><style>{STYLE}</style></head><body>",
        esc(&t.target),
        status_name(report.status)
    );
    let _ = write!(
        s,
        "<h1>{} <span class=\"badge {st}\">{st}</span></h1><div class=\"meta\">{} &middot; started {} &middot; {} ms{}</div>",
        esc(&t.target),
        esc(&t.tool),
        esc(&t.started_at.to_string()),
        t.elapsed_ms,
        if t.policy.redact_personal {
            " &middot; personal data redacted"
        } else {
            ""
        },
        st = status_name(report.status),
    );
    if t.policy.raw_trace {
        s.push_str("<p class=\"warnbox\"><strong>Raw trace:</strong> authentication tokens are shown; they allow offline password guessing. Do not share this page.</p>");
    }

    match &report.root_cause {
        Some(v) => {
            let _ = write!(
                s,
                "<div class=\"root\" id=\"root-cause\"><strong>Root cause: {} failed</strong> <span class=\"cause\">{}</span>",
                step_name(v.step),
                esc(v.cause.as_str())
            );
            verdict_body(&mut s, v);
            s.push_str("</div>");
        }
        None => {
            let warns = report.warnings().count();
            let _ = write!(
                s,
                "<div class=\"root ok\" id=\"root-cause\"><strong>No step failed.</strong>{}</div>",
                if warns > 0 {
                    format!(" {warns} warning(s) below.")
                } else {
                    String::new()
                }
            );
        }
    }

    s.push_str("<h2>Steps</h2><div class=\"cards\">");
    for step in &report.steps {
        let st = status_name(step.status);
        let _ = write!(
            s,
            "<div class=\"card {st}\" id=\"step-{name}\"><h3>{name} <span class=\"badge {st}\">{st}</span></h3><div class=\"meta\">{} ms</div>",
            step.elapsed_ms,
            name = step_name(step.step),
        );
        if step.verdicts.is_empty() {
            let _ = write!(
                s,
                "<p>{}</p>",
                if step.ran {
                    "Ran; no verdict."
                } else {
                    "Did not run."
                }
            );
        }
        for v in &step.verdicts {
            let _ = write!(
                s,
                "<div><span class=\"badge {st}\">{st}</span> <span class=\"cause\">{}</span>",
                esc(v.cause.as_str()),
                st = status_name(v.status)
            );
            verdict_body(&mut s, v);
            s.push_str("</div>");
        }
        s.push_str("</div>");
    }
    s.push_str("</div>");

    s.push_str("<h2>SIP ladder</h2>");
    if report.ladder.is_empty() {
        s.push_str("<p>No SIP message was exchanged.</p>");
    } else {
        ladder_svg(&mut s, &report.ladder);
    }

    s.push_str("<h2>Evidence</h2>");
    let kinds = ["dns", "http", "tcp", "tls", "sip", "auth_token"];
    for kind in kinds {
        let rows: Vec<_> = t
            .evidence
            .iter()
            .filter(|e| e.kind.label() == kind)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let _ = write!(
            s,
            "<table id=\"evidence-{kind}\"><tr><th>#</th><th>{}</th></tr>",
            kind_title(kind)
        );
        for e in rows {
            let _ = write!(
                s,
                "<tr id=\"ev-{}\"><td class=\"id\">{}</td><td>{}",
                e.id.0,
                e.id.0,
                esc(&evidence_line(&e.kind))
            );
            if let EvidenceKind::Sip(sip) = &e.kind {
                let _ = write!(
                    s,
                    "<details><summary>message</summary><pre>{}</pre></details>",
                    esc(&sip.text)
                );
            }
            s.push_str("</td></tr>");
        }
        s.push_str("</table>");
    }
    s.push_str("</body></html>\n");
    s
}

fn kind_title(kind: &str) -> &'static str {
    match kind {
        "dns" => "DNS queries",
        "http" => "HTTP exchanges",
        "tcp" => "TCP connections",
        "tls" => "TLS handshakes",
        "sip" => "SIP messages",
        _ => "Authentication tokens (safe fields)",
    }
}

fn verdict_body(s: &mut String, v: &StepVerdict) {
    let _ = write!(s, "<p>{}</p>", esc(&v.sentence));
    if let Some(r) = &v.remedy {
        let _ = write!(
            s,
            "<p class=\"remedy\"><strong>Remedy:</strong> {}</p>",
            esc(r)
        );
    }
    if !v.evidence.is_empty() {
        s.push_str("<p class=\"meta\">Evidence:");
        for id in &v.evidence {
            let _ = write!(s, " <a href=\"#ev-{0}\">#{0}</a>", id.0);
        }
        s.push_str("</p>");
    }
}

/// The ladder as an inline SVG: a lane for the client and one per hop, an arrow per message.
fn ladder_svg(s: &mut String, rows: &[LadderRow]) {
    let mut lanes: Vec<&str> = Vec::new();
    for r in rows {
        if !lanes.contains(&r.peer.as_str()) && lanes.len() < MAX_LANES {
            lanes.push(&r.peer);
        }
    }
    let lane_x = |peer: &str| {
        let i = lanes
            .iter()
            .position(|l| *l == peer)
            .unwrap_or(MAX_LANES - 1);
        LEFT + (i + 1) * LANE_GAP
    };
    let width = (LEFT + (lanes.len() + 1) * LANE_GAP - LANE_GAP / 2 + 40).max(MIN_WIDTH);
    let height = TOP + rows.len() * ROW_GAP + 20;
    let _ = write!(
        s,
        "<svg id=\"ladder\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"SIP ladder\" font-family=\"system-ui,sans-serif\" font-size=\"12\">"
    );
    s.push_str("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"context-stroke\"/></marker></defs>");
    let _ = write!(
        s,
        "<text x=\"10\" y=\"24\" fill=\"#5b6570\">ms</text><text x=\"{}\" y=\"24\" text-anchor=\"middle\" font-weight=\"600\">client</text>",
        LEFT
    );
    let bottom = height - 10;
    let _ = write!(
        s,
        "<line x1=\"{LEFT}\" y1=\"34\" x2=\"{LEFT}\" y2=\"{bottom}\" stroke=\"#8a939c\" stroke-dasharray=\"4 3\"/>"
    );
    for peer in &lanes {
        let x = lane_x(peer);
        let _ = write!(
            s,
            "<text x=\"{x}\" y=\"24\" text-anchor=\"middle\" font-weight=\"600\">{}</text><line x1=\"{x}\" y1=\"34\" x2=\"{x}\" y2=\"{bottom}\" stroke=\"#8a939c\" stroke-dasharray=\"4 3\"/>",
            esc(peer)
        );
    }
    for (i, r) in rows.iter().enumerate() {
        let y = TOP + i * ROW_GAP + 16;
        let hop = lane_x(&r.peer);
        let (x1, x2) = match r.direction {
            Direction::Sent => (LEFT, hop),
            Direction::Received => (hop, LEFT),
        };
        let colour = arrow_colour(r);
        let mut label = r.label.clone();
        if !r.auth.is_empty() {
            label.push_str(&format!(" [{}]", r.auth.join(", ")));
        }
        let _ = write!(
            s,
            "<g class=\"msg\"><text x=\"10\" y=\"{ty}\" fill=\"#5b6570\">{:+}</text><line x1=\"{x1}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" stroke=\"{colour}\" stroke-width=\"2\" marker-end=\"url(#arrow)\"/><text x=\"{mx}\" y=\"{ly}\" text-anchor=\"middle\" fill=\"{colour}\"><a href=\"#ev-{id}\">{}</a></text>",
            r.offset_ms,
            esc(&label),
            ty = y + 4,
            mx = (LEFT + hop) / 2,
            ly = y - 6,
            id = r.evidence.0,
        );
        if let Some(d) = r.diagnostics.first() {
            let _ = write!(
                s,
                "<text x=\"{}\" y=\"{}\" fill=\"#c62828\" font-size=\"11\">ms-diagnostics {}</text>",
                LEFT + 8,
                y + 16,
                esc(d)
            );
        }
        s.push_str("</g>");
    }
    s.push_str("</svg>");
}

fn arrow_colour(r: &LadderRow) -> &'static str {
    let code: Option<u16> = r
        .label
        .split(' ')
        .next()
        .filter(|c| c.len() == 3)
        .and_then(|c| c.parse().ok());
    match code {
        Some(200..=299) => "#2e7d32",
        Some(400..=699) => "#c62828",
        Some(_) => "#b26a00",
        None => "#1565c0",
    }
}

/// HTML-escapes text for element content and quoted attributes.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\r' => {}
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_controls() {
        assert_eq!(
            esc("<script>\"a\"&'b'\u{1b}\r\n"),
            "&lt;script&gt;&quot;a&quot;&amp;&#39;b&#39;\u{fffd}\n"
        );
    }
}
