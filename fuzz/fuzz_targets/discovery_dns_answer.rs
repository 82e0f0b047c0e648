//! Fuzz target: `sfb_discovery::fuzzing::dns_answer`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| sfb_discovery::fuzzing::dns_answer(data));
