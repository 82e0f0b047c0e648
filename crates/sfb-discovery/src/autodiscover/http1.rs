//! A minimal HTTP/1.1 client exchange for the autodiscover driver: one `GET` per connection
//! (`Connection: close`), the response read by a push parser under explicit limits.
//!
//! RFC 9112 §6.3: no body for 1xx, 204 and 304; otherwise the body length is
//! `Transfer-Encoding: chunked`, else `Content-Length`, else everything until the connection
//! closes. The body is capped at the document limit, the head at [`MAX_HEAD`].

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::io::HeaderValue;
use super::result::HttpFailure;
use super::url::HttpUrl;

/// Longest response head (status line and headers) accepted.
pub(crate) const MAX_HEAD: usize = 16 * 1024;
/// Most response headers accepted.
const MAX_HEADERS: usize = 64;
/// Longest chunk-size or trailer line accepted.
const MAX_LINE: usize = 1024;

/// A response as the walker wants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) content_type: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

enum Framing {
    Length(usize),
    Close,
    ChunkSize,
    ChunkData(usize),
    ChunkEnd,
    Trailer,
}

/// Push parser for one response: feed bytes with [`ResponseReader::push`] until it returns the
/// response, or call [`ResponseReader::finish`] when the peer closes.
pub(crate) struct ResponseReader {
    max_body: usize,
    buf: Vec<u8>,
    head: Option<(u16, Vec<(String, String)>)>,
    /// How much of the head window has been looked at for line ends.
    scanned: usize,
    framing: Framing,
    body: Vec<u8>,
}

impl ResponseReader {
    pub(crate) fn new(max_body: usize) -> Self {
        ResponseReader {
            max_body,
            buf: Vec::new(),
            head: None,
            scanned: 0,
            framing: Framing::Close,
            body: Vec::new(),
        }
    }

    /// Adds bytes; `Ok(Some(response))` once the response is complete.
    pub(crate) fn push(&mut self, data: &[u8]) -> Result<Option<Response>, HttpFailure> {
        self.buf.extend_from_slice(data);
        if self.head.is_none() && !self.read_head()? {
            return Ok(None);
        }
        self.read_body()
    }

    /// The peer closed the connection: a close-delimited body ends here; anything else is cut.
    pub(crate) fn finish(&mut self) -> Result<Response, HttpFailure> {
        match (&self.head, &self.framing) {
            (None, _) => {
                // Bytes after the last line end were not parsed yet: a fault there wins.
                let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
                let window = self
                    .buf
                    .get(..self.buf.len().min(MAX_HEAD))
                    .unwrap_or_default();
                match httparse::Response::new(&mut slots).parse(window) {
                    Err(e) => Err(invalid(&e.to_string())),
                    Ok(_) => Err(invalid("connection closed before the response head")),
                }
            }
            (Some(_), Framing::Close) => Ok(self.response()),
            (Some(_), _) => Err(invalid("connection closed inside the body")),
        }
    }

