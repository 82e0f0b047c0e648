//! Fuzz target: `sfb_sip_codec::fuzzing::ms_diagnostics`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| sfb_sip_codec::fuzzing::ms_diagnostics(data));
