//! Engine.IO v4 packets, and the Socket.IO v5 packets inside their
//! messages, read from a WebSocket text message: the packet types by name,
//! the namespace, the ack id, the event name, and the JSON data as sent.

use super::json;

/// An Engine.IO packet (the first character of a text message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Engine<'a> {
    /// `0`: the handshake, with its JSON (sid, upgrades, pingInterval,
    /// pingTimeout, maxPayload).
    Open(&'a [u8]),
    /// `1`: the transport is closing.
    Close,
    /// `2`: a ping, with its data (`probe` during an upgrade).
    Ping(&'a [u8]),
    /// `3`: a pong, likewise.
    Pong(&'a [u8]),
    /// `4`: a message: a Socket.IO packet.
    Message(Socket<'a>),
    /// `5`: the upgrade is complete.
    Upgrade,
    /// `6`: nothing (closes a polling cycle).
    Noop,
}

impl Engine<'_> {
    /// The packet type's name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Open(_) => "open",
            Self::Close => "close",
            Self::Ping(_) => "ping",
            Self::Pong(_) => "pong",
            Self::Message(_) => "message",
            Self::Upgrade => "upgrade",
            Self::Noop => "noop",
        }
    }
}

/// A Socket.IO packet type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketKind {
    /// `0`: joins a namespace (with auth data).
    Connect,
    /// `1`: leaves it.
    Disconnect,
    /// `2`: an event: `["name", args...]`.
    Event,
    /// `3`: the answer to an event that asked for one.
    Ack,
    /// `4`: joining was refused.
    ConnectError,
    /// `5`: an event whose arguments hold binary attachments, sent as the
    /// binary messages that follow.
    BinaryEvent,
    /// `6`: an ack with binary attachments.
    BinaryAck,
}

impl SocketKind {
    /// Its name, as Socket.IO's protocol document spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Connect => "CONNECT",
            Self::Disconnect => "DISCONNECT",
            Self::Event => "EVENT",
            Self::Ack => "ACK",
            Self::ConnectError => "CONNECT_ERROR",
            Self::BinaryEvent => "BINARY_EVENT",
            Self::BinaryAck => "BINARY_ACK",
        }
    }
}

/// A Socket.IO packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Socket<'a> {
    /// Its type.
    pub kind: SocketKind,
    /// How many binary attachments follow (binary types only).
    pub attachments: Option<u64>,
    /// The namespace (`/` when none is written).
    pub namespace: &'a str,
    /// The ack id, when the sender wants an answer (or this answers one).
    pub ack: Option<u64>,
    /// The JSON data as sent (may be empty).
    pub data: &'a [u8],
    /// An event's name: the first element of its array, when a string.
    pub event: Option<String>,
}

/// Why a text is not an Engine.IO or Socket.IO packet, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketError {
    /// Byte offset in the message.
    pub offset: usize,
    /// What was expected and found.
    pub what: String,
}

/// Reads an Engine.IO packet from a text message.
pub fn engine(text: &[u8]) -> Result<Engine<'_>, PacketError> {
    let Some(&t) = text.first() else {
        return Err(PacketError {
            offset: 0,
            what: "expected an Engine.IO packet type (0-6), found an empty message".into(),
        });
    };
    let rest = &text[1..];
    Ok(match t {
        b'0' => Engine::Open(rest),
        b'1' => Engine::Close,
        b'2' => Engine::Ping(rest),
        b'3' => Engine::Pong(rest),
        b'4' => Engine::Message(socket(rest).map_err(|e| PacketError {
            offset: e.offset + 1,
            ..e
        })?),
        b'5' => Engine::Upgrade,
        b'6' => Engine::Noop,
        other => {
            return Err(PacketError {
                offset: 0,
                what: format!(
                    "expected an Engine.IO packet type (0-6), found {}",
                    shown(other)
                ),
            })
        }
    })
}

fn shown(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", char::from(b))
    } else {
        format!("byte 0x{b:02x}")
    }
}

