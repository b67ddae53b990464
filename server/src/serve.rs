//! The listener: connections accepted up to a bound, TLS (reloaded on SIGHUP), hyper's head
//! limit and header timeout, and a graceful drain on shutdown.

use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

/// A PEM certificate chain and its key.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The certificate chain (PEM).
    pub cert: PathBuf,
    /// The private key (PEM).
    pub key: PathBuf,
}

impl TlsFiles {
    /// The acceptor of these files (read now).
    pub fn acceptor(&self) -> std::io::Result<TlsAcceptor> {
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};
        let bad = |what: &str, e: &dyn std::fmt::Display| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{what}: {e}"))
        };
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&self.cert)
            .map_err(|e| bad("--tls-cert", &e))?
            .collect::<Result<_, _>>()
            .map_err(|e| bad("--tls-cert", &e))?;
        if certs.is_empty() {
            return Err(bad("--tls-cert", &"no certificate in the file"));
        }
        let key = PrivateKeyDer::from_pem_file(&self.key).map_err(|e| bad("--tls-key", &e))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| bad("TLS", &e))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| bad("--tls-cert/--tls-key", &e))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(TlsAcceptor::from(Arc::new(config)))
    }
}

/// The bounds of the listener (§14).
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// At most this many connections at once (more wait in the kernel's backlog).
    pub max_connections: usize,
    /// A request head must arrive within this long (and a TLS handshake).
    pub header_timeout: Duration,
    /// The largest request head (hyper's read buffer; 431 beyond it).
    pub max_head_bytes: usize,
    /// How long requests in flight may take to finish on shutdown.
    pub drain: Duration,
    /// TLS, if the server terminates it.
    pub tls: Option<TlsFiles>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            max_head_bytes: 16 * 1024,
            drain: Duration::from_secs(10),
            tls: None,
        }
    }
}

/// Serve `app` on `listener` until `shutdown` resolves, then drain: no new connection, the
/// requests in flight finish (at most `drain`). With TLS, SIGHUP reloads the cert and key.
pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    options: ServeOptions,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let acceptor: Option<Arc<RwLock<TlsAcceptor>>> = match &options.tls {
        Some(files) => Some(Arc::new(RwLock::new(files.acceptor()?))),
        None => None,
    };
    #[cfg(unix)]
    if let (Some(files), Some(acceptor)) = (options.tls.clone(), acceptor.clone()) {
        tokio::spawn(async move {
            use tokio::signal::unix::{SignalKind, signal};
            let Ok(mut hup) = signal(SignalKind::hangup()) else {
                return;
            };
            while hup.recv().await.is_some() {
                match files.acceptor() {
                    Ok(a) => {
                        *acceptor.write().unwrap_or_else(|p| p.into_inner()) = a;
                        tracing::info!(target: "sipcreds::serve", "TLS certificate reloaded");
                    }
                    Err(e) => {
                        tracing::error!(target: "sipcreds::serve", error = %e, "TLS reload failed; the old certificate stays");
                    }
                }
            }
        });
    }
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_timeout)
        .max_buf_size(options.max_head_bytes.max(8192));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(options.max_head_bytes as u32)
        .max_concurrent_streams(100);
    let builder = Arc::new(builder);
    let graceful = GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(options.max_connections));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            () = &mut shutdown => break,
        };
        let (stream, _peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(target: "sipcreds::serve", error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let acceptor = acceptor
            .as_ref()
            .map(|a| a.read().unwrap_or_else(|p| p.into_inner()).clone());
        let handshake_timeout = options.header_timeout;
        tokio::spawn(async move {
            let _permit = permit;
            match acceptor {
                None => {
                    let conn =
                        builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                    let _ = watcher.watch(conn.into_owned()).await;
                }
                Some(acceptor) => {
                    let Ok(Ok(tls)) =
                        tokio::time::timeout(handshake_timeout, acceptor.accept(stream)).await
                    else {
                        return;
                    };
                    let conn = builder.serve_connection_with_upgrades(TokioIo::new(tls), service);
                    let _ = watcher.watch(conn.into_owned()).await;
                }
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(options.drain) => {
            tracing::warn!(target: "sipcreds::serve", "requests still in flight after the drain time; closing");
        }
    }
    Ok(())
}
