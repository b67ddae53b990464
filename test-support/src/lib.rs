//! What the tests and benchmarks of sipcreds share, so that none keeps a copy: the real peers
//! they start on loopback (Kamailio, SIPp, dnsmasq, a UDP responder; `peers`) and the test
//! certificates with a SIP-over-TLS server (`tls`). Not published.

pub mod peers;
pub mod tls;

use tokio::io::{AsyncRead, AsyncReadExt};

/// The next SIP message head from a stream (up to and with its blank line), taken out of `buf`,
/// which holds what was read past it; `None` once the stream ends or fails. What the TCP and
/// TLS loopback servers read requests with (a test peer's requests carry no body).
pub async fn next_head<S: AsyncRead + Unpin>(s: &mut S, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            return Some(buf.drain(..end + 4).collect());
        }
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}
