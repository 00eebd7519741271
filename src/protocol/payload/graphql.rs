//! GraphQL over WebSocket, both protocols: `graphql-transport-ws` (the
//! `graphql-ws` library's) and the older `subscriptions-transport-ws`
//! (subprotocol `graphql-ws`, Apollo's): each message's type, id,
//! operation name and type, and variables; a connection's operations
//! followed, so that each result is tied to the operation it answers, and
//! what breaks the protocol said (an operation before `connection_ack`, an
//! id already in use, a result for no operation).

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;

use crate::protocol::Role;

/// One message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Its type (`subscribe`, `next`, `start`, `data`...).
    pub kind: String,
    /// Its operation id.
    pub id: Option<String>,
    /// Its payload.
    pub payload: Option<Value>,
}

/// Reads a message; `Err` says why it is not one.
pub fn read(data: &[u8]) -> Result<Message, String> {
    let v: Value = serde_json::from_slice(data).map_err(|e| format!("not JSON: {e}"))?;
    let Some(kind) = v.get("type").and_then(Value::as_str) else {
        return Err("expected an object with a \"type\"".into());
    };
    let id = match v.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    };
    Ok(Message {
        kind: kind.to_string(),
        id,
        payload: v.get("payload").cloned(),
    })
}

/// An operation's type and name, from its query text.
pub fn operation(query: &str) -> (String, Option<String>) {
    let mut words = query
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty());
    let first = query.trim_start();
    if first.starts_with('{') {
        return ("query".into(), None);
    }
    match words.next() {
        Some(k @ ("query" | "mutation" | "subscription")) => {
            let name = first[k.len()..]
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>();
            (k.to_string(), (!name.is_empty()).then_some(name))
        }
        _ => ("unknown".into(), None),
    }
}

/// What following a message found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// An operation started: its type and name.
    Started {
        /// Its id.
        id: String,
        /// query, mutation or subscription.
        operation: String,
        /// Its name, when it has one.
        name: Option<String>,
    },
    /// A result of an operation: which one, which result, how long since
    /// it started.
    Result {
        /// Its id.
        id: String,
        /// 1 for the first result.
        number: u64,
        /// Since the operation started.
        latency: Duration,
    },
    /// The operation ended, after this many results.
    Ended {
        /// Its id.
        id: String,
        /// Results it had.
        results: u64,
        /// Since it started.
        duration: Duration,
    },
    /// What breaks the protocol.
    Problem(String),
}

/// The most operations followed at once.
pub const MAX_OPERATIONS: usize = 4096;

/// Follows one connection's operations.
#[derive(Debug, Default)]
pub struct Session {
    acked: bool,
    ops: HashMap<String, (Duration, u64)>,
}

