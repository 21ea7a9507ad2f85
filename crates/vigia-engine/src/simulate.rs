//! `vigia simulate`: the engine on a virtual clock, checks answered from a script.
//!
//! The script has one event per line: `AT COMMAND_LINE` (any external command, run at AT) or
//! `AT RESULT host[;service] CODE OUTPUT` (from AT on, the active check of that object returns
//! CODE with OUTPUT; the default is `0 OK`). AT is an offset from the start: `90s`, `1h5m`, `2d`.
//! Blank lines and `#` comments are skipped. The clock jumps from one due event to the next, so a
//! day of monitoring takes as long as its events, not a day.
use std::collections::HashMap;

use crate::engine::{ActionKind, CheckResult, Engine};
use crate::status::Item;

/// One line of the events script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Seconds after the start.
    pub at: i64,
    pub what: EventKind,
    pub line: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    Command(String),
    Result {
        host: String,
        service: Option<String>,
        code: i32,
        output: String,
    },
}

/// Reads a duration: `90`, `90s`, `5m`, `1h5m`, `2d`.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration".into());
    }
    let mut total: i64 = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(format!("'{text}': unknown unit '{c}' (use s, m, h, d, w)")),
        };
        let n: i64 = digits
            .parse()
            .map_err(|_| format!("'{text}': a number must come before '{c}'"))?;
        total = total.saturating_add(n.saturating_mul(unit));
        digits.clear();
    }
    if !digits.is_empty() {
        let n: i64 = digits.parse().map_err(|_| format!("'{text}' is not a duration"))?;
        total = total.saturating_add(n);
    }
    Ok(total)
}

/// Parses the events script; every bad line is reported with its number.
pub fn parse_events(text: &str) -> Result<Vec<Event>, Vec<String>> {
    let mut events = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i as u32 + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (at, rest) = match line.split_once(char::is_whitespace) {
            Some((a, r)) => (a, r.trim()),
            None => {
                errors.push(format!("line {line_no}: expected 'AT COMMAND' or 'AT RESULT …'"));
                continue;
            }
        };
        let at = match parse_duration(at) {
            Ok(at) => at,
            Err(e) => {
                errors.push(format!("line {line_no}: {e}"));
                continue;
            }
        };
        let what = match rest.strip_prefix("RESULT ") {
            Some(spec) => match parse_result(spec.trim()) {
                Ok(kind) => kind,
                Err(e) => {
                    errors.push(format!("line {line_no}: {e}"));
                    continue;
                }
            },
            None => EventKind::Command(rest.to_string()),
        };
        events.push(Event {
            at,
            what,
            line: line_no,
        });
    }
    if errors.is_empty() {
        events.sort_by_key(|e| (e.at, e.line));
        Ok(events)
    } else {
        Err(errors)
    }
}

fn parse_result(spec: &str) -> Result<EventKind, String> {
    let mut parts = spec.splitn(3, char::is_whitespace);
    let object = parts.next().unwrap_or("");
    let code = parts.next().ok_or("RESULT needs 'host[;service] CODE [OUTPUT]'")?;
    let output = parts.next().unwrap_or("").trim().to_string();
    let code: i32 = code.parse().map_err(|_| format!("'{code}' is not an exit code"))?;
    let (host, service) = match object.split_once(';') {
        Some((h, s)) => (h.to_string(), Some(s.to_string())),
        None => (object.to_string(), None),
    };
    if host.is_empty() {
        return Err("RESULT names no host".into());
    }
    Ok(EventKind::Result {
        host,
        service,
        code,
        output,
    })
}

