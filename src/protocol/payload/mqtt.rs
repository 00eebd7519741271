//! MQTT 3.1.1 and 5.0 control packets carried in binary WebSocket
//! messages (MQTT over WebSockets: a message may hold several packets, and
//! a packet may span messages): the fixed header's bits (type, flags,
//! the remaining length and how it was encoded), then the fields of each
//! packet type, 5.0's properties included.

/// A field of a packet, for display: its name and its value in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The field's name, as the specification calls it.
    pub name: String,
    /// Its value.
    pub value: String,
}

/// One control packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// The packet type (1-15).
    pub kind: u8,
    /// The four flag bits.
    pub flags: u8,
    /// The remaining length.
    pub remaining: usize,
    /// How many bytes encoded the remaining length (1-4).
    pub length_bytes: usize,
    /// The fields, in their order.
    pub fields: Vec<Field>,
    /// The application message of a PUBLISH.
    pub payload: Vec<u8>,
    /// What breaks the specification in it.
    pub problems: Vec<String>,
}

/// The packet type's name.
pub fn type_name(kind: u8) -> &'static str {
    match kind {
        1 => "CONNECT",
        2 => "CONNACK",
        3 => "PUBLISH",
        4 => "PUBACK",
        5 => "PUBREC",
        6 => "PUBREL",
        7 => "PUBCOMP",
        8 => "SUBSCRIBE",
        9 => "SUBACK",
        10 => "UNSUBSCRIBE",
        11 => "UNSUBACK",
        12 => "PINGREQ",
        13 => "PINGRESP",
        14 => "DISCONNECT",
        15 => "AUTH",
        _ => "reserved (0)",
    }
}

/// The most bytes of a packet held while it spans messages.
pub const MAX_HELD: usize = 16 << 20;

/// Reads one direction's packets as its messages come: what a message
/// ends, whole, with what it leaves for the next one.
#[derive(Debug, Default)]
pub struct Reader {
    held: Vec<u8>,
    /// The protocol level the CONNECT named (4: 3.1.1, 5: 5.0); 4 until
    /// then.
    pub level: u8,
}

/// Why bytes are not MQTT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttError {
    /// Byte offset in the packet (from its first byte).
    pub offset: usize,
    /// What was expected and found.
    pub what: String,
}

impl Reader {
    /// A reader for one direction.
    pub fn new() -> Self {
        Self {
            held: Vec::new(),
            level: 4,
        }
    }

    /// Bytes of a packet waiting for the next message.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// The packet waiting for the next message: its type, and its whole
    /// length when its fixed header came whole.
    pub fn waiting(&self) -> Option<(u8, Option<usize>)> {
        let first = *self.held.first()?;
        let total = remaining_length(&self.held)
            .ok()
            .flatten()
            .map(|(r, n)| 1 + n + r);
        Some((first >> 4, total))
    }

    /// The packets `message` completes; an error ends the reading of this
    /// direction's stream (its bytes can no longer be framed).
    pub fn feed(&mut self, message: &[u8]) -> Result<Vec<Packet>, MqttError> {
        self.held.extend_from_slice(message);
        let mut out = Vec::new();
        let mut at = 0;
        loop {
            let rest = &self.held[at..];
            if rest.is_empty() {
                break;
            }
            let (remaining, length_bytes) = match remaining_length(rest) {
                Ok(Some(x)) => x,
                Ok(None) => break,
                Err(e) => {
                    self.held.clear();
                    return Err(MqttError {
                        offset: e.offset,
                        what: e.what,
                    });
                }
            };
            let total = 1 + length_bytes + remaining;
            if rest.len() < total {
                if total > MAX_HELD {
                    self.held.clear();
                    return Err(MqttError {
                        offset: 1,
                        what: format!(
                            "a packet of {total} bytes: more than wsdbg holds ({MAX_HELD})"
                        ),
                    });
                }
                break;
            }
            let p = packet(&rest[..total], self.level);
            if p.kind == 1 {
                if let Some(l) = p.fields.iter().find(|f| f.name == "protocol level") {
                    self.level = l
                        .value
                        .split(' ')
                        .next()
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(4);
                }
            }
            out.push(p);
            at += total;
        }
        self.held.drain(..at);
        Ok(out)
    }
}

