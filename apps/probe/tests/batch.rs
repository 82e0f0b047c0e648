//! Batch runs with a fake runner (tests only): per-domain cap and overall concurrency hold,
//! rows are streamed (the reader never runs far ahead of the results), every row becomes one
//! schema-valid JSON object, and the summary counts causes.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, Read};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use sfb_probe::batch::{self, BatchOptions, RowReader, RowResult};
use sfb_probe::runner::{ConnectOptions, Request, RunError, Runner, Target};
use sfb_trace::{RedactionPolicy, SignInTrace};

fn template() -> Request {
    Request {
        target: Target::Lab {
            scenario: None,
            no_auth: false,
        },
        connect: ConnectOptions::default(),
        credentials: None,
        policy: RedactionPolicy::default(),
    }
}

/// Counts rows in flight, per domain and overall, and records the maxima.
#[derive(Default)]
struct Tracker {
    active: Mutex<(HashMap<String, usize>, usize)>,
    max_domain: AtomicUsize,
    max_total: AtomicUsize,
}

impl Tracker {
    fn enter(&self, domain: &str) {
        let mut a = self.active.lock().unwrap();
        let d = a.0.entry(domain.to_owned()).or_default();
        *d += 1;
        let d = *d;
        a.1 += 1;
        self.max_domain.fetch_max(d, Ordering::SeqCst);
        self.max_total.fetch_max(a.1, Ordering::SeqCst);
    }
    fn leave(&self, domain: &str) {
        let mut a = self.active.lock().unwrap();
        *a.0.get_mut(domain).unwrap() -= 1;
        a.1 -= 1;
    }
}

fn domain_of(req: &Request) -> String {
    match &req.target {
        Target::Live { sip_uri } => sip_uri.rsplit('@').next().unwrap().to_owned(),
        Target::Lab { .. } => panic!("batch rows are live"),
    }
}

/// The fake: contoso users fail authentication, fabrikam users pass, `bad@...` is a usage error.
fn fake(tracker: &Tracker, req: &Request) -> Result<SignInTrace, RunError> {
    let domain = domain_of(req);
    tracker.enter(&domain);
    // Long enough for rows to overlap, so the caps are exercised.
    std::thread::sleep(Duration::from_millis(15));
    tracker.leave(&domain);
    let Target::Live { sip_uri } = &req.target else {
        unreachable!()
    };
    if sip_uri.starts_with("sip:bad@") {
        return Err(RunError::Usage(
            "password variable BAD_PW is not set".into(),
        ));
    }
    Ok(if domain == "contoso.com" {
        auth_failure(req.policy)
    } else {
        healthy(req.policy)
    })
}

#[test]
fn caps_hold_and_rows_become_schema_valid_json_lines() {
    let mut csv = String::from("sip_uri,login,password_env\n");
    for i in 0..24 {
        let domain = if i % 2 == 0 {
            "contoso.com"
        } else {
            "fabrikam.com"
        };
        csv.push_str(&format!("user{i}@{domain}\n"));
    }
    csv.push_str("bad@fabrikam.com,FAB\\bad,BAD_PW\n");
    let tracker = Tracker::default();
    let runner = |req: &Request| fake(&tracker, req);
    let opts = BatchOptions {
        concurrency: 6,
        per_domain: 2,
        rate_per_sec: None,
    };
    let v = validator("probe-batch-row.schema.json");
    let mut lines = Vec::new();
    let summary = batch::run(
        RowReader::new(csv.as_bytes()),
        &template(),
        &opts,
        &runner,
        &mut |r: &RowResult| lines.push(serde_json::to_string(r).unwrap()),
    );
    assert!(tracker.max_domain.load(Ordering::SeqCst) <= 2);
    assert!(
        tracker.max_total.load(Ordering::SeqCst) <= 4,
        "two domains × two"
    );
    assert!(
        tracker.max_total.load(Ordering::SeqCst) >= 2,
        "rows never overlapped"
    );
    assert_eq!(lines.len(), 25);
    for line in &lines {
        assert!(!line.contains('\n'), "one compact object per line");
        let doc: serde_json::Value = serde_json::from_str(line).unwrap();
        let errors = schema_errors(&v, &doc);
        assert!(errors.is_empty(), "{line}: {errors:#?}");
        assert!(!line.contains(RAW_AUTHENTICATE) && !line.contains("gssapi"));
    }
    assert_eq!(summary.rows, 25);
    assert_eq!(summary.by_cause["auth.credentials_not_for_uri"], 12);
    assert_eq!(summary.by_cause["pass"], 12);
    assert_eq!(summary.by_cause["error"], 1);
    assert_eq!(summary.exit_code(false), 1);
    let table = summary.table();
    assert!(table.contains("auth.credentials_not_for_uri") && table.contains("25 rows"));
    let bad = lines.iter().find(|l| l.contains("\"line\":26")).unwrap();
    assert!(bad.contains("\"authenticated\":true") && bad.contains("BAD_PW is not set"));
}

/// A reader that makes rows up as it is read, and counts how many it has handed out.
struct Generated {
    produced: Arc<AtomicUsize>,
    total: usize,
    pending: Vec<u8>,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.fill_buf()?.len().min(buf.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Generated {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.pending.is_empty() {
            let i = self.produced.load(Ordering::SeqCst);
            if i < self.total {
                self.pending = format!("u{i}@d{}.test\n", i % 7).into_bytes();
                self.produced.store(i + 1, Ordering::SeqCst);
            }
        }
        Ok(&self.pending)
    }
    fn consume(&mut self, n: usize) {
        self.pending.drain(..n);
    }
}

#[test]
fn rows_are_streamed_not_slurped() {
    let produced = Arc::new(AtomicUsize::new(0));
    let reader = Generated {
        produced: Arc::clone(&produced),
        total: 2000,
        pending: Vec::new(),
    };
    let runner = |req: &Request| Ok(healthy(req.policy));
    let opts = BatchOptions {
        concurrency: 4,
        per_domain: 4,
        rate_per_sec: None,
    };
    let mut emitted = 0usize;
    let mut worst_lead = 0usize;
    let summary = batch::run(
        RowReader::new(reader),
        &template(),
        &opts,
        &runner,
        &mut |_| {
            emitted += 1;
            worst_lead = worst_lead.max(produced.load(Ordering::SeqCst) - emitted);
        },
    );
    assert_eq!(summary.rows, 2000);
    // In flight: at most the workers' rows plus the bounded result channel.
    assert!(
        worst_lead <= 4 * 2 + 2,
        "reader ran {worst_lead} rows ahead"
    );
}

#[test]
fn internal_errors_make_exit_3() {
    let runner = |_: &Request| -> Result<SignInTrace, RunError> {
        Err(RunError::Internal("the runner broke".into()))
    };
    let summary = batch::run(
        RowReader::new(&b"a@b.test\n"[..]),
        &template(),
        &BatchOptions {
            concurrency: 1,
            per_domain: 1,
            rate_per_sec: Some(1000.0),
        },
        &runner as &dyn Runner,
        &mut |r| assert!(r.internal && r.status == "error"),
    );
    assert_eq!((summary.internal_errors, summary.exit_code(false)), (1, 3));
}
