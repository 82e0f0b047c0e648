//! The secrets a sign-in derives never leave the tool. `secrets.rs` runs the binary and checks
//! what it can know in advance (the canary password, its NT hash, the AUTHENTICATE prefix);
//! the NTLMv2 response, the NTProofStr and the session keys are random per run, so this test
//! learns them from the same run, in one process:
//!
//! 1. the probe's own subscriber ([`logging::install`], what `logging::init` installs at
//!    `-vvv` with `RUST_LOG=trace`), with a buffer as its writer instead of stderr, captures
//!    every log line of the lab, the session and the dependencies;
//! 2. `sfb_probe::cli::run` (the binary's code path) is driven with
//!    `--lab --scenario S -vvv --password-file F` for the text report, `--json` and
//!    `--html FILE`, on `ntlm-wrong-password` with a canary password (a failure) and on
//!    `healthy` with the lab user's real password (a success: the exported session key signs
//!    every later message), as an internal and as a remote user (`--external`). Its runner wraps the real [`SessionRunner`]: the sign-in is run
//!    with `raw_trace` so the trace keeps the raw NTLM tokens (under the default policy
//!    `SignInTrace::push_evidence` drops them and nothing else records them), and the CLI
//!    gets that trace re-recorded under the default policy by `push_evidence` itself, which
//!    is exactly the trace a default run records (in sfb-session the redaction policy only
//!    reaches the trace, so the sign-in and its logs do not depend on it);
//! 3. the CHALLENGE and AUTHENTICATE messages are parsed here ([MS-NLMP] 2.2.1.2, 2.2.1.3,
//!    bounded), and with `sfb_auth::ntlm::crypto` the NTProofStr is recomputed from the
//!    password, the server challenge and the response's temp blob and must equal the one on the
//!    wire, and the exported session key (RC4K of the EncryptedRandomSessionKey under the
//!    session base key) must verify the message's MIC: the needles are proven right first;
//! 4. none of the password, NT hash, ResponseKeyNT, NTProofStr, whole NTLMv2 response, session
//!    base key, exported session key (lower hex, upper hex, standard base64, Rust `Debug` of
//!    the bytes) nor any raw token (base64) occurs in the text, JSON or HTML report, in what
//!    the CLI wrote to stderr, or in the captured logs. The search is shown not to be vacuous:
//!    it finds each needle in a string built to contain it, and the JSON of the raw trace (as
//!    `--raw-trace` prints it) does contain the AUTHENTICATE token.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use clap::Parser as _;
use sfb_auth::ntlm::crypto;
use sfb_auth::secret::Key16;
use sfb_probe::cli::{self, Args, Terminal};
use sfb_probe::logging;
use sfb_probe::render::json;
use sfb_probe::report::Report;
use sfb_probe::runner::{Request, RunError, Runner as _};
use sfb_probe::session::SessionRunner;
use sfb_trace::{AuthProtocol, EvidenceKind, RedactionPolicy, SignInTrace};

/// The password given for the failing run (the lab's directory has another one).
const CANARY: &str = "Canary-Pa55w0rd-9c1d";

