//! A small HTTP/1.1 message reader and writer for ONE keep-alive connection (RFC 9112), used by
//! the driver and the test service. Head at most [`MAX_HEAD`] bytes and [`MAX_HEADERS`]
//! headers; bodies framed by `Content-Length` or (responses) `chunked`, capped by the caller.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Longest head accepted.
pub(crate) const MAX_HEAD: usize = 16 * 1024;
/// Most headers accepted.
const MAX_HEADERS: usize = 64;
/// Longest chunk-size line.
const MAX_LINE: usize = 1024;

/// Why a message could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// The socket failed.
    #[error("http i/o error: {0}")]
    Io(String),
    /// The peer closed the connection before a whole message.
    #[error("connection closed before a complete http message")]
    Closed,
    /// The head is larger than the limit.
    #[error("http head larger than {MAX_HEAD} bytes")]
    HeadTooLarge,
    /// The head does not parse.
    #[error("malformed http head")]
    MalformedHead,
    /// Content-Length is missing (request) or unreadable.
    #[error("bad or missing content-length")]
    BadLength,
    /// Chunked framing is broken.
    #[error("malformed chunked body")]
    BadChunk,
    /// The body is larger than the limit.
    #[error("http body larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit.
        limit: usize,
    },
}

fn io(e: std::io::Error) -> HttpError {
    HttpError::Io(e.to_string())
}

/// A read message: the start line parts and the headers and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Message {
    /// Response status (0 for a request).
    pub(crate) status: u16,
    /// Request method (empty for a response).
    pub(crate) method: String,
    /// Request target (empty for a response).
    pub(crate) path: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Message {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        crate::flow::header(&self.headers, name)
    }

    /// `Connection: close` was sent.
    pub(crate) fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("close")))
    }
}

/// Reads more bytes into `buf`; `Closed` at end of stream.
async fn fill<S: AsyncRead + Unpin>(s: &mut S, buf: &mut Vec<u8>) -> Result<(), HttpError> {
    let mut chunk = [0u8; 8192];
    let n = s.read(&mut chunk).await.map_err(io)?;
    if n == 0 {
        return Err(HttpError::Closed);
    }
    buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
    Ok(())
}

/// Reads one message from `s`; `buf` holds bytes already read and keeps any surplus.
pub(crate) async fn read<S: AsyncRead + Unpin>(
    s: &mut S,
    buf: &mut Vec<u8>,
    request: bool,
    max_body: usize,
) -> Result<Message, HttpError> {
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        if buf.len() > MAX_HEAD {
            return Err(HttpError::HeadTooLarge);
        }
        fill(s, buf).await?;
    };
    if head_end > MAX_HEAD {
        return Err(HttpError::HeadTooLarge);
    }
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let head = buf.get(..head_end).unwrap_or_default();
    let mut msg = Message {
        status: 0,
        method: String::new(),
        path: String::new(),
        headers: Vec::new(),
        body: Vec::new(),
    };
    let parsed: &[httparse::Header<'_>] = if request {
        let mut r = httparse::Request::new(&mut slots);
        match r.parse(head) {
            Ok(httparse::Status::Complete(_)) => {}
            _ => return Err(HttpError::MalformedHead),
        }
        msg.method = r.method.unwrap_or_default().to_owned();
        msg.path = r.path.unwrap_or_default().to_owned();
        let n = r.headers.len();
        &slots[..n]
    } else {
        let mut r = httparse::Response::new(&mut slots);
        match r.parse(head) {
            Ok(httparse::Status::Complete(_)) => {}
            _ => return Err(HttpError::MalformedHead),
        }
        msg.status = r.code.unwrap_or_default();
        let n = r.headers.len();
        &slots[..n]
    };
    for h in parsed {
        let v = std::str::from_utf8(h.value).map_err(|_| HttpError::MalformedHead)?;
        msg.headers.push((h.name.to_owned(), v.trim().to_owned()));
    }
    buf.drain(..head_end);
    let chunked = msg
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let no_body = !request && (msg.status / 100 == 1 || msg.status == 204 || msg.status == 304);
    if no_body {
        return Ok(msg);
    }
    if chunked && !request {
        msg.body = read_chunked(s, buf, max_body).await?;
        return Ok(msg);
    }
    let len = match msg.header("content-length") {
        Some(v) => v.parse::<usize>().map_err(|_| HttpError::BadLength)?,
        None if request && msg.method.eq_ignore_ascii_case("GET") => 0,
        None if request => return Err(HttpError::BadLength),
        None => {
            // RFC 9112 §6.3 item 8: the body runs to the end of the connection.
            loop {
                if buf.len() > max_body {
                    return Err(HttpError::BodyTooLarge { limit: max_body });
                }
                match fill(s, buf).await {
                    Ok(()) => {}
                    Err(HttpError::Closed) => break,
                    Err(e) => return Err(e),
                }
            }
            msg.body = std::mem::take(buf);
            msg.headers
                .push(("Connection".to_owned(), "close".to_owned()));
            return Ok(msg);
        }
    };
    if len > max_body {
        return Err(HttpError::BodyTooLarge { limit: max_body });
    }
    while buf.len() < len {
        fill(s, buf).await?;
    }
    msg.body = buf.drain(..len).collect();
    Ok(msg)
}

