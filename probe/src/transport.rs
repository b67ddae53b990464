//! Step 2, `connect`, and the wire: UDP on a connected socket (so an ICMP port-unreachable
//! comes back as a refusal), TCP, and TLS with rustls (SNI = the host name; verification never
//! off). Stream messages are framed by their Content-Length.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use rustls::pki_types::ServerName;
use rustls::{CertificateError, ClientConfig};
use sipcreds::Transport;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpSocket, TcpStream, UdpSocket};
use tokio::time::{Instant, timeout_at};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::message::{MAX_DATAGRAM_BYTES, MAX_READ_BYTES, StreamBuffer};

/// How a connection or a read failed, in the terms of §12's outcomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The budget ran out (which step is the caller's to say).
    Timeout,
    /// TCP RST or ICMP port unreachable.
    Refused,
    /// No route to the host or the network.
    Unreachable(String),
    /// The TLS handshake failed: the `tlsError` code and a sentence.
    Tls(&'static str, String),
    /// The peer closed the stream.
    Closed,
    /// What came back is not a SIP response.
    Invalid(String),
    /// Another I/O error.
    Other(String),
}

fn io_failure(e: &io::Error) -> Failure {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => Failure::Refused,
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
            Failure::Unreachable(e.to_string())
        }
        io::ErrorKind::TimedOut => Failure::Timeout,
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => Failure::Closed,
        _ => match e.raw_os_error() {
            // EHOSTUNREACH, ENETUNREACH, EHOSTDOWN, ENETDOWN on Linux.
            Some(113) | Some(101) | Some(112) | Some(100) => Failure::Unreachable(e.to_string()),
            _ => Failure::Other(e.to_string()),
        },
    }
}

/// Records the first byte and the count of what a TLS server sent, to tell a plain port (it
/// answers a ClientHello with text, closes, or says nothing) from a TLS one.
#[derive(Debug)]
struct Sniff<S> {
    inner: S,
    seen: Arc<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    /// 0 = nothing yet, else 0x100 | first byte.
    first: AtomicU16,
    bytes: AtomicUsize,
}

impl<S: AsyncRead + Unpin> AsyncRead for Sniff<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        let got = &buf.filled()[before..];
        if !got.is_empty() {
            let _ = self.seen.first.compare_exchange(
                0,
                0x100 | u16::from(got[0]),
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
            self.seen.bytes.fetch_add(got.len(), Ordering::Relaxed);
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Sniff<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

enum Wire {
    Udp(UdpSocket),
    Tcp(TcpStream),
    Tls(Box<TlsStream<Sniff<TcpStream>>>),
}

/// An open connection to one target.
pub struct Connection {
    wire: Wire,
    /// Bytes read from a stream and not yet consumed.
    buf: StreamBuffer,
    /// The local address (the Via sent-by).
    pub local: SocketAddr,
    /// The server's address.
    pub peer: SocketAddr,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("local", &self.local)
            .field("peer", &self.peer)
            .finish_non_exhaustive()
    }
}

fn bind_addr(local: Option<IpAddr>, remote: &SocketAddr) -> SocketAddr {
    let ip = local.unwrap_or(match remote {
        SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        SocketAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    });
    SocketAddr::new(ip, 0)
}

fn plain_answer() -> Failure {
    Failure::Tls(
        "not_tls",
        "the server answered a TLS ClientHello with something that is not TLS: a plain TCP port?"
            .into(),
    )
}

fn tls_failure(e: &io::Error, seen: &Seen) -> Failure {
    let first = seen.first.load(Ordering::Relaxed);
    let plain = first != 0 && !(0x14..=0x17).contains(&(first & 0xff));
    if let Some(tls) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return match tls {
            rustls::Error::InvalidCertificate(c) => match c {
                CertificateError::UnknownIssuer => Failure::Tls(
                    "unknown_issuer",
                    "the server's certificate is not signed by a trusted CA".into(),
                ),
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                    Failure::Tls("expired", "the server's certificate has expired".into())
                }
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                    Failure::Tls(
                        "expired",
                        "the server's certificate is not valid yet".into(),
                    )
                }
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => Failure::Tls(
                    "name_mismatch",
                    "the server's certificate is not valid for this host name".into(),
                ),
                other => Failure::Tls("other", format!("the certificate is refused: {other:?}")),
            },
            rustls::Error::AlertReceived(alert) => {
                Failure::Tls("alert", format!("the server sent the TLS alert {alert:?}"))
            }
            _ if plain => plain_answer(),
            other => Failure::Tls("other", format!("TLS failed: {other}")),
        };
    }
    if plain {
        return plain_answer();
    }
    match io_failure(e) {
        Failure::Closed if seen.bytes.load(Ordering::Relaxed) == 0 => Failure::Tls(
            "not_tls",
            "the server closed the connection without a TLS answer: a plain TCP port?".into(),
        ),
        Failure::Closed => Failure::Tls("other", format!("the server closed the handshake: {e}")),
        other => other,
    }
}

