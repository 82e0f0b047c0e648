//! Fuzz target: `sfb_trace::fuzzing::redact`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| sfb_trace::fuzzing::redact(data));