    /// RFC 9112 §2.1 `status-line *( field-line CRLF ) CRLF`, parsed by httparse.
    fn read_head(&mut self) -> Result<bool, HttpFailure> {
        let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut slots);
        // Only the first MAX_HEAD bytes are looked at, so the verdict does not depend on how the
        // bytes were split into pushes.
        let window = self
            .buf
            .get(..self.buf.len().min(MAX_HEAD))
            .unwrap_or_default();
        // Parse again only when a line ended since the last look (or the window is full), so a
        // peer trickling one byte at a time does not make every push re-parse the whole head.
        let fresh = window
            .get(self.scanned..)
            .is_some_and(|w| w.contains(&b'\n'));
        self.scanned = window.len();
        let overflow = self.buf.len() > MAX_HEAD;
        if !fresh && !overflow {
            return Ok(false);
        }
        let len = match response.parse(window) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) if !overflow => return Ok(false),
            Ok(httparse::Status::Partial) => return Err(invalid("response head too long")),
            Err(e) => return Err(invalid(&e.to_string())),
        };
        let status = response.code.unwrap_or_default();
        let headers: Vec<(String, String)> = response
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_owned(),
                    String::from_utf8_lossy(h.value).trim().to_owned(),
                )
            })
            .collect();
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        self.framing = if (100..200).contains(&status) || status == 204 || status == 304 {
            Framing::Length(0)
        } else if get("Transfer-Encoding")
            .is_some_and(|v| v.to_ascii_lowercase().ends_with("chunked"))
        {
            Framing::ChunkSize
        } else if let Some(len) = get("Content-Length") {
            let len: usize = len.parse().map_err(|_| invalid("invalid content-length"))?;
            if len > self.max_body {
                return Err(HttpFailure::BodyTooLarge {
                    limit: self.max_body,
                });
            }
            Framing::Length(len)
        } else {
            Framing::Close
        };
        self.buf.drain(..len);
        self.head = Some((status, headers));
        Ok(true)
    }

    /// RFC 9112 §7.1 `chunked-body = *chunk last-chunk trailer-section CRLF`; extensions ignored.
    fn read_body(&mut self) -> Result<Option<Response>, HttpFailure> {
        loop {
            match self.framing {
                Framing::Length(len) => {
                    let take = (len - self.body.len().min(len)).min(self.buf.len());
                    self.body.extend(self.buf.drain(..take));
                    return Ok((self.body.len() >= len).then(|| self.response()));
                }
                Framing::Close => {
                    self.body.append(&mut self.buf);
                    if self.body.len() > self.max_body {
                        return Err(HttpFailure::BodyTooLarge {
                            limit: self.max_body,
                        });
                    }
                    return Ok(None);
                }
                Framing::ChunkSize => {
                    let Some(line) = self.line()? else {
                        return Ok(None);
                    };
                    let size = line.split(';').next().unwrap_or_default().trim();
                    let size = usize::from_str_radix(size, 16)
                        .map_err(|_| invalid("invalid chunk size"))?;
                    if size == 0 {
                        self.framing = Framing::Trailer;
                    } else if self.body.len().saturating_add(size) > self.max_body {
                        return Err(HttpFailure::BodyTooLarge {
                            limit: self.max_body,
                        });
                    } else {
                        self.framing = Framing::ChunkData(size);
                    }
                }
                Framing::ChunkData(left) => {
                    let take = left.min(self.buf.len());
                    self.body.extend(self.buf.drain(..take));
                    if take < left {
                        self.framing = Framing::ChunkData(left - take);
                        return Ok(None);
                    }
                    self.framing = Framing::ChunkEnd;
                }
                Framing::ChunkEnd => {
                    let Some(line) = self.line()? else {
                        return Ok(None);
                    };
                    if !line.is_empty() {
                        return Err(invalid("chunk data longer than its size"));
                    }
                    self.framing = Framing::ChunkSize;
                }
                Framing::Trailer => {
                    let Some(line) = self.line()? else {
                        return Ok(None);
                    };
                    if line.is_empty() {
                        self.framing = Framing::Length(self.body.len());
                    }
                }
            }
        }
    }

    /// The next CRLF-terminated line, consumed; `None` until it is complete.
    fn line(&mut self) -> Result<Option<String>, HttpFailure> {
        match self.buf.windows(2).position(|w| w == b"\r\n") {
            Some(end) if end >= MAX_LINE => Err(invalid("chunk or trailer line too long")),
            Some(end) => {
                let line =
                    String::from_utf8_lossy(self.buf.get(..end).unwrap_or_default()).into_owned();
                self.buf.drain(..end + 2);
                Ok(Some(line))
            }
            None if self.buf.len() > MAX_LINE => Err(invalid("chunk or trailer line too long")),
            None => Ok(None),
        }
    }

    fn response(&mut self) -> Response {
        let (status, headers) = self.head.take().unwrap_or_default();
        let content_type = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("Content-Type"))
            .map(|(_, v)| v.clone());
        Response {
            status,
            content_type,
            headers,
            body: std::mem::take(&mut self.body),
        }
    }
}