/// Open a connection to `target` before `deadline`.
pub async fn connect(
    target: SocketAddr,
    transport: Transport,
    server_name: Option<&str>,
    tls: &Arc<ClientConfig>,
    local: Option<IpAddr>,
    deadline: Instant,
) -> Result<Connection, Failure> {
    let bind = bind_addr(local, &target);
    match transport {
        Transport::Udp => {
            let sock = UdpSocket::bind(bind).await.map_err(|e| io_failure(&e))?;
            sock.connect(target).await.map_err(|e| io_failure(&e))?;
            let local = sock.local_addr().map_err(|e| io_failure(&e))?;
            Ok(Connection {
                wire: Wire::Udp(sock),
                buf: StreamBuffer::default(),
                local,
                peer: target,
            })
        }
        Transport::Tcp | Transport::Tls => {
            let sock = match target {
                SocketAddr::V4(_) => TcpSocket::new_v4(),
                SocketAddr::V6(_) => TcpSocket::new_v6(),
            }
            .map_err(|e| io_failure(&e))?;
            if local.is_some() {
                sock.bind(bind).map_err(|e| io_failure(&e))?;
            }
            let stream = match timeout_at(deadline, sock.connect(target)).await {
                Err(_) => return Err(Failure::Timeout),
                Ok(Err(e)) => return Err(io_failure(&e)),
                Ok(Ok(s)) => s,
            };
            let _ = stream.set_nodelay(true);
            let local = stream.local_addr().map_err(|e| io_failure(&e))?;
            if transport == Transport::Tcp {
                return Ok(Connection {
                    wire: Wire::Tcp(stream),
                    buf: StreamBuffer::default(),
                    local,
                    peer: target,
                });
            }
            // SNI is the host name; an IP literal sends none and is checked against the
            // certificate's IP addresses.
            let name = match server_name {
                Some(n) => ServerName::try_from(n.to_owned()).map_err(|_| {
                    Failure::Tls("other", format!("{n} is not a valid TLS server name"))
                })?,
                None => ServerName::IpAddress(target.ip().into()),
            };
            let seen = Arc::new(Seen::default());
            let sniff = Sniff {
                inner: stream,
                seen: seen.clone(),
            };
            let connector = TlsConnector::from(tls.clone());
            match timeout_at(deadline, connector.connect(name, sniff)).await {
                Err(_) => {
                    if seen.bytes.load(Ordering::Relaxed) == 0 {
                        // A TLS server answers a ClientHello at once; a plain SIP port waits
                        // for the end of a message that never comes.
                        Err(Failure::Tls(
                            "not_tls",
                            "the port accepted TCP but never answered the TLS ClientHello: a plain TCP port, or TLS on another port?".into(),
                        ))
                    } else {
                        Err(Failure::Timeout)
                    }
                }
                Ok(Err(e)) => Err(tls_failure(&e, &seen)),
                Ok(Ok(tls)) => Ok(Connection {
                    wire: Wire::Tls(Box::new(tls)),
                    buf: StreamBuffer::default(),
                    local,
                    peer: target,
                }),
            }
        }
    }
}

impl Connection {
    /// Send one request.
    pub async fn send(&mut self, bytes: &[u8], deadline: Instant) -> Result<(), Failure> {
        let r = match &mut self.wire {
            Wire::Udp(s) => timeout_at(deadline, s.send(bytes))
                .await
                .map(|r| r.map(|_| ())),
            Wire::Tcp(s) => timeout_at(deadline, s.write_all(bytes)).await,
            Wire::Tls(s) => {
                timeout_at(deadline, async {
                    s.write_all(bytes).await?;
                    s.flush().await
                })
                .await
            }
        };
        match r {
            Err(_) => Err(Failure::Timeout),
            Ok(Err(e)) => Err(io_failure(&e)),
            Ok(Ok(())) => Ok(()),
        }
    }

    /// True on UDP (the caller retransmits).
    pub fn is_datagram(&self) -> bool {
        matches!(self.wire, Wire::Udp(_))
    }

    /// The next whole message (or datagram), before `deadline`. The deadline is checked
    /// before every read as well as during it: a peer whose bytes are always ready (an endless
    /// stream of CRLFs or header lines) never keeps a read past it.
    pub async fn recv(&mut self, deadline: Instant) -> Result<Vec<u8>, Failure> {
        if Instant::now() >= deadline {
            return Err(Failure::Timeout);
        }
        if let Wire::Udp(s) = &self.wire {
            let mut buf = vec![0u8; MAX_DATAGRAM_BYTES];
            return match timeout_at(deadline, s.recv(&mut buf)).await {
                Err(_) => Err(Failure::Timeout),
                Ok(Err(e)) => Err(io_failure(&e)),
                Ok(Ok(n)) => {
                    buf.truncate(n);
                    Ok(buf)
                }
            };
        }
        loop {
            if Instant::now() >= deadline {
                return Err(Failure::Timeout);
            }
            if let Some(message) = self.buf.next_message().map_err(|e| Failure::Invalid(e.0))? {
                return Ok(message);
            }
            let mut chunk = [0u8; MAX_READ_BYTES];
            let read = match &mut self.wire {
                Wire::Tcp(s) => timeout_at(deadline, s.read(&mut chunk)).await,
                Wire::Tls(s) => timeout_at(deadline, s.read(&mut chunk)).await,
                Wire::Udp(_) => return Err(Failure::Other("unreachable".into())),
            };
            match read {
                Err(_) => return Err(Failure::Timeout),
                Ok(Err(e)) => return Err(io_failure(&e)),
                Ok(Ok(0)) => return Err(Failure::Closed),
                Ok(Ok(n)) => self
                    .buf
                    .push(&chunk[..n])
                    .map_err(|e| Failure::Invalid(e.0))?,
            }
        }
    }

    /// Close the connection politely (TLS close_notify), for at most 50 ms and never past
    /// `deadline`.
    pub async fn close(mut self, deadline: Instant) {
        let deadline = deadline.min(Instant::now() + std::time::Duration::from_millis(50));
        match &mut self.wire {
            Wire::Tls(s) => {
                let _ = timeout_at(deadline, s.shutdown()).await;
            }
            Wire::Tcp(s) => {
                let _ = timeout_at(deadline, s.shutdown()).await;
            }
            Wire::Udp(_) => {}
        }
    }
}
