//! `sfb sip parse [FILE|-] [--stream] [--json]`: decode and validate SIP messages.
//!
//! By default the input is one message with datagram semantics (RFC 3261 §18.3: Content-Length
//! optional, excess bytes ignored, a shortfall is an error), checked by the grammar and then by the
//! validation tier. `--stream` reads a TCP/TLS byte stream instead: any number of messages, each
//! needing a Content-Length, with CRLF keep-alives between them.
//!
//! Exit 0 when every message is valid; 65 (data error) with `error: <what> at line L, column C`
//! on stderr for the first invalid one; 1 when the input cannot be read. Whatever the bytes, it
//! never panics and never reads more than the codec's limits allow.

use serde_json::{Value, json};
use sfb_sip_codec::{
    AuthHeader, AuthHeaderKind, Contact, Frame, Framer, Limits, Message, ParseError, StartLine,
    Status, ValidationError, parse_datagram, validate,
};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

/// JSON schema version of `sfb sip parse --json`.
const SCHEMA: u32 = 1;

/// EX_DATAERR from sysexits.h: the input data was incorrect.
const EXIT_DATA_ERROR: u8 = 65;

/// Options of `sfb sip parse`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// The message file; `-` or nothing reads standard input.
    file: Option<PathBuf>,
    /// Read a TCP/TLS stream of messages (Content-Length required, CRLF keep-alives allowed).
    #[arg(long)]
    stream: bool,
    /// Print JSON on stdout (one document per message, one per line with --stream).
    #[arg(long)]
    json: bool,
}

/// Why a message was refused.
enum Invalid {
    Grammar(ParseError),
    Validation(ValidationError),
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Invalid::Grammar(e) => e.fmt(f),
            Invalid::Validation(e) => e.fmt(f),
        }
    }
}

impl Invalid {
    fn to_json(&self) -> Value {
        let (tier, line, column) = match self {
            Invalid::Grammar(e) => ("grammar", e.line, e.column),
            Invalid::Validation(e) => ("validation", e.line, e.column),
        };
        json!({ "tier": tier, "message": self.to_string(), "line": line, "column": column })
    }
}

/// Runs the command.
pub(crate) fn run(args: &Args) -> ExitCode {
    let limits = Limits::default();
    let mut input = match open(args.file.as_ref()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    if args.stream {
        stream(&mut input, limits, args.json)
    } else {
        datagram(&mut input, &limits, args.json)
    }
}

fn open(file: Option<&PathBuf>) -> Result<Box<dyn Read>, String> {
    match file {
        None => Ok(Box::new(std::io::stdin().lock())),
        Some(p) if p.as_os_str() == "-" => Ok(Box::new(std::io::stdin().lock())),
        Some(p) => std::fs::File::open(p)
            .map(|f| Box::new(f) as Box<dyn Read>)
            .map_err(|e| format!("cannot read {}: {e}", p.display())),
    }
}

fn datagram(input: &mut dyn Read, limits: &Limits, json_out: bool) -> ExitCode {
    // One message can be at most its header section plus its body: read one byte more than
    // that, so that an oversized input is refused without being held in memory whole.
    let cap = limits.max_message.saturating_add(limits.max_body);
    let mut buf = Vec::new();
    if let Err(e) = input
        .take(u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1))
        .read_to_end(&mut buf)
    {
        eprintln!("error: cannot read the input: {e}");
        return ExitCode::from(1);
    }
    if buf.len() > cap {
        eprintln!("error: the input is larger than one SIP message may be ({cap} bytes)");
        return ExitCode::from(EXIT_DATA_ERROR);
    }
    let checked = parse_datagram(&buf, limits)
        .map_err(Invalid::Grammar)
        .and_then(|m| validate(&m).map(|()| m).map_err(Invalid::Validation));
    report(checked, json_out)
}

