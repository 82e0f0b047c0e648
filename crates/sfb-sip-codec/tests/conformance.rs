//! Conformance: RFC 4475 torture messages (`testdata/rfc4475/manifest.tsv`) and real
//! Lync/SfB messages (`testdata/lync/*.sip`). The data is merged from another branch; a missing
//! folder is a failure. `SFB_CODEC_TESTDATA` may point at another `testdata` folder.

use std::path::PathBuf;

use sfb_sip_codec::{Frame, Framer, Limits, Status, encode, fuzzing, parse_datagram, validate};

fn testdata() -> PathBuf {
    std::env::var_os("SFB_CODEC_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata"))
}

fn read_dir_or_fail(sub: &str) -> PathBuf {
    let dir = testdata().join(sub);
    assert!(
        dir.is_dir(),
        "test data folder {} is missing: merge the testdata branch (or set SFB_CODEC_TESTDATA)",
        dir.display()
    );
    dir
}

/// Parse, validate, and exercise every accessor; the outcome of the stack as a whole.
fn stack(bytes: &[u8]) -> Result<(), String> {
    fuzzing::parse(bytes);
    fuzzing::round_trip(bytes);
    let m = parse_datagram(bytes, &Limits::default()).map_err(|e| format!("parse: {e}"))?;
    validate(&m).map_err(|e| format!("validate: {e}"))
}

#[test]
fn rfc4475_manifest() {
    let dir = read_dir_or_fail("rfc4475");
    let manifest =
        std::fs::read_to_string(dir.join("manifest.tsv")).expect("manifest.tsv readable");
    let mut counts = [0usize; 3];
    let mut failures = Vec::new();
    for line in manifest
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(cols.len() >= 3, "bad manifest line: {line}");
        let (file, class, section) = (cols[0], cols[1], cols[2]);
        let bytes = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        for seed in [0u8, 3, 7] {
            let mut d = vec![seed];
            d.extend_from_slice(&bytes);
            fuzzing::framer_chunking(&d);
        }
        let outcome = stack(&bytes);
        match class {
            "valid" => {
                counts[0] += 1;
                if let Err(e) = &outcome {
                    failures.push(format!("{file} ({section}) is valid but was rejected: {e}"));
                }
            }
            "invalid" => {
                counts[1] += 1;
                match &outcome {
                    Ok(()) => {
                        failures.push(format!("{file} ({section}) is invalid but was accepted"))
                    }
                    Err(e) => println!("{file} ({section}) rejected: {e}"),
                }
            }
            "either" => {
                counts[2] += 1;
                println!(
                    "{file} ({section}): {}",
                    outcome.err().unwrap_or_else(|| "accepted".into())
                );
            }
            other => panic!("unknown class {other} in {line}"),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        counts[0] >= 13 && counts[1] >= 11,
        "manifest incomplete: {counts:?}"
    );
}

#[test]
fn rfc4475_dblreq_yields_first_message_only() {
    let dir = read_dir_or_fail("rfc4475");
    let bytes = std::fs::read(dir.join("dblreq.dat")).expect("dblreq.dat readable");
    let m = parse_datagram(&bytes, &Limits::default()).expect("dblreq parses");
    assert_eq!(m.method(), Some("REGISTER"));
    assert!(m.body().is_empty());
    assert!(m.as_bytes().len() < bytes.len());
    assert!(
        bytes
            .get(m.as_bytes().len()..)
            .is_some_and(|rest| rest.windows(6).any(|w| w == b"INVITE"))
    );
}

#[test]
fn lync_messages() {
    let dir = read_dir_or_fail("lync");
    let mut n = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("lync readable")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "sip"))
    {
        n += 1;
        let name = path.display().to_string();
        let bytes = std::fs::read(&path).expect("readable");
        let m =
            parse_datagram(&bytes, &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        validate(&m).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            m.as_bytes().len(),
            bytes.len(),
            "{name}: whole file is one message"
        );
        for v in m.vias() {
            v.unwrap_or_else(|e| panic!("{name}: via {e}"));
        }
        for c in m.contacts() {
            c.unwrap_or_else(|e| panic!("{name}: contact {e}"));
        }
        for a in m.auth_headers() {
            let a = a.unwrap_or_else(|e| panic!("{name}: auth {e}"));
            assert!(
                !a.params.is_empty() || !a.scheme.is_empty(),
                "{name}: empty auth header"
            );
        }
        for d in m.ms_diagnostics() {
            d.unwrap_or_else(|e| panic!("{name}: ms-diagnostics {e}"));
        }
        for p in m.p_asserted_identities() {
            p.unwrap_or_else(|e| panic!("{name}: p-asserted-identity {e}"));
        }
        // Stream framing: one push and byte by byte give this one message.
        for chunk in [bytes.len(), 1] {
            let mut f = Framer::new(Limits::default());
            let mut frames = Vec::new();
            for c in bytes.chunks(chunk) {
                f.push(c);
                while let Status::Complete(fr) = f.next().unwrap_or_else(|e| panic!("{name}: {e}"))
                {
                    frames.push(fr);
                }
            }
            assert_eq!(frames.len(), 1, "{name}");
            let Some(Frame::Message(om)) = frames.first() else {
                panic!("{name}: not a message")
            };
            assert!(om.message().same_content(&m), "{name}");
        }
        // The encoder keeps every header value byte for byte.
        let out = encode(&m);
        let m2 = parse_datagram(&out, &Limits::default()).expect("encoded parses");
        assert!(m2.same_content(&m), "{name}");
    }
    assert!(n > 0, "no .sip files in {}", dir.display());
}