async fn line<S: AsyncRead + Unpin>(s: &mut S, buf: &mut Vec<u8>) -> Result<String, HttpError> {
    loop {
        if let Some(p) = buf.windows(2).position(|w| w == b"\r\n") {
            let l: Vec<u8> = buf.drain(..p + 2).take(p).collect();
            return String::from_utf8(l).map_err(|_| HttpError::BadChunk);
        }
        if buf.len() > MAX_LINE {
            return Err(HttpError::BadChunk);
        }
        fill(s, buf).await?;
    }
}

/// RFC 9112 §7.1: chunks, then trailers up to the empty line.
async fn read_chunked<S: AsyncRead + Unpin>(
    s: &mut S,
    buf: &mut Vec<u8>,
    max_body: usize,
) -> Result<Vec<u8>, HttpError> {
    let mut body = Vec::new();
    loop {
        let l = line(s, buf).await?;
        let size = l.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16).map_err(|_| HttpError::BadChunk)?;
        if size == 0 {
            break;
        }
        if size > max_body.saturating_sub(body.len()) {
            return Err(HttpError::BodyTooLarge { limit: max_body });
        }
        while buf.len() < size + 2 {
            fill(s, buf).await?;
        }
        body.extend(buf.drain(..size));
        if buf.drain(..2).as_slice() != b"\r\n" {
            return Err(HttpError::BadChunk);
        }
    }
    for _ in 0..MAX_HEADERS {
        if line(s, buf).await?.is_empty() {
            return Ok(body);
        }
    }
    Err(HttpError::BadChunk)
}

/// Writes a request or response: `start` is the start line (no CRLF); Content-Length is added.
pub(crate) async fn write<S: AsyncWrite + Unpin>(
    s: &mut S,
    start: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<(), HttpError> {
    let mut out = Vec::with_capacity(512 + body.len());
    out.extend_from_slice(start.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (k, v) in headers {
        if k.contains(['\r', '\n', ':']) || v.contains(['\r', '\n']) {
            return Err(HttpError::MalformedHead);
        }
        out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    out.extend_from_slice(body);
    s.write_all(&out).await.map_err(io)?;
    s.flush().await.map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read_all(
        data: &[u8],
        request: bool,
        max: usize,
    ) -> Result<(Message, Vec<u8>), HttpError> {
        let mut s = data;
        let mut buf = Vec::new();
        let m = read(&mut s, &mut buf, request, max).await?;
        Ok((m, buf))
    }

    #[tokio::test]
    async fn framings_and_keep_alive_surplus() {
        let (m, rest) = read_all(
            b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: NTLM\r\nContent-Length: 2\r\n\r\nokHTTP/1.1",
            false,
            100,
        )
        .await
        .unwrap();
        assert_eq!((m.status, m.body.as_slice()), (401, b"ok".as_slice()));
        assert_eq!(rest, b"HTTP/1.1");
        let (m, _) = read_all(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: 1\r\n\r\n",
            false,
            100,
        )
        .await
        .unwrap();
        assert_eq!(m.body, b"abcde");
        let (m, _) = read_all(
            b"POST /a HTTP/1.1\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx",
            true,
            10,
        )
        .await
        .unwrap();
        assert_eq!(
            (m.method.as_str(), m.path.as_str(), m.closes()),
            ("POST", "/a", true)
        );
        let (m, _) = read_all(b"GET /mex HTTP/1.1\r\n\r\n", true, 10)
            .await
            .unwrap();
        assert!(m.body.is_empty());
    }

    #[tokio::test]
    async fn limits_and_garbage() {
        let big = format!("HTTP/1.1 200 OK\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD));
        assert_eq!(
            read_all(big.as_bytes(), false, 10).await,
            Err(HttpError::HeadTooLarge)
        );
        assert_eq!(
            read_all(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", false, 10).await,
            Err(HttpError::BodyTooLarge { limit: 10 })
        );
        assert_eq!(
            read_all(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nff\r\n",
                false,
                10
            )
            .await,
            Err(HttpError::BodyTooLarge { limit: 10 })
        );
        assert_eq!(
            read_all(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                false,
                10
            )
            .await,
            Err(HttpError::BadChunk)
        );
        assert_eq!(
            read_all(b"garbage\r\n\r\n", false, 10).await,
            Err(HttpError::MalformedHead)
        );
        assert_eq!(
            read_all(b"HTTP/1.1 200 OK\r\n", false, 10).await,
            Err(HttpError::Closed)
        );
        assert_eq!(
            read_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", false, 10).await,
            Err(HttpError::Closed)
        );
        assert_eq!(
            read_all(b"POST / HTTP/1.1\r\n\r\n", true, 10).await,
            Err(HttpError::BadLength)
        );
        let mut out = Vec::new();
        assert_eq!(
            write(
                &mut out,
                "GET / HTTP/1.1",
                &[("X".into(), "a\r\nInjected: 1".into())],
                b""
            )
            .await,
            Err(HttpError::MalformedHead)
        );
    }
}