/// The remaining length after the first byte: (value, bytes), None when
/// the bytes end inside it.
fn remaining_length(b: &[u8]) -> Result<Option<(usize, usize)>, MqttError> {
    let mut value = 0usize;
    for i in 0..4 {
        let Some(&byte) = b.get(1 + i) else {
            return Ok(None);
        };
        value |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            if i > 0 && byte == 0 {
                return Err(MqttError {
                    offset: 1,
                    what: "the remaining length is not in its shortest form".into(),
                });
            }
            return Ok(Some((value, i + 1)));
        }
    }
    Err(MqttError {
        offset: 4,
        what: "expected the remaining length within 4 bytes, found a fifth".into(),
    })
}

/// Reads the fields of a packet held whole (`b`: fixed header included).
fn packet(b: &[u8], level: u8) -> Packet {
    let kind = b[0] >> 4;
    let flags = b[0] & 0x0f;
    let (remaining, length_bytes) = remaining_length(b).ok().flatten().unwrap_or((0, 1));
    let mut p = Packet {
        kind,
        flags,
        remaining,
        length_bytes,
        fields: Vec::new(),
        payload: Vec::new(),
        problems: Vec::new(),
    };
    let required = match kind {
        6 | 8 | 10 => Some(0b0010),
        3 => None,
        _ => Some(0),
    };
    if let Some(r) = required {
        if flags != r {
            p.problems.push(format!(
                "{}'s flags must be {r:04b}, found {flags:04b} (MQTT 3.1.1 §2.2.2)",
                type_name(kind)
            ));
        }
    }
    if kind == 0 {
        p.problems.push("packet type 0 is reserved".into());
        return p;
    }
    let mut c = Cursor {
        b,
        at: 1 + length_bytes,
        fields: &mut p.fields,
    };
    let v5 = level == 5;
    let read = (|| -> Result<(), String> {
        match kind {
            1 => {
                let name = c.string("protocol name")?;
                let lvl = c.byte("protocol level", |v| match v {
                    3 => "3 (MQTT 3.1)".into(),
                    4 => "4 (MQTT 3.1.1)".into(),
                    5 => "5 (MQTT 5.0)".into(),
                    v => format!("{v} (unknown)"),
                })?;
                let f = c.byte("connect flags", |f| {
                    let mut s = Vec::new();
                    for (bit, what) in [
                        (7, "username"),
                        (6, "password"),
                        (5, "will retain"),
                        (2, "will"),
                        (1, "clean session"),
                    ] {
                        if f & (1 << bit) != 0 {
                            s.push(what.to_string());
                        }
                    }
                    if f & 0x04 != 0 {
                        s.push(format!("will QoS {}", (f >> 3) & 3));
                    }
                    format!("{f:08b} {}", s.join(", "))
                })?;
                c.u16("keep alive", |v| format!("{v} s"))?;
                if lvl == 5 {
                    c.properties()?;
                }
                c.string("client identifier")?;
                if f & 0x04 != 0 {
                    if lvl == 5 {
                        c.properties()?;
                    }
                    c.string("will topic")?;
                    c.binary("will payload")?;
                }
                if f & 0x80 != 0 {
                    c.string("username")?;
                }
                if f & 0x40 != 0 {
                    c.binary("password")?;
                }
                if name != "MQTT" && name != "MQIsdp" {
                    p.problems.push(format!(
                        "the protocol name is {name:?}, not \"MQTT\" (MQTT 3.1.1 §3.1.2.1)"
                    ));
                }
            }
            2 => {
                c.byte("acknowledge flags", |f| {
                    if f & 1 != 0 {
                        "session present".into()
                    } else {
                        "no session present".into()
                    }
                })?;
                c.byte(if v5 { "reason code" } else { "return code" }, |r| {
                    connack(r, v5)
                })?;
                if v5 {
                    c.properties()?;
                }
            }
            3 => {
                // The flags are the fixed header's, shown with it.
                let qos = (flags >> 1) & 3;
                if qos == 3 {
                    return Err("QoS 3 is not allowed (MQTT 3.1.1 §3.3.1.2)".into());
                }
                c.string("topic name")?;
                if qos > 0 {
                    c.u16("packet identifier", |v| v.to_string())?;
                }
                if v5 {
                    c.properties()?;
                }
                p.payload = c.b[c.at..].to_vec();
                c.at = c.b.len();
            }
            4..=7 | 11 => {
                c.u16("packet identifier", |v| v.to_string())?;
                if v5 && c.at < c.b.len() && kind != 11 {
                    c.byte("reason code", |r| format!("0x{r:02x}"))?;
                    if c.at < c.b.len() {
                        c.properties()?;
                    }
                }
                if kind == 11 && v5 {
                    c.properties()?;
                    c.codes("reason codes")?;
                }
            }
            8 | 10 => {
                c.u16("packet identifier", |v| v.to_string())?;
                if v5 {
                    c.properties()?;
                }
                while c.at < c.b.len() {
                    c.string("topic filter")?;
                    if kind == 8 {
                        c.byte("options", |o| format!("QoS {}", o & 3))?;
                    }
                }
            }
            9 => {
                c.u16("packet identifier", |v| v.to_string())?;
                if v5 {
                    c.properties()?;
                }
                c.codes(if v5 { "reason codes" } else { "return codes" })?;
            }
            14 | 15 if v5 && c.at < c.b.len() => {
                c.byte("reason code", |r| format!("0x{r:02x}"))?;
                if c.at < c.b.len() {
                    c.properties()?;
                }
            }
            _ => {}
        }
        Ok(())
    })();
    let at = c.at;
    if let Err(why) = read {
        p.problems.push(format!("byte {at}: {why}"));
    } else if at < b.len() {
        p.problems.push(format!(
            "{} bytes after the last field of {}",
            b.len() - at,
            type_name(kind)
        ));
    }
    p
}

