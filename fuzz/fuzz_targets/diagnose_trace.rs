//! Fuzz target: `sfb_diagnose::fuzzing::trace`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| sfb_diagnose::fuzzing::trace(data));
