//! One connection's payloads read as the chosen view: the choice made once
//! (and said once), the state that spans messages (GraphQL operations,
//! JSON-RPC calls waiting for their answer, MQTT packets cut across
//! messages, Socket.IO attachments), and what each message holds as
//! [`Shown`] values that every printer renders the same way.

use std::time::Duration;

use super::{choose, graphql, json, jsonrpc, mqtt, socketio, stomp, tree, View, Why};
use crate::protocol::message::{MessageKind, MessageRef};
use crate::protocol::Role;

/// What one message holds, read as a view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// The view it was read as.
    pub view: View,
    /// On the connection's first message: the reason for the view, in
    /// words.
    pub chosen: Option<String>,
    /// What it holds: one part per packet or frame (most messages have
    /// one).
    pub parts: Vec<Part>,
    /// What breaks the view's protocol, or why the message could not be
    /// read as it, each with where.
    pub problems: Vec<String>,
}

impl Shown {
    /// Whether there is anything to show: what the message holds, what is
    /// wrong, or the choice of a view (payloads left raw for want of one
    /// need no line).
    pub fn worth_showing(&self) -> bool {
        !self.parts.is_empty()
            || !self.problems.is_empty()
            || (self.chosen.is_some() && self.view != View::Raw)
    }
}

/// A packet, frame or object inside a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// What it is, in a few words (`EVENT "chat"`, `PUBLISH`, `request`).
    pub title: String,
    /// Its fields, in their order (a name may repeat: STOMP headers, MQTT
    /// topic filters).
    pub fields: Vec<(String, Value)>,
}

/// A field's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Words or a string from the payload (printers escape it).
    Text(String),
    /// A whole number.
    Num(u64),
    /// JSON as sent, checked to be JSON: printers lay it out (and JSON
    /// output carries it as a value, numbers exact).
    Json(Vec<u8>),
    /// Bytes that are not text.
    Bytes(Vec<u8>),
}

impl Part {
    fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            fields: Vec::new(),
        }
    }

    fn text(mut self, name: &str, v: impl Into<String>) -> Self {
        self.fields.push((name.to_string(), Value::Text(v.into())));
        self
    }

    fn num(mut self, name: &str, v: u64) -> Self {
        self.fields.push((name.to_string(), Value::Num(v)));
        self
    }

    fn json(mut self, name: &str, data: &[u8]) -> Self {
        self.fields
            .push((name.to_string(), Value::Json(data.to_vec())));
        self
    }

    fn ms(self, name: &str, d: Duration) -> Self {
        self.text(name, format!("{:.1} ms", d.as_secs_f64() * 1000.0))
    }
}

/// Reads one connection's messages.
#[derive(Debug)]
pub struct Reading {
    asked: Option<View>,
    subprotocol: Option<String>,
    chosen: Option<View>,
    /// The view is the one the agreed subprotocol names.
    agreed_view: bool,
    graphql: graphql::Session,
    rpc: jsonrpc::Pairs,
    /// MQTT, client's then server's.
    mqtt: [mqtt::Reader; 2],
    /// Socket.IO attachments, client's then server's.
    joiner: [socketio::Joiner; 2],
    /// Messages that broke the agreed subprotocol's format so far.
    broken: u64,
}

fn side(from: Role) -> usize {
    usize::from(from == Role::Server)
}

impl Reading {
    /// A connection's reading: `asked` is `--payload` (None for auto).
    pub fn new(asked: Option<View>) -> Self {
        Self {
            asked,
            subprotocol: None,
            chosen: None,
            agreed_view: false,
            graphql: graphql::Session::default(),
            rpc: jsonrpc::Pairs::default(),
            mqtt: [mqtt::Reader::new(), mqtt::Reader::new()],
            joiner: Default::default(),
            broken: 0,
        }
    }

    /// The subprotocol the server agreed to (from the 101 answer).
    pub fn agreed(&mut self, subprotocol: Option<&str>) {
        self.subprotocol = subprotocol.map(str::to_string);
    }

    /// The view chosen, once the first data message has come.
    pub fn view(&self) -> Option<View> {
        self.chosen
    }

    /// Whether the view is the protocol the peers agreed on (its
    /// subprotocol names it): what breaks it then breaks their agreement,
    /// and counts as a violation.
    pub fn binding(&self) -> bool {
        self.agreed_view
    }