fn connack(r: u8, v5: bool) -> String {
    let what = match (r, v5) {
        (0, _) => "accepted",
        (1, false) => "refused: unacceptable protocol version",
        (2, false) => "refused: identifier rejected",
        (3, false) => "refused: server unavailable",
        (4, false) => "refused: bad user name or password",
        (5, false) => "refused: not authorized",
        (0x86, true) => "bad user name or password",
        (0x87, true) => "not authorized",
        (0x84, true) => "unsupported protocol version",
        (r, true) if r >= 0x80 => "refused",
        _ => "unknown",
    };
    format!("{r} ({what})")
}

struct Cursor<'a, 'f> {
    b: &'a [u8],
    at: usize,
    fields: &'f mut Vec<Field>,
}

impl Cursor<'_, '_> {
    fn take(&mut self, n: usize, what: &str) -> Result<&[u8], String> {
        let Some(s) = self.b.get(self.at..self.at + n) else {
            return Err(format!(
                "expected {n} bytes of the {what}, found {}",
                self.b.len() - self.at.min(self.b.len())
            ));
        };
        self.at += n;
        Ok(s)
    }

    fn byte(&mut self, name: &str, show: impl Fn(u8) -> String) -> Result<u8, String> {
        let v = self.take(1, name)?[0];
        self.fields.push(Field {
            name: name.into(),
            value: show(v),
        });
        Ok(v)
    }

    fn u16(&mut self, name: &str, show: impl Fn(u16) -> String) -> Result<u16, String> {
        let s = self.take(2, name)?;
        let v = u16::from_be_bytes([s[0], s[1]]);
        self.fields.push(Field {
            name: name.into(),
            value: show(v),
        });
        Ok(v)
    }

    fn raw(&mut self, what: &str) -> Result<Vec<u8>, String> {
        let s = self.take(2, what)?;
        let n = usize::from(u16::from_be_bytes([s[0], s[1]]));
        Ok(self.take(n, what)?.to_vec())
    }

    fn string(&mut self, name: &str) -> Result<String, String> {
        let raw = self.raw(name)?;
        let s = String::from_utf8(raw).map_err(|_| format!("the {name} is not UTF-8"))?;
        self.fields.push(Field {
            name: name.into(),
            value: format!("{s:?}"),
        });
        Ok(s)
    }

    fn binary(&mut self, name: &str) -> Result<(), String> {
        let raw = self.raw(name)?;
        self.fields.push(Field {
            name: name.into(),
            value: format!("{} bytes", raw.len()),
        });
        Ok(())
    }

