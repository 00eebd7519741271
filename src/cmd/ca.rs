//! wsdbg's own certificate authority: made on first use, kept in the
//! user's data directory (`$XDG_DATA_HOME/wsdbg/`, the key readable by the
//! user alone), and used to sign the certificates that `serve --tls` and
//! `proxy --tls` present when no `--cert` is given. `wsdbg ca` shows it and
//! how to trust it.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Write};
use std::net::IpAddr;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PublicKeyData, SanType,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;
use sha2::Digest;

use super::{Failure, Outcome};
use crate::cli::{CaArgs, ListenTls};

/// The CA's certificate, in the data directory.
const CERT_FILE: &str = "ca.pem";
/// Its private key (mode 0600).
const KEY_FILE: &str = "ca-key.pem";
/// The CA's name, the same every time: certificates it signs name it as
/// their issuer, so a CA read back from its files signs as the one made.
const CA_NAME: &str = "wsdbg local CA";

/// The CA, read or made, with the certificates it signed this run.
pub(crate) struct Ca {
    /// Where its files are.
    pub dir: PathBuf,
    /// Its certificate, PEM.
    pub cert_pem: String,
    cert_der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
    /// Whether this run made it.
    pub made: bool,
    /// Leaf certificates by the names they are for.
    leaves: Mutex<HashMap<Vec<String>, Arc<Leaf>>>,
}

/// A certificate signed by the CA, its chain and its key.
pub(crate) struct Leaf {
    /// The leaf, then the CA.
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's key (PKCS#8).
    pub key: PrivatePkcs8KeyDer<'static>,
}

/// The directory the CA lives in: `$XDG_DATA_HOME/wsdbg`, or
/// `$HOME/.local/share/wsdbg`.
pub(crate) fn dir() -> Result<PathBuf, String> {
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d).join("wsdbg"));
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(h) => Ok(PathBuf::from(h).join(".local/share/wsdbg")),
        None => Err("neither XDG_DATA_HOME nor HOME is set: no place for wsdbg's CA".into()),
    }
}

/// The CA's own parameters (also those it signs as).
fn ca_params() -> CertificateParams {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, CA_NAME);
    dn.push(DnType::OrganizationName, "wsdbg");
    p.distinguished_name = dn;
    // It signs leaves only, never another CA.
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p
}

