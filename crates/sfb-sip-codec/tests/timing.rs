//! A rough timing of the header-section parse (not a benchmark; the criterion benches live in
//! the bench crate). Run: `cargo test -p sfb-sip-codec --release --test timing -- --ignored --nocapture`.

use std::time::Instant;

use sfb_sip_codec::{Limits, parse_datagram};

const REGISTER: &[u8] = b"REGISTER sip:contoso.com SIP/2.0\r\nVia: SIP/2.0/TLS 192.168.1.10:50123;branch=z9hG4bK7a1b2c3d;rport\r\nMax-Forwards: 70\r\nFrom: <sip:alice@contoso.com>;tag=9f8e7d6c5b;epid=01010101ab\r\nTo: <sip:alice@contoso.com>\r\nCall-ID: 4b3a2c1d0e9f8a7b6c5d4e3f2a1b0c9d\r\nCSeq: 3 REGISTER\r\nContact: <sip:192.168.1.10:50123;transport=tls;ms-opaque=d3470f2e1d>;methods=\"INVITE, MESSAGE, INFO, SUBSCRIBE, OPTIONS, BYE, CANCEL, NOTIFY, ACK, REFER, BENOTIFY\";proxy=replace;+sip.instance=\"<urn:uuid:0d4d2b1e-7f3a-5c1b-9e2d-8a7b6c5d4e3f>\"\r\nUser-Agent: UCCAPI/16.0.4849.1000 OC/16.0.4849.1000 (Skype for Business)\r\nSupported: gruu-10, adhoclist, msrtc-event-categories, com.microsoft.msrtc.presence\r\nSupported: ms-userservices-state-notification, ms-dialog-route-set-update, ms-keepalive-deregister\r\nms-keep-alive: UAC;hop-hop=yes\r\nEvent: registration\r\nAllow-Events: vnd-microsoft-provisioning,vnd-microsoft-roaming-contacts,vnd-microsoft-roaming-ACL,presence,presence.wpending\r\nms-subnet: 192.168.1.0\r\nms-endpoint-location-data: NetworkScope;ms-media-location-type=Intranet\r\nProxy-Authorization: NTLM qop=\"auth\", realm=\"SIP Communications Service\", opaque=\"ACDC123F\", targetname=\"fe01.contoso.com\", version=4, crand=\"1a2b3c4d\", cnum=\"1\", response=\"0100000000000000a1b2c3d4e5f60718\"\r\nContent-Length: 0\r\n\r\n";

#[test]
#[ignore = "timing, run explicitly in release mode"]
fn time_register_parse() {
    let limits = Limits::default();
    let n = 200_000;
    let t = Instant::now();
    let mut headers = 0;
    for _ in 0..n {
        let m = parse_datagram(std::hint::black_box(REGISTER), &limits).unwrap();
        headers += m.header_slice().len();
    }
    let ns = t.elapsed().as_nanos() as f64 / f64::from(n);
    println!(
        "{} bytes, {} headers: {ns:.0} ns per parse",
        REGISTER.len(),
        headers / n as usize
    );
}

#[test]
#[ignore = "timing, run explicitly in release mode"]
fn time_parts() {
    let n = 200_000u32;
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(memchr::memmem::find(
            std::hint::black_box(REGISTER),
            b"\r\n\r\n",
        ));
    }
    println!(
        "memmem: {:.0} ns",
        t.elapsed().as_nanos() as f64 / f64::from(n)
    );
    let t = Instant::now();
    for _ in 0..n {
        let _ = std::hint::black_box(core::str::from_utf8(std::hint::black_box(REGISTER)));
    }
    println!(
        "utf8: {:.0} ns",
        t.elapsed().as_nanos() as f64 / f64::from(n)
    );
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(memchr::memchr_iter(b'\n', std::hint::black_box(REGISTER)).count());
    }
    println!(
        "memchr lines: {:.0} ns",
        t.elapsed().as_nanos() as f64 / f64::from(n)
    );
}

#[test]
#[ignore = "timing, run explicitly in release mode"]
fn time_small() {
    let limits = Limits::default();
    for msg in [&b"OPTIONS sip:a SIP/2.0\r\n\r\n"[..], b"OPTIONS sip:a SIP/2.0\r\nA: b\r\n\r\n", b"OPTIONS sip:a SIP/2.0\r\nA: b\r\nB: cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\r\n\r\n"] {
        let n = 200_000u32;
        let t = Instant::now();
        for _ in 0..n {
            std::hint::black_box(parse_datagram(std::hint::black_box(msg), &limits).is_ok());
        }
        println!("{}: {:.0} ns", msg.len(), t.elapsed().as_nanos() as f64 / f64::from(n));
    }
}
