//! What the application says inside the messages: which protocol a
//! connection's payloads are read as (asked for, told by the agreed
//! subprotocol, or recognised in the first message, always with the
//! reason), the readers of each ([`json`], [`socketio`], ...), and one
//! connection's reading of them ([`read`]).
//!
//! Nothing here prints; the printers render what the readers find, beside
//! the raw payload, which is never hidden.

pub mod graphql;
pub mod json;
pub mod jsonrpc;
pub mod mqtt;
pub mod read;
pub mod socketio;
pub mod stomp;
pub mod tree;

use super::message::MessageKind;

/// A way of reading payloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// As bytes or text, nothing more.
    Raw,
    /// JSON, laid out.
    Json,
    /// Engine.IO v4 and Socket.IO v5.
    SocketIo,
    /// GraphQL over WebSocket (`graphql-transport-ws`,
    /// `subscriptions-transport-ws`).
    GraphQl,
    /// STOMP 1.0-1.2.
    Stomp,
    /// MQTT 3.1.1 and 5.0.
    Mqtt,
    /// JSON-RPC 2.0.
    JsonRpc,
    /// MessagePack.
    MsgPack,
    /// CBOR.
    Cbor,
}

impl View {
    /// Every view, in `--payload`'s order.
    pub const ALL: [View; 9] = [
        View::Raw,
        View::Json,
        View::SocketIo,
        View::GraphQl,
        View::Stomp,
        View::Mqtt,
        View::JsonRpc,
        View::MsgPack,
        View::Cbor,
    ];

    /// Its name, as `--payload` spells it.
    pub fn name(self) -> &'static str {
        match self {
            View::Raw => "raw",
            View::Json => "json",
            View::SocketIo => "socketio",
            View::GraphQl => "graphql",
            View::Stomp => "stomp",
            View::Mqtt => "mqtt",
            View::JsonRpc => "jsonrpc",
            View::MsgPack => "msgpack",
            View::Cbor => "cbor",
        }
    }

    /// The view a subprotocol names (matched without regard to case).
    pub fn of_subprotocol(protocol: &str) -> Option<View> {
        let p = protocol.trim().to_ascii_lowercase();
        Some(match p.as_str() {
            "graphql-transport-ws" | "graphql-ws" => View::GraphQl,
            "mqtt" | "mqttv3.1" => View::Mqtt,
            "v10.stomp" | "v11.stomp" | "v12.stomp" | "stomp" => View::Stomp,
            "json" | "wamp.2.json" => View::Json,
            "wamp.2.msgpack" | "msgpack" => View::MsgPack,
            "wamp.2.cbor" | "cbor" => View::Cbor,
            "jsonrpc" | "json-rpc" | "jsonrpc-2.0" => View::JsonRpc,
            _ => return None,
        })
    }
}

/// Why a connection's payloads are read as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// `--payload` said so.
    Asked,
    /// The subprotocol the server agreed to names it.
    Subprotocol(String),
    /// The first data message looks like it (what was seen).
    Content(&'static str),
    /// Nothing said otherwise.
    Nothing,
}

impl Why {
    /// In words, for the line that says what was chosen.
    pub fn words(&self) -> String {
        match self {
            Why::Asked => "as --payload asks".to_string(),
            Why::Subprotocol(p) => format!("the agreed subprotocol is {p}"),
            Why::Content(what) => format!("the first message {what}"),
            Why::Nothing => {
                "no subprotocol names a protocol and the first message is not one wsdbg reads"
                    .to_string()
            }
        }
    }
}

/// What the first data message of a connection looks like, if it is one
/// of the views (content is only a guess, and said as one).
pub fn of_content(kind: MessageKind, data: &[u8]) -> Option<(View, &'static str)> {
    match kind {
        MessageKind::Text => {
            if data.starts_with(b"0{") && socketio::engine(data).is_ok() {
                return Some((View::SocketIo, "is an Engine.IO open packet"));
            }
            for command in [&b"CONNECT\n"[..], b"STOMP\n", b"CONNECT\r\n", b"STOMP\r\n"] {
                if data.starts_with(command) {
                    return Some((View::Stomp, "is a STOMP CONNECT frame"));
                }
            }
            let trimmed = data.trim_ascii_start();
            if matches!(trimmed.first(), Some(b'{' | b'[')) && json::check(data).is_ok() {
                let rpc = serde_json::from_slice::<serde_json::Value>(data)
                    .ok()
                    .is_some_and(|v| v.get("jsonrpc").and_then(|j| j.as_str()) == Some("2.0"));
                if rpc {
                    return Some((View::JsonRpc, "is a JSON-RPC 2.0 object"));
                }
                return Some((View::Json, "is JSON"));
            }
            None
        }
        MessageKind::Binary => {
            // MQTT CONNECT: type 1, flags 0, a length, then the protocol
            // name "MQTT" (3.1.1, 5.0) or "MQIsdp" (3.1).
            let name_at = data.iter().skip(1).position(|b| b & 0x80 == 0)? + 2;
            let named = |n: &[u8]| {
                data.get(name_at..name_at + 2) == Some(&(n.len() as u16).to_be_bytes()[..])
                    && data.get(name_at + 2..name_at + 2 + n.len()) == Some(n)
            };
            (data.first() == Some(&0x10) && (named(b"MQTT") || named(b"MQIsdp")))
                .then_some((View::Mqtt, "is an MQTT CONNECT packet"))
        }
    }
}

