//! NTLM primitives on RustCrypto: NTOWFv2, the NTLMv2 responses, key derivation and the
//! datagram MAC ([MS-NLMP] 3.3.2, 3.4.4, 3.4.5).

use hmac::{KeyInit, Mac};
use md5::{Digest, Md5};
use rc4::{Rc4, StreamCipher};

use crate::secret::{Key16, NtHash};

type HmacMd5 = hmac::Hmac<Md5>;

/// [MS-NLMP] 3.4.5.2 magic constants.
const CLIENT_SIGN: &[u8] = b"session key to client-to-server signing key magic constant\0";
const SERVER_SIGN: &[u8] = b"session key to server-to-client signing key magic constant\0";
const CLIENT_SEAL: &[u8] = b"session key to client-to-server sealing key magic constant\0";
const SERVER_SEAL: &[u8] = b"session key to server-to-client sealing key magic constant\0";

/// The MS-SIPAE NTLM sequence number: always 100 in both directions.
pub const SIP_SEQ_NUM: u32 = 100;

pub(crate) fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

pub(crate) fn md5(parts: &[&[u8]]) -> [u8; 16] {
    let mut h = Md5::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

pub(crate) fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> [u8; 16] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut m = <HmacMd5 as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

/// RC4 over `data` with a fresh key stream.
pub(crate) fn rc4(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    // Keys here are 5..=16 bytes, always within RC4's 1..=256.
    let mut c = Rc4::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    c.apply_keystream(&mut out);
    out
}

/// NTOWFv1: `MD4(UTF-16LE(password))` ([MS-NLMP] 3.3.1).
pub fn nt_hash(password: &str) -> NtHash {
    use md4::Md4;
    let pw = zeroize::Zeroizing::new(utf16le(password));
    Key16::new(Md4::digest(&*pw).into())
}

/// NTOWFv2: `HMAC_MD5(NT hash, UTF-16LE(Uppercase(user) ‖ domain))` ([MS-NLMP] 3.3.2).
pub fn ntowfv2(nt: &NtHash, user: &str, domain: &str) -> Key16 {
    let mut ud = user.to_uppercase();
    ud.push_str(domain);
    Key16::new(hmac_md5(nt.expose(), &[&utf16le(&ud)]))
}

/// LMv2 response: `HMAC_MD5(ResponseKeyLM, SC ‖ CC) ‖ CC` ([MS-NLMP] 3.3.2).
pub fn lmv2_response(
    rk: &Key16,
    server_challenge: &[u8; 8],
    client_challenge: &[u8; 8],
) -> [u8; 24] {
    let h = hmac_md5(rk.expose(), &[server_challenge, client_challenge]);
    let mut out = [0u8; 24];
    out[..16].copy_from_slice(&h);
    out[16..].copy_from_slice(client_challenge);
    out
}

/// The NTLMv2 `temp` blob: `01 01 Z(6) time(8) CC(8) Z(4) target_info Z(4)`.
pub fn ntlmv2_temp(timestamp: u64, client_challenge: &[u8; 8], target_info: &[u8]) -> Vec<u8> {
    let mut t = Vec::with_capacity(32 + target_info.len());
    t.extend_from_slice(&[1, 1, 0, 0, 0, 0, 0, 0]);
    t.extend_from_slice(&timestamp.to_le_bytes());
    t.extend_from_slice(client_challenge);
    t.extend_from_slice(&[0; 4]);
    t.extend_from_slice(target_info);
    t.extend_from_slice(&[0; 4]);
    t
}

/// NTProofStr: `HMAC_MD5(ResponseKeyNT, SC ‖ temp)`.
pub fn nt_proof_str(rk: &Key16, server_challenge: &[u8; 8], temp: &[u8]) -> [u8; 16] {
    hmac_md5(rk.expose(), &[server_challenge, temp])
}

/// SessionBaseKey (= KeyExchangeKey for NTLMv2): `HMAC_MD5(ResponseKeyNT, NTProofStr)`.
pub fn session_base_key(rk: &Key16, nt_proof: &[u8; 16]) -> Key16 {
    Key16::new(hmac_md5(rk.expose(), &[nt_proof]))
}

/// RC4K: encrypts or decrypts a 16-byte session key under the key exchange key.
pub fn rc4k(kxk: &Key16, data: &[u8; 16]) -> Key16 {
    let v = rc4(kxk.expose(), data);
    let mut out = [0u8; 16];
    out.copy_from_slice(&v);
    Key16::new(out)
}

/// Which direction a key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Client to server.
    ClientToServer,
    /// Server to client.
    ServerToClient,
}

