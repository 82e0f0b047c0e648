//! Fuzz target: `sfb_lab::fuzzing::sip_connection`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| sfb_lab::fuzzing::sip_connection(data));
