//! The bytes' way to a peer: plain TCP or TLS (rustls) over it, either
//! end of TLS, driven without blocking so that one thread can wait on many
//! sockets (and on a console) at once.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::cmd::record::{Recording, Tap};
use crate::protocol::url::WsUrl;
use crate::protocol::Role;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, Connection, DigitallySignedStruct, RootCertStore, ServerConfig,
    ServerConnection, SignatureScheme,
};

/// A write that never blocks and never raises SIGPIPE.
pub(crate) const SEND_FLAGS: rustix::net::SendFlags =
    rustix::net::SendFlags::DONTWAIT.union(rustix::net::SendFlags::NOSIGNAL);

/// A connected socket, with TLS or without, and its recording if any.
pub(crate) struct Wire {
    way: Way,
    /// `--record`: what is read and written is recorded too.
    tap: Option<Tap>,
}

/// How the bytes travel.
enum Way {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP, as the client or as the server.
    Tls {
        /// The socket.
        sock: TcpStream,
        /// The TLS state.
        conn: Box<Connection>,
    },
}

/// What a TLS connection agreed on, once its handshake is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TlsAgreed {
    /// `TLS 1.3`.
    pub version: String,
    /// The cipher suite, as rustls names it.
    pub suite: String,
    /// The protocol ALPN settled on.
    pub alpn: Option<String>,
    /// The name the client asked for (SNI), on the server's side.
    pub sni: Option<String>,
}

impl TlsAgreed {
    /// As the printers take it, for the peer at `peer`.
    pub(crate) fn shown<'a>(&'a self, peer: &'a str) -> crate::print::TlsShown<'a> {
        crate::print::TlsShown {
            peer,
            version: &self.version,
            suite: &self.suite,
            alpn: self.alpn.as_deref(),
            sni: self.sni.as_deref(),
        }
    }
}

/// A TLS failure, kept apart from I/O errors so that it can be named.
#[derive(Debug)]
pub(crate) struct TlsError(pub rustls::Error);

impl std::fmt::Display for TlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use rustls::AlertDescription as A;
        use rustls::CertificateError as C;
        let why = match &self.0 {
            rustls::Error::InvalidCertificate(c) => match c {
                C::UnknownIssuer => {
                    "the server's certificate is signed by an unknown issuer (--cacert FILE trusts a private CA; --insecure checks nothing)"
                        .to_string()
                }
                C::NotValidForName | C::NotValidForNameContext { .. } => {
                    "the server's certificate is not valid for this host name".to_string()
                }
                C::Expired | C::ExpiredContext { .. } => {
                    "the server's certificate has expired".to_string()
                }
                C::NotValidYet | C::NotValidYetContext { .. } => {
                    "the server's certificate is not valid yet".to_string()
                }
                C::Revoked => "the server's certificate is revoked".to_string(),
                C::BadSignature => "the server's certificate has a bad signature".to_string(),
                C::Other(o) => match o.0.downcast_ref::<webpki::Error>() {
                    Some(webpki::Error::CaUsedAsEndEntity) => {
                        "the server's certificate is a CA's (CA:TRUE), not a server's: give that same certificate with --cacert to trust it as this server, or use a server certificate signed by a CA (as `wsdbg serve --tls` makes)".to_string()
                    }
                    Some(e) => format!("the server's certificate is refused: {}", words(&format!("{e:?}"))),
                    None => format!("the server's certificate is refused: {o}"),
                },
                other => format!("the server's certificate is refused: {}", words(&format!("{other:?}"))),
            },
            rustls::Error::AlertReceived(a) => match a {
                A::HandshakeFailure | A::InsufficientSecurity => {
                    "the peer ended the handshake: no TLS version, cipher suite or key exchange in common".to_string()
                }
                A::ProtocolVersion => "the peer ended the handshake: no TLS version in common".to_string(),
                A::UnrecognisedName => "the peer does not serve the name asked for (SNI)".to_string(),
                A::NoApplicationProtocol => "the peer ended the handshake: no ALPN protocol in common".to_string(),
                A::BadCertificate | A::UnknownCA | A::CertificateUnknown => {
                    "the peer does not trust the certificate (it said so with an alert)".to_string()
                }
                other => format!("the peer ended TLS with the alert \"{}\"", words(&format!("{other:?}"))),
            },
            rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
                "the peer sent something that is not TLS, or broken TLS".to_string()
            }
            other => other.to_string(),
        };
        write!(f, "TLS: {why}")
    }
}