/// SIGNKEY with extended session security ([MS-NLMP] 3.4.5.2).
pub fn sign_key(esk: &Key16, dir: Direction) -> Key16 {
    let magic = match dir {
        Direction::ClientToServer => CLIENT_SIGN,
        Direction::ServerToClient => SERVER_SIGN,
    };
    Key16::new(md5(&[esk.expose(), magic]))
}

/// SEALKEY with extended session security ([MS-NLMP] 3.4.5.3): 128, 56 or 40 bits of the
/// exported session key, by the negotiated flags.
pub fn seal_key(esk: &Key16, flags: u32, dir: Direction) -> Key16 {
    use super::flags::{NEGOTIATE_56, NEGOTIATE_128};
    let magic = match dir {
        Direction::ClientToServer => CLIENT_SEAL,
        Direction::ServerToClient => SERVER_SEAL,
    };
    let k = esk.expose();
    let base: &[u8] = if flags & NEGOTIATE_128 != 0 {
        k
    } else if flags & NEGOTIATE_56 != 0 {
        &k[..7]
    } else {
        &k[..5]
    };
    Key16::new(md5(&[base, magic]))
}

/// The MAC with extended session security ([MS-NLMP] 3.4.4.2), in datagram mode: the RC4
/// handle is re-keyed for every message with `MD5(SealKey ‖ LE32(seq))`.
///
/// `sig = 01000000 ‖ [RC4(SealKey', ] HMAC_MD5(SignKey, LE32(seq) ‖ msg)[0..8] [)] ‖ LE32(seq)`;
/// the checksum is encrypted only when KEY_EXCH was negotiated.
pub fn mac_datagram(sign: &Key16, seal: &Key16, key_exch: bool, seq: u32, msg: &[u8]) -> [u8; 16] {
    let seq_le = seq.to_le_bytes();
    let h = hmac_md5(sign.expose(), &[&seq_le, msg]);
    let mut checksum = [0u8; 8];
    checksum.copy_from_slice(&h[..8]);
    if key_exch {
        let k = zeroize::Zeroizing::new(md5(&[seal.expose(), &seq_le]));
        let enc = rc4(&*k, &checksum);
        checksum.copy_from_slice(&enc);
    }
    let mut out = [0u8; 16];
    out[..4].copy_from_slice(&1u32.to_le_bytes());
    out[4..12].copy_from_slice(&checksum);
    out[12..].copy_from_slice(&seq_le);
    out
}

