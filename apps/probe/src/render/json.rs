//! The `--json` report: `{"schema": "sfb.probe-report/1", "status", "root_cause", "steps",
//! "ladder", "trace"}`, the trace being the whole [`SignInTrace`].
//! Its JSON Schema is `apps/probe/schema/probe-report.schema.json`.

use serde::Serialize;
use sfb_trace::{SignInTrace, Status, StepVerdict};

use crate::report::{LadderRow, REPORT_SCHEMA, Report, StepView};

/// The document `--json` prints.
#[derive(Debug, Serialize)]
pub struct ReportDocument<'r> {
    /// Always [`REPORT_SCHEMA`].
    pub schema: &'static str,
    /// The overall status.
    pub status: Status,
    /// The exit code the probe returns for it (without `--strict`).
    pub exit_code: u8,
    /// The first failure in step order, or `null`.
    pub root_cause: Option<&'r StepVerdict>,
    /// The five steps, in order.
    pub steps: &'r [StepView],
    /// The SIP exchange.
    pub ladder: &'r [LadderRow],
    /// The trace itself.
    pub trace: &'r SignInTrace,
}

/// The document for a report.
pub fn document<'r>(report: &'r Report<'_>) -> ReportDocument<'r> {
    ReportDocument {
        schema: REPORT_SCHEMA,
        status: report.status,
        exit_code: report.exit_code(false),
        root_cause: report.root_cause.as_ref(),
        steps: &report.steps,
        ladder: &report.ladder,
        trace: report.trace,
    }
}

/// Pretty JSON, ending with a newline.
pub fn render(report: &Report<'_>) -> String {
    // Serialising these types cannot fail: string keys only, no foreign types.
    let mut s = serde_json::to_string_pretty(&document(report)).unwrap_or_default();
    s.push('\n');
    s
}
