//! A minimal HTTP/1.1 client exchange for the autodiscover driver: one `GET` per connection
//! (`Connection: close`), the response read under explicit limits.
//!
//! RFC 9112 §6.3: the body length is `Transfer-Encoding: chunked`, else `Content-Length`, else
//! everything until the connection closes. Each is capped at the document limit plus one byte,
//! so an oversized body is reported as such without being held.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::io::HeaderValue;
use super::result::HttpFailure;
use super::url::HttpUrl;

/// Longest response head (status line and headers) accepted.
const MAX_HEAD: usize = 16 * 1024;
/// Most response headers accepted.
const MAX_HEADERS: usize = 64;

/// A response as the walker wants it.
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) content_type: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
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
    for (name, value) in headers {
        request.push_str(&format!("{name}: {}\r\n", value.expose()));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(io_failure)?;
    stream.flush().await.map_err(io_failure)?;

    let mut buf = Vec::with_capacity(4096);
    let (head_len, status, headers) = loop {
        if read_some(stream, &mut buf).await? == 0 {
            return Err(invalid("connection closed before the response head"));
        }
        let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut slots);
        match response.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => {
                let status = response.code.unwrap_or_default();
                let headers = response
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_owned(),
                            String::from_utf8_lossy(h.value).into_owned(),
                        )
                    })
                    .collect::<Vec<_>>();
                break (len, status, headers);
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => {}
            Ok(httparse::Status::Partial) => return Err(invalid("response head too long")),
            Err(e) => return Err(invalid(&e.to_string())),
        }
    };
    let mut rest = buf.split_off(head_len);
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
    };
    let chunked =
        header("Transfer-Encoding").is_some_and(|v| v.to_ascii_lowercase().ends_with("chunked"));
    let body = if chunked {
        read_chunked(stream, rest, max_body).await?
    } else if let Some(len) = header("Content-Length") {
        let len: usize = len.parse().map_err(|_| invalid("invalid content-length"))?;
        if len > max_body {
            return Err(HttpFailure::BodyTooLarge { limit: max_body });
        }
        while rest.len() < len {
            if read_some(stream, &mut rest).await? == 0 {
                return Err(invalid("connection closed inside the body"));
            }
        }
        rest.truncate(len);
        rest
    } else {
        while read_some(stream, &mut rest).await? != 0 {
            if rest.len() > max_body {
                return Err(HttpFailure::BodyTooLarge { limit: max_body });
            }
        }
        rest
    };
    if body.len() > max_body {
        return Err(HttpFailure::BodyTooLarge { limit: max_body });
    }
    Ok(Response {
        status,
        content_type: header("Content-Type"),
        headers,
        body,
    })
}

/// RFC 9112 §7.1 `chunked-body = *chunk last-chunk trailer-section CRLF`; extensions ignored.
async fn read_chunked<S: AsyncRead + Unpin>(
    stream: &mut S,
    mut buf: Vec<u8>,
    max_body: usize,
) -> Result<Vec<u8>, HttpFailure> {
    let mut body = Vec::new();
    loop {
        let line_end = loop {
            if let Some(i) = buf.windows(2).position(|w| w == b"\r\n") {
                break i;
            }
            if buf.len() > 1024 {
                return Err(invalid("chunk size line too long"));
            }
            if read_some(stream, &mut buf).await? == 0 {
                return Err(invalid("connection closed inside a chunked body"));
            }
        };
        let line = String::from_utf8_lossy(buf.get(..line_end).unwrap_or_default()).into_owned();
        let size = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16).map_err(|_| invalid("invalid chunk size"))?;
        if size == 0 {
            return Ok(body);
        }
        if body.len().saturating_add(size) > max_body {
            return Err(HttpFailure::BodyTooLarge { limit: max_body });
        }
        let need = line_end + 2 + size + 2;
        while buf.len() < need {
            if read_some(stream, &mut buf).await? == 0 {
                return Err(invalid("connection closed inside a chunk"));
            }
        }
        body.extend_from_slice(
            buf.get(line_end + 2..line_end + 2 + size)
                .unwrap_or_default(),
        );
        buf.drain(..need);
    }
}

async fn read_some<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
) -> Result<usize, HttpFailure> {
    let mut chunk = [0u8; 8192];
    let n = match stream.read(&mut chunk).await {
        Ok(n) => n,
        // Servers that close without TLS close_notify: treat as end of stream.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => 0,
        Err(e) => return Err(io_failure(e)),
    };
    buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
    Ok(n)
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

    async fn exchange(reply: &[u8], max: usize) -> (Result<Response, HttpFailure>, String) {
        let (mut client, mut server) = tokio::io::duplex(1 << 20);
        let url =
            HttpUrl::parse("http://lyncdiscover.contoso.com:8080/?sipuri=a@contoso.com").unwrap();
        let result = get(&mut client, &url, "application/x", &[], max);
        let reply = reply.to_vec();
        let serve = async move {
            let mut req = vec![0u8; 4096];
            let n = server.read(&mut req).await.unwrap();
            server.write_all(&reply).await.unwrap();
            drop(server);
            String::from_utf8_lossy(&req[..n]).into_owned()
        };
        tokio::join!(result, serve)
    }

    #[tokio::test]
    async fn content_length_and_request_form() {
        let (r, req) = exchange(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/x\r\nContent-Length: 5\r\n\r\nhelloEXTRA",
            100,
        )
        .await;
        let r = r.unwrap();
        assert_eq!(
            (r.status, r.body.as_slice(), r.content_type.as_deref()),
            (200, &b"hello"[..], Some("text/x"))
        );
        assert!(req.starts_with("GET /?sipuri=a@contoso.com HTTP/1.1\r\nHost: lyncdiscover.contoso.com:8080\r\nAccept: application/x\r\n"));
    }

    #[tokio::test]
    async fn chunked_and_close_delimited() {
        let (r, _) = exchange(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", 100).await;
        assert_eq!(r.unwrap().body, b"abcde");
        let (r, _) = exchange(b"HTTP/1.0 404 Not Found\r\n\r\nnope", 100).await;
        let r = r.unwrap();
        assert_eq!((r.status, r.body.as_slice()), (404, &b"nope"[..]));
    }

    #[tokio::test]
    async fn limits_and_garbage() {
        let (r, _) = exchange(b"HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n", 100).await;
        assert_eq!(r.err(), Some(HttpFailure::BodyTooLarge { limit: 100 }));
        let (r, _) = exchange(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFF\r\n",
            100,
        )
        .await;
        assert_eq!(r.err(), Some(HttpFailure::BodyTooLarge { limit: 100 }));
        let (r, _) = exchange(
            &[b"HTTP/1.1 200 OK\r\n\r\n".as_slice(), &[b'x'; 300]].concat(),
            100,
        )
        .await;
        assert_eq!(r.err(), Some(HttpFailure::BodyTooLarge { limit: 100 }));
        let (r, _) = exchange(b"SSH-2.0-OpenSSH\r\n\r\n", 100).await;
        assert!(matches!(r, Err(HttpFailure::InvalidResponse { .. })));
        let (r, _) = exchange(b"", 100).await;
        assert!(matches!(r, Err(HttpFailure::InvalidResponse { .. })));
        let (r, _) = exchange(
            &[b"HTTP/1.1 200 OK\r\nX: ".as_slice(), &[b'a'; MAX_HEAD]].concat(),
            100,
        )
        .await;
        assert!(matches!(r, Err(HttpFailure::InvalidResponse { .. })));
    }
}
