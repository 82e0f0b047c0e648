//! `sfb-probe --batch FILE.csv`: many users, bounded in every direction.
//!
//! Input: `sip_uri[,login][,password_file|password_env]`. A first line starting with `sip_uri`
//! is a header naming the columns (`sip_uri`, `login`, `password_file`, `password_env`, any
//! order); without one the columns are positional and the third is `env:VAR`, `file:PATH` or a
//! path. Blank lines and `#` comments are skipped. Parsing is strict (no quoting, no extra
//! columns, a login needs a password source) and every error names its line. Lines are at most
//! [`MAX_LINE`] bytes, files at most [`MAX_ROWS`] rows.
//!
//! Running: rows are streamed from the file (never all in memory) to `concurrency` workers; at
//! most `per_domain` rows of one SIP domain run at once, and starts are paced to `rate` per
//! second overall ([`Pacer`]). Each finished row becomes one [`RowResult`] handed to the caller
//! (JSON Lines or a text line) and folded into a [`BatchSummary`]; traces are dropped as soon as
//! they are summarised.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{BufRead, Read as _};
use std::path::PathBuf;
use std::sync::{Condvar, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde::Serialize;
use sfb_trace::{Status, Step};

use crate::report::Report;
use crate::runner::{Credentials, PasswordSource, Request, RunError, Runner, Target};

/// The longest input line, bytes.
pub const MAX_LINE: usize = 4096;
/// The most rows a batch file may hold.
pub const MAX_ROWS: usize = 100_000;
/// The most distinct causes the summary counts separately (the rest are `other`).
pub const MAX_CAUSES: usize = 256;
/// The `"schema"` of each JSON Lines row.
pub const ROW_SCHEMA: &str = "sfb.probe-batch-row/1";

/// One row of the batch file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based line number in the file.
    pub line: u64,
    /// The SIP URI, `sip:` prefixed.
    pub sip_uri: String,
    /// Its domain, lower-case (the per-domain cap's key).
    pub domain: String,
    /// Credentials; `None` runs `--no-auth`.
    pub credentials: Option<Credentials>,
}

/// A batch file error, with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    /// 1-based line number (0: before any line).
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for CsvError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    SipUri,
    Login,
    PasswordFile,
    PasswordEnv,
    /// Positional third column: `env:VAR`, `file:PATH` or a path.
    PasswordAny,
}

/// Streams [`Row`]s from a batch file; stops at the first error.
pub struct RowReader<R> {
    reader: R,
    line: u64,
    rows: usize,
    columns: Option<Vec<Column>>,
    done: bool,
    buf: Vec<u8>,
}

impl<R: BufRead> RowReader<R> {
    /// A reader over batch text.
    pub fn new(reader: R) -> Self {
        Self {
            reader,
            line: 0,
            rows: 0,
            columns: None,
            done: false,
            buf: Vec::with_capacity(256),
        }
    }

    fn err(&mut self, message: impl Into<String>) -> Option<Result<Row, CsvError>> {
        self.done = true;
        Some(Err(CsvError {
            line: self.line,
            message: message.into(),
        }))
    }
}

