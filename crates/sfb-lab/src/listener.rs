//! The SIP roles' TLS listeners: accept, TLS handshake (rustls), frame with
//! `sfb_sip_codec::Framer`, hand each message to the role's [`SipConnection`], write what it
//! returns.
//!
//! Hostile input never stops the listener serving others: every connection is its own task;
//! connections are capped per client IP and in total (over the cap: closed at once, before any
//! TLS); the handshake, each message (from its first byte to its last: slow senders) and idle
//! time are bounded; message size and header count are the codec's [`Limits`]; a framing error
//! closes that connection only.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use sfb_sip_codec::{Frame, Framer, Limits, Status};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::sip::{Role, SipConnection, SipLab};

/// The listeners' limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenerLimits {
    /// Codec limits: header section size, header count, line length, body size.
    pub codec: Limits,
    /// Concurrent connections from one client IP, per listener.
    pub max_connections_per_ip: usize,
    /// Concurrent connections in total, per listener.
    pub max_connections: usize,
    /// Time allowed for the TLS handshake.
    pub handshake_timeout: Duration,
    /// Time allowed for one message, from its first byte to its last.
    pub message_timeout: Duration,
    /// Time a connection may stay silent (between messages).
    pub idle_timeout: Duration,
    /// Time allowed to write one reply.
    pub write_timeout: Duration,
}

impl Default for ListenerLimits {
    /// 64 KiB head, 128 headers, 8 KiB lines, 1 MiB body; 32 connections per IP, 1024 in all;
    /// 10 s handshake, 30 s per message, 5 min idle (above the 2-minute keep-alive), 10 s write.
    fn default() -> Self {
        Self {
            codec: Limits {
                max_body: 1024 * 1024,
                ..Limits::default()
            },
            max_connections_per_ip: 32,
            max_connections: 1024,
            handshake_timeout: Duration::from_secs(10),
            message_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(300),
            write_timeout: Duration::from_secs(10),
        }
    }
}

/// Counts connections per client IP; a [`Slot`] gives its place back when dropped.
#[derive(Debug, Default)]
struct Counter {
    per_ip: HashMap<IpAddr, usize>,
    total: usize,
}

struct Slot {
    counter: Arc<Mutex<Counter>>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut c) = self.counter.lock() {
            c.total = c.total.saturating_sub(1);
            if let Some(n) = c.per_ip.get_mut(&self.ip) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    c.per_ip.remove(&self.ip);
                }
            }
        }
    }
}

fn take_slot(counter: &Arc<Mutex<Counter>>, ip: IpAddr, limits: &ListenerLimits) -> Option<Slot> {
    let mut c = counter.lock().ok()?;
    let mine = c.per_ip.get(&ip).copied().unwrap_or(0);
    if mine >= limits.max_connections_per_ip || c.total >= limits.max_connections {
        return None;
    }
    c.total += 1;
    c.per_ip.insert(ip, mine + 1);
    Some(Slot {
        counter: counter.clone(),
        ip,
    })
}

/// One role's listener, running.
#[derive(Debug)]
pub struct SipListener {
    /// The role.
    pub role: Role,
    /// Where it listens.
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl SipListener {
    /// Serves `role` on an already bound `listener`.
    pub fn spawn(
        role: Role,
        listener: TcpListener,
        acceptor: TlsAcceptor,
        lab: SipLab,
        limits: ListenerLimits,
    ) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let task = tokio::spawn(accept_loop(role, listener, acceptor, lab, limits));
        Ok(Self { role, addr, task })
    }