    /// What the end of the connection leaves unfinished: an MQTT packet
    /// cut off, Socket.IO attachments never sent. None when nothing is.
    pub fn ended(&mut self) -> Option<Shown> {
        let mut problems = Vec::new();
        for (from, reader) in [Role::Client, Role::Server].iter().zip(&self.mqtt) {
            if let Some((kind, total)) = reader.waiting() {
                let of = total.map_or("its length is cut off too".to_string(), |t| {
                    format!("{t} bytes long")
                });
                problems.push(format!(
                    "the {}'s last MQTT packet ({}) is cut: {} of its bytes came ({of})",
                    from.name(),
                    mqtt::type_name(kind),
                    reader.held()
                ));
            }
        }
        for (from, joiner) in [Role::Client, Role::Server].iter().zip(&self.joiner) {
            if let Some((want, got)) = joiner.awaited() {
                problems.push(format!(
                    "the {}'s last binary Socket.IO packet announced {want} attachments; {got} came",
                    from.name()
                ));
            }
        }
        (!problems.is_empty()).then(|| Shown {
            view: self.chosen.unwrap_or(View::Raw),
            chosen: None,
            parts: Vec::new(),
            problems,
        })
    }

    /// Reads a whole message as the decoder gives it (at `at`, as for
    /// [`Reading::read`]); None when its payload is still DEFLATE data,
    /// which is not what the application sent (the message did not
    /// inflate, and its own line says why).
    pub fn message(&mut self, from: Role, m: &MessageRef, at: Option<Duration>) -> Option<Shown> {
        if m.compressed && !m.inflated {
            return None;
        }
        Some(self.read(from, m.kind, m.data, at))
    }

    /// Reads a data message from `from`, at `at` since any fixed origin
    /// (None when the input has no times: no latency is then shown).
    pub fn read(
        &mut self,
        from: Role,
        kind: MessageKind,
        data: &[u8],
        at: Option<Duration>,
    ) -> Shown {
        let mut said = None;
        let view = match self.chosen {
            Some(v) => v,
            None => {
                let (v, why) = choose(self.asked, self.subprotocol.as_deref(), Some((kind, data)));
                said = Some(words(v, &why));
                self.agreed_view = matches!(why, Why::Subprotocol(_));
                self.chosen = Some(v);
                v
            }
        };
        let mut shown = Shown {
            view,
            chosen: said,
            parts: Vec::new(),
            problems: Vec::new(),
        };
        let time = at.unwrap_or_default();
        match view {
            View::Raw => {}
            View::Json => self.json(&mut shown, data),
            View::SocketIo => self.socketio(&mut shown, from, kind, data),
            View::GraphQl => self.graphql(&mut shown, from, data, time, at.is_some()),
            View::Stomp => stomp_parts(&mut shown, data),
            View::Mqtt => self.mqtt(&mut shown, from, kind, data),
            View::JsonRpc => self.jsonrpc(&mut shown, from, data, time, at.is_some()),
            View::MsgPack => tree_part(&mut shown, tree::msgpack(data), "MessagePack"),
            View::Cbor => tree_part(&mut shown, tree::cbor(data), "CBOR"),
        }
        if self.agreed_view && !shown.problems.is_empty() {
            self.broken += 1;
        }
        shown
    }

    /// How many messages so far broke the format of the protocol the
    /// subprotocol agreed on (see [`Reading::binding`]): what the
    /// connection's closing line counts.
    pub fn violations(&self) -> u64 {
        self.broken
    }

    fn json(&mut self, shown: &mut Shown, data: &[u8]) {
        json_field(shown, Part::new(""), "value", data);
    }

    fn socketio(&mut self, shown: &mut Shown, from: Role, kind: MessageKind, data: &[u8]) {
        let joiner = &mut self.joiner[side(from)];
        if kind == MessageKind::Binary {
            match joiner.binary(data) {
                socketio::Join::Attachment(n, of) => shown.parts.push(
                    Part::new("attachment")
                        .text("of", format!("{} of {of}", n + 1))
                        .num("length", data.len() as u64),
                ),
                socketio::Join::Whole(j) => {
                    let n = j.attachments.len() as u64;
                    shown.parts.push(
                        Part::new("attachment")
                            .text("of", format!("{n} of {n}: the packet is whole"))
                            .num("length", data.len() as u64),
                    );
                    socket_parts(shown, &j.packet, Some(&j.attachments));
                }
                socketio::Join::Stray(why) => shown.problems.push(why),
                socketio::Join::Alone => {}
            }
            return;
        }
        // A text message is whole by itself (a binary packet announcing
        // no attachment included): read as it is.
        if let socketio::Join::Stray(why) = joiner.text(data) {
            shown.problems.push(why);
        }
        socket_parts(shown, data, None);
    }

