//! Fuzz target: `sfb_session::fuzzing::certificate`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| sfb_session::fuzzing::certificate(data));
