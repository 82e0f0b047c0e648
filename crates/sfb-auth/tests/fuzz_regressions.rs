//! Replays every input kept for this crate's fuzz targets through its `fuzzing` function: the
//! crashes committed under `fuzz/regressions/<target>/` (by `cargo xtask fuzz`) and the seeds
//! under `fuzz/seeds/<target>/`. A fixed crash stays fixed.

use std::path::Path;

fn replay(target: &str, f: fn(&[u8])) -> usize {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut n = 0;
    for kind in ["regressions", "seeds"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(kind).join(target)) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_file() && path.file_name().is_some_and(|n| n != ".gitkeep") {
                f(&std::fs::read(&path).unwrap());
                n += 1;
            }
        }
    }
    n
}

#[test]
fn auth_challenge_header() {
    assert!(
        replay("auth_challenge_header", sfb_auth::fuzzing::challenge_header) > 0,
        "no seeds"
    );
}

#[test]
fn auth_ntlm_message() {
    assert!(
        replay("auth_ntlm_message", sfb_auth::fuzzing::ntlm_message) > 0,
        "no seeds"
    );
}

#[test]
fn auth_kerberos_token() {
    assert!(
        replay("auth_kerberos_token", sfb_auth::fuzzing::kerberos_token) > 0,
        "no seeds"
    );
}