    fn graphql(&mut self, shown: &mut Shown, from: Role, data: &[u8], at: Duration, timed: bool) {
        let m = match graphql::read(data) {
            Ok(m) => m,
            Err(e) => {
                not_json_or(shown, data, e);
                return;
            }
        };
        let mut part = Part::new(m.kind.clone());
        if let Some(id) = &m.id {
            part = part.text("id", id.clone());
        }
        for found in self.graphql.seen(from, &m, at) {
            part = match found {
                graphql::Found::Started {
                    operation, name, ..
                } => {
                    let p = part.text("operation", operation);
                    match name {
                        Some(n) => p.text("name", n),
                        None => p,
                    }
                }
                graphql::Found::Result {
                    number, latency, ..
                } => {
                    let p = part.num("result", number);
                    if timed {
                        p.ms("since the operation started", latency)
                    } else {
                        p
                    }
                }
                graphql::Found::Ended {
                    results, duration, ..
                } => {
                    let p = part.num("results", results);
                    if timed {
                        p.ms("the operation lasted", duration)
                    } else {
                        p
                    }
                }
                graphql::Found::Problem(why) => {
                    shown.problems.push(why);
                    part
                }
            };
        }
        if let Some(vars) = m
            .payload
            .as_ref()
            .and_then(|p| p.get("variables"))
            .filter(|v| !v.is_null())
        {
            part = part.json("variables", vars.to_string().as_bytes());
        }
        json_field(shown, part, "message", data);
    }

    fn mqtt(&mut self, shown: &mut Shown, from: Role, kind: MessageKind, data: &[u8]) {
        if kind == MessageKind::Text {
            shown.problems.push(
                "a text message: MQTT over WebSocket is sent in binary messages (MQTT 5.0 §6.0)"
                    .into(),
            );
        }
        let reader = &mut self.mqtt[side(from)];
        let before = reader.held();
        match reader.feed(data) {
            Ok(packets) => {
                if before > 0 {
                    shown.parts.push(
                        Part::new("continued")
                            .num("bytes held from earlier messages", before as u64),
                    );
                }
                for p in packets {
                    mqtt_part(shown, p);
                }
                let held = reader.held();
                if held > 0 {
                    shown.parts.push(
                        Part::new("incomplete").num(
                            "bytes of a packet held for the next message",
                            held as u64,
                        ),
                    );
                }
            }
            Err(e) => shown.problems.push(format!(
                "not MQTT at byte {} of its packet: {}; this direction's packets are no longer framed until a message starts a new one",
                e.offset, e.what
            )),
        }
    }

    fn jsonrpc(&mut self, shown: &mut Shown, from: Role, data: &[u8], at: Duration, timed: bool) {
        let r = match jsonrpc::read(data) {
            Ok(r) => r,
            Err(e) => {
                not_json_or(shown, data, e);
                return;
            }
        };
        for (i, o) in r.objects.iter().enumerate() {
            let rpc = match o {
                Ok(rpc) => rpc,
                Err(why) => {
                    let at = if r.batch {
                        format!("object {} of the batch: ", i + 1)
                    } else {
                        String::new()
                    };
                    shown.problems.push(format!("{at}{why}"));
                    continue;
                }
            };
            let answered = self.rpc.seen(from, rpc, at);
            let mut part = match rpc {
                jsonrpc::Rpc::Request { method, id, .. } => Part::new("request")
                    .text("method", method.clone())
                    .text("id", id.clone()),
                jsonrpc::Rpc::Notification { method, .. } => {
                    Part::new("notification").text("method", method.clone())
                }
                jsonrpc::Rpc::Response { id, .. } => Part::new("response").text("id", id.clone()),
                jsonrpc::Rpc::Error { id, code, message } => Part::new("error")
                    .text("id", id.clone())
                    .text("code", code.to_string())
                    .text("message", message.clone()),
            };
            match answered {
                Some(a) => {
                    part = part.text("answers", a.method);
                    if timed {
                        part = part.ms("latency", a.latency);
                    }
                }
                None if matches!(
                    rpc,
                    jsonrpc::Rpc::Response { .. } | jsonrpc::Rpc::Error { .. }
                ) =>
                {
                    part = part.text("answers", "no request seen with this id");
                }
                None => {}
            }
            shown.parts.push(part);
        }
        // One object: its JSON goes with its part; a batch's after them.
        let last = match shown.parts.pop() {
            Some(p) if !r.batch => p,
            other => {
                shown.parts.extend(other);
                Part::new(if r.batch { "batch" } else { "" })
            }
        };
        json_field(shown, last, "message", data);
    }
}