/// The view for a connection: `asked` (None for `auto`), else what the
/// subprotocol names, else what the first data message looks like, else
/// raw; with the reason.
pub fn choose(
    asked: Option<View>,
    subprotocol: Option<&str>,
    first: Option<(MessageKind, &[u8])>,
) -> (View, Why) {
    if let Some(v) = asked {
        return (v, Why::Asked);
    }
    if let Some((p, v)) = subprotocol.and_then(|p| Some((p, View::of_subprotocol(p)?))) {
        return (v, Why::Subprotocol(p.to_string()));
    }
    match first.and_then(|(k, d)| of_content(k, d)) {
        Some((v, what)) => (v, Why::Content(what)),
        None => (View::Raw, Why::Nothing),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asked_then_subprotocol_then_content_then_raw() {
        let json = Some((MessageKind::Text, &br#"{"a":1}"#[..]));
        assert_eq!(
            choose(Some(View::Raw), Some("mqtt"), json),
            (View::Raw, Why::Asked)
        );
        assert_eq!(
            choose(None, Some("graphql-transport-ws"), json),
            (
                View::GraphQl,
                Why::Subprotocol("graphql-transport-ws".into())
            )
        );
        assert_eq!(
            choose(None, Some("chat"), json),
            (View::Json, Why::Content("is JSON"))
        );
        assert_eq!(
            choose(None, None, Some((MessageKind::Text, b"hello"))),
            (View::Raw, Why::Nothing)
        );
        assert_eq!(choose(None, None, None), (View::Raw, Why::Nothing));
        assert!(Why::Subprotocol("mqtt".into()).words().contains("mqtt"));
    }

    #[test]
    fn content_is_recognised_by_what_only_that_protocol_sends() {
        let text = |d: &'static [u8]| of_content(MessageKind::Text, d).map(|v| v.0);
        assert_eq!(
            text(br#"0{"sid":"x","upgrades":[],"pingInterval":25000}"#),
            Some(View::SocketIo)
        );
        assert_eq!(
            text(b"CONNECT\naccept-version:1.2\nhost:x\n\n\0"),
            Some(View::Stomp)
        );
        assert_eq!(
            text(br#"{"jsonrpc":"2.0","method":"sum","params":[1,2],"id":1}"#),
            Some(View::JsonRpc)
        );
        assert_eq!(text(b" [1, 2]"), Some(View::Json));
        assert_eq!(text(b"{not json"), None);
        assert_eq!(text(b"42"), None, "a number alone is no view");
        // MQTT 3.1.1 CONNECT (paho's, clean session, keepalive 60).
        let connect = [
            0x10, 0x10, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x02, 0x00, 0x3c, 0x00, 0x04,
            b'p', b'a', b'h', b'o',
        ];
        assert_eq!(
            of_content(MessageKind::Binary, &connect).map(|v| v.0),
            Some(View::Mqtt)
        );
        assert_eq!(of_content(MessageKind::Binary, &connect[..6]), None);
        assert_eq!(of_content(MessageKind::Binary, &[0x10]), None);
        assert_eq!(of_content(MessageKind::Binary, &[0x20, 0x02, 0, 0]), None);
    }

    #[test]
    fn subprotocols_name_views_and_views_their_names() {
        assert_eq!(View::of_subprotocol(" V12.STOMP "), Some(View::Stomp));
        assert_eq!(View::of_subprotocol("wamp.2.msgpack"), Some(View::MsgPack));
        assert_eq!(View::of_subprotocol("chat"), None);
        let names: Vec<_> = View::ALL.iter().map(|v| v.name()).collect();
        assert_eq!(
            names,
            ["raw", "json", "socketio", "graphql", "stomp", "mqtt", "jsonrpc", "msgpack", "cbor"]
        );
    }
}