impl Ca {
    /// Reads the CA from `dir`, or makes it there when it is not there
    /// (or `regenerate`: a new key and certificate replace the old ones).
    pub(crate) fn open(dir: &Path, regenerate: bool) -> Result<Self, String> {
        let cert_path = dir.join(CERT_FILE);
        let key_path = dir.join(KEY_FILE);
        let shown = |p: &Path| crate::print::escape::escape_str(&p.display().to_string());
        if !regenerate && key_path.exists() && cert_path.exists() {
            let meta = fs::metadata(&key_path).map_err(|e| format!("{}: {e}", shown(&key_path)))?;
            if meta.permissions().mode() & 0o077 != 0 {
                return Err(format!(
                    "{}: the CA's key is readable by others (mode {:o}); `chmod 600` it, or `wsdbg ca --regenerate`",
                    shown(&key_path),
                    meta.permissions().mode() & 0o777
                ));
            }
            let key_pem =
                fs::read_to_string(&key_path).map_err(|e| format!("{}: {e}", shown(&key_path)))?;
            let key = KeyPair::from_pem(&key_pem).map_err(|e| {
                format!("{}: not a private key wsdbg can use: {e}", shown(&key_path))
            })?;
            let cert_pem = fs::read_to_string(&cert_path)
                .map_err(|e| format!("{}: {e}", shown(&cert_path)))?;
            let cert_der = CertificateDer::from_pem_slice(cert_pem.as_bytes())
                .map_err(|e| format!("{}: not a PEM certificate: {e}", shown(&cert_path)))?;
            return Ok(Self::with(dir, cert_pem, cert_der, key, false));
        }
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| format!("cannot make {}: {e}", shown(dir)))?;
        let key = KeyPair::generate().map_err(|e| format!("cannot make a key: {e}"))?;
        let mut params = ca_params();
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(3650);
        let cert = params
            .self_signed(&key)
            .map_err(|e| format!("cannot make the CA's certificate: {e}"))?;
        write_new(&key_path, key.serialize_pem().as_bytes(), 0o600)
            .map_err(|e| format!("cannot write {}: {e}", shown(&key_path)))?;
        write_new(&cert_path, cert.pem().as_bytes(), 0o644)
            .map_err(|e| format!("cannot write {}: {e}", shown(&cert_path)))?;
        Ok(Self::with(dir, cert.pem(), cert.der().clone(), key, true))
    }

    fn with(
        dir: &Path,
        cert_pem: String,
        cert_der: CertificateDer<'static>,
        key: KeyPair,
        made: bool,
    ) -> Self {
        Self {
            dir: dir.to_path_buf(),
            cert_pem,
            cert_der,
            issuer: Issuer::new(ca_params(), key),
            made,
            leaves: Mutex::new(HashMap::new()),
        }
    }

    /// The certificate file's path.
    pub(crate) fn cert_path(&self) -> PathBuf {
        self.dir.join(CERT_FILE)
    }

    /// The key file's path.
    pub(crate) fn key_path(&self) -> PathBuf {
        self.dir.join(KEY_FILE)
    }

    /// The SHA-256 of the CA's SubjectPublicKeyInfo, base64: what
    /// Chromium's `--ignore-certificate-errors-spki-list` takes.
    pub(crate) fn spki_sha256(&self) -> String {
        spki_sha256(&self.issuer.key().subject_public_key_info())
    }

    /// A certificate for `names` (host names and addresses) signed by the
    /// CA, made once a run and name set.
    pub(crate) fn leaf(&self, names: &[String]) -> Result<Arc<Leaf>, String> {
        let mut key_names = names.to_vec();
        key_names.sort();
        key_names.dedup();
        if let Some(l) = self
            .leaves
            .lock()
            .ok()
            .and_then(|m| m.get(&key_names).cloned())
        {
            return Ok(l);
        }
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(
            DnType::CommonName,
            names.first().map_or("localhost", String::as_str),
        );
        params.distinguished_name = dn;
        for n in &key_names {
            params.subject_alt_names.push(match n.parse::<IpAddr>() {
                Ok(ip) => SanType::IpAddress(ip),
                Err(_) => SanType::DnsName(
                    n.clone()
                        .try_into()
                        .map_err(|e| format!("{:?} cannot be a certificate's name: {e}", n))?,
                ),
            });
        }
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.use_authority_key_identifier_extension = true;
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::days(1);
        // Browsers refuse leaves valid for more than 398 days.
        params.not_after = now + time::Duration::days(90);
        let key = KeyPair::generate().map_err(|e| format!("cannot make a key: {e}"))?;
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(|e| format!("cannot sign a certificate for {names:?}: {e}"))?;
        let leaf = Arc::new(Leaf {
            chain: vec![cert.der().clone(), self.cert_der.clone()],
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        });
        if let Ok(mut m) = self.leaves.lock() {
            m.insert(key_names, leaf.clone());
        }
        Ok(leaf)
    }
}

/// Base64 of the SHA-256 of a SubjectPublicKeyInfo (DER).
pub(crate) fn spki_sha256(spki_der: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(spki_der))
}

/// Writes a file that replaces `path` whole, with `mode` from its first
/// byte (a key is never readable by others, not even for a moment).
fn write_new(path: &Path, data: &[u8], mode: u32) -> io::Result<()> {
    let tmp = path.with_extension("new");
    let _ = fs::remove_file(&tmp);
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)?;
    f.write_all(data)?;
    f.sync_all()?;
    fs::rename(&tmp, path)
}