/// The largest token accepted by the parser below (the product's own limit is 64 KiB too).
const MAX_TOKEN: usize = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// Base64 (RFC 4648 §4, with padding): the probe has no base64 dependency of its own.

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn b64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(B64[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn b64_decode(s: &str) -> Result<Vec<u8>, String> {
    if s.len() > MAX_TOKEN.div_ceil(3) * 4 {
        return Err(format!("base64 longer than {MAX_TOKEN} bytes decoded"));
    }
    if !s.len().is_multiple_of(4) {
        return Err("base64 length is not a multiple of 4".into());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    for (q, quad) in bytes.chunks(4).enumerate() {
        let last = q + 1 == bytes.len() / 4;
        let mut n = 0u32;
        let mut pad = 0;
        for (i, &c) in quad.iter().enumerate() {
            let v = match c {
                b'=' if last && i >= 2 => {
                    pad += 1;
                    0
                }
                _ if pad > 0 => return Err("base64 data after padding".into()),
                _ => B64
                    .iter()
                    .position(|&x| x == c)
                    .ok_or_else(|| format!("not a base64 character: {c:#04x}"))?
                    as u32,
            };
            n = n << 6 | v;
        }
        let quad_bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&quad_bytes[..3 - pad]);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// [MS-NLMP] 2.2.1.2 CHALLENGE and 2.2.1.3 AUTHENTICATE, the fields this test needs.

const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";
const NEGOTIATE_UNICODE: u32 = 0x0000_0001;
/// MsvAvFlags ([MS-NLMP] 2.2.2.1) and its "the message has a MIC" bit.
const MSV_AV_FLAGS: u16 = 6;
const AV_FLAG_MIC: u32 = 0x2;
/// With a Version field the MIC follows it at 72 ([MS-NLMP] 2.2.1.3).
const MIC_OFFSET: usize = 72;

fn u16_at(msg: &[u8], at: usize) -> Result<u16, String> {
    msg.get(at..at + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .ok_or_else(|| format!("truncated at {at}"))
}

fn u32_at(msg: &[u8], at: usize) -> Result<u32, String> {
    msg.get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| format!("truncated at {at}"))
}

/// A payload field: Len (u16), MaxLen (u16), BufferOffset (u32) at `at`.
fn payload<'m>(msg: &'m [u8], at: usize, name: &str) -> Result<&'m [u8], String> {
    let len = usize::from(u16_at(msg, at)?);
    let offset = u32_at(msg, at + 4)? as usize;
    msg.get(offset..offset.checked_add(len).ok_or("overflow")?)
        .ok_or_else(|| format!("{name} ({offset}+{len}) lies outside the message"))
}

/// The message type of an NTLM message (after its signature), bounded.
fn message_type(msg: &[u8]) -> Result<u32, String> {
    if msg.len() > MAX_TOKEN {
        return Err(format!("token longer than {MAX_TOKEN} bytes"));
    }
    if msg.get(..8) != Some(SIGNATURE.as_slice()) {
        return Err("no NTLMSSP signature".into());
    }
    u32_at(msg, 8)
}

fn utf16le(bytes: &[u8]) -> Result<String, String> {
    if !bytes.len().is_multiple_of(2) {
        return Err("odd UTF-16 length".into());
    }
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).map_err(|e| e.to_string())
}

struct Challenge {
    bytes: Vec<u8>,
    server_challenge: [u8; 8],
}

fn parse_challenge(msg: &[u8]) -> Result<Challenge, String> {
    if message_type(msg)? != 2 {
        return Err("not a CHALLENGE".into());
    }
    let mut server_challenge = [0u8; 8];
    server_challenge.copy_from_slice(msg.get(24..32).ok_or("truncated ServerChallenge")?);
    Ok(Challenge {
        bytes: msg.to_vec(),
        server_challenge,
    })
}

struct Authenticate {
    bytes: Vec<u8>,
    nt_response: Vec<u8>,
    user: String,
    domain: String,
    encrypted_session_key: [u8; 16],
    mic: Option<[u8; 16]>,
}

fn parse_authenticate(msg: &[u8]) -> Result<Authenticate, String> {
    if message_type(msg)? != 3 {
        return Err("not an AUTHENTICATE".into());
    }
    let nt_response = payload(msg, 20, "NtChallengeResponse")?.to_vec();
    let domain = payload(msg, 28, "DomainName")?;
    let user = payload(msg, 36, "UserName")?;
    let esk = payload(msg, 52, "EncryptedRandomSessionKey")?;
    let flags = u32_at(msg, 60)?;
    if flags & NEGOTIATE_UNICODE == 0 {
        return Err("OEM strings: the client always negotiates Unicode".into());
    }
    // NTLMv2: NTProofStr (16) then the temp blob: 01 01 Z(6) time(8) CC(8) Z(4) AV pairs Z(4).
    if nt_response.len() < 16 + 28 + 4 || nt_response[16..18] != [1, 1] {
        return Err("the NtChallengeResponse is not an NTLMv2 response".into());
    }
    let encrypted_session_key: [u8; 16] = esk
        .try_into()
        .map_err(|_| "EncryptedRandomSessionKey is not 16 bytes")?;
    let mic = if av_flags(&nt_response[16 + 28..])? & AV_FLAG_MIC != 0 {
        let mut m = [0u8; 16];
        m.copy_from_slice(
            msg.get(MIC_OFFSET..MIC_OFFSET + 16)
                .ok_or("truncated MIC")?,
        );
        Some(m)
    } else {
        None
    };
    Ok(Authenticate {
        bytes: msg.to_vec(),
        user: utf16le(user)?,
        domain: utf16le(domain)?,
        nt_response,
        encrypted_session_key,
        mic,
    })
}

/// MsvAvFlags of an AV_PAIR list (0 when absent), bounded by the list and 64 pairs.
fn av_flags(mut pairs: &[u8]) -> Result<u32, String> {
    for _ in 0..64 {
        let id = u16_at(pairs, 0)?;
        let len = usize::from(u16_at(pairs, 2)?);
        let value = pairs.get(4..4 + len).ok_or("truncated AV_PAIR")?;
        match id {
            0 => return Ok(0),
            MSV_AV_FLAGS => return u32_at(value, 0),
            _ => pairs = &pairs[4 + len..],
        }
    }
    Err("more than 64 AV_PAIRs".into())
}

// ---------------------------------------------------------------------------------------------
// The values one handshake derives, proven against the wire.

struct Derived {
    nt_hash: [u8; 16],
    response_key_nt: [u8; 16],
    nt_proof_str: [u8; 16],
    nt_response: Vec<u8>,
    session_base_key: [u8; 16],
    exported_session_key: [u8; 16],
}

/// HMAC-MD5(key, data) through the public API: NTProofStr is HMAC-MD5(key, SC ‖ temp) for any
/// 8-byte SC, so any `data` of 8 bytes or more can be split that way.
fn hmac_md5(key: &[u8; 16], data: &[u8]) -> [u8; 16] {
    let (head, rest) = data.split_at(8);
    let head: [u8; 8] = head.try_into().unwrap_or_else(|_| unreachable!());
    crypto::nt_proof_str(&Key16::new(*key), &head, rest)
}

/// Derives the handshake's keys with `password` and proves them: the recomputed NTProofStr
/// must equal the wire's, and the exported session key must verify the MIC.
fn derive(password: &str, ch: &Challenge, auth: &Authenticate) -> Result<Derived, String> {
    let nt = crypto::nt_hash(password);
    let rk = crypto::ntowfv2(&nt, &auth.user, &auth.domain);
    let wire_proof: [u8; 16] = auth.nt_response[..16]
        .try_into()
        .map_err(|_| "short NTProofStr")?;
    let temp = &auth.nt_response[16..];
    let proof = crypto::nt_proof_str(&rk, &ch.server_challenge, temp);
    if proof != wire_proof {
        return Err(format!(
            "the recomputed NTProofStr differs from the wire's (user {:?}, domain {:?})",
            auth.user, auth.domain
        ));
    }
    let sbk = crypto::session_base_key(&rk, &proof);
    let esk = crypto::rc4k(&sbk, &auth.encrypted_session_key);
    let Some(wire_mic) = auth.mic else {
        return Err("no MIC: the exported session key cannot be proven".into());
    };
    let mut zeroed = auth.bytes.clone();
    zeroed[MIC_OFFSET..MIC_OFFSET + 16].fill(0);
    let mic = hmac_md5(esk.expose(), &[ch.bytes.as_slice(), &zeroed].concat());
    if mic != wire_mic {
        return Err("the exported session key does not verify the MIC".into());
    }
    Ok(Derived {
        nt_hash: *nt.expose(),
        response_key_nt: *rk.expose(),
        nt_proof_str: proof,
        nt_response: auth.nt_response.clone(),
        session_base_key: *sbk.expose(),
        exported_session_key: *esk.expose(),
    })
}

// ---------------------------------------------------------------------------------------------
// Needles and the search.

struct Needle {
    name: String,
    value: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A secret byte string in every form a careless log line could print it.
fn push_bytes(needles: &mut Vec<Needle>, name: &str, bytes: &[u8]) {
    let lower = hex(bytes);
    for (form, value) in [
        ("lower hex", lower.clone()),
        ("upper hex", lower.to_ascii_uppercase()),
        ("base64", b64_encode(bytes)),
        ("Debug", format!("{bytes:?}")),
    ] {
        needles.push(Needle {
            name: format!("{name} ({form})"),
            value,
        });
    }
}

fn needles_of(password: &str, derived: &[Derived], raw_tokens: &[String]) -> Vec<Needle> {
    let mut n = vec![Needle {
        name: "password".into(),
        value: password.to_owned(),
    }];
    for d in derived {
        push_bytes(&mut n, "NT hash", &d.nt_hash);
        push_bytes(&mut n, "ResponseKeyNT", &d.response_key_nt);
        push_bytes(&mut n, "NTProofStr", &d.nt_proof_str);
        push_bytes(&mut n, "NTLMv2 response", &d.nt_response);
        push_bytes(&mut n, "session base key", &d.session_base_key);
        push_bytes(&mut n, "exported session key", &d.exported_session_key);
    }
    for t in raw_tokens {
        n.push(Needle {
            name: "raw token (base64)".into(),
            value: t.clone(),
        });
    }
    n
}

/// The names of the needles found in `text`, with where.
fn leaks(text: &str, needles: &[Needle]) -> Vec<String> {
    needles
        .iter()
        .filter_map(|n| text.find(&n.value).map(|at| format!("{} at {at}", n.name)))
        .collect()
}

fn assert_clean(what: &str, text: &str, needles: &[Needle]) {
    let found = leaks(text, needles);
    assert!(found.is_empty(), "{what} leaks: {found:?}");
}

// ---------------------------------------------------------------------------------------------
// The logs, captured as the probe's `-vvv` with `RUST_LOG=trace` would print them.

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

/// The probe's own logging (`logging::install`, what `init` does for `-vvv` with
/// `RUST_LOG=trace`), writing to a buffer instead of stderr.
fn install_logging() -> Capture {
    let capture = Capture::default();
    let writer = capture.clone();
    logging::install(3, Some("trace"), false, move || writer.clone())
        .expect("the only global subscriber of this test binary");
    capture
}

// ---------------------------------------------------------------------------------------------
// One probe run through the CLI.

enum Output {
    Text,
    Json,
    Html,
}

struct Run {
    /// Every output the CLI produced (report, stderr, HTML page), by name.
    outputs: Vec<(String, String)>,
    /// The trace with raw tokens, from the same sign-in.
    raw: SignInTrace,
}

/// The trace a default-policy run records: the raw trace re-recorded under the default policy
/// by the product's own `push_evidence`.
fn as_default_policy(raw: &SignInTrace) -> SignInTrace {
    let mut t = SignInTrace::new(
        &raw.tool,
        &raw.target,
        raw.started_at,
        RedactionPolicy::default(),
    );
    for e in &raw.evidence {
        let id = t.push_evidence(None, e.kind.clone());
        assert_eq!(id, e.id, "evidence ids survive the re-recording");
    }
    t.steps = raw.steps.clone();
    t.elapsed_ms = raw.elapsed_ms;
    t
}

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "sfb-probe-secrets-derived-{}-{name}",
        std::process::id()
    ))
}