/// Writes `GET` for `url` and reads the response; `max_body` bounds the body.
pub(crate) async fn get<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    url: &HttpUrl,
    accept: &str,
    headers: &[(&'static str, HeaderValue)],
    max_body: usize,
) -> Result<Response, HttpFailure> {
    let host = if url.port() == url.scheme().default_port() {
        url.host().to_owned()
    } else {
        format!("{}:{}", url.host(), url.port())
    };
    let mut request = zeroize::Zeroizing::new(format!(
        "GET {} HTTP/1.1\r\nHost: {host}\r\nAccept: {accept}\r\nUser-Agent: sfb-discovery\r\nConnection: close\r\n",
        url.path_and_query()
    ));
    // Reserve everything first: a reallocation after a secret was pushed would free an
    // unzeroized copy.
    let extra: usize = headers
        .iter()
        .map(|(n, v)| n.len() + v.expose().len() + 4)
        .sum();
    request.reserve(extra + 2);
    for (name, value) in headers {
        // Pushed piece by piece: no unzeroized copy of a secret value.
        request.push_str(name);
        request.push_str(": ");
        request.push_str(value.expose());
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(io_failure)?;
    stream.flush().await.map_err(io_failure)?;

    let mut reader = ResponseReader::new(max_body);
    let mut chunk = vec![0u8; 8192];
    loop {
        let n = match stream.read(&mut chunk).await {
            Ok(n) => n,
            // Servers that close without TLS close_notify: treat as end of stream.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => 0,
            Err(e) => return Err(io_failure(e)),
        };
        if n == 0 {
            return reader.finish();
        }
        if let Some(response) = reader.push(chunk.get(..n).unwrap_or_default())? {
            return Ok(response);
        }
    }
}

fn invalid(detail: &str) -> HttpFailure {
    HttpFailure::InvalidResponse {
        detail: detail.to_owned(),
    }
}

fn io_failure(e: std::io::Error) -> HttpFailure {
    HttpFailure::ConnectionFailed {
        detail: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole input at once, then as close.
    fn read(data: &[u8], max: usize) -> Result<Response, HttpFailure> {
        let mut r = ResponseReader::new(max);
        match r.push(data)? {
            Some(resp) => Ok(resp),
            None => r.finish(),
        }
    }

    /// Every split into pieces of `step` bytes gives the same result as one push.
    fn read_in_pieces(data: &[u8], max: usize, step: usize) -> Result<Response, HttpFailure> {
        let mut r = ResponseReader::new(max);
        for piece in data.chunks(step) {
            if let Some(resp) = r.push(piece)? {
                return Ok(resp);
            }
        }
        r.finish()
    }

    const CHUNKED: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n";

    #[test]
    fn framings() {
        let r = read(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/x\r\nContent-Length: 5\r\n\r\nhelloEXTRA",
            100,
        )
        .unwrap();
        assert_eq!(
            (r.status, r.body.as_slice(), r.content_type.as_deref()),
            (200, &b"hello"[..], Some("text/x"))
        );
        assert_eq!(read(CHUNKED, 100).unwrap().body, b"abcde");
        let r = read(b"HTTP/1.0 404 Not Found\r\n\r\nnope", 100).unwrap();
        assert_eq!((r.status, r.body.as_slice()), (404, &b"nope"[..]));
        let r = read(
            b"HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n",
            100,
        )
        .unwrap();
        assert!(r.body.is_empty());
        for step in 1..9 {
            assert_eq!(read_in_pieces(CHUNKED, 100, step), read(CHUNKED, 100));
        }
    }

    #[test]
    fn limits_and_garbage() {
        let too_large = HttpFailure::BodyTooLarge { limit: 100 };
        assert_eq!(
            read(b"HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n", 100),
            Err(too_large.clone())
        );
        assert_eq!(
            read(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFF\r\n",
                100
            ),
            Err(too_large.clone())
        );
        assert_eq!(
            read(
                &[b"HTTP/1.1 200 OK\r\n\r\n".as_slice(), &[b'x'; 300]].concat(),
                100
            ),
            Err(too_large)
        );
        let invalid = |r: Result<Response, HttpFailure>| {
            matches!(r, Err(HttpFailure::InvalidResponse { .. }))
        };
        assert!(invalid(read(b"SSH-2.0-OpenSSH\r\n\r\n", 100)));
        assert!(invalid(read(b"", 100)));
        assert!(invalid(read(
            &[b"HTTP/1.1 200 OK\r\nX: ".as_slice(), &[b'a'; MAX_HEAD]].concat(),
            100
        )));
        assert!(invalid(read(
            b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            100
        )));
        assert!(invalid(read(
            b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort",
            100
        )));
        assert!(invalid(read(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
            100
        )));
        assert!(invalid(read(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            100
        )));
        let long_line = [
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".as_slice(),
            &[b'0'; 2000],
        ]
        .concat();
        assert!(invalid(read(&long_line, 100)));
    }

    #[tokio::test]
    async fn request_form_over_a_stream() {
        let (mut client, mut server) = tokio::io::duplex(1 << 16);
        let url =
            HttpUrl::parse("http://lyncdiscover.contoso.com:8080/?sipuri=a@contoso.com").unwrap();
        let serve = async move {
            let mut req = vec![0u8; 4096];
            let n = server.read(&mut req).await.unwrap();
            server
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                .await
                .unwrap();
            String::from_utf8_lossy(&req[..n]).into_owned()
        };
        let (resp, req) = tokio::join!(get(&mut client, &url, "application/x", &[], 100), serve);
        assert_eq!(resp.unwrap().body, b"ok");
        assert!(req.starts_with(
            "GET /?sipuri=a@contoso.com HTTP/1.1\r\nHost: lyncdiscover.contoso.com:8080\r\nAccept: application/x\r\n"
        ));
        assert!(req.ends_with("Connection: close\r\n\r\n"));
    }
}
