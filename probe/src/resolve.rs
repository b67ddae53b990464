//! Step 1, `resolve`: RFC 3263 §4 for a known transport. An IP literal is itself; a host with
//! an explicit port is looked up by A/AAAA only; a host without one by SRV
//! (`_sip._udp.`, `_sip._tcp.`, `_sips._tcp.`), targets in priority order and by weight
//! (RFC 2782), else A/AAAA on the default port.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ProtocolConfig, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::NetError;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::RData;
use sipcreds::{Host, Transport};

pub use crate::report::{Source, Target};

/// Why no target was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsFailure {
    /// `NXDOMAIN`, `SERVFAIL`, `no address`, ...
    pub kind: &'static str,
    /// A sentence for the report.
    pub detail: String,
}

/// The SRV service prefix of a transport.
pub fn srv_prefix(transport: Transport) -> &'static str {
    match transport {
        Transport::Udp => "_sip._udp.",
        Transport::Tcp => "_sip._tcp.",
        Transport::Tls => "_sips._tcp.",
    }
}

fn resolver(
    nameserver: Option<SocketAddr>,
    timeout: Duration,
) -> Result<TokioResolver, DnsFailure> {
    let mut opts = ResolverOpts::default();
    opts.timeout = timeout.max(Duration::from_millis(50));
    opts.attempts = 1;
    opts.ndots = 0;
    let builder = match nameserver {
        Some(ns) => {
            let conn = |protocol| {
                let mut c = ConnectionConfig::new(protocol);
                c.port = ns.port();
                c
            };
            let server = NameServerConfig::new(
                ns.ip(),
                true,
                vec![conn(ProtocolConfig::Udp), conn(ProtocolConfig::Tcp)],
            );
            TokioResolver::builder_with_config(
                ResolverConfig::from_parts(None, vec![], vec![server]),
                TokioRuntimeProvider::default(),
            )
        }
        None => TokioResolver::builder_tokio().map_err(|e| DnsFailure {
            kind: "no_resolver",
            detail: format!("the system's resolver configuration cannot be read: {e}"),
        })?,
    };
    builder.with_options(opts).build().map_err(|e| DnsFailure {
        kind: "no_resolver",
        detail: format!("the resolver cannot start: {e}"),
    })
}

fn failure(name: &str, what: &str, e: &NetError) -> DnsFailure {
    let code = match e {
        NetError::Dns(hickory_resolver::net::DnsError::NoRecordsFound(nr)) => {
            Some(nr.response_code)
        }
        NetError::Dns(hickory_resolver::net::DnsError::ResponseCode(rc)) => Some(*rc),
        _ => None,
    };
    match code {
        Some(ResponseCode::NXDomain) => DnsFailure {
            kind: "nxdomain",
            detail: format!("{name} does not exist (NXDOMAIN)"),
        },
        Some(ResponseCode::NoError) => DnsFailure {
            kind: "no_address",
            detail: format!("{name} has no {what} record"),
        },
        Some(ResponseCode::ServFail) => DnsFailure {
            kind: "servfail",
            detail: format!("the nameserver failed to answer for {name} (SERVFAIL)"),
        },
        Some(ResponseCode::Refused) => DnsFailure {
            kind: "refused",
            detail: format!("the nameserver refused to answer for {name} (REFUSED)"),
        },
        Some(rc) => DnsFailure {
            kind: "error",
            detail: format!("the nameserver answered {rc} for {name}"),
        },
        None => DnsFailure {
            kind: "error",
            detail: format!("the lookup of {name} failed: {e}"),
        },
    }
}

fn is_negative(e: &NetError) -> bool {
    matches!(
        e,
        NetError::Dns(hickory_resolver::net::DnsError::NoRecordsFound(_))
    ) || matches!(
        e,
        NetError::Dns(hickory_resolver::net::DnsError::ResponseCode(
            ResponseCode::NXDomain
        ))
    )
}

async fn addresses(r: &TokioResolver, name: &str) -> Result<Vec<IpAddr>, DnsFailure> {
    match r.lookup_ip(name).await {
        Ok(found) => {
            let ips: Vec<IpAddr> = found.iter().collect();
            if ips.is_empty() {
                Err(DnsFailure {
                    kind: "no_address",
                    detail: format!("{} has no A or AAAA record", name.trim_end_matches('.')),
                })
            } else {
                Ok(ips)
            }
        }
        Err(e) => Err(failure(name.trim_end_matches('.'), "A or AAAA", &e)),
    }
}