/// Reads a Socket.IO packet (what follows Engine.IO's `4`).
pub fn socket(text: &[u8]) -> Result<Socket<'_>, PacketError> {
    let kind = match text.first() {
        Some(b'0') => SocketKind::Connect,
        Some(b'1') => SocketKind::Disconnect,
        Some(b'2') => SocketKind::Event,
        Some(b'3') => SocketKind::Ack,
        Some(b'4') => SocketKind::ConnectError,
        Some(b'5') => SocketKind::BinaryEvent,
        Some(b'6') => SocketKind::BinaryAck,
        other => {
            return Err(PacketError {
                offset: 0,
                what: format!(
                    "expected a Socket.IO packet type (0-6), found {}",
                    other.map_or("the end of the message".to_string(), |b| shown(*b))
                ),
            })
        }
    };
    let mut at = 1;
    let number = |at: &mut usize| -> Option<u64> {
        let start = *at;
        while text.get(*at).is_some_and(u8::is_ascii_digit) {
            *at += 1;
        }
        std::str::from_utf8(&text[start..*at]).ok()?.parse().ok()
    };
    let mut attachments = None;
    if matches!(kind, SocketKind::BinaryEvent | SocketKind::BinaryAck) {
        let n = number(&mut at);
        if n.is_none() || text.get(at) != Some(&b'-') {
            return Err(PacketError {
                offset: at,
                what: "expected the number of attachments and '-'".into(),
            });
        }
        attachments = n;
        at += 1;
    }
    let mut namespace = "/";
    if text.get(at) == Some(&b'/') {
        let end = text[at..]
            .iter()
            .position(|b| *b == b',')
            .map_or(text.len(), |p| at + p);
        namespace = std::str::from_utf8(&text[at..end]).map_err(|_| PacketError {
            offset: at,
            what: "expected a namespace in UTF-8".into(),
        })?;
        at = (end + 1).min(text.len());
    }
    let ack = number(&mut at);
    let data = &text[at..];
    let mut event = None;
    if !data.is_empty() {
        json::check(data).map_err(|e| PacketError {
            offset: at + e.offset,
            what: format!("the data is not JSON: {}", e.what),
        })?;
        if matches!(kind, SocketKind::Event | SocketKind::BinaryEvent) {
            event = serde_json::from_slice::<serde_json::Value>(data)
                .ok()
                .and_then(|v| v.get(0)?.as_str().map(str::to_string));
        }
    }
    Ok(Socket {
        kind,
        attachments,
        namespace,
        ack,
        data,
        event,
    })
}

/// The most attachments one packet may announce: past it the packet is
/// refused rather than wait for them.
pub const MAX_ATTACHMENTS: u64 = 1024;

/// A binary packet with its attachments, once they have all come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    /// The packet's text (`51-["upload",{"_placeholder":true,"num":0}]`).
    pub packet: Vec<u8>,
    /// The binary messages that followed it, in order (placeholder `num`
    /// N is the Nth).
    pub attachments: Vec<Vec<u8>>,
}

/// Joins one direction's binary Socket.IO packets with the binary
/// messages that carry their attachments.
#[derive(Debug, Default)]
pub struct Joiner {
    waiting: Option<(Vec<u8>, u64, Vec<Vec<u8>>)>,
}

/// What a message was, to a [`Joiner`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Join {
    /// Not part of a binary packet.
    Alone,
    /// An attachment, the Nth (from 0) of how many; the packet is not
    /// whole yet.
    Attachment(u64, u64),
    /// The packet whole: the last attachment came (or it announced none).
    Whole(Joined),
    /// A binary message no packet announced, or a text message while
    /// attachments were awaited (which are then given up): said why.
    Stray(String),
}

impl Joiner {
    /// The attachments announced and those come, while a packet waits.
    pub fn awaited(&self) -> Option<(u64, u64)> {
        self.waiting
            .as_ref()
            .map(|(_, want, got)| (*want, got.len() as u64))
    }

    /// Notes a text message (an Engine.IO packet).
    pub fn text(&mut self, text: &[u8]) -> Join {
        let mut said = None;
        if let Some((_, want, got)) = self.waiting.take() {
            said = Some(format!(
                "a text message came while {} of {want} attachments were still awaited; they are given up",
                want - got.len() as u64
            ));
        }
        if let Ok(Engine::Message(p)) = engine(text) {
            if let Some(n) = p.attachments {
                if n > MAX_ATTACHMENTS {
                    return Join::Stray(format!(
                        "{n} attachments announced: more than wsdbg waits for ({MAX_ATTACHMENTS})"
                    ));
                }
                if n == 0 {
                    return Join::Whole(Joined {
                        packet: text.to_vec(),
                        attachments: Vec::new(),
                    });
                }
                self.waiting = Some((text.to_vec(), n, Vec::new()));
            }
        }
        match said {
            Some(why) => Join::Stray(why),
            None => Join::Alone,
        }
    }