/// The TLS settings of a listener: the certificate and key of `--cert` and
/// `--key` (PEM), or one signed by the CA for `names`. ALPN offers
/// `http/1.1` only: WebSocket upgrades are HTTP/1.1.
pub(crate) fn server_config(
    cert: Option<&Path>,
    key: Option<&Path>,
    names: &[String],
) -> Result<(Arc<ServerConfig>, Option<Ca>), String> {
    let (chain, key, ca) = match (cert, key) {
        (Some(c), Some(k)) => {
            let shown = |p: &Path| crate::print::escape::escape_str(&p.display().to_string());
            let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(c)
                .map_err(|e| format!("--cert {}: {e}", shown(c)))?
                .collect::<Result<_, _>>()
                .map_err(|e| format!("--cert {}: {e}", shown(c)))?;
            if chain.is_empty() {
                return Err(format!("--cert {}: no PEM certificate in it", shown(c)));
            }
            let key = PrivateKeyDer::from_pem_file(k)
                .map_err(|e| format!("--key {}: no PEM private key in it ({e})", shown(k)))?;
            (chain, key, None)
        }
        (None, None) => {
            let ca = Ca::open(&dir()?, false)?;
            let leaf = ca.leaf(names)?;
            let chain = leaf.chain.clone();
            let key = PrivateKeyDer::Pkcs8(leaf.key.clone_key());
            (chain, key, Some(ca))
        }
        (Some(_), None) => return Err("--cert needs --key (the certificate's private key)".into()),
        (None, Some(_)) => return Err("--key needs --cert (the key's certificate)".into()),
    };
    Ok((tls_config(chain, key)?, ca))
}

/// A listener's TLS settings for one certificate chain and its key. ALPN
/// offers `http/1.1` only: WebSocket upgrades are HTTP/1.1 (RFC 8441's
/// HTTP/2 upgrades are not taken), so a browser never picks h2 here.
pub(crate) fn tls_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("TLS: the certificate and key do not go together: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config.key_log = super::wire::key_log();
    Ok(Arc::new(config))
}

/// The TLS settings `--tls` asks for (None without it), saying on stderr
/// which certificate is used and, on first use, where the CA was made.
pub(crate) fn listener(
    args: &ListenTls,
    command: &str,
) -> Result<Option<Arc<ServerConfig>>, String> {
    if !args.tls {
        return Ok(None);
    }
    for n in &args.tls_name {
        if rustls::pki_types::ServerName::try_from(n.as_str()).is_err() {
            return Err(format!(
                "--tls-name \"{}\": not a host name or an IP address",
                crate::print::escape::escape_str(n)
            ));
        }
    }
    let mut names = vec!["localhost".to_string(), "127.0.0.1".into(), "::1".into()];
    names.extend(args.tls_name.iter().cloned());
    let (config, ca) = server_config(args.cert.as_deref(), args.key.as_deref(), &names)?;
    match ca {
        Some(ca) => {
            if ca.made {
                eprintln!(
                    "wsdbg {command}: made wsdbg's local CA in {} (first use); `wsdbg ca` says how to trust it",
                    ca.dir.display()
                );
            }
            eprintln!(
                "wsdbg {command}: TLS with a certificate for {} signed by the local CA {}",
                names.join(", "),
                ca.cert_path().display()
            );
        }
        None => eprintln!("wsdbg {command}: TLS with the certificate of --cert"),
    }
    Ok(Some(config))
}