fn stream(input: &mut dyn Read, limits: Limits, json_out: bool) -> ExitCode {
    let mut framer = Framer::new(limits);
    let mut chunk = vec![0u8; 64 * 1024];
    let mut keep_alives = 0usize;
    let mut messages = 0usize;
    loop {
        let n = match input.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                eprintln!("error: cannot read the input: {e}");
                return ExitCode::from(1);
            }
        };
        if n == 0 {
            break;
        }
        framer.push(&chunk[..n]);
        loop {
            match framer.next() {
                Ok(Status::Partial) => break,
                Ok(Status::Complete(Frame::KeepAlive)) => keep_alives += 1,
                Ok(Status::Complete(Frame::Message(owned))) => {
                    messages += 1;
                    let msg = owned.message();
                    let checked = validate(&msg).map(|()| msg).map_err(Invalid::Validation);
                    let code = report(checked, json_out);
                    if code != ExitCode::SUCCESS {
                        return code;
                    }
                }
                Err(e) => return report(Err(Invalid::Grammar(e)), json_out),
            }
        }
    }
    if framer.buffered() > 0 {
        eprintln!(
            "error: the stream ends inside a message ({} bytes after the last complete one)",
            framer.buffered()
        );
        return ExitCode::from(EXIT_DATA_ERROR);
    }
    if !json_out {
        println!("stream: {messages} message(s), {keep_alives} keep-alive(s)");
    }
    ExitCode::SUCCESS
}

fn report(checked: Result<Message<'_>, Invalid>, json_out: bool) -> ExitCode {
    match checked {
        Ok(msg) => {
            if json_out {
                println!("{}", to_json(&msg));
            } else {
                print!("{}", to_text(&msg));
            }
            ExitCode::SUCCESS
        }
        Err(invalid) => {
            if json_out {
                println!(
                    "{}",
                    json!({ "schema": SCHEMA, "valid": false, "error": invalid.to_json() })
                );
            }
            eprintln!("error: {invalid}");
            ExitCode::from(EXIT_DATA_ERROR)
        }
    }
}

fn start_line_text(msg: &Message<'_>) -> String {
    match msg.start_line() {
        StartLine::Request {
            method,
            uri,
            version,
        } => format!("{method} {uri} {version}"),
        StartLine::Response {
            version,
            code,
            reason,
        } => format!("{version} {code} {reason}"),
    }
}

fn to_text(msg: &Message<'_>) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(s, "{}", start_line_text(msg));
    for h in msg.headers() {
        let _ = writeln!(s, "  {}: {}", h.name, h.value);
    }
    let _ = writeln!(s, "body: {} bytes", msg.body().len());
    let _ = writeln!(s, "highlights:");
    for (label, value) in highlights(msg) {
        let _ = writeln!(s, "  {label:<16} {value}");
    }
    let _ = writeln!(s, "valid: yes");
    s
}

fn to_json(msg: &Message<'_>) -> Value {
    let start = match msg.start_line() {
        StartLine::Request {
            method,
            uri,
            version,
        } => json!({ "kind": "request", "method": method, "request_uri": uri, "version": version }),
        StartLine::Response {
            version,
            code,
            reason,
        } => json!({ "kind": "response", "version": version, "status": code, "reason": reason }),
    };
    let headers: Vec<Value> = msg
        .headers()
        .map(|h| json!({ "name": h.name, "value": h.value, "line": h.line }))
        .collect();
    let mut hl = serde_json::Map::new();
    for (label, value) in highlights(msg) {
        match hl.get_mut(&label) {
            Some(Value::Array(a)) => a.push(Value::String(value)),
            _ => {
                hl.insert(label, json!([value]));
            }
        }
    }
    json!({
        "schema": SCHEMA,
        "valid": true,
        "start_line": start,
        "headers": headers,
        "body_bytes": msg.body().len(),
        "highlights": hl,
    })
}