impl<R: BufRead> Iterator for RowReader<R> {
    type Item = Result<Row, CsvError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            self.buf.clear();
            let limit = u64::try_from(MAX_LINE).unwrap_or(u64::MAX) + 1;
            let read = (&mut self.reader)
                .take(limit)
                .read_until(b'\n', &mut self.buf);
            self.line += 1;
            match read {
                Ok(0) => {
                    self.done = true;
                    return None;
                }
                Ok(_) => {}
                Err(e) => return self.err(format!("cannot read: {e}")),
            }
            if self.buf.len() > MAX_LINE && self.buf.last() != Some(&b'\n') {
                return self.err(format!("line longer than {MAX_LINE} bytes"));
            }
            let Ok(text) = std::str::from_utf8(&self.buf) else {
                return self.err("not UTF-8");
            };
            let text = text.trim_end_matches(['\n', '\r']).trim().to_owned();
            if text.is_empty() || text.starts_with('#') {
                continue;
            }
            if text.contains('"') {
                return self.err("quoted fields are not supported");
            }
            let fields: Vec<&str> = text.split(',').map(str::trim).collect();
            if self.columns.is_none() {
                if fields
                    .first()
                    .is_some_and(|f| f.eq_ignore_ascii_case("sip_uri"))
                {
                    match header(&fields) {
                        Ok(c) => {
                            self.columns = Some(c);
                            continue;
                        }
                        Err(m) => return self.err(m),
                    }
                }
                self.columns = Some(vec![Column::SipUri, Column::Login, Column::PasswordAny]);
            }
            self.rows += 1;
            if self.rows > MAX_ROWS {
                return self.err(format!("more than {MAX_ROWS} rows"));
            }
            let columns = self.columns.clone().unwrap_or_default();
            return match row(self.line, &columns, &fields) {
                Ok(r) => Some(Ok(r)),
                Err(m) => self.err(m),
            };
        }
        None
    }
}

fn header(fields: &[&str]) -> Result<Vec<Column>, String> {
    let mut out = Vec::new();
    for f in fields {
        let c = match f.to_ascii_lowercase().as_str() {
            "sip_uri" => Column::SipUri,
            "login" => Column::Login,
            "password_file" => Column::PasswordFile,
            "password_env" => Column::PasswordEnv,
            other => {
                return Err(format!(
                    "unknown column {other:?} (expected sip_uri, login, password_file, password_env)"
                ));
            }
        };
        if out.contains(&c) {
            return Err(format!("column {f:?} appears twice"));
        }
        out.push(c);
    }
    Ok(out)
}

fn row(line: u64, columns: &[Column], fields: &[&str]) -> Result<Row, String> {
    if fields.len() > columns.len() {
        return Err(format!(
            "{} fields, at most {} expected",
            fields.len(),
            columns.len()
        ));
    }
    let mut sip_uri = None;
    let mut login = None;
    let mut password = None;
    for (column, value) in columns.iter().zip(fields) {
        if value.is_empty() {
            continue;
        }
        if value.chars().any(char::is_control) {
            return Err("control character in a field".into());
        }
        let source = match column {
            Column::SipUri => {
                sip_uri = Some(*value);
                None
            }
            Column::Login => {
                login = Some((*value).to_owned());
                None
            }
            Column::PasswordFile => Some(PasswordSource::File(PathBuf::from(value))),
            Column::PasswordEnv => Some(PasswordSource::Env((*value).to_owned())),
            Column::PasswordAny => Some(if let Some(var) = value.strip_prefix("env:") {
                PasswordSource::Env(var.to_owned())
            } else {
                PasswordSource::File(PathBuf::from(value.strip_prefix("file:").unwrap_or(value)))
            }),
        };
        if let Some(source) = source {
            if matches!(&source, PasswordSource::Env(v) if v.is_empty())
                || matches!(&source, PasswordSource::File(p) if p.as_os_str().is_empty())
            {
                return Err("empty password source".into());
            }
            if password.replace(source).is_some() {
                return Err("both password_file and password_env are given".into());
            }
        }
    }
    let sip_uri = sip_uri.ok_or("no sip_uri")?;
    let (uri, domain) = parse_sip_uri(sip_uri)?;
    let credentials = match (login, password) {
        (login, Some(password)) => Some(Credentials { login, password }),
        (Some(_), None) => return Err("a login without a password source".into()),
        (None, None) => None,
    };
    Ok(Row {
        line,
        sip_uri: uri,
        domain,
        credentials,
    })
}