/// A name written `LikeThis` as words: "like this".
fn words(name: &str) -> String {
    let name = name.split(['(', ' ', '{']).next().unwrap_or(name);
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

impl std::error::Error for TlsError {}

impl Wire {
    /// Plain TCP over `sock`.
    pub(crate) fn plain(sock: TcpStream) -> Self {
        Self::over(Way::Plain(sock))
    }

    fn over(way: Way) -> Self {
        Self { way, tap: None }
    }

    /// The socket back, when this is plain TCP that nothing records
    /// (else None, and the connection is dropped).
    pub(crate) fn into_plain(self) -> Option<TcpStream> {
        match self {
            Self {
                way: Way::Plain(s),
                tap: None,
            } => Some(s),
            _ => None,
        }
    }

    /// Records what this connection reads and writes from now on, this
    /// process being its `we_are` side. Nothing when the socket's
    /// addresses cannot be had (it is gone already).
    pub(crate) fn record(&mut self, recording: &Arc<Recording>, we_are: Role) {
        let s = self.socket();
        if let (Ok(local), Ok(peer)) = (s.local_addr(), s.peer_addr()) {
            let tls = !self.is_plain();
            self.tap = Some(recording.tap(local, peer, we_are, tls));
        }
    }

    /// [`Wire::record`] from a point past the connection's start: `already`
    /// is what the peer sent before it (read by this program, not yet
    /// recorded), written first, so that the recorded stream starts where
    /// the connection did (a forward proxy learns that a connection is a
    /// WebSocket upgrade only after reading its request).
    pub(crate) fn record_from(&mut self, recording: &Arc<Recording>, we_are: Role, already: &[u8]) {
        self.record(recording, we_are);
        if let Some(tap) = self.tap.as_mut() {
            tap.received(already);
        }
    }

    /// The socket's descriptor, to wait on.
    pub(crate) fn fd(&self) -> i32 {
        self.socket().as_raw_fd()
    }

    /// The TCP socket.
    pub(crate) fn socket(&self) -> &TcpStream {
        match &self.way {
            Way::Plain(s) | Way::Tls { sock: s, .. } => s,
        }
    }

    /// Whether this is plain TCP.
    pub(crate) fn is_plain(&self) -> bool {
        matches!(self.way, Way::Plain(_))
    }

    /// The socket to write to straight, past [`Wire::write`]: plain TCP
    /// that nothing records.
    pub(crate) fn direct(&self) -> Option<&TcpStream> {
        match (&self.way, &self.tap) {
            (Way::Plain(s), None) => Some(s),
            _ => None,
        }
    }

    /// What TLS agreed on, once its handshake is done (None: plain, or
    /// still shaking hands).
    pub(crate) fn agreed(&self) -> Option<TlsAgreed> {
        let Way::Tls { conn, .. } = &self.way else {
            return None;
        };
        if conn.is_handshaking() {
            return None;
        }
        let sni = match &**conn {
            Connection::Server(s) => s.server_name().map(str::to_string),
            Connection::Client(_) => None,
        };
        Some(TlsAgreed {
            version: match conn.protocol_version() {
                Some(rustls::ProtocolVersion::TLSv1_3) => "TLS 1.3".into(),
                Some(rustls::ProtocolVersion::TLSv1_2) => "TLS 1.2".into(),
                Some(v) => format!("{v:?}"),
                None => "?".into(),
            },
            suite: conn
                .negotiated_cipher_suite()
                .map_or_else(|| "?".into(), |c| format!("{:?}", c.suite())),
            alpn: conn
                .alpn_protocol()
                .map(|a| String::from_utf8_lossy(a).into_owned()),
            sni,
        })
    }

    /// Reads what has arrived (0: the peer ended); `WouldBlock` when
    /// nothing has. A TLS failure is an `InvalidData` error holding a
    /// [`TlsError`].
    pub(crate) fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.read_way(buf);
        if let Some(tap) = &mut self.tap {
            match &read {
                Ok(0) if !buf.is_empty() => tap.peer_ended(),
                Ok(n) => tap.received(&buf[..*n]),
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => tap.peer_reset(),
                Err(_) => {}
            }
        }
        read
    }

    fn read_way(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.way {
            Way::Plain(s) => s.read(buf),
            Way::Tls { sock, conn } => loop {
                match conn.reader().read(buf) {
                    Ok(n) => return Ok(n),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    // The peer closed without close_notify: its end.
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                    Err(e) => return Err(e),
                }
                match conn.read_tls(sock) {
                    Ok(0) => return Ok(0),
                    Ok(_) => {
                        if let Err(e) = conn.process_new_packets() {
                            // The alert for the server, if it can take it.
                            let _ = conn.write_tls(sock);
                            return Err(io::Error::new(io::ErrorKind::InvalidData, TlsError(e)));
                        }
                        // A handshake message may call for an answer.
                        flush(sock, conn)?;
                    }
                    Err(e) => return Err(e),
                }
            },
        }
    }

    /// Whether a read that got `got` of the `asked` bytes left the
    /// socket empty: a plain socket that gave less than asked has nothing
    /// more (what comes next is a readiness event of its own); TLS may
    /// hold decrypted bytes or read only part of what the socket has, so
    /// only `WouldBlock` says it is empty.
    pub(crate) fn drained(&self, asked: usize, got: usize) -> bool {
        match self.way {
            Way::Plain(_) => got < asked,
            Way::Tls { .. } => false,
        }
    }

    /// Writes what the socket takes now; `WouldBlock` when it takes
    /// nothing. Over TLS all of `data` is taken (encrypted into rustls's
    /// buffer) and sent as the socket allows.
    pub(crate) fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = match &mut self.way {
            // A peer gone is an error here, not SIGPIPE, whatever the
            // process did with that signal.
            Way::Plain(s) => rustix::net::send(&*s, data, SEND_FLAGS)?,
            // Taken into TLS's buffer: the socket sends it as it can.
            Way::Tls { conn, .. } => conn.writer().write(data)?,
        };
        if let Some(tap) = &mut self.tap {
            tap.sent(&data[..n]);
        }
        self.flush_tls()?;
        Ok(n)
    }

    /// Sends what TLS has ready, as far as the socket takes it.
    fn flush_tls(&mut self) -> io::Result<()> {
        match &mut self.way {
            Way::Tls { sock, conn } => flush(sock, conn),
            Way::Plain(_) => Ok(()),
        }
    }

    /// Whether bytes wait for the socket to take them (besides the caller's).
    pub(crate) fn wants_write(&self) -> bool {
        match &self.way {
            Way::Plain(_) => false,
            Way::Tls { conn, .. } => conn.wants_write(),
        }
    }

    /// Sends what is waiting when the socket can take more.
    pub(crate) fn on_writable(&mut self) -> io::Result<()> {
        self.flush_tls()
    }

    /// Ends the sending side (TLS: close_notify first).
    pub(crate) fn shutdown_write(&mut self) {
        if let Way::Tls { conn, .. } = &mut self.way {
            conn.send_close_notify();
            let _ = self.flush_tls();
        }
        let _ = self.socket().shutdown(Shutdown::Write);
        if let Some(tap) = &mut self.tap {
            tap.ended();
        }
    }
}

