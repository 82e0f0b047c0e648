//! The text report: the root cause first, a verdict per step, a compact SIP ladder with timings,
//! an evidence summary. ANSI colour only when the caller says so (a terminal, no `NO_COLOR`).

use std::fmt::Write as _;

use sfb_trace::{Direction, Status, StepVerdict};

use crate::render::evidence_line;
use crate::report::{Report, status_name, step_name};

/// Rendering options.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    /// Use ANSI colours.
    pub color: bool,
}

/// The report as text (ends with a newline).
pub fn render(report: &Report<'_>, opts: TextOptions) -> String {
    let paint = Paint(opts.color);
    let t = report.trace;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} {}  {}  (started {}, {} ms)",
        paint.bold(&t.tool),
        t.target,
        paint.status(report.status, &status_name(report.status).to_uppercase()),
        t.started_at,
        t.elapsed_ms
    );
    if t.policy.raw_trace {
        let _ = writeln!(
            s,
            "{}",
            paint.red(
                "warning: raw trace: auth tokens are shown; they allow offline password guessing"
            )
        );
    }

    let _ = writeln!(s);
    match &report.root_cause {
        Some(v) => {
            let _ = writeln!(
                s,
                "{} {} failed: {}",
                paint.bold("root cause:"),
                step_name(v.step),
                paint.red(v.cause.as_str())
            );
            verdict_body(&mut s, v, "  ");
        }
        None => {
            let warn = report.warnings().count();
            let _ = match (report.status, warn) {
                (Status::Pass, _) => writeln!(
                    s,
                    "{} every step that ran passed",
                    paint.bold("root cause: none:")
                ),
                _ => writeln!(
                    s,
                    "{} nothing failed; {warn} warning(s) below",
                    paint.bold("root cause: none:")
                ),
            };
        }
    }

    let _ = writeln!(s, "\n{}", paint.bold("steps:"));
    for step in &report.steps {
        let tag = tag_of(step.status);
        let head = format!(
            "  {} {:<15} {:>6} ms",
            paint.status(step.status, tag),
            step_name(step.step),
            step.elapsed_ms
        );
        if step.verdicts.is_empty() {
            let why = if step.ran {
                "ran, no verdict"
            } else {
                "did not run"
            };
            let _ = writeln!(s, "{head}  ({why})");
            continue;
        }
        for (i, v) in step.verdicts.iter().enumerate() {
            if i == 0 {
                let _ = writeln!(s, "{head}  {}", v.cause);
            } else {
                let _ = writeln!(
                    s,
                    "  {} {:<15} {:>9}  {}",
                    paint.status(v.status, tag_of(v.status)),
                    "",
                    "",
                    v.cause
                );
            }
            verdict_body(&mut s, v, "        ");
        }
    }

    if !report.ladder.is_empty() {
        let _ = writeln!(s, "\n{}", paint.bold("sip ladder (ms from start):"));
        for row in &report.ladder {
            let arrow = match row.direction {
                Direction::Sent => "client --> ",
                Direction::Received => "client <-- ",
            };
            let mut line = format!(
                "  {:>+7}  {arrow}{:<21} {}",
                row.offset_ms, row.peer, row.label
            );
            if !row.auth.is_empty() {
                let _ = write!(line, " [{}]", row.auth.join(", "));
            }
            if let Some(c) = &row.cseq {
                let _ = write!(line, " (cseq {c})");
            }
            let _ = writeln!(s, "{line}");
            for d in &row.diagnostics {
                let _ = writeln!(s, "  {:>7}  {:11}ms-diagnostics: {d}", "", "");
            }
        }
    }

    if !t.evidence.is_empty() {
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for e in &t.evidence {
            let label = e.kind.label();
            match counts.iter_mut().find(|(l, _)| *l == label) {
                Some((_, n)) => *n += 1,
                None => counts.push((label, 1)),
            }
        }
        let summary: Vec<String> = counts.iter().map(|(l, n)| format!("{n} {l}")).collect();
        let _ = writeln!(s, "\n{} {}", paint.bold("evidence:"), summary.join(", "));
        for e in &t.evidence {
            let _ = writeln!(
                s,
                "  #{:<3} {:<10} {}",
                e.id.0,
                e.kind.label(),
                evidence_line(&e.kind)
            );
        }
    }
    if report.status == Status::Pass && !t.steps.iter().any(|r| !r.verdicts.is_empty()) {
        let _ = writeln!(
            s,
            "\nnote: no step carries a verdict; the trace was not diagnosed"
        );
    }
    s
}

fn tag_of(status: Status) -> &'static str {
    match status {
        Status::Pass => "PASS",
        Status::Warn => "WARN",
        Status::Fail => "FAIL",
        Status::Skipped => "SKIP",
    }
}

fn verdict_body(s: &mut String, v: &StepVerdict, indent: &str) {
    let _ = writeln!(s, "{indent}{}", v.sentence);
    if let Some(r) = &v.remedy {
        let _ = writeln!(s, "{indent}remedy: {r}");
    }
    if !v.evidence.is_empty() {
        let ids: Vec<String> = v.evidence.iter().map(|e| format!("#{}", e.0)).collect();
        let _ = writeln!(s, "{indent}evidence: {}", ids.join(" "));
    }
}

/// ANSI styling, or none.
#[derive(Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn wrap(self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
    fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }
    fn red(self, text: &str) -> String {
        self.wrap("31", text)
    }
    fn status(self, status: Status, text: &str) -> String {
        let code = match status {
            Status::Pass => "32",
            Status::Warn => "33",
            Status::Fail => "1;31",
            Status::Skipped => "2",
        };
        self.wrap(code, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sfb_trace::{RedactionPolicy, SignInTrace, Timestamp};

    #[test]
    fn colour_only_when_asked() {
        let t = SignInTrace::new(
            "sfb-probe",
            "sip:a@b.c",
            Timestamp::EPOCH,
            RedactionPolicy::default(),
        );
        let r = Report::new(&t);
        assert!(!render(&r, TextOptions { color: false }).contains('\x1b'));
        assert!(render(&r, TextOptions { color: true }).contains("\x1b[32mPASS"));
    }
}
