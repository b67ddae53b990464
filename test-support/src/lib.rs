//! What the tests and benchmarks of sipcreds share, so that none keeps a copy: the real peers
//! they start on loopback (Kamailio, SIPp, dnsmasq, a UDP responder; `peers`) and the test
//! certificates with a SIP-over-TLS server (`tls`). Not published.

pub mod peers;
pub mod tls;