    fn varint(&mut self, what: &str) -> Result<usize, String> {
        let mut v = 0usize;
        for i in 0..4 {
            let b = self.take(1, what)?[0];
            v |= usize::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(format!("the {what} runs past 4 bytes"))
    }

    fn codes(&mut self, name: &str) -> Result<(), String> {
        let codes: Vec<String> = self.b[self.at..]
            .iter()
            .map(|c| format!("0x{c:02x}"))
            .collect();
        self.at = self.b.len();
        self.fields.push(Field {
            name: name.into(),
            value: codes.join(" "),
        });
        Ok(())
    }

    /// MQTT 5.0 properties: their length, then each by its identifier.
    fn properties(&mut self) -> Result<(), String> {
        let len = self.varint("properties length")?;
        let end = self.at + len;
        if end > self.b.len() {
            return Err(format!("properties of {len} bytes run past the packet"));
        }
        let mut said = Vec::new();
        while self.at < end {
            let id = self.varint("property identifier")?;
            let (name, kind) =
                property(id).ok_or_else(|| format!("unknown property identifier 0x{id:02x}"))?;
            let value = match kind {
                Prop::Byte => self.take(1, name)?[0].to_string(),
                Prop::U16 => {
                    let s = self.take(2, name)?;
                    u16::from_be_bytes([s[0], s[1]]).to_string()
                }
                Prop::U32 => {
                    let s = self.take(4, name)?;
                    u32::from_be_bytes([s[0], s[1], s[2], s[3]]).to_string()
                }
                Prop::Var => self.varint(name)?.to_string(),
                Prop::Str => format!("{:?}", String::from_utf8_lossy(&self.raw(name)?)),
                Prop::Bin => format!("{} bytes", self.raw(name)?.len()),
                Prop::Pair => {
                    let k = String::from_utf8_lossy(&self.raw(name)?).into_owned();
                    let v = String::from_utf8_lossy(&self.raw(name)?).into_owned();
                    format!("{k:?}={v:?}")
                }
            };
            said.push(format!("{name} {value}"));
        }
        if self.at != end {
            return Err("a property runs past the properties' length".into());
        }
        self.fields.push(Field {
            name: "properties".into(),
            value: if said.is_empty() {
                "none".into()
            } else {
                said.join(", ")
            },
        });
        Ok(())
    }
}

enum Prop {
    Byte,
    U16,
    U32,
    Var,
    Str,
    Bin,
    Pair,
}

/// MQTT 5.0 §2.2.2.2's property identifiers.
fn property(id: usize) -> Option<(&'static str, Prop)> {
    Some(match id {
        0x01 => ("payload format indicator", Prop::Byte),
        0x02 => ("message expiry interval", Prop::U32),
        0x03 => ("content type", Prop::Str),
        0x08 => ("response topic", Prop::Str),
        0x09 => ("correlation data", Prop::Bin),
        0x0b => ("subscription identifier", Prop::Var),
        0x11 => ("session expiry interval", Prop::U32),
        0x12 => ("assigned client identifier", Prop::Str),
        0x13 => ("server keep alive", Prop::U16),
        0x15 => ("authentication method", Prop::Str),
        0x16 => ("authentication data", Prop::Bin),
        0x17 => ("request problem information", Prop::Byte),
        0x18 => ("will delay interval", Prop::U32),
        0x19 => ("request response information", Prop::Byte),
        0x1a => ("response information", Prop::Str),
        0x1c => ("server reference", Prop::Str),
        0x1f => ("reason string", Prop::Str),
        0x21 => ("receive maximum", Prop::U16),
        0x22 => ("topic alias maximum", Prop::U16),
        0x23 => ("topic alias", Prop::U16),
        0x24 => ("maximum QoS", Prop::Byte),
        0x25 => ("retain available", Prop::Byte),
        0x26 => ("user property", Prop::Pair),
        0x27 => ("maximum packet size", Prop::U32),
        0x28 => ("wildcard subscription available", Prop::Byte),
        0x29 => ("subscription identifier available", Prop::Byte),
        0x2a => ("shared subscription available", Prop::Byte),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field<'a>(p: &'a Packet, name: &str) -> &'a str {
        &p.fields
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("{name} in {p:?}"))
            .value
    }

    const CONNECT: [u8; 18] = [
        0x10, 0x10, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x02, 0x00, 0x3c, 0x00, 0x04, b'p',
        b'a', b'h', b'o',
    ];

