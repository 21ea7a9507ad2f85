//! Plugin output as the plugin API defines it, cut once (by the poller's executor for active
//! checks, by the engine for passive results) with the same rules: the first line is
//! `output|perfdata`, the next lines are long output until a `|`, after which everything is
//! more perfdata. `\|` is a literal pipe, as in Alignak.
//!
//! The one copy of these rules: `vigia-exec` uses it from here (`vigia_exec::output`).

/// A plugin's text cut into its three parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PluginOutput {
    /// The first line before its first unescaped `|`, trimmed.
    pub output: String,
    /// The following lines up to the first `|` among them, joined with `\n`; trailing blanks and
    /// blank trailing lines removed, indentation kept (plugins draw tables with it).
    pub long_output: String,
    /// Everything after the `|`s, joined with spaces and trimmed.
    pub perfdata: String,
}

/// Cuts `text` into output, long output and perfdata. Never fails: any text is some output.
pub fn split(text: &str) -> PluginOutput {
    let mut lines = text.split('\n');
    let first = lines.next().unwrap_or("");
    let (head, perf) = split_at_pipe(first);
    let output = unescape(head.trim());
    let mut perfdata = perf.map(|p| unescape(p.trim())).unwrap_or_default();

    let mut long_lines: Vec<String> = Vec::new();
    let mut in_perfdata = false;
    for line in lines {
        let piece = if in_perfdata {
            Some(line)
        } else {
            let (text, perf) = split_at_pipe(line);
            long_lines.push(unescape(text.trim_end()));
            in_perfdata = perf.is_some();
            perf
        };
        if let Some(p) = piece {
            let p = p.trim();
            if !p.is_empty() {
                if !perfdata.is_empty() {
                    perfdata.push(' ');
                }
                perfdata.push_str(&unescape(p));
            }
        }
    }
    while long_lines.last().is_some_and(|l| l.is_empty()) {
        long_lines.pop();
    }
    PluginOutput {
        output,
        long_output: long_lines.join("\n"),
        perfdata,
    }
}

/// Splits at the first `|` that is not written `\|`.
fn split_at_pipe(line: &str) -> (&str, Option<&str>) {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if bytes.get(i + 1) == Some(&b'|') => i += 2,
            b'|' => return (&line[..i], Some(&line[i + 1..])),
            _ => i += 1,
        }
    }
    (line, None)
}

fn unescape(s: &str) -> String {
    s.replace("\\|", "|")
}

/// `text` cut to at most `max_len` bytes, on a character boundary (`max_plugins_output_length`).
pub fn capped(text: &str, max_len: usize) -> &str {
    let mut cut = text.len().min(max_len);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    &text[..cut]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(text: &str) -> (String, String, String) {
        let p = split(text);
        (p.output, p.long_output, p.perfdata)
    }

    #[test]
    fn one_line_with_perfdata() {
        assert_eq!(
            parts("OK - load average: 0.22 |load1=0.220;5.000;10.000;0; load5=0.1\n"),
            (
                "OK - load average: 0.22".into(),
                "".into(),
                "load1=0.220;5.000;10.000;0; load5=0.1".into()
            )
        );
    }

    #[test]
    fn long_output_then_more_perfdata() {
        let text = "DISK OK - free space: / 3326 MB|/=2643MB;5948;5958;0;5968\n/ 15272 MB (77%);\n/boot 68 MB (69%);\n/home 69357 MB (27%);\n/var/log 819 MB (84%); | /boot=68MB;88;93;0;98\n/home=69357MB;253404;253409;0;253414\n/var/log=818MB;970;975;0;980\n";
        let (out, long, perf) = parts(text);
        assert_eq!(out, "DISK OK - free space: / 3326 MB");
        assert_eq!(
            long,
            "/ 15272 MB (77%);\n/boot 68 MB (69%);\n/home 69357 MB (27%);\n/var/log 819 MB (84%);"
        );
        assert_eq!(
            perf,
            "/=2643MB;5948;5958;0;5968 /boot=68MB;88;93;0;98 /home=69357MB;253404;253409;0;253414 /var/log=818MB;970;975;0;980"
        );
    }

    #[test]
    fn escaped_pipes_are_text() {
        let (out, long, perf) = parts("a \\| b | x=1\nline \\| two\n");
        assert_eq!(
            (out.as_str(), long.as_str(), perf.as_str()),
            ("a | b", "line | two", "x=1")
        );
    }

    #[test]
    fn nothing_and_only_perfdata() {
        assert_eq!(parts(""), ("".into(), "".into(), "".into()));
        assert_eq!(parts("|a=1"), ("".into(), "".into(), "a=1".into()));
        assert_eq!(parts("x|a=1|b=2"), ("x".into(), "".into(), "a=1|b=2".into()));
    }

    #[test]
    fn indentation_of_long_output_is_kept() {
        let (_, long, _) = parts("OK\n  indented\r\n\tTab  \n\n");
        assert_eq!(long, "  indented\n\tTab");
    }

    #[test]
    fn splits_output_long_output_and_perfdata() {
        let o = split("DISK OK - free space|/=2643MB;5948;5958\nline 2\nline 3|/boot=68MB;88\n/home=69MB\n");
        assert_eq!(o.output, "DISK OK - free space");
        assert_eq!(o.long_output, "line 2\nline 3");
        assert_eq!(o.perfdata, "/=2643MB;5948;5958 /boot=68MB;88 /home=69MB");
        assert_eq!(split("a \\| b").output, "a | b");
    }

    #[test]
    fn capped_on_a_character_boundary() {
        assert_eq!(capped("héllo", 2), "h");
        assert_eq!(capped("héllo", 3), "hé");
        assert_eq!(capped("ok", 8192), "ok");
    }
}