/// CRC-32 (IEEE 802.3, reflected, as used by [MS-NLMP] 3.4.4.1).
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The MAC without extended session security ([MS-NLMP] 3.4.4.1), as old OCS 2007 servers use
/// it in datagram mode: `01000000 ‖ LE32(pad) ‖ last 8 bytes of RC4(key, Z(4) ‖ LE32(CRC32(msg)) ‖ LE32(seq))`.
pub fn mac_without_ess(key: &[u8], random_pad: u32, seq: u32, msg: &[u8]) -> [u8; 16] {
    let mut plain = [0u8; 12];
    plain[4..8].copy_from_slice(&crc32(msg).to_le_bytes());
    plain[8..].copy_from_slice(&seq.to_le_bytes());
    let enc = rc4(key, &plain);
    let mut out = [0u8; 16];
    out[..4].copy_from_slice(&1u32.to_le_bytes());
    out[4..8].copy_from_slice(&random_pad.to_le_bytes());
    out[8..].copy_from_slice(&enc[4..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
    fn k(s: &str) -> Key16 {
        Key16::new(h(s).try_into().unwrap())
    }

    #[test]
    fn primitives_match_sipe_group1() {
        assert_eq!(
            md5(&[b"message digest"]).to_vec(),
            h("F96B697D7CB7938D525A2F31AAF161D0")
        );
        assert_eq!(
            hmac_md5(&[0x0b; 16], &[b"Hi There"]).to_vec(),
            h("9294727A3638BB1C13F48EF8158BFC9D")
        );
    }

    #[test]
    fn ms_nlmp_4_2_4_ntlmv2() {
        let nt = nt_hash("Password");
        let rk = ntowfv2(&nt, "User", "Domain");
        assert_eq!(rk.expose().to_vec(), h("0C868A403BFD7A93A3001EF22EF02E3F"));
        let sc: [u8; 8] = h("0123456789ABCDEF").try_into().unwrap();
        let cc = [0xAA; 8];
        assert_eq!(
            lmv2_response(&rk, &sc, &cc).to_vec(),
            h("86C35097AC9CEC102554764A57CCCC19AAAAAAAAAAAAAAAA")
        );
        let ti = h("02000C0044006F006D00610069006E0001000C0053006500720076006500720000000000");
        let temp = ntlmv2_temp(0, &cc, &ti);
        let proof = nt_proof_str(&rk, &sc, &temp);
        assert_eq!(proof.to_vec(), h("68CD0AB851E51C96AABC927BEBEF6A1C"));
        let sbk = session_base_key(&rk, &proof);
        assert_eq!(sbk.expose().to_vec(), h("8DE40CCADBC14A82F15CB0AD0DE95CA3"));
        let esk = Key16::new([0x55; 16]);
        assert_eq!(
            rc4k(&sbk, esk.expose()).expose().to_vec(),
            h("C5DAD2544FC9799094CE1CE90BC9D03E")
        );
        let sign = sign_key(&esk, Direction::ClientToServer);
        assert_eq!(
            sign.expose().to_vec(),
            h("4788DC861B4782F35D43FD98FE1A2D39")
        );
        let seal = seal_key(&esk, 0xE28A8233, Direction::ClientToServer);
        assert_eq!(
            seal.expose().to_vec(),
            h("59F600973CC4960A25480A7C196E4C58")
        );
        let plain = utf16le("Plaintext");
        assert_eq!(
            mac_datagram(&sign, &seal, false, 0, &plain).to_vec(),
            h("0100000070352851F256430900000000")
        );
    }

    #[test]
    fn davenport_ntlm2_signing() {
        let master = k("0102030405060708090A0B0C0D0E0F00");
        let sign = sign_key(&master, Direction::ClientToServer);
        assert_eq!(
            sign.expose().to_vec(),
            h("F7F97A82EC390F9C903DAC4F6ACEB132")
        );
        assert_eq!(
            mac_datagram(&sign, &sign, false, 0, b"jCIFS").to_vec(),
            h("010000000A003602317A759A00000000")
        );
    }

    #[test]
    fn no_ess_mac_known_answers() {
        assert_eq!(crc32(&utf16le("Plaintext")), 0x93AA_847D);
        // Davenport NTLM1 signing example.
        assert_eq!(
            mac_without_ess(&h("0102030405E538B0"), 0x0009_0178, 0, b"jCIFS").to_vec(),
            h("0100000078010900397420FE0E5A0F89")
        );
        // MS-SIPAE protocol version 2 (OCS 2007) 200 OK, sequence 100.
        let s = "<NTLM><0878F41B><1><SIP Communications Service><ocs1.ocs.provo.novell.com><8592g5DCBa1694i5887m0D0Bt2247b3F38xAE9Fx><3><REGISTER><sip:gabriel@ocs.provo.novell.com><2947328781><B816D65C2300A32CFA6D371F2AF537FD><900><200>";
        assert_eq!(
            mac_without_ess(
                &h("5F029153BC025058969548615E7099BA"),
                0,
                SIP_SEQ_NUM,
                s.as_bytes()
            )
            .to_vec(),
            h("0100000000000000BF2E52667DDF6DED")
        );
    }

    #[test]
    fn oc2007r2_derived_keys() {
        let nt = nt_hash("Pa$$word");
        let rk = ntowfv2(&nt, "User", "COSMO");
        assert_eq!(rk.expose().to_vec(), h("164B086E00D2F393529FA3A98209F99E"));
        let esk = rc4k(
            &k("02959B1D938E14CCC8412639311CDD49"),
            &h("31CB739E1CA80A498591E8AE797115E4").try_into().unwrap(),
        );
        assert_eq!(esk.expose().to_vec(), h("6742FBE37BB1946B49D86A525BD29A9B"));
        assert_eq!(
            seal_key(&esk, 0x62988255, Direction::ServerToClient)
                .expose()
                .to_vec(),
            h("2A2E34E8D420C039E8F31CB9E8E0CD88")
        );
    }
}
