//! From a command line (as macros left it) to what is executed: an argv run directly when the line
//! is plain words and quotes, or `/bin/sh -c LINE` when it needs a shell. Nagios 4 and Alignak
//! both avoid the shell when they can: one process less per check.

/// Characters that make a command line need a shell: Alignak's list (redirections, pipes,
/// substitutions, globs, job control, braces, history, `~`) plus a newline (several commands).
const SHELL_CHARS: &[char] = &[
    '!', '$', '^', '&', '*', '(', ')', '~', '[', ']', '|', '{', '}', ';', '<', '>', '?', '`', '\n',
];

/// How a command line is run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invocation {
    /// Executed directly: `argv[0]` is the program (looked up in `PATH` when it has no `/`).
    Direct(Vec<String>),
    /// Executed as `/bin/sh -c LINE`.
    Shell(String),
}

/// Why a command line cannot be run at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandLineError {
    Empty,
}

impl std::fmt::Display for CommandLineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CommandLineError::Empty => f.write_str("empty command line"),
        }
    }
}

impl std::error::Error for CommandLineError {}

/// Decides how to run `line` and, for a direct run, splits it into words with POSIX shell
/// quoting (`'…'`, `"…"`, `\`). Unbalanced quotes go to the shell, which reports the syntax error
/// the way a Nagios user expects to read it.
pub fn parse(line: &str) -> Result<Invocation, CommandLineError> {
    if line.trim().is_empty() {
        return Err(CommandLineError::Empty);
    }
    if line.contains(SHELL_CHARS) {
        return Ok(Invocation::Shell(line.to_owned()));
    }
    match split_words(line) {
        // `VAR=value cmd` is an assignment only a shell understands.
        Some(words) if words.first().is_some_and(|w| is_assignment(w)) => Ok(Invocation::Shell(line.to_owned())),
        Some(words) if words.is_empty() => Err(CommandLineError::Empty),
        Some(words) => Ok(Invocation::Direct(words)),
        None => Ok(Invocation::Shell(line.to_owned())),
    }
}

fn is_assignment(word: &str) -> bool {
    match word.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && !name.starts_with(|c: char| c.is_ascii_digit())
                && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
        }
        None => false,
    }
}

/// POSIX word splitting and quote removal, without expansions (lines with `$` or backticks never
/// get here). `None` for an unterminated quote or a trailing backslash.
fn split_words(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        other => word.push(other),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.next()? {
                            // Inside double quotes a backslash only escapes these.
                            e @ ('"' | '\\' | '$' | '`') => word.push(e),
                            other => {
                                word.push('\\');
                                word.push(other);
                            }
                        },
                        other => word.push(other),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.push(chars.next()?);
            }
            other => {
                in_word = true;
                word.push(other);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn direct(line: &str) -> Vec<String> {
        match parse(line) {
            Ok(Invocation::Direct(w)) => w,
            other => panic!("{line:?} gave {other:?}"),
        }
    }

    fn shell(line: &str) {
        assert_eq!(parse(line), Ok(Invocation::Shell(line.to_owned())), "{line:?}");
    }

    #[test]
    fn plain_words_run_directly() {
        assert_eq!(
            direct("/usr/lib/nagios/plugins/check_dummy 0 ok"),
            ["/usr/lib/nagios/plugins/check_dummy", "0", "ok"]
        );
        assert_eq!(direct("  a\tb   c  "), ["a", "b", "c"]);
        assert_eq!(
            direct("check_http -H 10.0.0.1 -u /index.html#top"),
            ["check_http", "-H", "10.0.0.1", "-u", "/index.html#top"]
        );
    }

    #[test]
    fn quotes_are_removed_like_a_shell_does() {
        assert_eq!(
            direct("echo 'hello world' \"a  b\" c'd'e"),
            ["echo", "hello world", "a  b", "cde"]
        );
        assert_eq!(
            direct(r#"echo "say \"hi\"" 'it''s' a\ b"#),
            ["echo", "say \"hi\"", "its", "a b"]
        );
        assert_eq!(direct(r#"echo "back\slash" ''"#), ["echo", "back\\slash", ""]);
    }

    #[test]
    fn metacharacters_need_a_shell() {
        for line in [
            "echo a | tr a b",
            "echo a > /tmp/x",
            "cat < /etc/hostname",
            "true; false",
            "sleep 1 &",
            "echo $(id -u)",
            "echo `id -u`",
            "echo $HOME",
            "ls /tmp/*",
            "ls /tmp/?",
            "echo [ab]",
            "echo ~",
            "echo {a,b}",
            "true\nfalse",
        ] {
            shell(line);
        }
    }

    #[test]
    fn unbalanced_quotes_and_assignments_go_to_the_shell() {
        shell("echo 'unterminated");
        shell("echo \"unterminated");
        shell("echo trailing\\");
        shell("LANG=C /bin/date");
    }

    #[test]
    fn empty_lines_are_rejected() {
        assert_eq!(parse(""), Err(CommandLineError::Empty));
        assert_eq!(parse("  \t "), Err(CommandLineError::Empty));
    }
}
