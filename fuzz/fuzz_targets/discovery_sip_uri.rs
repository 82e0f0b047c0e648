//! Fuzz target: `sfb_discovery::fuzzing::sip_uri`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| sfb_discovery::fuzzing::sip_uri(data));
