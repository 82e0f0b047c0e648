//! Fuzz target: `sfb_auth::fuzzing::challenge_header`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| sfb_auth::fuzzing::challenge_header(data));
