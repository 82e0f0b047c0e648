//! Fuzz target: `sfb_session::fuzzing::signin_input`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| sfb_session::fuzzing::signin_input(data));
