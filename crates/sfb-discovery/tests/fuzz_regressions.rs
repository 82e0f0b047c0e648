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
fn discovery_sip_uri() {
    replay("discovery_sip_uri", sfb_discovery::fuzzing::sip_uri);
}

#[test]
fn discovery_dns_answer() {
    replay("discovery_dns_answer", sfb_discovery::fuzzing::dns_answer);
}

#[test]
fn discovery_documents() {
    replay("discovery_documents", sfb_discovery::fuzzing::documents);
}

#[test]
fn discovery_http_response() {
    replay(
        "discovery_http_response",
        sfb_discovery::fuzzing::http_response,
    );
}

#[test]
fn discovery_walk() {
    replay("discovery_walk", sfb_discovery::fuzzing::walk);
}