/// `wsdbg ca`: where the CA is, its certificate, its SPKI hash, and how to
/// trust it.
pub fn run(args: &CaArgs) -> Outcome {
    let dir = dir().map_err(Failure::Input)?;
    let ca = Ca::open(&dir, args.regenerate).map_err(Failure::Input)?;
    let cert = ca.cert_path();
    let mut out = io::stdout().lock();
    if args.path {
        writeln!(out, "{}", cert.display())?;
        return Ok(());
    }
    if args.pem {
        write!(out, "{}", ca.cert_pem)?;
        return Ok(());
    }
    if args.spki {
        writeln!(out, "{}", ca.spki_sha256())?;
        return Ok(());
    }
    let c = cert.display();
    let spki = ca.spki_sha256();
    let status = if args.regenerate {
        "made anew now: certificates signed by the old CA are no longer trusted by anything that trusts this one"
    } else if ca.made {
        "made now (first use)"
    } else {
        "read from its files"
    };
    write!(
        out,
        "wsdbg's local CA ({status})
  certificate   {c}
  key           {} (mode 600: yours alone)
  SPKI SHA-256  {spki}

It signs the certificates `serve --tls` and `proxy --tls` present. Trust it
only on machines you control; README.md, \"The local CA\", says what that
means and how to undo it.

How to trust it:
  Chrome, Chromium  for one run: --ignore-certificate-errors-spki-list={spki}
                    always (Linux): certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n wsdbg -i {c}
                    (remove: certutil -d sql:$HOME/.pki/nssdb -D -n wsdbg)
  Firefox           Settings > Privacy & Security > Certificates > View Certificates >
                    Authorities > Import {c}
  curl              curl --cacert {c} https://...
  Node              NODE_EXTRA_CA_CERTS={c} node app.js
  Python            SSL_CERT_FILE={c} python3 app.py (it then trusts this CA alone)
  wsdbg             wsdbg connect --cacert {c} wss://...
  the system        sudo cp {c} /usr/local/share/ca-certificates/wsdbg.crt && sudo update-ca-certificates
                    (remove: delete that file, then sudo update-ca-certificates --fresh)

{}",
        ca.key_path().display(),
        ca.cert_pem
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::client::danger::ServerCertVerifier;

    #[test]
    fn a_ca_is_made_once_kept_private_and_read_back_the_same() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("wsdbg");
        let made = Ca::open(&dir, false).unwrap();
        assert!(made.made);
        let mode = |f: &str| fs::metadata(dir.join(f)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(KEY_FILE), 0o600);
        assert_eq!(mode(CERT_FILE), 0o644);
        assert_eq!(
            fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let again = Ca::open(&dir, false).unwrap();
        assert!(!again.made);
        assert_eq!(again.cert_pem, made.cert_pem);
        assert_eq!(again.spki_sha256(), made.spki_sha256());
        let new = Ca::open(&dir, true).unwrap();
        assert!(new.made);
        assert_ne!(new.spki_sha256(), made.spki_sha256());
    }

    #[test]
    fn a_key_others_can_read_is_refused_with_what_to_do() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("wsdbg");
        Ca::open(&dir, false).unwrap();
        fs::set_permissions(dir.join(KEY_FILE), fs::Permissions::from_mode(0o644)).unwrap();
        let e = Ca::open(&dir, false).err().unwrap();
        assert!(
            e.contains("readable by others") && e.contains("chmod 600"),
            "{e}"
        );
    }

    #[test]
    fn a_leaf_is_trusted_through_the_ca_for_its_names_only() {
        let tmp = tempfile::tempdir().unwrap();
        let ca = Ca::open(&tmp.path().join("wsdbg"), false).unwrap();
        let names = vec!["localhost".to_string(), "127.0.0.1".into(), "::1".into()];
        let leaf = ca.leaf(&names).unwrap();
        assert!(Arc::ptr_eq(&leaf, &ca.leaf(&names).unwrap()), "made once");
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca.cert_der.clone()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier =
            rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
        let now = rustls::pki_types::UnixTime::now();
        for name in ["localhost", "127.0.0.1", "::1"] {
            let sn = rustls::pki_types::ServerName::try_from(name).unwrap();
            verifier
                .verify_server_cert(&leaf.chain[0], &leaf.chain[1..], &sn, &[], now)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        let other = rustls::pki_types::ServerName::try_from("example.com").unwrap();
        assert!(verifier
            .verify_server_cert(&leaf.chain[0], &leaf.chain[1..], &other, &[], now)
            .is_err());
    }

    #[test]
    fn the_spki_hash_is_that_of_the_certificates_key() {
        // The SPKI inside the certificate, found by its DER: the same bytes
        // the key gives, so the hash is what Chromium computes.
        let tmp = tempfile::tempdir().unwrap();
        let ca = Ca::open(&tmp.path().join("wsdbg"), false).unwrap();
        let spki = ca.issuer.key().subject_public_key_info();
        let der = ca.cert_der.as_ref();
        assert!(
            der.windows(spki.len()).any(|w| w == spki),
            "SPKI not in the certificate"
        );
        assert_eq!(ca.spki_sha256(), spki_sha256(&spki));
        assert_eq!(ca.spki_sha256().len(), 44);
    }
}