/// Runs the engine from its current time until `until` seconds later, printing into `out` the
/// monitoring log and every notification and event handler command line it would run. Broks and
/// retention changes are turned off: a simulation has no broker and no standby.
pub fn run(engine: &mut Engine, events: &[Event], until: i64, out: &mut Vec<String>) -> Result<(), String> {
    engine.set_broks_enabled(false);
    engine.set_retention_tracking(false);
    out.extend(engine.drain_log());
    let start = engine.now();
    let end = start + until;
    let mut scripted: HashMap<Item, (i32, String)> = HashMap::new();
    let mut next_event = 0usize;
    loop {
        let due = engine.next_event();
        let scripted_at = events.get(next_event).map(|e| start + e.at);
        let t = match (due, scripted_at) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => break,
        };
        if t > end {
            break;
        }
        let mut actions = engine.advance(t);
        while let Some(event) = events.get(next_event).filter(|e| start + e.at <= t) {
            next_event += 1;
            match &event.what {
                EventKind::Result {
                    host,
                    service,
                    code,
                    output,
                } => {
                    let item = find_item(engine, host, service.as_deref())
                        .ok_or_else(|| format!("events line {}: no such host or service", event.line))?;
                    scripted.insert(item, (*code, output.clone()));
                }
                EventKind::Command(line) => {
                    if let Err(e) = engine.command(line) {
                        // After what the command logged before it was refused.
                        out.extend(engine.drain_log());
                        out.push(format!("[{t}] Warning: events line {}: {e}", event.line));
                    }
                }
            }
            actions.extend(engine.advance(t));
        }
        // Answer checks at once, run until nothing new is due at this instant.
        while !actions.is_empty() {
            for a in std::mem::take(&mut actions) {
                match a.kind {
                    ActionKind::Check => {
                        let (code, output) = scripted.get(&a.item).cloned().unwrap_or((0, "OK".to_string()));
                        let out = crate::output::split(&output);
                        engine.submit(CheckResult {
                            action: a.id,
                            item: a.item,
                            exit_code: code,
                            output: out.output,
                            long_output: out.long_output,
                            perfdata: out.perfdata,
                            start: t as f64,
                            end: t as f64,
                            scheduled: 0.0,
                        });
                    }
                    ActionKind::Notification { contact, .. } => {
                        let name = engine.config().contacts[contact.index()].name.clone();
                        out.extend(engine.drain_log());
                        out.push(format!("[{t}] RUN NOTIFICATION: {name};{}", a.command_line));
                    }
                    ActionKind::EventHandler => {
                        out.extend(engine.drain_log());
                        out.push(format!("[{t}] RUN EVENT HANDLER: {}", a.command_line));
                    }
                }
            }
            out.extend(engine.drain_log());
            actions = engine.advance(t);
        }
        out.extend(engine.drain_log());
    }
    Ok(())
}

fn find_item(engine: &Engine, host: &str, service: Option<&str>) -> Option<Item> {
    let c = engine.config();
    let h = c.hosts.iter().position(|x| x.name == host)?;
    match service {
        None => Some(Item::Host(vigia_config::model::HostId(h as u32))),
        Some(svc) => c.hosts[h]
            .services
            .iter()
            .find(|s| &*c.services[s.index()].description == svc)
            .map(|s| Item::Service(*s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("1h5m"), Ok(3900));
        assert_eq!(parse_duration("2d"), Ok(172_800));
        assert_eq!(parse_duration("45"), Ok(45));
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn events_script() {
        let ev = parse_events(
            "# c\n10m RESULT web1;http 2 down\n\n1h ACKNOWLEDGE_SVC_PROBLEM;web1;http;2;1;0;me;ok\n5m RESULT web1 1\n",
        )
        .unwrap();
        assert_eq!(ev.len(), 3);
        assert_eq!(ev[0].at, 300);
        assert_eq!(
            ev[0].what,
            EventKind::Result {
                host: "web1".into(),
                service: None,
                code: 1,
                output: String::new()
            }
        );
        assert_eq!(
            ev[2].what,
            EventKind::Command("ACKNOWLEDGE_SVC_PROBLEM;web1;http;2;1;0;me;ok".into())
        );
        let err = parse_events("xx RESULT a 1\n5m RESULT a x\n").unwrap_err();
        assert_eq!(err.len(), 2);
        assert!(err[0].starts_with("line 1:") && err[1].starts_with("line 2:"));
    }
}
