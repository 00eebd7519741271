//! JSON-RPC 2.0 in messages: requests, notifications, responses and
//! errors (and batches of them), and each response tied to the request it
//! answers, with the time between them.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;

use crate::protocol::Role;

/// One JSON-RPC 2.0 object.
#[derive(Debug, Clone, PartialEq)]
pub enum Rpc {
    /// A call that wants an answer.
    Request {
        /// The method.
        method: String,
        /// Its id, as JSON (a string or a number).
        id: String,
        /// The params, as JSON, when given.
        params: Option<Value>,
    },
    /// A call that wants none.
    Notification {
        /// The method.
        method: String,
        /// The params, as JSON, when given.
        params: Option<Value>,
    },
    /// A successful answer.
    Response {
        /// The id it answers.
        id: String,
        /// Its result.
        result: Value,
    },
    /// A failed answer.
    Error {
        /// The id it answers (`null` when the request could not be read).
        id: String,
        /// The error's code.
        code: i64,
        /// The error's message.
        message: String,
    },
}

/// What a message holds: one object, or a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Read {
    /// The objects (one unless a batch).
    pub objects: Vec<Result<Rpc, String>>,
    /// It was a batch (an array).
    pub batch: bool,
}

/// Reads a message as JSON-RPC 2.0; `Err` when it is not JSON at all. An
/// object that breaks the specification is kept as an `Err` saying how.
pub fn read(data: &[u8]) -> Result<Read, String> {
    let v: Value = serde_json::from_slice(data).map_err(|e| format!("not JSON: {e}"))?;
    Ok(match v {
        Value::Array(items) if !items.is_empty() => Read {
            objects: items.iter().map(object).collect(),
            batch: true,
        },
        Value::Array(_) => Read {
            objects: vec![Err(
                "an empty batch (the specification calls it invalid)".into()
            )],
            batch: true,
        },
        v => Read {
            objects: vec![object(&v)],
            batch: false,
        },
    })
}

fn object(v: &Value) -> Result<Rpc, String> {
    let Value::Object(o) = v else {
        return Err(format!("expected an object, found {v}"));
    };
    if o.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err("expected \"jsonrpc\": \"2.0\"".into());
    }
    let id = match o.get("id") {
        None => None,
        Some(i @ (Value::String(_) | Value::Number(_) | Value::Null)) => Some(i.to_string()),
        Some(other) => {
            return Err(format!(
                "expected an id that is a string or a number, found {other}"
            ))
        }
    };
    if let Some(m) = o.get("method") {
        let Some(method) = m.as_str() else {
            return Err(format!("expected a method name (a string), found {m}"));
        };
        let params = o.get("params").cloned();
        if params
            .as_ref()
            .is_some_and(|p| !p.is_object() && !p.is_array())
        {
            return Err("expected params to be an array or an object".into());
        }
        return Ok(match id {
            Some(id) => Rpc::Request {
                method: method.to_string(),
                id,
                params,
            },
            None => Rpc::Notification {
                method: method.to_string(),
                params,
            },
        });
    }
    let Some(id) = id else {
        return Err("expected a method (a call) or an id (an answer)".into());
    };
    match (o.get("result"), o.get("error")) {
        (Some(r), None) => Ok(Rpc::Response {
            id,
            result: r.clone(),
        }),
        (None, Some(e)) => {
            let code = e.get("code").and_then(Value::as_i64);
            let message = e.get("message").and_then(Value::as_str);
            match (code, message) {
                (Some(code), Some(message)) => Ok(Rpc::Error {
                    id,
                    code,
                    message: message.to_string(),
                }),
                _ => Err("expected an error with a code (an integer) and a message".into()),
            }
        }
        (Some(_), Some(_)) => Err("an answer with both result and error".into()),
        (None, None) => Err("an answer with neither result nor error".into()),
    }
}

/// The most requests waiting for their answer that are remembered: past
/// it the oldest is forgotten, so a peer that never answers cannot grow
/// memory without bound.
pub const MAX_PENDING: usize = 4096;

/// Ties answers to requests on one connection.
#[derive(Debug, Default)]
pub struct Pairs {
    /// (who asked, the id) -> when, and the method.
    pending: HashMap<(bool, String), (Duration, String)>,
    order: std::collections::VecDeque<(bool, String)>,
}

/// An answer tied to its request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    /// The request's method.
    pub method: String,
    /// The time from the request to the answer.
    pub latency: Duration,
}

