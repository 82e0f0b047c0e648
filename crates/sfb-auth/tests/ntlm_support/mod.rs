//! Shared helpers of the integration tests.
#![allow(dead_code)] // each test binary uses a different subset

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use base64::Engine as _;

pub(crate) fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2));
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

pub(crate) fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub(crate) fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

pub(crate) fn oc2007r2() -> serde_json::Value {
    let t = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/ntlm/oc2007r2.json"
    ))
    .unwrap();
    serde_json::from_str(&t).unwrap()
}

/// A scripted random source: hands out the queued bytes in order, panics when empty.
pub(crate) fn scripted(bytes: Vec<u8>) -> Box<dyn sfb_auth::RandomSource> {
    let q = Arc::new(Mutex::new(VecDeque::from(bytes)));
    Box::new(move |buf: &mut [u8]| {
        let mut q = q.lock().unwrap();
        for b in buf.iter_mut() {
            *b = q.pop_front().expect("scripted randomness exhausted");
        }
    })
}

/// A deterministic but varied random source (xorshift), for fresh exchanges.
pub(crate) fn xorshift(seed: u64) -> Box<dyn sfb_auth::RandomSource> {
    let mut s = seed | 1;
    Box::new(move |buf: &mut [u8]| {
        for b in buf.iter_mut() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            *b = s as u8;
        }
    })
}