/// `sip:user@domain` (the `sip:` prefix optional) → the normalised URI and the lower-case domain.
pub fn parse_sip_uri(text: &str) -> Result<(String, String), String> {
    let bare = text
        .strip_prefix("sip:")
        .or_else(|| text.strip_prefix("SIP:"))
        .unwrap_or(text);
    let (user, domain) = bare
        .split_once('@')
        .ok_or_else(|| format!("{text:?} is not a SIP URI (user@domain)"))?;
    let domain_ok = !domain.is_empty()
        && domain.len() <= 253
        && domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if user.is_empty() || user.contains(char::is_whitespace) || !domain_ok {
        return Err(format!("{text:?} is not a SIP URI (user@domain)"));
    }
    Ok((format!("sip:{bare}"), domain.to_ascii_lowercase()))
}

/// What a validation pass over the file found (nothing has run yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scan {
    /// Rows.
    pub rows: usize,
    /// Rows with credentials (they need `--i-accept-lockout-risk`).
    pub authenticated: usize,
}

/// Reads the whole file once, strictly, without running anything.
pub fn scan<R: BufRead>(reader: R) -> Result<Scan, CsvError> {
    let mut s = Scan::default();
    for r in RowReader::new(reader) {
        let r = r?;
        s.rows += 1;
        s.authenticated += usize::from(r.credentials.is_some());
    }
    Ok(s)
}

/// Knobs of a batch run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchOptions {
    /// Rows in flight at once (at least 1).
    pub concurrency: usize,
    /// Rows of one SIP domain in flight at once (at least 1).
    pub per_domain: usize,
    /// Starts per second overall, if limited.
    pub rate_per_sec: Option<f64>,
}

/// One step's outcome in a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowStep {
    /// The step.
    pub step: Step,
    /// Its status.
    pub status: Status,
    /// Its first verdict's cause.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

/// The root cause of a row, in short.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowCause {
    /// The step that failed.
    pub step: Step,
    /// Its cause code.
    pub cause: String,
    /// The sentence.
    pub sentence: String,
    /// The remedy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
}

/// The outcome of a row: what one JSON Lines object holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowResult {
    /// Always [`ROW_SCHEMA`].
    pub schema: &'static str,
    /// The line of the batch file.
    pub line: u64,
    /// The SIP URI probed (`<personal>` under `--redact-personal`).
    pub target: String,
    /// Did the row run with credentials?
    pub authenticated: bool,
    /// `pass`, `warn`, `fail`, or `error` (no trace: see `error`).
    pub status: &'static str,
    /// The first failure, if any.
    pub root_cause: Option<RowCause>,
    /// The five steps.
    pub steps: Vec<RowStep>,
    /// How long the sign-in took, milliseconds.
    pub elapsed_ms: u64,
    /// Why the row produced no trace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Was `error` an internal error (exit 3)?
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub internal: bool,
}

impl RowResult {
    /// The key this row counts under in the summary: the root cause, the first warning's cause,
    /// `pass`, or `error`.
    pub fn summary_key(&self) -> String {
        if let Some(c) = &self.root_cause {
            return c.cause.clone();
        }
        match self.status {
            "warn" => self
                .steps
                .iter()
                .find(|s| s.status == Status::Warn)
                .and_then(|s| s.cause.clone())
                .unwrap_or_else(|| "warn".into()),
            "error" if self.internal => "error.internal".into(),
            other => other.to_owned(),
        }
    }

    /// One human line: `line 3 sip:a@b.c FAIL tcp.refused: sentence`.
    pub fn text_line(&self) -> String {
        let mut s = format!(
            "line {:<5} {:<40} {:<5}",
            self.line,
            self.target,
            self.status.to_uppercase()
        );
        if let Some(c) = &self.root_cause {
            s.push_str(&format!(
                " {} {}: {}",
                crate::report::step_name(c.step),
                c.cause,
                c.sentence
            ));
        } else if let Some(e) = &self.error {
            s.push_str(&format!(" {e}"));
        }
        s
    }
}

