//! Fuzz target: `sfb_discovery::fuzzing::http_response`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| sfb_discovery::fuzzing::http_response(data));