/// Sends what `conn` has ready, as far as `sock` takes it.
fn flush(sock: &mut TcpStream, conn: &mut Connection) -> io::Result<()> {
    while conn.wants_write() {
        match conn.write_tls(sock) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The TLS settings of a client: the system's roots, or those of
/// `cacert` too, or no check at all (`insecure`).
pub(crate) fn client_config(
    cacert: Option<&Path>,
    insecure: bool,
) -> Result<Arc<ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let config = if insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoCheck(provider)))
            .with_no_client_auth()
    } else {
        let mut roots = RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
        let mut pinned = Vec::new();
        if let Some(path) = cacert {
            let shown = path.display();
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("--cacert {shown}: {e}"))?
                .collect::<Result<_, _>>()
                .map_err(|e| format!("--cacert {shown}: {e}"))?;
            if certs.is_empty() {
                return Err(format!("--cacert {shown}: no PEM certificate in it"));
            }
            for c in certs {
                roots
                    .add(c.clone())
                    .map_err(|e| format!("--cacert {shown}: {e}"))?;
                pinned.push(c);
            }
        }
        if roots.is_empty() {
            return Err(
                "TLS: no trusted certificates: none in the system's store, and no --cacert".into(),
            );
        }
        let webpki =
            rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| format!("TLS: {e}"))?;
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Pinned { webpki, pinned }))
            .with_no_client_auth()
    };
    let mut config = config;
    config.key_log = key_log();
    Ok(Arc::new(config))
}

/// Where TLS secrets go: the file `SSLKEYLOGFILE` names (NSS key log
/// format, as browsers write it), said once on stderr; nowhere without it.
pub(crate) fn key_log() -> Arc<dyn rustls::KeyLog> {
    static SAID: std::sync::Once = std::sync::Once::new();
    if let Some(path) = std::env::var_os("SSLKEYLOGFILE").filter(|p| !p.is_empty()) {
        SAID.call_once(|| {
            let shown = crate::print::escape::escape_str(&path.to_string_lossy());
            match std::fs::OpenOptions::new().append(true).create(true).open(&path) {
                Ok(_) => eprintln!(
                    "wsdbg: SSLKEYLOGFILE is set: this run's TLS secrets are appended to {shown} (whoever reads it can decrypt the traffic)"
                ),
                Err(e) => eprintln!(
                    "wsdbg: warning: SSLKEYLOGFILE is set, but {shown} cannot be written ({e}): no TLS secrets are kept"
                ),
            }
        });
        Arc::new(rustls::KeyLogFile::new())
    } else {
        Arc::new(rustls::NoKeyLog)
    }
}