/// Totals of a batch run (bounded: at most [`MAX_CAUSES`] distinct keys).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BatchSummary {
    /// Rows run.
    pub rows: usize,
    /// Rows by status.
    pub by_status: BTreeMap<String, usize>,
    /// Rows by summary key (root cause, warning, `pass`, `error`).
    pub by_cause: BTreeMap<String, usize>,
    /// Rows whose runner failed internally.
    pub internal_errors: usize,
}

impl BatchSummary {
    fn add(&mut self, r: &RowResult) {
        self.rows += 1;
        *self.by_status.entry(r.status.to_owned()).or_default() += 1;
        let key = r.summary_key();
        let key = if self.by_cause.contains_key(&key) || self.by_cause.len() < MAX_CAUSES {
            key
        } else {
            "other".to_owned()
        };
        *self.by_cause.entry(key).or_default() += 1;
        self.internal_errors += usize::from(r.internal);
    }

    /// The exit code: 3 an internal error, 1 a row failed or errored (or warned, under
    /// `strict`), 0 otherwise.
    pub fn exit_code(&self, strict: bool) -> u8 {
        let n = |k: &str| self.by_status.get(k).copied().unwrap_or(0);
        if self.internal_errors > 0 {
            3
        } else if n("fail") + n("error") > 0 || (strict && n("warn") > 0) {
            1
        } else {
            0
        }
    }

    /// The table of causes, most frequent first.
    pub fn table(&self) -> String {
        let mut causes: Vec<(&String, &usize)> = self.by_cause.iter().collect();
        causes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let mut s = format!("{:<40} {:>7}\n", "cause", "rows");
        for (k, n) in causes {
            s.push_str(&format!("{k:<40} {n:>7}\n"));
        }
        let statuses: Vec<String> = self
            .by_status
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        s.push_str(&format!("{} rows: {}\n", self.rows, statuses.join(", ")));
        s
    }
}

/// Evenly spaced starts at a fixed rate. Sans-IO: the caller passes `now` and sleeps until the
/// returned instant.
#[derive(Debug, Clone)]
pub struct Pacer {
    interval: Duration,
    next: Option<Instant>,
}

impl Pacer {
    /// A pacer for `rate_per_sec` starts per second; `None` if the rate is not a positive
    /// finite number.
    pub fn new(rate_per_sec: f64) -> Option<Self> {
        if !rate_per_sec.is_finite() || rate_per_sec <= 0.0 {
            return None;
        }
        let interval = Duration::try_from_secs_f64(1.0 / rate_per_sec).ok()?;
        Some(Self {
            interval,
            next: None,
        })
    }

    /// Reserves the next start: `now` or the earliest allowed instant, whichever is later.
    pub fn reserve(&mut self, now: Instant) -> Instant {
        let start = self.next.map_or(now, |n| n.max(now));
        self.next = Some(start + self.interval);
        start
    }
}

/// Caps the rows of one domain in flight.
struct DomainGate {
    cap: usize,
    active: Mutex<HashMap<String, usize>>,
    freed: Condvar,
}

struct GateGuard<'g> {
    gate: &'g DomainGate,
    domain: String,
}

impl DomainGate {
    fn enter(&self, domain: &str) -> GateGuard<'_> {
        let mut active = self.active.lock().unwrap_or_else(|p| p.into_inner());
        while active.get(domain).copied().unwrap_or(0) >= self.cap {
            active = self.freed.wait(active).unwrap_or_else(|p| p.into_inner());
        }
        *active.entry(domain.to_owned()).or_default() += 1;
        GateGuard {
            gate: self,
            domain: domain.to_owned(),
        }
    }
}

impl Drop for GateGuard<'_> {
    fn drop(&mut self) {
        let mut active = self.gate.active.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = active.get_mut(&self.domain) {
            *n -= 1;
            if *n == 0 {
                active.remove(&self.domain);
            }
        }
        self.gate.freed.notify_all();
    }
}