/// The chosen view and its reason, in words.
fn words(v: View, why: &Why) -> String {
    match (v, why) {
        (View::Raw, Why::Nothing) => format!("payloads shown raw: {}", why.words()),
        _ => format!("payloads read as {}: {}", v.name(), why.words()),
    }
}

/// Adds `part` with the JSON `data` as its field `name`, or, when `data`
/// is not JSON, as far as it goes with where it stops being JSON.
fn json_field(shown: &mut Shown, part: Part, name: &str, data: &[u8]) {
    match json::check(data) {
        Ok(()) => shown.parts.push(part.json(name, data)),
        Err(e) => {
            let (partial, _) = json::pretty(data, 0).unwrap_err();
            shown.problems.push(format!("not JSON at {e}"));
            shown
                .parts
                .push(part.text(&format!("{name} (as far as it is JSON)"), partial));
        }
    }
}

/// A message a JSON protocol cannot read: where its JSON breaks, or, when
/// it is JSON, why it is not the protocol's.
fn not_json_or(shown: &mut Shown, data: &[u8], why: String) {
    match json::check(data) {
        Ok(()) => {
            shown.problems.push(why);
            shown.parts.push(Part::new("").json("message", data));
        }
        Err(_) => json_field(shown, Part::new("JSON"), "message", data),
    }
}

fn socket_parts(shown: &mut Shown, text: &[u8], attachments: Option<&[Vec<u8>]>) {
    let packet = match socketio::engine(text) {
        Ok(p) => p,
        Err(e) => {
            shown
                .problems
                .push(format!("not Engine.IO at byte {}: {}", e.offset, e.what));
            return;
        }
    };
    let part = Part::new(packet.name());
    match packet {
        socketio::Engine::Open(data) => {
            let mut part = part;
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
                if let Some(sid) = v.get("sid").and_then(|s| s.as_str()) {
                    part = part.text("sid", sid);
                }
                for key in ["pingInterval", "pingTimeout", "maxPayload"] {
                    if let Some(n) = v.get(key).and_then(|n| n.as_u64()) {
                        part = part.num(key, n);
                    }
                }
            }
            json_field(shown, part, "handshake", data);
        }
        socketio::Engine::Ping(d) | socketio::Engine::Pong(d) => {
            shown.parts.push(if d.is_empty() {
                part
            } else {
                part.text("data", String::from_utf8_lossy(d))
            })
        }
        socketio::Engine::Message(s) => {
            let mut title = format!("message · {}", s.kind.name());
            if let Some(e) = &s.event {
                title.push_str(&format!(" {e:?}"));
            }
            let mut part = Part::new(title).text("namespace", s.namespace);
            if let Some(ack) = s.ack {
                part = part.num("ack id", ack);
            }
            if let Some(n) = s.attachments {
                part = part.num("attachments", n);
                if let Some(att) = attachments {
                    for (i, a) in att.iter().enumerate() {
                        part.fields
                            .push((format!("attachment {i}"), Value::Bytes(a.clone())));
                    }
                } else if n > 0 {
                    part = part.text("joined", format!("the next {n} binary messages"));
                }
            }
            if s.data.is_empty() {
                shown.parts.push(part);
            } else {
                shown.parts.push(part.json("data", s.data));
            }
        }
        _ => shown.parts.push(part),
    }
}

fn stomp_parts(shown: &mut Shown, data: &[u8]) {
    let (frames, error) = stomp::read(data);
    for f in frames {
        match f {
            stomp::Stomp::HeartBeat => shown.parts.push(Part::new("heart-beat")),
            stomp::Stomp::Frame(f) => {
                let mut part = Part::new(f.command);
                for (n, v) in &f.headers {
                    part = part.text(n, v.clone());
                }
                if !f.body.is_empty() {
                    let json_body = f.header("content-type").is_some_and(|t| t.contains("json"))
                        && json::check(f.body).is_ok();
                    part.fields.push((
                        "body".into(),
                        if json_body {
                            Value::Json(f.body.to_vec())
                        } else {
                            match std::str::from_utf8(f.body) {
                                Ok(s) => Value::Text(s.to_string()),
                                Err(_) => Value::Bytes(f.body.to_vec()),
                            }
                        },
                    ));
                }
                shown.parts.push(part);
            }
        }
    }
    if let Some(e) = error {
        shown
            .problems
            .push(format!("not STOMP at byte {}: {}", e.offset, e.what));
    }
}