impl Session {
    /// Notes `m`, sent by `from` at `at` (from any fixed origin).
    pub fn seen(&mut self, from: Role, m: &Message, at: Duration) -> Vec<Found> {
        let mut out = Vec::new();
        let client = from == Role::Client;
        let id = m.id.clone();
        match (m.kind.as_str(), client) {
            ("connection_init" | "ping" | "pong" | "connection_terminate", _) => {}
            ("connection_ack", false) => self.acked = true,
            ("connection_error" | "ka", false) => {}
            ("subscribe" | "start", true) => {
                if !self.acked {
                    out.push(Found::Problem(format!(
                        "{} before the server's connection_ack (graphql-transport-ws closes with 4401 Unauthorized)",
                        m.kind
                    )));
                }
                let Some(id) = id else {
                    out.push(Found::Problem(format!("{} without an id", m.kind)));
                    return out;
                };
                if self.ops.contains_key(&id) {
                    out.push(Found::Problem(format!(
                        "id {id:?} is already in use by a running operation (graphql-transport-ws closes with 4409)"
                    )));
                }
                let query = m
                    .payload
                    .as_ref()
                    .and_then(|p| p.get("query"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let (operation, mut name) = operation(query);
                if let Some(n) = m
                    .payload
                    .as_ref()
                    .and_then(|p| p.get("operationName"))
                    .and_then(Value::as_str)
                {
                    name = Some(n.to_string());
                }
                if self.ops.len() < MAX_OPERATIONS {
                    self.ops.insert(id.clone(), (at, 0));
                }
                out.push(Found::Started {
                    id,
                    operation,
                    name,
                });
            }
            ("next" | "data" | "error", false) => {
                let Some(op) = id.as_ref().and_then(|i| self.ops.get_mut(i)) else {
                    out.push(Found::Problem(format!(
                        "{} for {}, which no running operation has",
                        m.kind,
                        id.map_or("no id".to_string(), |i| format!("id {i:?}"))
                    )));
                    return out;
                };
                op.1 += 1;
                out.push(Found::Result {
                    id: id.clone().unwrap_or_default(),
                    number: op.1,
                    latency: at.saturating_sub(op.0),
                });
                if m.kind == "error" {
                    // An error ends the operation (graphql-transport-ws).
                    let (start, n) = self
                        .ops
                        .remove(id.as_deref().unwrap_or(""))
                        .unwrap_or_default();
                    out.push(Found::Ended {
                        id: id.unwrap_or_default(),
                        results: n,
                        duration: at.saturating_sub(start),
                    });
                }
            }
            ("complete" | "stop", _) => {
                if let Some((start, n)) = id.as_ref().and_then(|i| self.ops.remove(i)) {
                    out.push(Found::Ended {
                        id: id.unwrap_or_default(),
                        results: n,
                        duration: at.saturating_sub(start),
                    });
                }
            }
            (kind, _) => out.push(Found::Problem(format!(
                "a {kind:?} message from the {}, which neither protocol has it send",
                from.name()
            ))),
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    fn m(s: &str) -> Message {
        read(s.as_bytes()).unwrap()
    }

    #[test]
    fn a_subscription_with_its_results_tied_and_ended() {
        let mut s = Session::default();
        assert!(s
            .seen(Role::Client, &m(r#"{"type":"connection_init"}"#), at(0))
            .is_empty());
        assert!(s
            .seen(Role::Server, &m(r#"{"type":"connection_ack"}"#), at(1))
            .is_empty());
        let started = s.seen(
            Role::Client,
            &m(r#"{"id":"1","type":"subscribe","payload":{"query":"subscription OnGreet { greetings }"}}"#),
            at(2),
        );
        assert_eq!(
            started,
            [Found::Started {
                id: "1".into(),
                operation: "subscription".into(),
                name: Some("OnGreet".into())
            }]
        );
        for (i, t) in [(1, 12), (2, 22), (3, 32)] {
            let r = s.seen(
                Role::Server,
                &m(r#"{"id":"1","type":"next","payload":{"data":{"greetings":"hi"}}}"#),
                at(t),
            );
            assert_eq!(
                r,
                [Found::Result {
                    id: "1".into(),
                    number: i,
                    latency: at(t - 2)
                }]
            );
        }
        assert_eq!(
            s.seen(Role::Server, &m(r#"{"id":"1","type":"complete"}"#), at(40)),
            [Found::Ended {
                id: "1".into(),
                results: 3,
                duration: at(38)
            }]
        );
    }

    #[test]
    fn what_breaks_the_protocol_is_said() {
        let mut s = Session::default();
        let q = r#"{"id":"a","type":"subscribe","payload":{"query":"{ hello }"}}"#;
        let found = s.seen(Role::Client, &m(q), at(0));
        assert!(
            matches!(&found[0], Found::Problem(p) if p.contains("before the server's connection_ack"))
        );
        assert!(matches!(&found[1], Found::Started { operation, .. } if operation == "query"));
        let found = s.seen(Role::Client, &m(q), at(1));
        assert!(found
            .iter()
            .any(|f| matches!(f, Found::Problem(p) if p.contains("already in use"))));
        let found = s.seen(
            Role::Server,
            &m(r#"{"id":"zz","type":"next","payload":{}}"#),
            at(2),
        );
        assert!(matches!(&found[0], Found::Problem(p) if p.contains("no running operation")));
        let found = s.seen(Role::Client, &m(r#"{"type":"next","id":"a"}"#), at(3));
        assert!(matches!(&found[0], Found::Problem(p) if p.contains("from the client")));
        // The legacy protocol: start, data, an error that ends it.
        let mut s = Session::default();
        s.seen(Role::Server, &m(r#"{"type":"connection_ack"}"#), at(0));
        s.seen(Role::Client, &m(r#"{"id":"1","type":"start","payload":{"query":"mutation M { x }","operationName":"Named"}}"#), at(0));
        let found = s.seen(
            Role::Server,
            &m(r#"{"id":"1","type":"error","payload":[{"message":"no"}]}"#),
            at(5),
        );
        assert_eq!(found.len(), 2);
        assert!(matches!(&found[1], Found::Ended { results: 1, .. }));
        assert!(read(b"[1]").unwrap_err().contains("\"type\""));
        assert!(read(b"{").unwrap_err().starts_with("not JSON"));
    }

    #[test]
    fn operations_are_named_from_their_query() {
        assert_eq!(
            operation("query Q($a: Int) { x }"),
            ("query".into(), Some("Q".into()))
        );
        assert_eq!(operation("  mutation { x }"), ("mutation".into(), None));
        assert_eq!(operation("{ x }"), ("query".into(), None));
        assert_eq!(operation("fragment F on T { x }"), ("unknown".into(), None));
    }
}
