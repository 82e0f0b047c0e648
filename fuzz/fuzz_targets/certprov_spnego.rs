//! Fuzz target: `sfb_certprov::fuzzing::spnego`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| sfb_certprov::fuzzing::spnego(data));
