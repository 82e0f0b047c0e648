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
fn sip_parse() {
    replay("sip_parse", sfb_sip_codec::fuzzing::parse);
}

#[test]
fn sip_round_trip() {
    replay("sip_round_trip", sfb_sip_codec::fuzzing::round_trip);
}

#[test]
fn sip_framer_chunking() {
    replay(
        "sip_framer_chunking",
        sfb_sip_codec::fuzzing::framer_chunking,
    );
}

#[test]
fn sip_auth_params() {
    replay("sip_auth_params", sfb_sip_codec::fuzzing::auth_params);
}

#[test]
fn sip_ms_diagnostics() {
    replay("sip_ms_diagnostics", sfb_sip_codec::fuzzing::ms_diagnostics);
}
