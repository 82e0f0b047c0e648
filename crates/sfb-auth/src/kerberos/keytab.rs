//! MIT keytab file format (version 0x0502), as written by `kadmin ktadd` and `ktutil`.
//!
//! ```text
//! keytab  = 05 02 *(i32be size, entry)        ; size < 0 marks a hole of |size| octets
//! entry   = u16 ncomp, data realm, ncomp*data component, u32 name_type, u32 timestamp,
//!           u8 vno8, u16 enctype, data key, [u32 vno]
//! data    = u16 length, octets
//! ```

use zeroize::Zeroizing;

use super::KerberosError;

/// Largest keytab we read.
pub const MAX_KEYTAB_LEN: usize = 1024 * 1024;
/// Most entries we keep.
pub const MAX_ENTRIES: usize = 1024;
/// Most name components per principal.
const MAX_COMPONENTS: u16 = 16;

/// One keytab entry. Debug hides the key.
#[derive(Clone)]
pub struct KeytabEntry {
    /// Principal without realm (`sip/sip.contoso.test`).
    pub principal: String,
    /// Realm (`CONTOSO.TEST`).
    pub realm: String,
    /// Key version number.
    pub kvno: u32,
    /// RFC 3961 etype number.
    pub enctype: i64,
    /// The key.
    pub key: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for KeytabEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeytabEntry")
            .field("principal", &self.principal)
            .field("realm", &self.realm)
            .field("kvno", &self.kvno)
            .field("enctype", &self.enctype)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// A parsed keytab.
#[derive(Debug, Clone, Default)]
pub struct Keytab {
    /// The entries in file order.
    pub entries: Vec<KeytabEntry>,
}

struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], KerberosError> {
        if n > self.data.len() {
            return Err(KerberosError::Keytab {
                what: "truncated entry",
            });
        }
        let (a, b) = self.data.split_at(n);
        self.data = b;
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, KerberosError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, KerberosError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, KerberosError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn data(&mut self) -> Result<&'a [u8], KerberosError> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }
    fn string(&mut self) -> Result<String, KerberosError> {
        String::from_utf8(self.data()?.to_vec()).map_err(|_| KerberosError::Keytab {
            what: "name is not utf-8",
        })
    }
}

impl Keytab {
    /// Parse a keytab file's bytes.
    pub fn parse(file: &[u8]) -> Result<Self, KerberosError> {
        if file.len() > MAX_KEYTAB_LEN {
            return Err(KerberosError::Keytab {
                what: "file too large",
            });
        }
        match file.get(..2) {
            Some([5, 2]) => {}
            Some([5, 1]) => {
                return Err(KerberosError::Keytab {
                    what: "version 0x0501 (native byte order) is not supported",
                });
            }
            _ => {
                return Err(KerberosError::Keytab {
                    what: "bad magic (want 05 02)",
                });
            }
        }
        let mut r = Reader { data: &file[2..] };
        let mut entries = Vec::new();
        while !r.data.is_empty() {
            let size = r.u32()? as i32;
            let len = size.unsigned_abs() as usize;
            let body = r.take(len)?;
            if size <= 0 {
                continue; // a hole left by a deleted entry
            }
            if entries.len() >= MAX_ENTRIES {
                return Err(KerberosError::Keytab {
                    what: "too many entries",
                });
            }
            entries.push(Self::entry(body)?);
        }
        Ok(Self { entries })
    }

    fn entry(body: &[u8]) -> Result<KeytabEntry, KerberosError> {
        let mut e = Reader { data: body };
        let ncomp = e.u16()?;
        if ncomp == 0 || ncomp > MAX_COMPONENTS {
            return Err(KerberosError::Keytab {
                what: "bad component count",
            });
        }
        let realm = e.string()?;
        let mut comps = Vec::with_capacity(usize::from(ncomp));
        for _ in 0..ncomp {
            comps.push(e.string()?);
        }
        let _name_type = e.u32()?;
        let _timestamp = e.u32()?;
        let vno8 = e.u8()?;
        let enctype = i64::from(e.u16()?);
        let key = Zeroizing::new(e.data()?.to_vec());
        let kvno = match e.data.len() {
            n if n >= 4 => match e.u32()? {
                0 => u32::from(vno8),
                v => v,
            },
            _ => u32::from(vno8),
        };
        Ok(KeytabEntry {
            principal: comps.join("/"),
            realm,
            kvno,
            enctype,
            key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(principal: &[&str], kvno: u8, etype: u16, key: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&(principal.len() as u16).to_be_bytes());
        for s in std::iter::once(&"CONTOSO.TEST").chain(principal) {
            b.extend_from_slice(&(s.len() as u16).to_be_bytes());
            b.extend_from_slice(s.as_bytes());
        }
        b.extend_from_slice(&1u32.to_be_bytes());
        b.extend_from_slice(&0u32.to_be_bytes());
        b.push(kvno);
        b.extend_from_slice(&etype.to_be_bytes());
        b.extend_from_slice(&(key.len() as u16).to_be_bytes());
        b.extend_from_slice(key);
        b.extend_from_slice(&u32::from(kvno).to_be_bytes());
        let mut out = (b.len() as i32).to_be_bytes().to_vec();
        out.extend_from_slice(&b);
        out
    }

    #[test]
    fn parses_entries_and_holes() {
        let mut f = vec![5, 2];
        f.extend_from_slice(&entry(&["sip", "sip.contoso.test"], 2, 18, &[9; 32]));
        f.extend_from_slice(&(-6i32).to_be_bytes());
        f.extend_from_slice(&[0; 6]);
        f.extend_from_slice(&entry(&["sip", "sip.contoso.test"], 2, 17, &[8; 16]));
        let kt = Keytab::parse(&f).unwrap();
        assert_eq!(kt.entries.len(), 2);
        assert_eq!(kt.entries[0].principal, "sip/sip.contoso.test");
        assert_eq!(kt.entries[0].realm, "CONTOSO.TEST");
        assert_eq!((kt.entries[0].kvno, kt.entries[0].enctype), (2, 18));
        assert_eq!(kt.entries[1].key.as_slice(), &[8; 16]);
        let dbg = format!("{kt:?}");
        assert!(!dbg.contains("8, 8") && !dbg.contains("9, 9"));
    }

    #[test]
    fn hostile_keytabs() {
        assert!(Keytab::parse(&[]).is_err());
        assert!(Keytab::parse(&[5, 1]).is_err());
        assert_eq!(Keytab::parse(&[5, 2]).unwrap().entries.len(), 0);
        let mut f = vec![5, 2];
        f.extend_from_slice(&entry(&["a"], 1, 18, &[1; 32]));
        for n in 3..f.len() {
            assert!(Keytab::parse(&f[..n]).is_err(), "prefix {n}");
        }
        let mut huge = vec![5, 2];
        huge.extend_from_slice(&i32::MAX.to_be_bytes());
        assert!(Keytab::parse(&huge).is_err());
        let mut min = vec![5, 2];
        min.extend_from_slice(&i32::MIN.to_be_bytes());
        assert!(Keytab::parse(&min).is_err());
    }
}