    /// Stops listening and drops every connection of this listener.
    pub async fn shutdown(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

async fn accept_loop(
    role: Role,
    listener: TcpListener,
    acceptor: TlsAcceptor,
    lab: SipLab,
    limits: ListenerLimits,
) {
    let counter = Arc::new(Mutex::new(Counter::default()));
    // Owning the connection tasks here means aborting this task ends them all.
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (tcp, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of descriptors and the like: back off instead of spinning.
                        tracing::warn!(?role, error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let Some(slot) = take_slot(&counter, peer.ip(), &limits) else {
                    tracing::info!(?role, %peer, "connection refused: over the connection limit");
                    drop(tcp);
                    continue;
                };
                let conn = lab.accept(role, peer);
                let acceptor = acceptor.clone();
                conns.spawn(async move {
                    let _slot = slot;
                    serve(tcp, peer, acceptor, conn, limits).await;
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}

/// Why a connection ended (logged).
#[derive(Debug)]
enum End {
    Closed,
    /// The role ended the connection (a malformed message, too many failed authentications).
    ClosedByRole,
    HandshakeTimeout,
    Handshake(std::io::Error),
    Idle,
    SlowMessage,
    Io(std::io::Error),
    Framing(sfb_sip_codec::ParseError),
    WriteTimeout,
}

impl std::fmt::Display for End {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            End::Closed => f.write_str("closed by the client"),
            End::ClosedByRole => f.write_str("closed by the SIP role after its reply"),
            End::HandshakeTimeout => f.write_str("TLS handshake timed out"),
            End::Handshake(e) => write!(f, "TLS handshake failed: {e}"),
            End::Idle => f.write_str("idle timeout"),
            End::SlowMessage => f.write_str("a message took too long to arrive (slow sender)"),
            End::Io(e) => write!(f, "i/o error: {e}"),
            End::Framing(e) => write!(f, "framing error: {e}"),
            End::WriteTimeout => f.write_str("the client does not read (write timeout)"),
        }
    }
}

async fn serve(
    tcp: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    conn: SipConnection,
    limits: ListenerLimits,
) {
    let end = serve_inner(tcp, acceptor, conn, limits).await;
    tracing::debug!(%peer, %end, "connection ended");
}

async fn serve_inner(
    tcp: TcpStream,
    acceptor: TlsAcceptor,
    mut conn: SipConnection,
    limits: ListenerLimits,
) -> End {
    let _ = tcp.set_nodelay(true);
    let mut tls = match tokio::time::timeout(limits.handshake_timeout, acceptor.accept(tcp)).await {
        Err(_) => return End::HandshakeTimeout,
        Ok(Err(e)) => return End::Handshake(e),
        Ok(Ok(s)) => s,
    };
    let mut framer = Framer::new(limits.codec);
    let mut buf = vec![0u8; 16 * 1024];
    let mut crlfs = 0usize;
    let mut message_started: Option<Instant> = None;
    let mut last_activity = Instant::now();
    loop {
        // Drain every complete frame.
        loop {
            let out = match framer.next() {
                Ok(Status::Partial) => break,
                Err(e) => return End::Framing(e),
                Ok(Status::Complete(Frame::KeepAlive)) => {
                    message_started = None;
                    crlfs += 1;
                    if crlfs < 2 {
                        continue;
                    }
                    crlfs = 0;
                    vec![conn.on_keepalive(SystemTime::now())]
                }
                Ok(Status::Complete(Frame::Message(m))) => {
                    message_started = None;
                    crlfs = 0;
                    conn.on_message(m.as_bytes(), SystemTime::now())
                }
            };
            for bytes in out {
                match tokio::time::timeout(limits.write_timeout, tls.write_all(&bytes)).await {
                    Err(_) => return End::WriteTimeout,
                    Ok(Err(e)) => return End::Io(e),
                    Ok(Ok(())) => {}
                }
            }
            if let Err(e) = tls.flush().await {
                return End::Io(e);
            }
            if conn.is_closed() {
                let _ = tls.shutdown().await;
                return End::ClosedByRole;
            }
        }
        message_started = match (framer.buffered(), message_started) {
            (0, _) => None,
            (_, Some(t)) => Some(t),
            (_, None) => Some(Instant::now()),
        };
        let deadline = match message_started {
            Some(t) => (t + limits.message_timeout).min(last_activity + limits.idle_timeout),
            None => last_activity + limits.idle_timeout,
        };
        let read = tokio::time::timeout_at(deadline.into(), tls.read(&mut buf)).await;
        match read {
            Err(_) if message_started.is_some() => return End::SlowMessage,
            Err(_) => return End::Idle,
            Ok(Err(e)) => return End::Io(e),
            Ok(Ok(0)) => return End::Closed,
            Ok(Ok(n)) => {
                last_activity = Instant::now();
                framer.push(buf.get(..n).unwrap_or_default());
            }
        }
    }
}
