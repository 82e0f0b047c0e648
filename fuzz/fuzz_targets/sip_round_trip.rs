//! Fuzz target: `sfb_sip_codec::fuzzing::round_trip`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| sfb_sip_codec::fuzzing::round_trip(data));
