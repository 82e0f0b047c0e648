//! Fuzz target: `sfb_auth::fuzzing::ntlm_message`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| sfb_auth::fuzzing::ntlm_message(data));
