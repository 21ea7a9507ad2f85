//! Macro expansion in command lines, by Nagios's rules:
//! - `$NAME$` is looked up in the object's values ([`MacroSource`]), then in the resources
//!   (`$USERn$`); `$ARGn$` is the n-th `!` argument of the command call, itself expanded.
//! - `$$` is a literal `$`; an unknown macro stays as written (Nagios keeps it, and a user sees
//!   the mistake in the command that ran).
//! - On-demand macros: `$HOSTSTATE:web1$`, `$SERVICEOUTPUT:web1:http$`.
//! - Values of the macros that carry plugin or user text (outputs, perfdata, ack and
//!   notification comments) lose the `illegal_macro_output_chars`, as Nagios strips them, so a
//!   plugin's output cannot inject shell syntax into a notification command.
use std::borrow::Cow;
use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use jiff::Timestamp;

/// Where macro values come from: an object (host, service, contact, notification) at one time.
pub trait MacroSource {
    /// The value of `$NAME$` (name without dollars), if this source knows it.
    fn value(&self, name: &str) -> Option<Cow<'_, str>>;
    /// The value of an on-demand macro `$NAME:arg1[:arg2]$`.
    fn on_demand(&self, name: &str, args: &[&str]) -> Option<Cow<'_, str>>;
}

/// Expands one command line.
pub struct Expander<'a> {
    /// `$ARG1$`, `$ARG2$`, …
    pub args: &'a [&'a str],
    /// `$USERn$` and other resource macros, by name without dollars.
    pub resources: &'a BTreeMap<String, String>,
    /// Characters removed from output-like macro values.
    pub illegal_output_chars: &'a str,
    pub source: &'a dyn MacroSource,
}

/// Macros whose values are plugin output or user text.
fn is_output_macro(name: &str) -> bool {
    matches!(
        name,
        "HOSTOUTPUT"
            | "SERVICEOUTPUT"
            | "LONGHOSTOUTPUT"
            | "LONGSERVICEOUTPUT"
            | "HOSTPERFDATA"
            | "SERVICEPERFDATA"
            | "HOSTACKAUTHOR"
            | "HOSTACKCOMMENT"
            | "SERVICEACKAUTHOR"
            | "SERVICEACKCOMMENT"
            | "NOTIFICATIONCOMMENT"
            | "NOTIFICATIONAUTHOR"
    )
}

impl Expander<'_> {
    pub fn expand(&self, line: &str) -> String {
        self.expand_depth(line, 0)
    }

    fn expand_depth(&self, line: &str, depth: u32) -> String {
        let mut out = String::with_capacity(line.len() + 32);
        let mut rest = line;
        while let Some(start) = rest.find('$') {
            out.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            let Some(end) = after.find('$') else {
                // A lone `$`: kept as written.
                out.push_str(&rest[start..]);
                return out;
            };
            let name = &after[..end];
            rest = &after[end + 1..];
            if name.is_empty() {
                out.push('$');
                continue;
            }
            match self.lookup(name, depth) {
                Some(v) => out.push_str(&v),
                None => {
                    out.push('$');
                    out.push_str(name);
                    out.push('$');
                }
            }
        }
        out.push_str(rest);
        out
    }

    fn lookup(&self, name: &str, depth: u32) -> Option<String> {
        if let Some(n) = name.strip_prefix("ARG").and_then(|n| n.parse::<usize>().ok()) {
            let arg = self.args.get(n.checked_sub(1)?).copied().unwrap_or("");
            // Arguments may hold macros (`check_ping!$HOSTADDRESS$`): one more level, not more,
            // so an argument cannot make expansion loop.
            return Some(if depth == 0 {
                self.expand_depth(arg, 1)
            } else {
                arg.to_string()
            });
        }
        if let Some(v) = self.resources.get(name) {
            return Some(v.clone());
        }
        let (base, value) = match name.split_once(':') {
            Some((base, args)) => {
                let args: Vec<&str> = args.split(':').collect();
                (base, self.source.on_demand(base, &args)?)
            }
            None => (name, self.source.value(name)?),
        };
        Some(if is_output_macro(base) {
            self.clean(&value)
        } else {
            value.into_owned()
        })
    }

    fn clean(&self, value: &str) -> String {
        if self.illegal_output_chars.is_empty() {
            return value.to_string();
        }
        value
            .chars()
            .filter(|c| !self.illegal_output_chars.contains(*c))
            .collect()
    }
}