/// The typed views sign-in cares about, one `(label, text)` per value. A header whose value
/// does not parse is shown with its error instead of being hidden.
fn highlights(msg: &Message<'_>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |label: &str, value: String| out.push((label.to_owned(), value));
    if let Some(id) = msg.call_id() {
        push("call-id", id.to_owned());
    }
    match msg.cseq() {
        Some(Ok(c)) => push("cseq", format!("{} {}", c.seq, c.method)),
        Some(Err(e)) => push("cseq", format!("unreadable: {e}")),
        None => {}
    }
    for via in msg.vias() {
        push(
            "via",
            match via {
                Ok(v) => {
                    let port = v.port.map(|p| format!(":{p}")).unwrap_or_default();
                    let mut t = format!("{} {}{port}", v.transport, v.host);
                    if let Some(b) = v.branch() {
                        t.push_str(&format!(" branch={b}"));
                    }
                    if let Some(r) = v.received() {
                        t.push_str(&format!(" received={r}"));
                    }
                    if let Some(p) = v.ms_received_port() {
                        t.push_str(&format!(" ms-received-port={p}"));
                    }
                    t
                }
                Err(e) => format!("unreadable: {e}"),
            },
        );
    }
    for (label, addr) in [("from", msg.from()), ("to", msg.to())] {
        match addr {
            Some(Ok(a)) => {
                let mut t = match a.display_name {
                    Some(d) => format!("{d} <{}>", a.uri),
                    None => format!("<{}>", a.uri),
                };
                if let Some(tag) = a.tag() {
                    t.push_str(&format!(" tag={tag}"));
                }
                if let Some(epid) = a.epid() {
                    t.push_str(&format!(" epid={epid}"));
                }
                push(label, t);
            }
            Some(Err(e)) => push(label, format!("unreadable: {e}")),
            None => {}
        }
    }
    for c in msg.contacts() {
        push(
            "contact",
            match c {
                Ok(Contact::Star) => "*".to_owned(),
                Ok(c @ Contact::Addr(_)) => {
                    let mut t = c.addr().map(|a| format!("<{}>", a.uri)).unwrap_or_default();
                    if let Some(Ok(e)) = c.expires() {
                        t.push_str(&format!(" expires={e}"));
                    }
                    if let Some(i) = c.sip_instance() {
                        t.push_str(&format!(" +sip.instance={i}"));
                    }
                    if let Some(g) = c.gruu() {
                        t.push_str(&format!(" gruu={g}"));
                    }
                    t
                }
                Err(e) => format!("unreadable: {e}"),
            },
        );
    }
    for pai in msg.p_asserted_identities() {
        push(
            "p-asserted-id",
            match pai {
                Ok(a) => a.uri.to_owned(),
                Err(e) => format!("unreadable: {e}"),
            },
        );
    }
    match msg.expires() {
        Some(Ok(e)) => push("expires", e.to_string()),
        Some(Err(e)) => push("expires", format!("unreadable: {e}")),
        None => {}
    }
    for a in msg.auth_headers() {
        push(
            "auth",
            match a {
                Ok(a) => auth_text(&a),
                Err(e) => format!("unreadable: {e}"),
            },
        );
    }
    for d in msg.ms_diagnostics() {
        push(
            "ms-diagnostics",
            match d {
                Ok(d) => {
                    let mut t = d.code.to_string();
                    if d.public {
                        t.push_str(" (public)");
                    }
                    if let Some(r) = d.reason() {
                        t.push_str(&format!(" reason={r:?}"));
                    }
                    if let Some(s) = d.source() {
                        t.push_str(&format!(" source={s}"));
                    }
                    t
                }
                Err(e) => format!("unreadable: {e}"),
            },
        );
    }
    for w in msg.warnings() {
        push(
            "warning",
            match w {
                Ok(w) => format!("{} {} {}", w.code, w.agent, w.text),
                Err(e) => format!("unreadable: {e}"),
            },
        );
    }
    if let Some(s) = msg.server() {
        push("server", s.to_owned());
    }
    if let Some(s) = msg.user_agent() {
        push("user-agent", s.to_owned());
    }
    out
}

/// `Kind Scheme: name=value, ...`; a long `gssapi-data` is shortened (the raw header is in the
/// header list above: this is a highlight, not the record).
fn auth_text(a: &AuthHeader<'_>) -> String {
    let params: Vec<String> = a
        .params
        .iter()
        .map(|p| {
            let v = p.value.raw();
            if p.name.eq_ignore_ascii_case("gssapi-data") && v.len() > 24 {
                format!("{}=<{} base64 chars>", p.name, v.len())
            } else {
                format!("{}={v}", p.name)
            }
        })
        .collect();
    let header = AuthHeaderKind::ALL
        .iter()
        .find(|(k, _)| *k == a.kind)
        .map_or("?", |(_, name)| *name);
    format!("{header} {}: {}", a.scheme, params.join(", "))
}
