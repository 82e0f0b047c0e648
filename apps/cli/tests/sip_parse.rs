//! `sfb sip parse` as a user runs it: exit codes, error positions, hostile input.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../crates/sfb-sip-codec/testdata")
}

fn sfb(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sfb"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run sfb");
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.unwrap_or_default().to_vec();
    // Write from a thread: the child may exit (and close the pipe) before reading it all.
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

#[test]
fn a_valid_message_exits_0_with_highlights() {
    let file = testdata().join("lync/401-three-offers.sip");
    let out = sfb(&["sip", "parse", file.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("SIP/2.0 401 Unauthorized\n"), "{text}");
    for offer in ["NTLM:", "Kerberos:", "TLS-DSK:"] {
        assert!(
            text.contains(&format!("WWW-Authenticate {offer}")),
            "{offer} missing in {text}"
        );
    }
    assert!(text.contains("sts-uri=https://sfbfe01.contoso.com:443/CertProv/"));
}

#[test]
fn an_invalid_message_exits_65_with_line_and_column() {
    let file = testdata().join("rfc4475/mismatch01.dat");
    let out = sfb(&["sip", "parse", file.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(65), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("error: "), "{err}");
    let re_ok = err.contains(" at line ") && err.contains(", column ");
    assert!(re_ok, "no position in {err:?}");
    assert!(out.stdout.is_empty());
}

#[test]
fn json_output_is_one_document_with_typed_highlights() {
    let file = testdata().join("lync/504-ms-diagnostics-two.sip");
    let out = sfb(&["sip", "parse", "--json", file.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], 1);
    assert_eq!(v["valid"], true);
    assert_eq!(v["start_line"]["status"], 504);
    let diags = v["highlights"]["ms-diagnostics"].as_array().unwrap();
    assert!(diags.len() >= 2, "{diags:?}");

    let bad = sfb(
        &["sip", "parse", "--json", "-"],
        Some(b"INVITE sip:a@b SIP/2.0\r\nVia: x\r\n"),
    );
    assert_eq!(bad.status.code(), Some(65));
    let v: serde_json::Value = serde_json::from_slice(&bad.stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert!(v["error"]["line"].as_u64().unwrap() >= 1);
}

#[test]
fn every_rfc4475_message_gets_the_class_the_rfc_gives_it() {
    let dir = testdata().join("rfc4475");
    let manifest = std::fs::read_to_string(dir.join("manifest.tsv")).unwrap();
    let mut rows = 0;
    for line in manifest
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let (file, class) = (cols[0], cols[1]);
        let out = sfb(&["sip", "parse", dir.join(file).to_str().unwrap()], None);
        let code = out.status.code();
        match class {
            "valid" => assert_eq!(code, Some(0), "{file}: {out:?}"),
            "invalid" => assert_eq!(code, Some(65), "{file}: {out:?}"),
            _ => assert!(matches!(code, Some(0 | 65)), "{file}: {out:?}"),
        }
        rows += 1;
    }
    assert_eq!(rows, 49);
}

#[test]
fn hostile_bytes_get_an_error_never_a_panic() {
    let mut junk = vec![0u8; 10 * 1024 * 1024];
    let mut x: u32 = 0x9e37_79b9;
    for b in &mut junk {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
    let cases: Vec<Vec<u8>> = vec![
        junk,
        b"REGISTER sip:a SIP/2.0\r\nVia: SIP/2.0/TLS h\0st\r\n\r\n".to_vec(),
        b"REGISTER sip:a SIP/2.0\r\nFrom: \xff\xfe<sip:a@b>\r\n\r\n".to_vec(),
        vec![b'A'; 100_000],
        b"SIP/2.0 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n".to_vec(),
    ];
    for input in cases {
        for mode in [&["sip", "parse"][..], &["sip", "parse", "--stream"][..]] {
            let out = sfb(mode, Some(&input));
            assert!(
                matches!(out.status.code(), Some(65)),
                "{mode:?} on {} bytes: {out:?}",
                input.len()
            );
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.starts_with("error: "), "{err}");
            assert!(!err.contains("panicked"), "{err}");
        }
    }
}

#[test]
fn keep_alives_alone_are_a_stream_not_a_message() {
    let out = sfb(&["sip", "parse", "--stream"], Some(b"\r\n\r\n\r\n"));
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, b"stream: 0 message(s), 3 keep-alive(s)\n");
    let out = sfb(&["sip", "parse"], Some(b"\r\n\r\n\r\n"));
    assert_eq!(out.status.code(), Some(65), "{out:?}");
}

#[test]
fn a_stream_of_messages_and_keep_alives() {
    let dir = testdata().join("lync");
    let mut stream = Vec::new();
    for f in [
        "register-unauth.sip",
        "401-three-offers.sip",
        "200-ok-register.sip",
    ] {
        stream.extend_from_slice(&std::fs::read(dir.join(f)).unwrap());
        stream.extend_from_slice(b"\r\n\r\n");
    }
    let out = sfb(&["sip", "parse", "--stream"], Some(&stream));
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.ends_with("stream: 3 message(s), 6 keep-alive(s)\n"),
        "{text}"
    );

    // A stream cut inside a message is an error, not a silent success.
    let cut = &stream[..stream.len() / 2];
    let out = sfb(&["sip", "parse", "--stream"], Some(cut));
    assert_eq!(out.status.code(), Some(65), "{out:?}");
}

#[test]
fn an_unreadable_file_exits_1() {
    let out = sfb(&["sip", "parse", "/nonexistent/x.sip"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: cannot read"));
}
