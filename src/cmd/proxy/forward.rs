//! `proxy --forward`: an HTTP/1.1 proxy for any host. A `CONNECT
//! host:port` is answered after the host is reached; what the client then
//! speaks inside is looked at: TLS is ended here with a certificate for
//! the host signed by wsdbg's local CA (the upstream is reached with TLS
//! checked as `connect` checks it), plain HTTP is taken as it is. An
//! absolute-form request (`GET http://host/path`) goes to its host.
//!
//! On each such connection, requests are taken one after the other: a
//! WebSocket upgrade is passed upstream and traced as the proxy traces
//! every client, then handed to the relay; any other request and its
//! answer pass through untouched (only an absolute-form target becomes
//! origin-form), one line each, the connection kept alive as the two ends
//! ask. A CONNECT to a host outside `--intercept` is tunnelled blind.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::ServerConfig;

use super::{
    handshake, read_head, read_until, relay, send_all, tls_or_io, Asked, Leg, Shared, CHUNK,
    MAX_HEAD,
};
use crate::cmd::ca::{self, Ca};
use crate::cmd::event::wait_for;
use crate::cmd::wire::{self, Wire};
use crate::print::escape::escape_str;
use crate::print::Relayed;
use crate::protocol::http::{
    self, request_framing, response_framing, Body, Framing, Request, Response,
};
use crate::protocol::stream::Head;
use crate::protocol::url::WsUrl;
use crate::protocol::Role;

/// How long a kept-alive connection waits for its next request, and a
/// body for its next bytes.
const IDLE: Duration = Duration::from_secs(60);

/// How long an upstream may take to answer a request (long polls wait).
const ANSWER: Duration = Duration::from_secs(300);

/// What a forward proxy keeps: the CA, the TLS settings made for each host,
/// the hosts it decrypts.
pub(super) struct Forward {
    ca: Ca,
    /// TLS settings by host, made on first use.
    configs: Mutex<HashMap<String, Arc<ServerConfig>>>,
    /// `--intercept` patterns, lower case (empty: every host).
    intercept: Vec<String>,
}

impl Forward {
    /// Opens (or makes) the CA, saying so on stderr, and takes the
    /// `--intercept` patterns.
    pub(super) fn new(patterns: &[String]) -> Result<Self, String> {
        for p in patterns {
            if p.is_empty() || p.contains(|c: char| c.is_whitespace() || "/:@".contains(c)) {
                return Err(format!(
                    "--intercept \"{}\": expected a host name pattern such as *.example.com",
                    escape_str(p)
                ));
            }
        }
        let ca = Ca::open(&ca::dir()?, false)?;
        if ca.made {
            eprintln!(
                "wsdbg proxy: made wsdbg's local CA in {} (first use); `wsdbg ca` says how to trust it",
                ca.dir.display()
            );
        }
        eprintln!(
            "wsdbg proxy: TLS inside CONNECT is ended with certificates signed by the local CA {}",
            ca.cert_path().display()
        );
        Ok(Self {
            ca,
            configs: Mutex::new(HashMap::new()),
            intercept: patterns.iter().map(|p| p.to_ascii_lowercase()).collect(),
        })
    }

    /// Which hosts are decrypted, in words.
    pub(super) fn scope(&self) -> String {
        if self.intercept.is_empty() {
            "decrypting every host".into()
        } else {
            format!(
                "decrypting {} (other hosts are tunnelled blind)",
                self.intercept.join(", ")
            )
        }
    }

    /// Whether a CONNECT to `host` is decrypted.
    fn intercepts(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        self.intercept.is_empty() || self.intercept.iter().any(|p| glob(p, &host))
    }

