//! Certificates made by the test (rcgen) and a rustls SIP-over-TLS server that answers every
//! request 200 OK (or whatever the handshake lets through).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, SanType};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

/// A CA, its certificate's PEM and the file that holds it.
#[derive(Debug)]
pub struct Ca {
    pub params: CertificateParams,
    pub key: KeyPair,
    pub pem: String,
    pub pem_file: PathBuf,
    _dir: tempfile::TempDir,
}

pub fn ca(name: &str) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        format!("sipcreds test CA {name}"),
    );
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pem_file = dir.path().join("ca.pem");
    let pem = cert.pem();
    std::fs::write(&pem_file, &pem).unwrap();
    Ca {
        params,
        key,
        pem,
        pem_file,
        _dir: dir,
    }
}

/// A leaf certificate and its key.
#[derive(Debug)]
pub struct Leaf {
    pub cert: CertificateDer<'static>,
    pub key: PrivateKeyDer<'static>,
    pub cert_pem: String,
    pub key_pem: String,
}

impl Leaf {
    /// Write the PEM files (for Kamailio) into `dir`.
    pub fn write(&self, dir: &std::path::Path) -> (PathBuf, PathBuf) {
        let c = dir.join("cert.pem");
        let k = dir.join("key.pem");
        std::fs::write(&c, &self.cert_pem).unwrap();
        std::fs::write(&k, &self.key_pem).unwrap();
        (c, k)
    }
}

/// A server certificate for `names` (DNS names or IP literals), signed by `ca`, valid now
/// unless `expired`.
pub fn leaf(ca: &Ca, names: &[&str], expired: bool) -> Leaf {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    for n in names {
        params.subject_alt_names.push(match n.parse() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName((*n).try_into().unwrap()),
        });
    }
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        names.first().copied().unwrap_or("x"),
    );
    let now = time::OffsetDateTime::now_utc();
    if expired {
        params.not_before = now - time::Duration::days(30);
        params.not_after = now - time::Duration::days(1);
    } else {
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(30);
    }
    let key = KeyPair::generate().unwrap();
    let issuer = Issuer::from_params(&ca.params, &ca.key);
    let cert = params.signed_by(&key, &issuer).unwrap();
    Leaf {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        cert: cert.der().clone(),
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    }
}

/// A rustls server configuration presenting this leaf.
pub fn server_config(leaf: &Leaf) -> Arc<rustls::ServerConfig> {
    Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.cert.clone()], leaf.key.clone_key())
        .unwrap(),
    )
}

/// A TLS server on 127.0.0.1 answering each SIP request 200 OK; runs until the runtime ends.
pub async fn server(leaf: &Leaf) -> SocketAddr {
    let acceptor = tokio_rustls::TlsAcceptor::from(server_config(leaf));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = Vec::new();
                while let Some(msg) = crate::next_head(&mut tls, &mut buf).await {
                    let text = String::from_utf8_lossy(&msg);
                    let pick = |name: &str| {
                        text.lines()
                            .find(|l| {
                                l.to_ascii_lowercase()
                                    .starts_with(&format!("{}:", name.to_ascii_lowercase()))
                            })
                            .unwrap_or("")
                            .to_owned()
                    };
                    let reply = format!(
                        "SIP/2.0 200 OK\r\n{}\r\n{}\r\n{};tag=tls\r\n{}\r\n{}\r\nServer: rustls-test\r\nContent-Length: 0\r\n\r\n",
                        pick("Via"),
                        pick("From"),
                        pick("To"),
                        pick("Call-ID"),
                        pick("CSeq")
                    );
                    if tls.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}
