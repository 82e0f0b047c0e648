//! Fuzz target: `sfb_auth::fuzzing::kerberos_token`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| sfb_auth::fuzzing::kerberos_token(data));