impl Pairs {
    /// Notes `rpc`, sent by `from` at `at` (from any fixed origin); for an
    /// answer, the request it answers.
    pub fn seen(&mut self, from: Role, rpc: &Rpc, at: Duration) -> Option<Answered> {
        match rpc {
            Rpc::Request { method, id, .. } => {
                let key = (from == Role::Client, id.clone());
                if self.pending.len() == MAX_PENDING {
                    if let Some(old) = self.order.pop_front() {
                        self.pending.remove(&old);
                    }
                }
                if self
                    .pending
                    .insert(key.clone(), (at, method.clone()))
                    .is_none()
                {
                    self.order.push_back(key);
                }
                None
            }
            Rpc::Response { id, .. } | Rpc::Error { id, .. } => {
                // Answered by the other side.
                let key = (from != Role::Client, id.clone());
                let (when, method) = self.pending.remove(&key)?;
                self.order.retain(|k| *k != key);
                Some(Answered {
                    method,
                    latency: at.saturating_sub(when),
                })
            }
            Rpc::Notification { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The specification's examples (jsonrpc.org/specification, section 7).
    #[test]
    fn the_specifications_examples() {
        let one = |s: &str| read(s.as_bytes()).unwrap().objects.remove(0);
        assert_eq!(
            one(r#"{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}"#)
                .unwrap(),
            Rpc::Request {
                method: "subtract".into(),
                id: "1".into(),
                params: Some(serde_json::json!([42, 23]))
            }
        );
        assert!(matches!(
            one(r#"{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}"#).unwrap(),
            Rpc::Notification { .. }
        ));
        assert_eq!(
            one(r#"{"jsonrpc": "2.0", "result": 19, "id": "a"}"#).unwrap(),
            Rpc::Response {
                id: "\"a\"".into(),
                result: serde_json::json!(19)
            }
        );
        assert_eq!(
            one(r#"{"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "1"}"#).unwrap(),
            Rpc::Error {
                id: "\"1\"".into(),
                code: -32601,
                message: "Method not found".into()
            }
        );
        let batch = read(br#"[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"}, {"foo": "boo"}, 1]"#).unwrap();
        assert!(batch.batch);
        assert!(batch.objects[0].is_ok());
        assert_eq!(
            batch.objects[1],
            Err("expected \"jsonrpc\": \"2.0\"".to_string())
        );
        assert_eq!(
            batch.objects[2],
            Err("expected an object, found 1".to_string())
        );
        assert!(read(b"[]").unwrap().objects[0].is_err());
        assert!(read(b"{\"jsonrpc\": \"2.0\", \"method\"")
            .unwrap_err()
            .starts_with("not JSON"));
        for (bad, why) in [
            (r#"{"jsonrpc":"2.0","method":1,"id":1}"#, "method name"),
            (r#"{"jsonrpc":"2.0","method":"m","params":3}"#, "params"),
            (
                r#"{"jsonrpc":"2.0","id":[1],"result":1}"#,
                "string or a number",
            ),
            (r#"{"jsonrpc":"2.0","id":1}"#, "neither"),
            (r#"{"jsonrpc":"2.0","id":1,"result":1,"error":{}}"#, "both"),
            (r#"{"jsonrpc":"2.0","id":1,"error":{"code":"x"}}"#, "a code"),
            (r#"{"jsonrpc":"2.0"}"#, "a method"),
        ] {
            let e = one(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn answers_are_tied_to_their_requests_with_the_time_between() {
        let mut p = Pairs::default();
        let req = |id: &str| Rpc::Request {
            method: format!("m{id}"),
            id: id.into(),
            params: None,
        };
        let res = |id: &str| Rpc::Response {
            id: id.into(),
            result: Value::Null,
        };
        let ms = Duration::from_millis;
        assert_eq!(p.seen(Role::Client, &req("1"), ms(10)), None);
        assert_eq!(p.seen(Role::Client, &req("2"), ms(20)), None);
        // The server's own request with the same id is another one.
        assert_eq!(p.seen(Role::Server, &req("1"), ms(25)), None);
        assert_eq!(
            p.seen(Role::Server, &res("2"), ms(50)),
            Some(Answered {
                method: "m2".into(),
                latency: ms(30)
            })
        );
        assert_eq!(
            p.seen(Role::Server, &res("2"), ms(60)),
            None,
            "answered once"
        );
        assert_eq!(
            p.seen(Role::Server, &res("1"), ms(70)).unwrap().latency,
            ms(60)
        );
        assert_eq!(
            p.seen(Role::Client, &res("1"), ms(80)).unwrap().latency,
            ms(55)
        );
        // Bounded: the oldest is forgotten.
        for i in 0..MAX_PENDING + 1 {
            p.seen(Role::Client, &req(&i.to_string()), ms(0));
        }
        assert_eq!(p.pending.len(), MAX_PENDING);
        assert_eq!(p.seen(Role::Server, &res("0"), ms(1)), None);
        assert!(p.seen(Role::Server, &res("1"), ms(1)).is_some());
    }
}