    #[test]
    fn a_3_1_1_session_packet_by_packet() {
        let mut r = Reader::new();
        let p = r.feed(&CONNECT).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(
            (type_name(p[0].kind), p[0].remaining, p[0].length_bytes),
            ("CONNECT", 16, 1)
        );
        assert_eq!(field(&p[0], "protocol level"), "4 (MQTT 3.1.1)");
        assert_eq!(field(&p[0], "connect flags"), "00000010 clean session");
        assert_eq!(field(&p[0], "keep alive"), "60 s");
        assert_eq!(field(&p[0], "client identifier"), "\"paho\"");
        assert!(p[0].problems.is_empty(), "{:?}", p[0].problems);
        let mut other = CONNECT;
        other[4] = b'X';
        let q = Reader::new().feed(&other).unwrap();
        assert_eq!(
            q[0].problems,
            ["the protocol name is \"XQTT\", not \"MQTT\" (MQTT 3.1.1 §3.1.2.1)"]
        );
        // SUBSCRIBE and a QoS 1 PUBLISH in one message.
        let mut both = vec![0x82, 0x08, 0x00, 0x01, 0x00, 0x03, b'a', b'/', b'b', 0x01];
        both.extend_from_slice(&[
            0x32, 0x0a, 0x00, 0x03, b'a', b'/', b'b', 0x00, 0x07, b'h', b'e', b'y',
        ]);
        let p = r.feed(&both).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(field(&p[0], "topic filter"), "\"a/b\"");
        assert_eq!(field(&p[0], "options"), "QoS 1");
        assert_eq!(p[1].flags, 0b0010);
        assert_eq!(field(&p[1], "packet identifier"), "7");
        assert_eq!(p[1].payload, b"hey");
        // PINGREQ split over two messages.
        assert_eq!(r.feed(&[0xc0]).unwrap(), []);
        assert_eq!(r.held(), 1);
        let p = r.feed(&[0x00]).unwrap();
        assert_eq!(type_name(p[0].kind), "PINGREQ");
    }

    #[test]
    fn a_5_0_connect_sets_the_level_for_properties() {
        let mut r = Reader::new();
        // CONNECT level 5, clean start, keepalive 30, properties: session
        // expiry 3600; client id "c".
        let p = r
            .feed(&[
                0x10, 0x13, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x05, 0x02, 0x00, 0x1e, 0x05, 0x11,
                0x00, 0x00, 0x0e, 0x10, 0x00, 0x01, b'c',
            ])
            .unwrap();
        assert!(p[0].problems.is_empty(), "{:?}", p[0].problems);
        assert_eq!(field(&p[0], "properties"), "session expiry interval 3600");
        assert_eq!(r.level, 5);
        // A 5.0 PUBLISH with a user property.
        let p = r
            .feed(&[
                0x30, 0x0d, 0x00, 0x01, b't', 0x07, 0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'v', b'h',
                b'i',
            ])
            .unwrap();
        assert!(p[0].problems.is_empty(), "{:?}", p[0].problems);
        assert_eq!(field(&p[0], "properties"), "user property \"k\"=\"v\"");
        assert_eq!(p[0].payload, b"hi");
    }

    #[test]
    fn broken_packets_say_what_and_where() {
        let mut r = Reader::new();
        // A CONNECT cut inside its client identifier: the packet's length
        // says 16 but its identifier claims 9 bytes.
        let mut bad = CONNECT;
        bad[13] = 9;
        let p = r.feed(&bad).unwrap();
        assert_eq!(
            p[0].problems,
            ["byte 14: expected 9 bytes of the client identifier, found 4"]
        );
        // Bad flags on SUBSCRIBE; QoS 3; a remaining length too long.
        let p = r.feed(&[0x80, 0x02, 0x00, 0x01]).unwrap();
        assert!(
            p[0].problems[0].contains("flags must be 0010"),
            "{:?}",
            p[0].problems
        );
        let p = r.feed(&[0x36, 0x03, 0x00, 0x01, b't']).unwrap();
        assert!(p[0].problems[0].contains("QoS 3"), "{:?}", p[0].problems);
        let e = Reader::new()
            .feed(&[0x30, 0xff, 0xff, 0xff, 0xff, 0x01])
            .unwrap_err();
        assert!(e.what.contains("within 4 bytes"));
        let e = Reader::new().feed(&[0x30, 0x80, 0x00]).unwrap_err();
        assert!(e.what.contains("shortest form"));
        let p = Reader::new().feed(&[0xe0, 0x01, 0x00]).unwrap();
        assert!(
            p[0].problems[0].contains("1 bytes after"),
            "{:?}",
            p[0].problems
        );
        let e = Reader::new()
            .feed(&[0x30, 0xff, 0xff, 0xff, 0x7f])
            .unwrap_err();
        assert!(e.what.contains("more than wsdbg holds"));
    }
}
