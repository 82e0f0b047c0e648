//! Fuzz target: `sfb_sip_codec::fuzzing::auth_params`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| sfb_sip_codec::fuzzing::auth_params(data));