fn mqtt_part(shown: &mut Shown, p: mqtt::Packet) {
    let name = mqtt::type_name(p.kind);
    let mut part = Part::new(name)
        .text(
            "type",
            format!("{} {name} (bits 7-4 of byte 0: {:04b})", p.kind, p.kind),
        )
        .text("flags", flags(p.kind, p.flags))
        .text(
            "remaining length",
            format!(
                "{} ({} byte{} of varint)",
                p.remaining,
                p.length_bytes,
                if p.length_bytes == 1 { "" } else { "s" }
            ),
        );
    for f in p.fields {
        part = part.text(&f.name, f.value);
    }
    if p.kind == 3 {
        part.fields.push((
            "payload".into(),
            match std::str::from_utf8(&p.payload) {
                Ok(s) => Value::Text(s.to_string()),
                Err(_) => Value::Bytes(p.payload),
            },
        ));
    }
    shown.problems.extend(p.problems);
    shown.parts.push(part);
}

/// The fixed header's four flag bits, named where the type gives them
/// names.
fn flags(kind: u8, f: u8) -> String {
    if kind == 3 {
        format!(
            "{f:04b} (DUP {}, QoS {}, RETAIN {})",
            f >> 3,
            (f >> 1) & 3,
            f & 1
        )
    } else {
        format!("{f:04b}")
    }
}