/// RFC 2782's order: ascending priority; within one priority, a weighted random draw
/// (weight 0 entries first among equals, as the RFC asks, then by weight).
pub fn order_srv(
    mut records: Vec<(u16, u16, u16, String)>,
    mut rand: impl FnMut() -> u32,
) -> Vec<(u16, String)> {
    records.sort_by_key(|r| r.0);
    let mut out = Vec::with_capacity(records.len());
    let mut i = 0;
    while i < records.len() {
        let prio = records[i].0;
        let mut group: Vec<_> = records[i..]
            .iter()
            .take_while(|r| r.0 == prio)
            .cloned()
            .collect();
        i += group.len();
        // Zero-weight entries first, so they have a (small) chance to be drawn.
        group.sort_by_key(|r| r.1 != 0);
        while !group.is_empty() {
            let total: u32 = group.iter().map(|r| u32::from(r.1)).sum();
            let pick = if total == 0 {
                0
            } else {
                let draw = rand() % (total + 1);
                let mut run = 0u32;
                group
                    .iter()
                    .position(|r| {
                        run += u32::from(r.1);
                        run >= draw
                    })
                    .unwrap_or(0)
            };
            let r = group.remove(pick);
            out.push((r.2, r.3));
        }
    }
    out
}

fn random_u32() -> u32 {
    let mut b = [0u8; 4];
    let _ = getrandom::fill(&mut b);
    u32::from_le_bytes(b)
}

/// Resolve the server to the targets to try, in order.
pub async fn resolve(
    host: &Host,
    port: Option<u16>,
    transport: Transport,
    nameserver: Option<SocketAddr>,
    timeout: Duration,
) -> Result<Vec<Target>, DnsFailure> {
    let default_port = transport.default_port().get();
    let name = match host {
        Host::Dns(name) => name.clone(),
        ip => {
            let address: IpAddr = ip.to_plain_string().parse().map_err(|_| DnsFailure {
                kind: "error",
                detail: format!("{ip} is not an IP address"),
            })?;
            return Ok(vec![Target {
                address,
                port: port.unwrap_or(default_port),
                transport,
                source: Source::Literal,
            }]);
        }
    };
    let r = resolver(nameserver, timeout)?;
    let fqdn = format!("{}.", name.trim_end_matches('.'));
    if let Some(port) = port {
        return a_records(&r, &fqdn, port, transport).await;
    }
    let service = format!("{}{fqdn}", srv_prefix(transport));
    match r.srv_lookup(service.as_str()).await {
        Ok(lookup) => {
            let records: Vec<(u16, u16, u16, String)> = lookup
                .answers()
                .iter()
                .filter_map(|rec| match &rec.data {
                    RData::SRV(srv) => {
                        Some((srv.priority, srv.weight, srv.port, srv.target.to_string()))
                    }
                    _ => None,
                })
                .collect();
            if records.is_empty() {
                return a_records(&r, &fqdn, default_port, transport).await;
            }
            // RFC 2782: a single target "." means the service is decidedly not available.
            if records.len() == 1 && (records[0].3 == "." || records[0].3.is_empty()) {
                return Err(DnsFailure {
                    kind: "no_service",
                    detail: format!(
                        "{} says SIP over {} is not offered (SRV target \".\")",
                        service.trim_end_matches('.'),
                        transport.as_str()
                    ),
                });
            }
            let mut targets = Vec::new();
            let mut last_err = None;
            for (port, target) in order_srv(records, random_u32) {
                match addresses(&r, &target).await {
                    Ok(ips) => targets.extend(ips.into_iter().map(|address| Target {
                        address,
                        port,
                        transport,
                        source: Source::Srv,
                    })),
                    Err(e) => last_err = Some(e),
                }
            }
            match (targets.is_empty(), last_err) {
                (true, Some(e)) => Err(e),
                _ => Ok(targets),
            }
        }
        // No SRV record: A/AAAA on the default port (RFC 3263 §4.2). A server that refuses or
        // fails the SRV query gets the same fallback, as SIP stacks do; if A/AAAA fails too,
        // both failures are reported.
        Err(e) if is_negative(&e) => a_records(&r, &fqdn, default_port, transport).await,
        Err(e) => {
            let srv = failure(service.trim_end_matches('.'), "SRV", &e);
            a_records(&r, &fqdn, default_port, transport)
                .await
                .map_err(|a| DnsFailure {
                    kind: a.kind,
                    detail: format!("{}; before that, {}", a.detail, srv.detail),
                })
        }
    }
}

async fn a_records(
    r: &TokioResolver,
    fqdn: &str,
    port: u16,
    transport: Transport,
) -> Result<Vec<Target>, DnsFailure> {
    Ok(addresses(r, fqdn)
        .await?
        .into_iter()
        .map(|address| Target {
            address,
            port,
            transport,
            source: Source::A,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srv_priority_first_then_weight() {
        let recs = vec![
            (20, 0, 5060, "c".to_string()),
            (10, 60, 5060, "a".to_string()),
            (10, 40, 5061, "b".to_string()),
        ];
        // A draw of 0 picks the first entry of the group; the lower priority comes last.
        let order = order_srv(recs.clone(), || 0);
        assert_eq!(order.last().unwrap().1, "c");
        // Over many draws, weight 60 leads about 60% of the time.
        let mut seed = 12345u32;
        let mut a_first = 0;
        for _ in 0..10_000 {
            let o = order_srv(recs.clone(), || {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                seed >> 8
            });
            assert_eq!(o.len(), 3);
            assert_eq!(o[2].1, "c");
            if o[0].1 == "a" {
                a_first += 1;
            }
        }
        assert!((5_400..6_600).contains(&a_first), "{a_first}");
    }
}
