//! Plugin output as the plugin API defines it: first line `text|perfdata`, further lines long
//! output, where more perfdata may follow a `|`.
//!
//! (Kept here until the wire-types crate holds the one parser pollers and the engine share.)

/// The three parts of a plugin's output.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PluginOutput {
    pub output: String,
    pub long_output: String,
    pub perf_data: String,
}

impl PluginOutput {
    /// Splits `text`, first capped at `max_len` bytes (on a character boundary).
    pub fn parse(text: &str, max_len: usize) -> PluginOutput {
        let mut cut = text.len().min(max_len);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let text = text[..cut].trim_end_matches(['\n', '\r']);
        let (first, rest) = match text.split_once('\n') {
            Some((f, r)) => (f, r),
            None => (text, ""),
        };
        let (output, mut perf) = match split_pipe(first) {
            Some((o, p)) => (o.trim().to_string(), p.trim().to_string()),
            None => (unescape(first.trim()), String::new()),
        };
        let long_output = match split_pipe(rest) {
            Some((long, more_perf)) => {
                let more = more_perf.split_whitespace().collect::<Vec<_>>().join(" ");
                if !more.is_empty() {
                    if !perf.is_empty() {
                        perf.push(' ');
                    }
                    perf.push_str(&more);
                }
                long.trim_end().to_string()
            }
            None => unescape(rest.trim_end()),
        };
        PluginOutput {
            output,
            long_output,
            perf_data: perf,
        }
    }
}

/// The first `|` not written `\|`.
fn split_pipe(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    (0..b.len())
        .find(|&i| b[i] == b'|' && (i == 0 || b[i - 1] != b'\\'))
        .map(|i| (&s[..i], &s[i + 1..]))
}

fn unescape(s: &str) -> String {
    s.replace("\\|", "|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_output_long_output_and_perfdata() {
        let o = PluginOutput::parse(
            "DISK OK - free space|/=2643MB;5948;5958\nline 2\nline 3|/boot=68MB;88\n/home=69MB\n",
            8192,
        );
        assert_eq!(o.output, "DISK OK - free space");
        assert_eq!(o.long_output, "line 2\nline 3");
        assert_eq!(o.perf_data, "/=2643MB;5948;5958 /boot=68MB;88 /home=69MB");
        assert_eq!(PluginOutput::parse("a \\| b", 8192).output, "a | b");
        assert_eq!(PluginOutput::parse("héllo", 2).output, "h");
    }
}