    /// The TLS settings for clients that asked for `host`.
    fn config_for(&self, host: &str) -> Result<Arc<ServerConfig>, String> {
        let key = host.to_ascii_lowercase();
        if let Some(c) = self.configs.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(c);
        }
        let leaf = self.ca.leaf(std::slice::from_ref(&key))?;
        let config = ca::tls_config(
            leaf.chain.clone(),
            rustls::pki_types::PrivateKeyDer::Pkcs8(leaf.key.clone_key()),
        )?;
        if let Ok(mut m) = self.configs.lock() {
            m.insert(key, config.clone());
        }
        Ok(config)
    }
}

/// Whether `text` matches `pattern`, where `*` stands for any run of
/// characters.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == text;
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    for m in middle {
        match rest.find(m) {
            Some(i) => rest = &rest[i + m.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Serves one client of the forward proxy, on its own thread.
pub(super) fn client(shared: &Shared, id: u64, stream: TcpStream, peer: SocketAddr) {
    let Some(fwd) = &shared.forward else {
        return;
    };
    let _ = stream.set_nodelay(true);
    let _ = stream.set_nonblocking(true);
    let started = Instant::now();
    let mut leg = Leg {
        shared,
        id,
        peer: peer.to_string(),
        render: Vec::new(),
    };
    let mut client = Wire::plain(stream);
    let until = Instant::now() + IDLE;
    let first = read_head(
        Vec::new(),
        &mut |b| read_until(&mut client, b, until),
        |b| http::parse_request(b, MAX_HEAD),
    );
    let (request, raw, carry) = match first {
        Ok(x) => x,
        Err(f) if f.nothing => return,
        Err(f) => return leg.refuse(&mut client, f.status, &f.why),
    };
    let x = Exchange {
        leg,
        fwd,
        client,
        up: None,
        tunnel: None,
        carry,
        started,
        tls_shown: false,
    };
    if request.method == "CONNECT" {
        x.connect(&request);
    } else {
        x.run(Some((request, raw)));
    }
}

/// The upstream of a client's connection.
struct Upstream {
    wire: Wire,
    /// Where it is (`secure`: over TLS), to connect again.
    url: WsUrl,
    /// Its address.
    addr: String,
    /// The `host:port` it is for.
    name: String,
    /// What it sent beyond the answer being passed on.
    carry: Vec<u8>,
    /// It answered a request already (a kept-alive connection that the
    /// server may close at any time).
    served: bool,
}

impl Upstream {
    /// Connects again, after the server closed a kept-alive connection.
    fn reconnect(&mut self, shared: &Shared) -> Result<(), String> {
        let s = wire::dial(&self.url, shared.connect_timeout)?;
        let _ = s.set_nonblocking(true);
        self.addr = s
            .peer_addr()
            .map_or_else(|_| self.name.clone(), |a| a.to_string());
        self.wire = match &shared.tls {
            Some(config) if self.url.secure => wire::tls(s, &self.url.host, config.clone())?,
            _ => Wire::plain(s),
        };
        self.carry.clear();
        self.served = false;
        Ok(())
    }
}

/// One client connection of the forward proxy and where its requests go.
struct Exchange<'a> {
    leg: Leg<'a>,
    fwd: &'a Forward,
    client: Wire,
    up: Option<Upstream>,
    /// Inside a CONNECT to this `host:port`: every request goes there.
    tunnel: Option<String>,
    /// What the client sent beyond the request being handled.
    carry: Vec<u8>,
    started: Instant,
    /// The client's TLS line was shown.
    tls_shown: bool,
}

impl Exchange<'_> {
    /// A CONNECT: reaches the host, answers 200, then tunnels blind, or
    /// ends the client's TLS (or takes plain HTTP) and serves the requests
    /// inside.
    fn connect(mut self, request: &Request) {
        let shared = self.leg.shared;
        let Some((host, port)) = http::authority(&request.target) else {
            let why = format!(
                "CONNECT \"{}\": expected host:port",
                escape_str(&request.target)
            );
            return self.leg.refuse(&mut self.client, 400, &why);
        };
        let name = http::name_of(&host, port);
        let mut url = WsUrl {
            secure: false,
            host: host.clone(),
            port,
            explicit_port: true,
            resource: "/".into(),
        };
        let stream = match wire::dial(&url, shared.connect_timeout) {
            Ok(s) => s,
            Err(why) => return self.leg.refuse(&mut self.client, 502, &why),
        };
        let _ = stream.set_nonblocking(true);
        let addr = stream
            .peer_addr()
            .map_or_else(|_| name.clone(), |a| a.to_string());
        let until = Instant::now() + shared.connect_timeout;
        let answer = b"HTTP/1.1 200 Connection established\r\n\r\n";
        if send_all(&mut self.client, answer, Some(until)).is_err() {
            return;
        }
        let Some(sock) = self.client.into_plain() else {
            return;
        };
        if !self.fwd.intercepts(&host) {
            if !shared.view.quiet {
                let peer = self.leg.peer.clone();
                self.leg.say(&Relayed::Tunnel {
                    peer: &peer,
                    host: &name,
                });
            }
            let mut up = Wire::plain(stream);
            if !self.carry.is_empty() && send_all(&mut up, &self.carry, None).is_err() {
                return;
            }
            return shared.relay.hand(relay::Handed {
                id: self.leg.id,
                peer: self.leg.peer,
                started: self.started,
                client: Wire::plain(sock),
                up,
                deflate: None,
                rest: Vec::new(),
                early: std::mem::take(&mut self.carry),
                blind: Some(name),
                compression: [None; 2],
                label: String::new(),
                protocol: None,
            });
        }
        // A TLS record starts with its type: 22, a handshake.
        let first = match self.carry.first() {
            Some(b) => Some(*b),
            None => peek(&sock, Instant::now() + IDLE),
        };
        let (client, up) = match first {
            None => return,
            Some(0x16) => {
                url.secure = true;
                let config = match self.fwd.config_for(&host) {
                    Ok(c) => c,
                    Err(why) => {
                        eprintln!("wsdbg: error: proxy: client #{}: {why}", self.leg.id);
                        return;
                    }
                };
                let early = std::mem::take(&mut self.carry);
                let client = match wire::accept_tls_with(sock, config, &early) {
                    Ok(c) => c,
                    Err(why) => {
                        let peer = self.leg.peer.clone();
                        return self.leg.say(&Relayed::ClientTlsFailed {
                            peer: &peer,
                            why: &why,
                        });
                    }
                };
                let Some(config) = shared.tls.clone() else {
                    return;
                };
                match wire::tls(stream, &host, config) {
                    Ok(up) => (client, up),
                    Err(why) => {
                        let mut client = client;
                        return self.leg.refuse(&mut client, 502, &why);
                    }
                }
            }
            Some(_) => (Wire::plain(sock), Wire::plain(stream)),
        };
        self.client = client;
        self.up = Some(Upstream {
            wire: up,
            url,
            addr,
            name: name.clone(),
            carry: Vec::new(),
            served: false,
        });
        self.tunnel = Some(name);
        self.run(None);
    }

    /// Serves requests until the connection ends, one is upgraded, or one
    /// cannot be passed.
    fn run(mut self, mut first: Option<(Request, Vec<u8>)>) {
        loop {
            let next = match first.take() {
                Some(x) => Some(x),
                None => self.next_request(),
            };
            let Some((request, raw)) = next else {
                break;
            };
            let Some(target) = self.place(&request) else {
                return;
            };
            if http::asks_websocket(&request) {
                return self.upgrade(request, raw, target);
            }
            if !self.pass(&request, &raw, &target) {
                break;
            }
        }
        self.client.shutdown_write();
        if let Some(up) = &mut self.up {
            up.wire.shutdown_write();
        }
    }

    /// Reads the client's next request; None when the connection ended (or
    /// was answered an error).
    fn next_request(&mut self) -> Option<(Request, Vec<u8>)> {
        let until = Instant::now() + IDLE;
        let client = &mut self.client;
        let got = read_head(
            std::mem::take(&mut self.carry),
            &mut |b| read_until(client, b, until),
            |b| http::parse_request(b, MAX_HEAD),
        );
        if !self.tls_shown {
            if let Some(a) = self.client.agreed() {
                self.tls_shown = true;
                self.leg.tls(&a);
            }
        }
        match got {
            Ok((request, raw, rest)) => {
                self.carry = rest;
                Some((request, raw))
            }
            Err(f) if !self.client.is_plain() && self.client.agreed().is_none() => {
                self.leg.tls_failed(&self.client, &f.why);
                None
            }
            Err(f) if f.nothing => None,
            Err(f) => {
                self.leg.refuse(&mut self.client, f.status, &f.why);
                None
            }
        }
    }

    /// Where `request` goes: its origin-form target, with the upstream
    /// connected for it (None: refused, already answered).
    fn place(&mut self, request: &Request) -> Option<String> {
        let absolute = {
            let t = request.target.to_ascii_lowercase();
            t.starts_with("http://") || t.starts_with("ws://")
        };
        if self.tunnel.is_some() {
            if !absolute {
                return Some(request.target.clone());
            }
        } else if !absolute {
            let why = if request.target.to_ascii_lowercase().starts_with("https://") {
                "an https:// URL goes through CONNECT (this is an HTTP proxy)".to_string()
            } else {
                format!(
                    "\"{}\": a forward proxy takes an absolute URL (GET http://host/path) or CONNECT host:port",
                    escape_str(&request.target)
                )
            };
            self.leg.refuse(&mut self.client, 400, &why);
            return None;
        }
        let as_ws = match request.target.split_once("://") {
            Some((_, rest)) => format!("ws://{rest}"),
            None => request.target.clone(),
        };
        let url = match WsUrl::parse(&as_ws) {
            Ok(u) => u,
            Err(e) => {
                let why = format!("\"{}\": {e}", escape_str(&request.target));
                self.leg.refuse(&mut self.client, 400, &why);
                return None;
            }
        };
        if self.tunnel.is_some() {
            return Some(url.resource);
        }
        let name = http::name_of(&url.host, url.port);
        if self.up.as_ref().is_some_and(|u| u.name == name) {
            return Some(url.resource);
        }
        if let Some(mut old) = self.up.take() {
            old.wire.shutdown_write();
        }
        let shared = self.leg.shared;
        match wire::dial(&url, shared.connect_timeout) {
            Ok(s) => {
                let _ = s.set_nonblocking(true);
                let resource = url.resource.clone();
                self.up = Some(Upstream {
                    addr: s
                        .peer_addr()
                        .map_or_else(|_| name.clone(), |a| a.to_string()),
                    wire: Wire::plain(s),
                    url,
                    name,
                    carry: Vec::new(),
                    served: false,
                });
                Some(resource)
            }
            Err(why) => {
                self.leg.refuse(&mut self.client, 502, &why);
                None
            }
        }
    }

    /// Passes an upgrade upstream and, once accepted, hands the pair to the
    /// relay.
    fn upgrade(mut self, mut request: Request, raw: Vec<u8>, target: String) {
        let Some(mut up) = self.up.take() else {
            return;
        };
        if let Some(r) = &self.leg.shared.record {
            // Both legs from the upgrade request on: the client's as it
            // sent it (this request, and what followed it already).
            let mut sent = raw.clone();
            sent.extend_from_slice(&self.carry);
            self.client.record_from(r, Role::Server, &sent);
            up.wire.record(r, Role::Client);
        }
        let raw = if request.target == target {
            raw
        } else {
            http::with_target(&raw, &request, &target)
        };
        request.target = target.clone();
        self.leg.request(&request, raw);
        let host = request
            .header("Host")
            .map_or_else(|| up.name.clone(), |h| h.value_lossy().into_owned());
        let asked = Asked {
            request,
            early: std::mem::take(&mut self.carry),
            target,
            host,
        };
        let Some(done) = handshake(
            &mut self.leg,
            &mut self.client,
            asked,
            up.wire,
            &up.addr,
            Some(&up.name),
        ) else {
            return;
        };
        if !done.rest.is_empty() && send_all(&mut self.client, &done.rest, None).is_err() {
            return;
        }
        let shared = self.leg.shared;
        shared.relay.hand(relay::Handed {
            id: self.leg.id,
            peer: self.leg.peer,
            started: self.started,
            client: self.client,
            up: done.wire,
            deflate: done.deflate,
            rest: done.rest,
            early: done.early,
            blind: None,
            compression: done.compression,
            label: done.label,
            protocol: done.protocol,
        });
    }

    /// Passes a request that asks for no upgrade, and its answer, through
    /// untouched; whether the connection goes on.
    fn pass(&mut self, request: &Request, raw: &[u8], target: &str) -> bool {
        let shared = self.leg.shared;
        let framing = match request_framing(request) {
            Ok(f) => f,
            Err(e) => {
                self.leg.refuse(&mut self.client, 400, &e.0);
                return false;
            }
        };
        let raw = if request.target == target {
            raw.to_vec()
        } else {
            http::with_target(raw, request, target)
        };
        let Some(up) = &mut self.up else {
            return false;
        };
        let name = up.name.clone();
        self.leg.http(Role::Client, || Head::Request {
            offset: 0,
            raw: raw.clone(),
            request: request.clone(),
            issues: Vec::new(),
        });
        let until = Instant::now() + shared.connect_timeout;
        let mut sent = send_all(&mut up.wire, &raw, Some(until))
            .map_err(|e| format!("cannot send the request to {}: {}", up.addr, tls_or_io(&e)));
        if sent.is_err() && up.served {
            // The server closed the kept-alive connection: a new one.
            sent = up.reconnect(shared).and_then(|()| {
                send_all(&mut up.wire, &raw, Some(until)).map_err(|e| {
                    format!("cannot send the request to {}: {}", up.addr, tls_or_io(&e))
                })
            });
        }
        if let Err(why) = sent {
            self.leg.refuse(&mut self.client, 502, &why);
            return false;
        }
        let mut expect = framing != Framing::Empty
            && request
                .header("Expect")
                .is_some_and(|h| h.value.eq_ignore_ascii_case(b"100-continue"));
        let said = |leg: &mut Leg, status| {
            if !leg.shared.view.quiet {
                leg.say(&Relayed::Http {
                    method: &request.method,
                    host: &name,
                    target,
                    status,
                });
            }
        };
        if !expect {
            if let Err(why) = pass_body(&mut self.client, &mut up.wire, &mut self.carry, framing) {
                said(&mut self.leg, None);
                eprintln!("wsdbg: error: proxy: client #{}: {why}", self.leg.id);
                return false;
            }
        }
        let mut keep = true;
        loop {
            let until = Instant::now() + ANSWER;
            let wire = &mut up.wire;
            let answer = read_head(
                std::mem::take(&mut up.carry),
                &mut |b| read_until(wire, b, until),
                |b| http::parse_response(b, MAX_HEAD),
            );
            let (response, head, rest): (Response, Vec<u8>, Vec<u8>) = match answer {
                Ok(x) => x,
                // The server closed the kept-alive connection before this
                // request reached it (as clients do, the request is sent
                // again on a new one, when it has no body to lose).
                Err(f) if f.nothing && up.served && framing == Framing::Empty => {
                    let again = up.reconnect(shared).and_then(|()| {
                        let until = Instant::now() + shared.connect_timeout;
                        send_all(&mut up.wire, &raw, Some(until)).map_err(|e| {
                            format!("cannot send the request to {}: {}", up.addr, tls_or_io(&e))
                        })
                    });
                    if let Err(why) = again {
                        self.leg.refuse(&mut self.client, 502, &why);
                        said(&mut self.leg, None);
                        return false;
                    }
                    continue;
                }
                Err(f) => {
                    let why = format!("the upstream {} gave no answer: {}", up.addr, f.why);
                    self.leg.refuse(&mut self.client, 502, &why);
                    said(&mut self.leg, None);
                    return false;
                }
            };
            up.carry = rest;
            if send_all(&mut self.client, &head, None).is_err() {
                return false;
            }
            let status = response.status;
            self.leg.http(Role::Server, || Head::Response {
                offset: 0,
                raw: head.clone(),
                response: response.clone(),
                issues: Vec::new(),
            });
            if (100..200).contains(&status) && status != 101 {
                if status == 100 && expect {
                    expect = false;
                    let passed =
                        pass_body(&mut self.client, &mut up.wire, &mut self.carry, framing);
                    if let Err(why) = passed {
                        eprintln!("wsdbg: error: proxy: client #{}: {why}", self.leg.id);
                        return false;
                    }
                }
                continue;
            }
            // A final answer before the body was asked for: the client may
            // or may not send it now, so this connection ends here.
            keep &= !expect;
            let framing = match response_framing(&request.method, &response) {
                _ if status == 101 => Framing::UntilClose,
                Ok(f) => f,
                Err(_) => Framing::UntilClose,
            };
            let passed = pass_body(&mut up.wire, &mut self.client, &mut up.carry, framing);
            said(&mut self.leg, Some(status));
            if let Err(why) = passed {
                eprintln!("wsdbg: error: proxy: client #{}: {why}", self.leg.id);
                return false;
            }
            up.served = true;
            keep &= framing != Framing::UntilClose
                && !http::closes(&request.version, &request.tokens("Connection"))
                && !http::closes(&response.version, &response.tokens("Connection"));
            return keep;
        }
    }
}

/// Waits for the first byte the client sends, without taking it.
fn peek(sock: &TcpStream, until: Instant) -> Option<u8> {
    let mut b = [0u8; 1];
    loop {
        match sock.peek(&mut b) {
            Ok(1) => return Some(b[0]),
            Ok(_) => return None,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if !wait_for(std::os::fd::AsRawFd::as_raw_fd(sock), false, until) {
                    return None;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
}

/// Passes one body from `from` to `to` as it comes: first what `carry`
/// holds, then reads; what follows the body is left in `carry`.
fn pass_body(
    from: &mut Wire,
    to: &mut Wire,
    carry: &mut Vec<u8>,
    framing: Framing,
) -> Result<(), String> {
    let mut body = Body::new(framing);
    let mut pending = std::mem::take(carry);
    let mut buf = vec![0u8; CHUNK];
    loop {
        if !pending.is_empty() {
            let n = body
                .feed(&pending)
                .map_err(|e| format!("a body cannot be followed: {}", e.0))?;
            send_all(to, &pending[..n], Some(Instant::now() + IDLE))
                .map_err(|e| format!("cannot pass a body on: {}", tls_or_io(&e)))?;
            if n < pending.len() {
                *carry = pending.split_off(n);
                return Ok(());
            }
            pending.clear();
        }
        if body.done() {
            return Ok(());
        }
        match read_until(from, &mut buf, Instant::now() + IDLE) {
            Ok(0) if framing == Framing::UntilClose => return Ok(()),
            Ok(0) => return Err("the connection ended inside a body".into()),
            Ok(n) => pending.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("a body stopped coming: {}", tls_or_io(&e))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_patterns_match_as_globs() {
        assert!(glob("example.com", "example.com"));
        assert!(!glob("example.com", "www.example.com"));
        assert!(glob("*.example.com", "www.example.com"));
        assert!(!glob("*.example.com", "example.com"));
        assert!(glob("*", "anything"));
        assert!(glob("api.*.test", "api.eu.test"));
        assert!(!glob("a*a", "a"));
        assert!(glob("a*a", "aa"));
    }
}