/// Runs every row of `rows` through `runner` with `template`'s connection options and policy,
/// handing each result to `sink` (on the calling thread, in completion order). A file error met
/// while running (the file changed since [`scan`]) becomes an `error` row.
pub fn run<R: BufRead + Send>(
    rows: RowReader<R>,
    template: &Request,
    opts: &BatchOptions,
    runner: &dyn Runner,
    sink: &mut dyn FnMut(&RowResult),
) -> BatchSummary {
    let workers = opts.concurrency.max(1);
    let rows = Mutex::new(rows);
    let gate = DomainGate {
        cap: opts.per_domain.max(1),
        active: Mutex::new(HashMap::new()),
        freed: Condvar::new(),
    };
    let pacer = Mutex::new(opts.rate_per_sec.and_then(Pacer::new));
    let mut summary = BatchSummary::default();
    let (tx, rx) = mpsc::sync_channel::<RowResult>(workers);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let (rows, gate, pacer) = (&rows, &gate, &pacer);
            scope.spawn(move || {
                loop {
                    let next = rows.lock().unwrap_or_else(|p| p.into_inner()).next();
                    let result = match next {
                        None => break,
                        Some(Err(e)) => {
                            error_row(e.line, String::new(), false, e.to_string(), false)
                        }
                        Some(Ok(row)) => {
                            let _slot = gate.enter(&row.domain);
                            let start = pacer
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .as_mut()
                                .map(|p| p.reserve(Instant::now()));
                            if let Some(start) = start {
                                std::thread::sleep(start.saturating_duration_since(Instant::now()));
                            }
                            run_row(&row, template, runner)
                        }
                    };
                    if tx.send(result).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for result in rx {
            summary.add(&result);
            sink(&result);
        }
    });
    summary
}

fn run_row(row: &Row, template: &Request, runner: &dyn Runner) -> RowResult {
    let request = Request {
        target: Target::Live {
            sip_uri: row.sip_uri.clone(),
        },
        connect: template.connect.clone(),
        credentials: row.credentials.clone(),
        policy: template.policy,
    };
    let shown = if template.policy.redact_personal {
        sfb_trace::redact::REDACTED_PERSONAL.to_owned()
    } else {
        row.sip_uri.clone()
    };
    let authenticated = row.credentials.is_some();
    match runner.run(&request) {
        Err(RunError::Usage(m)) => error_row(row.line, shown, authenticated, m, false),
        Err(RunError::Internal(m)) => error_row(row.line, shown, authenticated, m, true),
        Ok(trace) => {
            let report = Report::new(&trace);
            RowResult {
                schema: ROW_SCHEMA,
                line: row.line,
                target: shown,
                authenticated,
                status: crate::report::status_name(report.status),
                root_cause: report.root_cause.as_ref().map(|v| RowCause {
                    step: v.step,
                    cause: v.cause.to_string(),
                    sentence: v.sentence.clone(),
                    remedy: v.remedy.clone(),
                }),
                steps: report
                    .steps
                    .iter()
                    .map(|s| RowStep {
                        step: s.step,
                        status: s.status,
                        cause: s.verdicts.first().map(|v| v.cause.to_string()),
                    })
                    .collect(),
                elapsed_ms: trace.elapsed_ms,
                error: None,
                internal: false,
            }
        }
    }
}

fn error_row(
    line: u64,
    target: String,
    authenticated: bool,
    error: String,
    internal: bool,
) -> RowResult {
    RowResult {
        schema: ROW_SCHEMA,
        line,
        target,
        authenticated,
        status: "error",
        root_cause: None,
        steps: Vec::new(),
        elapsed_ms: 0,
        error: Some(error),
        internal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Result<Vec<Row>, CsvError> {
        RowReader::new(text.as_bytes()).collect()
    }

    #[test]
    fn positional_and_headed_rows() {
        let r = rows("# users\nalice@contoso.com\r\n\nsip:bob@Fabrikam.com,FAB\\bob,env:BOB_PW\ncarol@contoso.com,,/run/pw\n").unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(
            (r[0].line, r[0].sip_uri.as_str(), r[0].credentials.is_none()),
            (2, "sip:alice@contoso.com", true)
        );
        assert_eq!(r[1].domain, "fabrikam.com");
        assert_eq!(
            r[1].credentials,
            Some(Credentials {
                login: Some("FAB\\bob".into()),
                password: PasswordSource::Env("BOB_PW".into())
            })
        );
        assert_eq!(
            r[2].credentials.as_ref().unwrap().password,
            PasswordSource::File("/run/pw".into())
        );
        let r = rows("sip_uri,password_env,login\na@b.c,PW,DOM\\a\n").unwrap();
        assert_eq!(
            r[0].credentials.as_ref().unwrap().login.as_deref(),
            Some("DOM\\a")
        );
    }

    #[test]
    fn strict_errors_name_the_line() {
        let cases: &[(&str, u64, &str)] = &[
            ("a@b.c\nnot-a-uri\n", 2, "not a SIP URI"),
            ("a@b.c,login\n", 1, "login without a password"),
            ("a@b.c,l,p,extra\n", 1, "4 fields"),
            ("sip_uri,pwd\n", 1, "unknown column"),
            ("sip_uri,login,login\n", 1, "twice"),
            ("\"a@b.c\"\n", 1, "quoted"),
            ("a@b.c,,env:\n", 1, "empty password source"),
            ("sip_uri,password_file,password_env\na@b.c,f,e\n", 2, "both"),
            ("a@b.c\u{7}\n", 1, "control"),
        ];
        for (text, line, want) in cases {
            let e = rows(text).unwrap_err();
            assert_eq!(e.line, *line, "{text:?}: {e}");
            assert!(e.message.contains(want), "{text:?}: {e}");
        }
        let e = rows(&format!("a@b.c\n{}\n", "x".repeat(MAX_LINE + 10))).unwrap_err();
        assert_eq!((e.line, e.message.contains("longer")), (2, true));
        let e = RowReader::new(&b"a@b.c\n\xff\n"[..])
            .nth(1)
            .unwrap()
            .unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (2, "not UTF-8"));
    }

    #[test]
    fn row_count_is_bounded() {
        let text = "a@b.c\n".repeat(MAX_ROWS + 1);
        let e = scan(text.as_bytes()).unwrap_err();
        assert_eq!(e.line, u64::try_from(MAX_ROWS + 1).unwrap());
    }

    #[test]
    fn pacer_spaces_starts() {
        let t0 = Instant::now();
        let mut p = Pacer::new(4.0).unwrap();
        assert_eq!(p.reserve(t0), t0);
        assert_eq!(p.reserve(t0), t0 + Duration::from_millis(250));
        assert_eq!(p.reserve(t0), t0 + Duration::from_millis(500));
        // After a pause, the next start is now, not in the past.
        let later = t0 + Duration::from_secs(10);
        assert_eq!(p.reserve(later), later);
        assert!(Pacer::new(0.0).is_none());
        assert!(Pacer::new(f64::NAN).is_none());
    }

    #[test]
    fn summary_is_bounded_and_exit_codes_follow_rows() {
        let mut s = BatchSummary::default();
        for i in 0..(MAX_CAUSES + 10) {
            let mut r = error_row(1, String::new(), false, String::new(), false);
            r.status = "fail";
            r.root_cause = Some(RowCause {
                step: Step::Discovery,
                cause: format!("dns.c{i}"),
                sentence: String::new(),
                remedy: None,
            });
            s.add(&r);
        }
        assert_eq!(s.by_cause.len(), MAX_CAUSES + 1);
        assert_eq!(s.by_cause["other"], 10);
        assert_eq!(s.exit_code(false), 1);
        s.add(&error_row(2, String::new(), false, "x".into(), true));
        assert_eq!(s.exit_code(false), 3);
    }
}
