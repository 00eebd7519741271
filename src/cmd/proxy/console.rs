//! The proxy's console: commands typed at a prompt or piped into stdin,
//! one per line, in the language of
//! [`parse_proxy`](crate::cmd::input::console::parse_proxy): send to either
//! end of a connection, hold messages (`/intercept`), then let them go,
//! drop or change them. The relay thread carries each command out
//! ([`relay::Order`]) and says what it did.

use std::io;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::relay::Order;
use super::Shared;
use crate::cmd::input::console::{parse_proxy, ProxyCommand, PROXY_COMMANDS};
use crate::cmd::prompt::{self, Completion, Kind, Terminal};
use crate::cmd::signals;

/// Starts the console (see [`prompt::start`]).
pub(super) fn start(kind: Kind, shared: &Arc<Shared>) -> io::Result<Option<Terminal>> {
    prompt::start(
        kind,
        ProxyLines {
            shared: shared.clone(),
        },
        Completion::names(PROXY_COMMANDS, &[]),
        &shared.out,
        "console: /intercept holds messages, /send ID client|server TEXT sends one; /help lists the commands; Ctrl-C or Ctrl-D stops the proxy\n",
    )
}

/// What the proxy does with the console's lines.
struct ProxyLines {
    shared: Arc<Shared>,
}

impl prompt::Lines for ProxyLines {
    fn line(&mut self, line: &str, prompt: bool) -> bool {
        run(line, &self.shared, prompt)
    }

    fn interrupted(&mut self) {
        signals::wake();
    }

    fn ended(&mut self, count: u64) {
        // No command can come now: new connections are relayed byte for
        // byte again.
        self.shared.console.store(false, Ordering::Relaxed);
        if count > 0 {
            eprintln!(
                "wsdbg proxy: console: end of input; the proxy keeps running (Ctrl-C to stop)"
            );
        }
    }
}

/// Runs one line; false to stop reading.
fn run(line: &str, shared: &Shared, prompt: bool) -> bool {
    let answers = prompt::Answers {
        out: &shared.out,
        prompt,
        json: shared.view.json,
    };
    let order = match parse_proxy(line) {
        Err(e) => {
            answers.error(&e.to_string());
            return true;
        }
        Ok(ProxyCommand::Nothing) => return true,
        Ok(ProxyCommand::Help(None)) => {
            answers.reply(&help());
            return true;
        }
        Ok(ProxyCommand::Help(Some(u))) => {
            answers.reply(&format!("{} {}\n    {}\n", u.name, u.args, u.what));
            return true;
        }
        Ok(ProxyCommand::Quit) => {
            signals::wake();
            return false;
        }
        Ok(ProxyCommand::List) => Order::List,
        Ok(ProxyCommand::Intercept(i)) => Order::Intercept(i),
        Ok(ProxyCommand::Release(n, how)) => Order::Release(n, how),
        Ok(ProxyCommand::Send(target, toward, send)) => Order::Send(target, toward, send),
    };
    match shared.relay.ask(order) {
        Ok(text) => answers.reply(&text),
        Err(why) => answers.error(&why),
    }
    true
}

fn help() -> String {
    let mut s = String::from(
        "ID is a connection id as shown (1 or #1) or all; N a held message's number ([1]).\n",
    );
    for u in PROXY_COMMANDS {
        let line = format!("{} {}", u.name, u.args);
        if line.len() > 44 {
            s.push_str(&format!("  {line}\n  {:44}  {}\n", "", u.what));
        } else {
            s.push_str(&format!("  {line:44}  {}\n", u.what));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_lists_every_proxy_command_once() {
        let h = help();
        for u in PROXY_COMMANDS {
            assert_eq!(
                h.matches(&format!("  {} ", u.name)).count(),
                1,
                "{}\n{h}",
                u.name
            );
        }
    }
}