/// The usual check (the system's roots and `--cacert`), except that a
/// certificate given in `--cacert` that is the server's own certificate is
/// trusted as that server even though it says it is a CA: what
/// `openssl req -x509` makes, and what curl and OpenSSL accept. Its name
/// and dates are still checked.
#[derive(Debug)]
struct Pinned {
    webpki: Arc<rustls::client::WebPkiServerVerifier>,
    /// The certificates of `--cacert`.
    pinned: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let checked =
            self.webpki
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now);
        match checked {
            Err(e) if ca_as_end_entity(&e) && self.pinned.iter().any(|p| p == end_entity) => {
                // webpki checks the dates before the CA flag: they hold.
                let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
                rustls::client::verify_server_name(&parsed, server_name)?;
                Ok(ServerCertVerified::assertion())
            }
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// Whether webpki refused a certificate for being a CA's.
fn ca_as_end_entity(e: &rustls::Error) -> bool {
    match e {
        rustls::Error::InvalidCertificate(rustls::CertificateError::Other(o)) => matches!(
            o.0.downcast_ref::<webpki::Error>(),
            Some(webpki::Error::CaUsedAsEndEntity)
        ),
        _ => false,
    }
}

/// Starts TLS on a connected socket for `host`.
pub(crate) fn tls(sock: TcpStream, host: &str, config: Arc<ClientConfig>) -> Result<Wire, String> {
    let name = ServerName::try_from(host.to_string())
        .map_err(|e| format!("TLS: {host:?} is not a server name: {e}"))?;
    let conn = ClientConnection::new(config, name).map_err(|e| format!("TLS: {e}"))?;
    Ok(Wire::over(Way::Tls {
        sock,
        conn: Box::new(Connection::Client(conn)),
    }))
}

/// Starts TLS as the server on an accepted socket.
pub(crate) fn accept_tls(sock: TcpStream, config: Arc<ServerConfig>) -> Result<Wire, String> {
    accept_tls_with(sock, config, &[])
}

/// Starts TLS as the server on an accepted socket from which `early`
/// bytes were already read (the start of the client's hello, sent before
/// a forward proxy's answer to CONNECT).
pub(crate) fn accept_tls_with(
    sock: TcpStream,
    config: Arc<ServerConfig>,
    early: &[u8],
) -> Result<Wire, String> {
    let mut conn = ServerConnection::new(config).map_err(|e| format!("TLS: {e}"))?;
    let mut rest = early;
    while !rest.is_empty() {
        conn.read_tls(&mut rest).map_err(|e| format!("TLS: {e}"))?;
        conn.process_new_packets()
            .map_err(|e| TlsError(e).to_string())?;
    }
    let mut wire = Wire::over(Way::Tls {
        sock,
        conn: Box::new(Connection::Server(conn)),
    });
    // The answer to a hello that came early goes now: the client waits.
    wire.flush_tls()
        .map_err(|e| format!("TLS: cannot answer the client: {e}"))?;
    Ok(wire)
}

/// Accepts any certificate (`--insecure`).
#[derive(Debug)]
struct NoCheck(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoCheck {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Connects to the URL's host, trying each of its addresses in turn.
pub(crate) fn dial(url: &WsUrl, timeout: Duration) -> Result<TcpStream, String> {
    let host = crate::print::escape::escape_str(&url.host);
    let addrs: Vec<_> = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    let mut last = None;
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, timeout) {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = Some((addr, e)),
        }
    }
    Err(match last {
        Some((addr, e)) if e.kind() == io::ErrorKind::TimedOut => format!(
            "cannot connect to {host} ({addr}): no answer within {:.1} s (--connect-timeout)",
            timeout.as_secs_f64()
        ),
        Some((addr, e)) => format!("cannot connect to {host} ({addr}): {e}"),
        None => format!("cannot resolve {host}: no address"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_names_become_words() {
        assert_eq!(words("NotValidForName"), "not valid for name");
        assert_eq!(words("BadRecordMac"), "bad record mac");
        assert_eq!(words("Other(OtherError(x))"), "other");
    }

    #[test]
    fn tls_errors_are_sentences_without_enum_names() {
        use rustls::AlertDescription as A;
        for (e, want) in [
            (
                rustls::Error::AlertReceived(A::UnknownCA),
                "does not trust the certificate",
            ),
            (
                rustls::Error::AlertReceived(A::ProtocolVersion),
                "no TLS version in common",
            ),
            (
                rustls::Error::AlertReceived(A::DecryptError),
                "the alert \"decrypt error\"",
            ),
            (
                rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
                "unknown issuer",
            ),
        ] {
            let said = TlsError(e).to_string();
            assert!(said.starts_with("TLS: ") && said.contains(want), "{said}");
            for raw in [
                "UnknownCA",
                "ProtocolVersion",
                "DecryptError",
                "UnknownIssuer",
                "AlertReceived",
            ] {
                assert!(!said.contains(raw), "{said}");
            }
        }
    }
}