fn probe(scenario: &str, external: bool, password_file: &Path, output: &Output, exit: u8) -> Run {
    let html = temp_path(&format!("{scenario}-{external}.html"));
    let mut argv: Vec<String> = ["sfb-probe", "--lab", "--scenario", scenario, "-vvv"]
        .map(str::to_owned)
        .to_vec();
    if external {
        argv.push("--external".into());
    }
    argv.extend([
        "--password-file".into(),
        password_file.display().to_string(),
    ]);
    match output {
        Output::Text => {}
        Output::Json => argv.push("--json".into()),
        Output::Html => argv.extend(["--html".into(), html.display().to_string()]),
    }
    let args = Args::try_parse_from(&argv).expect("valid arguments");
    let raw = Mutex::new(None);
    let runner = |request: &Request| -> Result<SignInTrace, RunError> {
        assert_eq!(
            request.policy,
            RedactionPolicy::default(),
            "the CLI asks for the default policy"
        );
        let mut with_tokens = request.clone();
        with_tokens.policy.raw_trace = true;
        let trace = SessionRunner.run(&with_tokens)?;
        let default = as_default_policy(&trace);
        *raw.lock().unwrap_or_else(|e| e.into_inner()) = Some(trace);
        Ok(default)
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = cli::run(&args, &runner, Terminal::default(), &mut out, &mut err);
    let raw = raw
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .expect("the runner ran");
    let err = String::from_utf8_lossy(&err).into_owned();
    assert_eq!(code, exit, "{scenario}: exit code; stderr: {err}");
    let mut outputs = vec![
        (
            "report".to_owned(),
            String::from_utf8_lossy(&out).into_owned(),
        ),
        ("stderr".to_owned(), err),
    ];
    if matches!(output, Output::Html) {
        let page = std::fs::read_to_string(&html).expect("the HTML page was written");
        let _ = std::fs::remove_file(&html);
        assert!(page.contains("<svg"), "the page has its ladder");
        outputs.push(("HTML page".to_owned(), page));
    }
    Run { outputs, raw }
}

/// The NTLM (CHALLENGE, AUTHENTICATE) pairs of a trace, each AUTHENTICATE with the CHALLENGE
/// received last before it, and every raw token (base64).
fn handshakes(trace: &SignInTrace) -> (Vec<(Challenge, Authenticate)>, Vec<String>) {
    let mut pairs = Vec::new();
    let mut raw_tokens = Vec::new();
    let mut challenge = None;
    for e in &trace.evidence {
        let EvidenceKind::AuthToken(tok) = &e.kind else {
            continue;
        };
        let raw = tok.raw.as_ref().expect("raw_trace keeps every token");
        raw_tokens.push(raw.clone());
        if tok.protocol != AuthProtocol::Ntlm {
            continue;
        }
        let bytes = b64_decode(raw).expect("a token is base64");
        match message_type(&bytes) {
            Ok(2) => challenge = Some(parse_challenge(&bytes).expect("a CHALLENGE")),
            Ok(3) => {
                let auth = parse_authenticate(&bytes).expect("an AUTHENTICATE");
                let ch = challenge
                    .take()
                    .expect("a CHALLENGE before the AUTHENTICATE");
                pairs.push((ch, auth));
            }
            other => panic!("unexpected NTLM token: {other:?}"),
        }
    }
    (pairs, raw_tokens)
}

/// Runs one scenario (as a remote user through the Access Edge when `external`) through the
/// three outputs; returns every output and the needles proven for those runs.
fn scenario(
    scenario: &str,
    external: bool,
    password: &str,
    expect_cause: &str,
    exit: u8,
) -> (Vec<(String, String)>, Vec<Needle>) {
    let name = if external {
        format!("{scenario} --external")
    } else {
        scenario.to_owned()
    };
    let pw_file = temp_path(&format!("{scenario}-{external}.pw"));
    std::fs::write(&pw_file, format!("{password}\n")).expect("write the password file");
    let mut outputs = Vec::new();
    let mut needles = Vec::new();
    for output in [Output::Text, Output::Json, Output::Html] {
        let run = probe(scenario, external, &pw_file, &output, exit);
        let (pairs, raw_tokens) = handshakes(&run.raw);
        assert!(!pairs.is_empty(), "{name}: no NTLM handshake in the trace");
        let derived: Vec<Derived> = pairs
            .iter()
            .map(|(ch, auth)| derive(password, ch, auth))
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let run_needles = needles_of(password, &derived, &raw_tokens);

        // Not vacuous: each needle is found where it is put on purpose, and `--raw-trace`'s
        // JSON does carry the AUTHENTICATE token (so the default outputs could, had they not
        // been redacted).
        for n in &run_needles {
            let planted = format!("trace: {} = {} end", n.name, n.value);
            assert_eq!(leaks(&planted, std::slice::from_ref(n)).len(), 1);
        }
        let planted = format!("ntproofstr={}", hex(&derived[0].nt_proof_str));
        assert!(
            leaks(&planted, &run_needles)
                .iter()
                .any(|l| l.starts_with("NTProofStr (lower hex)"))
        );
        let raw_json = json::render(&Report::new(&run.raw));
        let authenticate = b64_encode(&pairs[0].1.bytes);
        assert!(raw_json.contains(&authenticate), "--raw-trace JSON");
        assert!(!leaks(&raw_json, &run_needles).is_empty());

        let report = &run.outputs[0].1;
        assert!(report.contains(expect_cause), "{name}: {report}");
        outputs.extend(
            run.outputs
                .into_iter()
                .map(|(what, text)| (format!("{name}: {what}"), text)),
        );
        needles.extend(run_needles);
    }
    let _ = std::fs::remove_file(&pw_file);
    (outputs, needles)
}

#[test]
fn derived_ntlm_secrets_never_reach_any_output_or_log() {
    let logs = install_logging();
    let lab_password = sfb_lab::directory::Directory::contoso().users[0]
        .password
        .clone();
    assert_ne!(lab_password, CANARY);
    let mut outputs = Vec::new();
    let mut needles = Vec::new();
    for (name, external, password, cause, exit) in [
        (
            "ntlm-wrong-password",
            false,
            CANARY,
            "auth.wrong_password",
            1,
        ),
        ("healthy", false, lab_password.as_str(), "auth.ok", 0),
        // A remote user: both handshakes (Edge-proxied Director, then the home pool through
        // the Edge) and the signed messages after them.
        ("healthy", true, lab_password.as_str(), "auth.ok", 0),
    ] {
        let (o, n) = scenario(name, external, password, cause, exit);
        outputs.extend(o);
        needles.extend(n);
    }

    for (what, text) in &outputs {
        assert_clean(what, text, &needles);
    }
    // The capture is the probe's: trace lines of our crates pass, a capped dependency's do not.
    tracing::trace!(target: "sfb_session::secrets_test", "capture-check-uncapped");
    tracing::trace!(target: "sspi::ntlm", "capture-check-capped");
    tracing::warn!(target: "sspi::ntlm", "capture-check-capped-warn");
    let log = logs.text();
    assert!(
        log.contains("capture-check-uncapped"),
        "trace lines are captured"
    );
    assert!(
        !log.contains("capture-check-capped\n"),
        "sspi is capped at warn"
    );
    assert!(
        log.contains("capture-check-capped-warn"),
        "sspi warnings pass"
    );
    // It saw the runs themselves: the lab's info lines, discovery's debug lines.
    assert!(log.contains("lab started"), "no info line captured");
    assert!(log.contains("dns query"), "no debug line captured");
    assert_clean("the captured logs", &log, &needles);
}

#[test]
fn base64_and_the_parser_agree_with_known_answers() {
    // RFC 4648 §10.
    for (plain, enc) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(b64_encode(plain.as_bytes()), enc);
        assert_eq!(b64_decode(enc).unwrap(), plain.as_bytes());
    }
    assert_eq!(b64_encode(b"NTLMSSP\0\x03\0\0\0"), "TlRMTVNTUAADAAAA");
    assert!(b64_decode("Zm9=v").is_err());
    assert!(b64_decode("Zg=").is_err());
    assert!(b64_decode("Zm=v").is_err());
    assert!(b64_decode("Zm9v=AAA").is_err());
    assert!(b64_decode(&"A".repeat(MAX_TOKEN * 2)).is_err());
    // Bounded: a field pointing outside the message, a wrong type, a short header.
    let mut msg = SIGNATURE.to_vec();
    msg.extend_from_slice(&3u32.to_le_bytes());
    msg.resize(88, 0);
    msg[20..22].copy_from_slice(&100u16.to_le_bytes());
    msg[24..28].copy_from_slice(&80u32.to_le_bytes());
    assert!(
        matches!(parse_authenticate(&msg), Err(e) if e.contains("NtChallengeResponse")),
        "a field outside the message"
    );
    assert!(parse_challenge(&msg).is_err());
    assert!(parse_challenge(&msg[..20]).is_err());
    assert!(message_type(&vec![0; MAX_TOKEN + 1]).is_err());
    assert!(av_flags(&[0xff; 4096]).is_err());
}
