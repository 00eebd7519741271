//! bare-echo: the least a thread-per-connection WebSocket echo server can do,
//! the ceiling for that design in benches/echo.sh.
//!
//! One blocking OS thread per connection with a 64 KiB stack. It reads the
//! HTTP head, answers 101 with the Sec-WebSocket-Accept of the key, then for
//! every frame: reads the header, unmasks the payload in place and writes the
//! frame back unmasked with the same first byte (FIN and opcode) in one
//! write. No checks at all: no validation of the request, of opcodes, RSV
//! bits, UTF-8, lengths or close codes; a close frame is echoed like any
//! other, and the thread ends when the peer closes the TCP connection.
//!
//! Usage: bare-echo [ADDR] [--tls CERT KEY]
//!   (default 127.0.0.1:9001; port 0 picks one; --tls: wss:// with this
//!   PEM certificate chain and key, through rustls)
//! Prints "listening on ADDR" on stderr.

use std::io::{self, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use wsdbg_bench_echo::{accept_key, apply_mask, head_end, header};

const STACK: usize = 64 * 1024;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let addr = args
        .first()
        .filter(|a| !a.starts_with("--"))
        .cloned()
        .unwrap_or_else(|| "127.0.0.1:9001".into());
    let tls = match args.iter().position(|a| a == "--tls") {
        Some(i) => match (args.get(i + 1), args.get(i + 2)) {
            (Some(cert), Some(key)) => match tls_config(cert, key) {
                Ok(c) => Some(c),
                Err(e) => {
                    eprintln!("bare-echo: --tls: {e}");
                    std::process::exit(2);
                }
            },
            _ => {
                eprintln!("bare-echo: --tls needs CERT and KEY");
                std::process::exit(2);
            }
        },
        None => None,
    };
    let listener = match TcpListener::bind(&addr) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("bare-echo: cannot listen on {addr}: {e}");
            std::process::exit(2);
        }
    };
    eprintln!("bare-echo: listening on {}", listener.local_addr().unwrap());
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                let tls = tls.clone();
                let spawned = thread::Builder::new().stack_size(STACK).spawn(move || {
                    let _ = stream.set_nodelay(true);
                    let _ = match tls {
                        Some(config) => match rustls::ServerConnection::new(config) {
                            Ok(conn) => serve(rustls::StreamOwned::new(conn, stream)),
                            Err(_) => Ok(()),
                        },
                        None => serve(stream),
                    };
                });
                if let Err(e) = spawned {
                    eprintln!("bare-echo: cannot start a thread: {e}");
                }
            }
            Err(e) => {
                // Out of file descriptors and the like: say so, back off.
                eprintln!("bare-echo: accept: {e}");
                thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// The TLS settings of `--tls CERT KEY`.
fn tls_config(cert: &str, key: &str) -> Result<Arc<rustls::ServerConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("{cert}: {e}"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{cert}: {e}"))?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{key}: {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| e.to_string())?;
    Ok(Arc::new(config))
}

/// Bytes read and not yet used are `buf[start..end]`.
struct In<S> {
    s: S,
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl<S: Read + Write> In<S> {
    /// Makes at least `n` unused bytes available; false on end of stream.
    fn fill(&mut self, n: usize) -> io::Result<bool> {
        if self.start + n > self.buf.len() {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            if n > self.buf.len() {
                self.buf.resize(n, 0);
            }
        }
        while self.end - self.start < n {
            let got = self.s.read(&mut self.buf[self.end..])?;
            if got == 0 {
                return Ok(false);
            }
            self.end += got;
        }
        Ok(true)
    }
}

fn serve<S: Read + Write>(s: S) -> io::Result<()> {
    let mut r = In {
        s,
        buf: vec![0; 4096],
        start: 0,
        end: 0,
    };

    // Handshake: read the head, answer with the accept key of its key.
    let head_len = loop {
        if let Some(n) = head_end(&r.buf[..r.end]) {
            break n;
        }
        let have = r.end;
        if have == r.buf.len() || !r.fill(have + 1)? {
            return Ok(());
        }
    };
    let key = header(&r.buf[..head_len], "Sec-WebSocket-Key").unwrap_or_default();
    let answer = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n\r\n",
        accept_key(key)
    );
    r.s.write_all(answer.as_bytes())?;
    r.start = head_len;

    // Frames: header, unmask, echo.
    loop {
        if !r.fill(2)? {
            return Ok(());
        }
        let b0 = r.buf[r.start];
        let b1 = r.buf[r.start + 1];
        let masked = b1 & 0x80 != 0;
        let ext = match b1 & 0x7f {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        let hlen = 2 + ext + if masked { 4 } else { 0 };
        if !r.fill(hlen)? {
            return Ok(());
        }
        let h = &r.buf[r.start..r.start + hlen];
        let len = match ext {
            2 => u16::from_be_bytes([h[2], h[3]]) as usize,
            8 => u64::from_be_bytes(h[2..10].try_into().unwrap()) as usize,
            _ => (b1 & 0x7f) as usize,
        };
        if !r.fill(hlen + len)? {
            return Ok(());
        }
        let p = r.start + hlen;
        if masked {
            let key: [u8; 4] = r.buf[p - 4..p].try_into().unwrap();
            apply_mask(&mut r.buf[p..p + len], key);
        }
        // The answer's header is the request's without the mask key: write
        // it just before the payload, over the key, and send both at once.
        let out = p - (2 + ext);
        // (The length first: its source overlaps the first two bytes' new place.)
        r.buf.copy_within(r.start + 2..r.start + 2 + ext, out + 2);
        r.buf[out] = b0;
        r.buf[out + 1] = b1 & 0x7f;
        r.s.write_all(&r.buf[out..p + len])?;
        r.start = p + len;
        if r.start == r.end {
            r.start = 0;
            r.end = 0;
        }
    }
}