    /// Notes a binary message.
    pub fn binary(&mut self, data: &[u8]) -> Join {
        let Some((_, want, got)) = self.waiting.as_mut() else {
            return Join::Stray("a binary message that no binary packet announced".into());
        };
        got.push(data.to_vec());
        let (n, want) = (got.len() as u64, *want);
        if n < want {
            return Join::Attachment(n - 1, want);
        }
        let (packet, _, attachments) = self.waiting.take().expect("waiting");
        Join::Whole(Joined {
            packet,
            attachments,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Examples from the Engine.IO v4 and Socket.IO v5 protocol documents.
    #[test]
    fn the_protocol_documents_examples() {
        assert_eq!(
            engine(br#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#).unwrap().name(),
            "open"
        );
        assert_eq!(engine(b"2probe").unwrap(), Engine::Ping(b"probe"));
        assert_eq!(engine(b"3").unwrap(), Engine::Pong(b""));
        assert_eq!(engine(b"6").unwrap(), Engine::Noop);
        let Engine::Message(p) = engine(br#"42["hello",1]"#).unwrap() else {
            panic!()
        };
        assert_eq!(
            p,
            Socket {
                kind: SocketKind::Event,
                attachments: None,
                namespace: "/",
                ack: None,
                data: br#"["hello",1]"#,
                event: Some("hello".into())
            }
        );
        let p = socket(br#"2/admin,456["project:delete",123]"#).unwrap();
        assert_eq!(
            (p.namespace, p.ack, p.event.as_deref()),
            ("/admin", Some(456), Some("project:delete"))
        );
        let p = socket(br#"3/admin,456[]"#).unwrap();
        assert_eq!((p.kind, p.ack), (SocketKind::Ack, Some(456)));
        let p = socket(br#"51-["hello",{"_placeholder":true,"num":0}]"#).unwrap();
        assert_eq!(
            (p.kind.name(), p.attachments, p.event.as_deref()),
            ("BINARY_EVENT", Some(1), Some("hello"))
        );
        let p = socket(br#"0/admin,{"token":"123"}"#).unwrap();
        assert_eq!((p.kind, p.namespace), (SocketKind::Connect, "/admin"));
        let p = socket(b"1/admin,").unwrap();
        assert_eq!(
            (p.kind, p.namespace, p.data),
            (SocketKind::Disconnect, "/admin", &b""[..])
        );
    }

    #[test]
    fn what_is_not_a_packet_says_where() {
        let e = engine(b"9hello").unwrap_err();
        assert_eq!(
            (e.offset, e.what.as_str()),
            (0, "expected an Engine.IO packet type (0-6), found '9'")
        );
        assert!(engine(b"").unwrap_err().what.contains("empty message"));
        let e = engine(b"4x").unwrap_err();
        assert_eq!(e.offset, 1);
        assert!(e.what.contains("Socket.IO packet type"));
        let e = engine(br#"42["cut"#).unwrap_err();
        assert_eq!(e.offset, 7);
        assert!(
            e.what
                .starts_with("the data is not JSON: expected the string's closing"),
            "{}",
            e.what
        );
        let e = socket(b"5[1]").unwrap_err();
        assert_eq!(e.offset, 1);
        assert!(e.what.contains("attachments"));
    }

    #[test]
    fn attachments_are_joined_to_their_packet() {
        let mut j = Joiner::default();
        assert_eq!(j.text(br#"42["plain"]"#), Join::Alone);
        let packet =
            br#"452-["upload",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;
        assert_eq!(j.text(packet), Join::Alone);
        assert_eq!(j.binary(b"\x01\x02"), Join::Attachment(0, 2));
        assert_eq!(
            j.binary(b"\x03"),
            Join::Whole(Joined {
                packet: packet.to_vec(),
                attachments: vec![b"\x01\x02".to_vec(), b"\x03".to_vec()]
            })
        );
        assert!(matches!(j.binary(b"x"), Join::Stray(w) if w.contains("no binary packet")));
        assert!(matches!(j.text(br#"450-["none"]"#), Join::Whole(w) if w.attachments.is_empty()));
        j.text(br#"451-["cut",{"_placeholder":true,"num":0}]"#);
        assert!(matches!(j.text(b"2"), Join::Stray(w) if w.contains("1 of 1 attachments")));
        assert!(
            matches!(j.text(br#"4599999-["many"]"#), Join::Stray(w) if w.contains("more than wsdbg waits for"))
        );
    }
}