fn tree_part(shown: &mut Shown, t: Result<tree::Tree, tree::TreeError>, format: &str) {
    match t {
        Ok(t) => shown.parts.push(Part::new(format).text("value", t.text())),
        Err(e) => shown
            .problems
            .push(format!("not {format} at byte {}: {}", e.offset, e.what)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(r: &mut Reading, from: Role, kind: MessageKind, data: &[u8], ms: u64) -> Shown {
        r.read(from, kind, data, Some(Duration::from_millis(ms)))
    }

    fn field<'a>(p: &'a Part, name: &str) -> &'a Value {
        &p.fields.iter().find(|(n, _)| n == name).unwrap().1
    }

    #[test]
    fn the_choice_is_said_once_with_its_reason() {
        let mut r = Reading::new(None);
        r.agreed(Some("graphql-transport-ws"));
        let first = read(
            &mut r,
            Role::Client,
            MessageKind::Text,
            br#"{"type":"connection_init"}"#,
            0,
        );
        assert_eq!(first.view, View::GraphQl);
        assert_eq!(
            first.chosen.as_deref(),
            Some("payloads read as graphql: the agreed subprotocol is graphql-transport-ws")
        );
        let second = read(
            &mut r,
            Role::Server,
            MessageKind::Text,
            br#"{"type":"connection_ack"}"#,
            1,
        );
        assert_eq!(second.chosen, None);
        assert!(second.problems.is_empty());

        let mut plain = Reading::new(None);
        let s = read(&mut plain, Role::Client, MessageKind::Text, b"hello", 0);
        assert_eq!(s.view, View::Raw);
        assert!(s
            .chosen
            .unwrap()
            .starts_with("payloads shown raw: no subprotocol"));
        assert!(s.parts.is_empty());
    }

    #[test]
    fn json_rpc_answers_are_tied_with_their_latency() {
        let mut r = Reading::new(None);
        let call = read(
            &mut r,
            Role::Client,
            MessageKind::Text,
            br#"{"jsonrpc":"2.0","method":"sum","params":[1,2],"id":7}"#,
            10,
        );
        assert_eq!(call.view, View::JsonRpc);
        assert_eq!(call.parts[0].title, "request");
        let answer = read(
            &mut r,
            Role::Server,
            MessageKind::Text,
            br#"{"jsonrpc":"2.0","result":3,"id":7}"#,
            35,
        );
        assert_eq!(answer.parts[0].title, "response");
        assert_eq!(
            field(&answer.parts[0], "answers"),
            &Value::Text("sum".into())
        );
        assert_eq!(
            field(&answer.parts[0], "latency"),
            &Value::Text("25.0 ms".into())
        );
        // The whole message, as sent, with it.
        assert_eq!(
            field(&answer.parts[0], "message"),
            &Value::Json(br#"{"jsonrpc":"2.0","result":3,"id":7}"#.to_vec())
        );
        let untimed = Reading::new(None).read(
            Role::Server,
            MessageKind::Text,
            br#"{"jsonrpc":"2.0","result":3,"id":8}"#,
            None,
        );
        assert_eq!(
            field(&untimed.parts[0], "answers"),
            &Value::Text("no request seen with this id".into())
        );
    }

    #[test]
    fn json_cut_in_half_is_shown_as_far_as_it_goes() {
        let mut r = Reading::new(Some(View::Json));
        let s = read(
            &mut r,
            Role::Client,
            MessageKind::Text,
            br#"{"a": [1, 2"#,
            0,
        );
        assert_eq!(
            s.chosen.as_deref(),
            Some("payloads read as json: as --payload asks")
        );
        assert_eq!(s.problems.len(), 1);
        assert!(
            s.problems[0].starts_with("not JSON at byte 11:"),
            "{:?}",
            s.problems
        );
        assert_eq!(
            field(&s.parts[0], "value (as far as it is JSON)"),
            &Value::Text(r#"{"a":[1, 2"#.into())
        );
    }

    #[test]
    fn socketio_attachments_are_joined_to_their_packet() {
        let mut r = Reading::new(None);
        let open = read(
            &mut r,
            Role::Server,
            MessageKind::Text,
            br#"0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#,
            0,
        );
        assert_eq!(open.view, View::SocketIo);
        assert_eq!(field(&open.parts[0], "sid"), &Value::Text("abc".into()));
        assert_eq!(field(&open.parts[0], "pingInterval"), &Value::Num(25000));
        let packet = read(
            &mut r,
            Role::Client,
            MessageKind::Text,
            br#"451-/chat,9["up",{"_placeholder":true,"num":0}]"#,
            1,
        );
        assert_eq!(packet.parts[0].title, r#"message · BINARY_EVENT "up""#);
        assert_eq!(
            field(&packet.parts[0], "namespace"),
            &Value::Text("/chat".into())
        );
        assert_eq!(field(&packet.parts[0], "ack id"), &Value::Num(9));
        assert_eq!(
            field(&packet.parts[0], "joined"),
            &Value::Text("the next 1 binary messages".into())
        );
        let probe = read(&mut r, Role::Server, MessageKind::Text, b"2probe", 1);
        assert_eq!(probe.parts[0].title, "ping");
        assert_eq!(field(&probe.parts[0], "data"), &Value::Text("probe".into()));
        let att = read(&mut r, Role::Client, MessageKind::Binary, &[1, 2, 3], 2);
        assert_eq!(att.parts[1].title, r#"message · BINARY_EVENT "up""#);
        assert_eq!(
            field(&att.parts[1], "attachment 0"),
            &Value::Bytes(vec![1, 2, 3])
        );
        let unknown = read(&mut r, Role::Server, MessageKind::Text, b"9", 3);
        assert_eq!(
            unknown.problems,
            ["not Engine.IO at byte 0: expected an Engine.IO packet type (0-6), found '9'"]
        );
    }

    #[test]
    fn mqtt_packets_across_messages_and_a_bad_one() {
        let mut r = Reading::new(Some(View::Mqtt));
        // PUBLISH QoS 1, topic "a/b", id 10, payload "hi", cut after 4 bytes.
        let publish = [
            0x32, 0x09, 0x00, 0x03, b'a', b'/', b'b', 0x00, 0x0a, b'h', b'i',
        ];
        let first = read(&mut r, Role::Client, MessageKind::Binary, &publish[..4], 0);
        assert_eq!(first.parts.len(), 1);
        assert_eq!(first.parts[0].title, "incomplete");
        let second = read(&mut r, Role::Client, MessageKind::Binary, &publish[4..], 1);
        assert_eq!(second.parts[0].title, "continued");
        let p = &second.parts[1];
        assert_eq!(p.title, "PUBLISH");
        assert_eq!(
            field(p, "flags"),
            &Value::Text("0010 (DUP 0, QoS 1, RETAIN 0)".into())
        );
        assert_eq!(
            field(p, "remaining length"),
            &Value::Text("9 (1 byte of varint)".into())
        );
        assert_eq!(field(p, "payload"), &Value::Text("hi".into()));
        assert_eq!(r.ended(), None, "nothing is cut");
        // The server's packets are framed apart from the client's: a
        // PINGRESP while the client's PUBLISH waits for its end.
        let cut = read(&mut r, Role::Client, MessageKind::Binary, &publish[..3], 2);
        assert_eq!(cut.parts[0].title, "incomplete");
        let pong = read(&mut r, Role::Server, MessageKind::Binary, &[0xd0, 0x00], 2);
        assert_eq!(pong.parts.len(), 1, "{:?}", pong.parts);
        assert_eq!(pong.parts[0].title, "PINGRESP");
        let ended = r.ended().unwrap();
        assert_eq!(
            ended.problems,
            ["the client's last MQTT packet (PUBLISH) is cut: 3 of its bytes came (11 bytes long)"]
        );
        assert_eq!(
            (ended.view, ended.chosen, ended.parts),
            (View::Mqtt, None, vec![])
        );
        let bad = read(
            &mut r,
            Role::Server,
            MessageKind::Binary,
            &[0x20, 0xff, 0xff, 0xff, 0xff],
            2,
        );
        assert_eq!(bad.problems.len(), 1, "{:?}", bad.problems);
        assert!(bad.problems[0].starts_with("not MQTT at byte"));
    }

    #[test]
    fn graphql_results_are_tied_to_their_operation() {
        let mut r = Reading::new(Some(View::GraphQl));
        read(
            &mut r,
            Role::Client,
            MessageKind::Text,
            br#"{"type":"connection_init"}"#,
            0,
        );
        let early = read(
            &mut r,
            Role::Client,
            MessageKind::Text,
            br#"{"type":"subscribe","id":"1","payload":{"query":"subscription Count { n }","variables":{"from":3}}}"#,
            1,
        );
        assert_eq!(early.problems.len(), 1);
        assert!(early.problems[0].contains("before the server's connection_ack"));
        let p = &early.parts[0];
        assert_eq!(field(p, "operation"), &Value::Text("subscription".into()));
        assert_eq!(field(p, "name"), &Value::Text("Count".into()));
        assert_eq!(
            field(p, "variables"),
            &Value::Json(br#"{"from":3}"#.to_vec())
        );
        let next = read(
            &mut r,
            Role::Server,
            MessageKind::Text,
            br#"{"type":"next","id":"1","payload":{"data":{"n":3}}}"#,
            21,
        );
        assert_eq!(field(&next.parts[0], "result"), &Value::Num(1));
        assert_eq!(
            field(&next.parts[0], "since the operation started"),
            &Value::Text("20.0 ms".into())
        );
    }

    #[test]
    fn stomp_frames_and_trees() {
        let mut r = Reading::new(None);
        let s = read(
            &mut r,
            Role::Client,
            MessageKind::Text,
            b"CONNECT\naccept-version:1.2\nhost:x\n\n\0",
            0,
        );
        assert_eq!(s.view, View::Stomp);
        assert_eq!(s.parts[0].title, "CONNECT");
        assert_eq!(
            field(&s.parts[0], "accept-version"),
            &Value::Text("1.2".into())
        );
        let mut m = Reading::new(Some(View::MsgPack));
        let t = read(
            &mut m,
            Role::Client,
            MessageKind::Binary,
            &[0x81, 0xa1, b'a', 0x01],
            0,
        );
        assert_eq!(
            field(&t.parts[0], "value"),
            &Value::Text(r#"{"a": 1}"#.into())
        );
        let cut = read(&mut m, Role::Client, MessageKind::Binary, &[0x92, 0x01], 0);
        assert!(
            cut.problems[0].starts_with("not MessagePack at byte"),
            "{:?}",
            cut.problems
        );
    }

    #[test]
    fn what_is_worth_showing() {
        let shown = |view, chosen: bool, parts: usize, problems: usize| Shown {
            view,
            chosen: chosen.then(|| "said".to_string()),
            parts: vec![Part::new("p"); parts],
            problems: vec!["wrong".to_string(); problems],
        };
        // Raw for want of a view: nothing to say.
        assert!(!shown(View::Raw, true, 0, 0).worth_showing());
        assert!(!shown(View::Raw, false, 0, 0).worth_showing());
        assert!(shown(View::Raw, false, 0, 1).worth_showing());
        // A view chosen is said, even with nothing read yet.
        assert!(shown(View::Mqtt, true, 0, 0).worth_showing());
        assert!(!shown(View::Mqtt, false, 0, 0).worth_showing());
        assert!(shown(View::Mqtt, false, 1, 0).worth_showing());
    }

    #[test]
    fn the_view_binds_only_when_the_subprotocol_agreed_it() {
        let first = br#"{"a":1}"#;
        let mut agreed = Reading::new(None);
        agreed.agreed(Some("json"));
        assert_eq!(agreed.view(), None);
        read(&mut agreed, Role::Client, MessageKind::Text, first, 0);
        assert_eq!(agreed.view(), Some(View::Json));
        assert!(agreed.binding());
        let mut guessed = Reading::new(None);
        read(&mut guessed, Role::Client, MessageKind::Text, first, 0);
        assert_eq!(guessed.view(), Some(View::Json));
        assert!(!guessed.binding());
        let mut asked = Reading::new(Some(View::Json));
        asked.agreed(Some("json"));
        read(&mut asked, Role::Client, MessageKind::Text, first, 0);
        assert!(!asked.binding());
        // What breaks the format counts only where it binds.
        for r in [&mut agreed, &mut guessed, &mut asked] {
            read(r, Role::Server, MessageKind::Text, b"[}", 0);
            read(r, Role::Client, MessageKind::Text, first, 0);
            read(r, Role::Server, MessageKind::Text, first, 0);
            read(r, Role::Client, MessageKind::Text, b"{", 0);
        }
        assert_eq!(agreed.violations(), 2);
        assert_eq!(guessed.violations(), 0);
        assert_eq!(asked.violations(), 0);
    }

    #[test]
    fn socketio_attachments_never_sent_and_stray_messages_are_said() {
        let mut r = Reading::new(Some(View::SocketIo));
        let stray = read(&mut r, Role::Client, MessageKind::Binary, &[9], 0);
        assert_eq!(
            stray.problems,
            ["a binary message that no binary packet announced"]
        );
        read(
            &mut r,
            Role::Client,
            MessageKind::Text,
            br#"452-["up",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
            1,
        );
        read(&mut r, Role::Client, MessageKind::Binary, &[1], 2);
        assert_eq!(
            r.ended().unwrap().problems,
            ["the client's last binary Socket.IO packet announced 2 attachments; 1 came"]
        );
        // A text message while attachments are awaited gives them up,
        // and is read itself.
        let given_up = read(&mut r, Role::Client, MessageKind::Text, b"2", 3);
        assert_eq!(
            given_up.problems,
            ["a text message came while 1 of 2 attachments were still awaited; they are given up"]
        );
        assert_eq!(given_up.parts[0].title, "ping");
        // A binary packet announcing none is whole at once.
        let none = read(&mut r, Role::Client, MessageKind::Text, br#"450-["e"]"#, 4);
        assert_eq!(none.parts.len(), 1, "{:?}", none.parts);
        assert_eq!(none.parts[0].title, r#"message · BINARY_EVENT "e""#);
        assert_eq!(field(&none.parts[0], "attachments"), &Value::Num(0));
        assert!(none.parts[0].fields.iter().all(|(n, _)| n != "joined"));
    }

    #[test]
    fn json_rpc_batches_requests_and_what_is_not_an_answer() {
        let mut r = Reading::new(Some(View::JsonRpc));
        let batch = br#"[{"jsonrpc":"2.0","method":"a","id":1},{"jsonrpc":"2.0","method":"b"}]"#;
        let b = read(&mut r, Role::Client, MessageKind::Text, batch, 0);
        let titles: Vec<&str> = b.parts.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(titles, ["request", "notification", "batch"]);
        // A call answers nothing.
        assert!(b.parts[0].fields.iter().all(|(n, _)| n != "answers"));
        assert!(b.parts[1].fields.iter().all(|(n, _)| n != "answers"));
        assert_eq!(field(&b.parts[2], "message"), &Value::Json(batch.to_vec()));
    }

    #[test]
    fn json_that_is_not_the_protocol_is_shown_with_why() {
        let mut r = Reading::new(Some(View::GraphQl));
        let s = read(&mut r, Role::Client, MessageKind::Text, b"[1]", 0);
        assert_eq!(s.problems, [r#"expected an object with a "type""#]);
        assert_eq!(field(&s.parts[0], "message"), &Value::Json(b"[1]".to_vec()));
    }

    #[test]
    fn a_stomp_body_is_json_when_its_content_type_says_so_and_it_is() {
        let mut r = Reading::new(Some(View::Stomp));
        let body = |r: &mut Reading, frame: &[u8]| {
            let s = read(r, Role::Client, MessageKind::Text, frame, 0);
            field(&s.parts[0], "body").clone()
        };
        assert_eq!(
            body(
                &mut r,
                b"SEND\ncontent-type:application/json\n\n{\"a\":1}\0"
            ),
            Value::Json(br#"{"a":1}"#.to_vec())
        );
        assert_eq!(
            body(&mut r, b"SEND\ncontent-type:text/plain\n\n{\"a\":1}\0"),
            Value::Text(r#"{"a":1}"#.into())
        );
        assert_eq!(
            body(&mut r, b"SEND\ncontent-type:application/json\n\n{\"a\":\0"),
            Value::Text(r#"{"a":"#.into())
        );
        let empty = read(
            &mut r,
            Role::Client,
            MessageKind::Text,
            b"SEND\ndestination:/q\n\n\0",
            0,
        );
        assert!(empty.parts[0].fields.iter().all(|(n, _)| n != "body"));
    }
}