fn local(now: i64, tz: &TimeZone) -> Option<jiff::civil::DateTime> {
    Timestamp::from_second(now).ok().map(|t| tz.to_datetime(t))
}

/// `$LONGDATETIME$`: `Mon Nov 23 10:00:00 CET 2026` (Nagios `%a %b %d %H:%M:%S %Z %Y`).
pub fn long_date_time(now: i64, tz: &TimeZone) -> String {
    let Ok(t) = Timestamp::from_second(now) else {
        return String::new();
    };
    t.to_zoned_datetime(tz.clone())
        .strftime("%a %b %d %H:%M:%S %Z %Y")
        .to_string()
}

/// `$SHORTDATETIME$`: `2026-11-23 10:00:00` (Nagios's default `date_format us` is
/// `MM-DD-YYYY HH:MM:SS`; Alignak writes ISO, and Vigia follows Alignak).
pub fn short_date_time(now: i64, tz: &TimeZone) -> String {
    local(now, tz).map_or_else(String::new, |d| d.strftime("%Y-%m-%d %H:%M:%S").to_string())
}

/// `$DATE$`: `2026-11-23`.
pub fn date(now: i64, tz: &TimeZone) -> String {
    local(now, tz).map_or_else(String::new, |d| d.strftime("%Y-%m-%d").to_string())
}

/// `$TIME$`: `10:00:00`.
pub fn time(now: i64, tz: &TimeZone) -> String {
    local(now, tz).map_or_else(String::new, |d| d.strftime("%H:%M:%S").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed;
    impl MacroSource for Fixed {
        fn value(&self, name: &str) -> Option<Cow<'_, str>> {
            match name {
                "HOSTADDRESS" => Some(Cow::Borrowed("192.0.2.1")),
                "SERVICEOUTPUT" => Some(Cow::Borrowed("CRIT `rm -rf` | x")),
                _ => None,
            }
        }
        fn on_demand(&self, name: &str, args: &[&str]) -> Option<Cow<'_, str>> {
            (name == "HOSTSTATE" && args == ["web1"]).then_some(Cow::Borrowed("DOWN"))
        }
    }

    fn expand(line: &str, args: &[&str]) -> String {
        let resources = BTreeMap::from([("USER1".to_string(), "/usr/lib/nagios/plugins".to_string())]);
        Expander {
            args,
            resources: &resources,
            illegal_output_chars: "`~$&|'\"<>",
            source: &Fixed,
        }
        .expand(line)
    }

    #[test]
    fn arguments_resources_and_values() {
        assert_eq!(
            expand(
                "$USER1$/check_ping -H $HOSTADDRESS$ -w $ARG1$ -c $ARG2$",
                &["100,20%", "500,60%"]
            ),
            "/usr/lib/nagios/plugins/check_ping -H 192.0.2.1 -w 100,20% -c 500,60%"
        );
        // Macros inside arguments are expanded; a missing argument is empty.
        assert_eq!(expand("x $ARG1$ $ARG3$.", &["$HOSTADDRESS$"]), "x 192.0.2.1 .");
    }

    #[test]
    fn escapes_unknown_and_on_demand() {
        assert_eq!(expand("a $$ b $NOPE$ c $", &[]), "a $ b $NOPE$ c $");
        assert_eq!(expand("$HOSTSTATE:web1$", &[]), "DOWN");
        assert_eq!(expand("$SERVICEOUTPUT$", &[]), "CRIT rm -rf  x");
    }
}
