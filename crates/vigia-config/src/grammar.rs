//! The Nagios object grammar: `define TYPE { key value }` blocks and `key=value` directives.
//!
//! One pass over the bytes of a file, with no copy of what needs none: properties are spans into
//! the file's own text. Only values that the grammar rewrites (a `\` line continuation, a `\;`
//! escape, an upper-cased custom variable name) are appended to the file's buffer, so a parsed file
//! is one allocation for its text plus one per object.
//!
//! Rules (Nagios `xodtemplate.c`, Alignak `config.py`): `#` starts a comment line, `;` starts a
//! comment anywhere unless written `\;`, a trailing `\` joins the next line, the value of a property
//! is the rest of its line trimmed, and outside a block `key=value` lines are directives
//! (`cfg_file=`, `cfg_dir=`, `resource_file=`, global settings, `$USERn$=`).
use crate::kind::ObjectKind;

/// A slice of a [`ParsedFile::buf`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

/// One `key value` line of a definition.
#[derive(Clone, Copy, Debug)]
pub struct RawProp {
    pub key: Span,
    pub value: Span,
    pub line: u32,
}

/// One `define TYPE { … }` block as written.
#[derive(Clone, Debug)]
pub struct RawObject {
    pub kind: ObjectKind,
    pub line: u32,
    pub props: Vec<RawProp>,
}

/// One `key=value` line outside any block.
#[derive(Clone, Copy, Debug)]
pub struct Directive {
    pub key: Span,
    pub value: Span,
    pub line: u32,
}

/// A problem in the text itself, with its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: u32,
    pub message: String,
}

/// Everything one file defines.
#[derive(Debug, Default)]
pub struct ParsedFile {
    /// The file's text, followed by the values the grammar had to rewrite.
    pub buf: String,
    pub objects: Vec<RawObject>,
    pub directives: Vec<Directive>,
    pub errors: Vec<SyntaxError>,
}

impl ParsedFile {
    pub fn text(&self, span: Span) -> &str {
        self.buf.get(span.start as usize..span.end as usize).unwrap_or("")
    }
}

/// Parses one file's text. Never fails as a whole: problems are collected with their line.
pub fn parse(text: String) -> ParsedFile {
    let mut extra = String::new();
    let mut objects = Vec::new();
    let mut directives = Vec::new();
    let mut errors = Vec::new();
    let base = text.len() as u32;
    let bytes = text.as_bytes();
    let mut state = State::Outside;
    let mut pos = 0usize;
    let mut line_no = 0u32;
    while pos < bytes.len() {
        line_no += 1;
        let first_line = line_no;
        let (mut line, next) = next_line(bytes, pos);
        pos = next;
        // A continued line is copied once, joined, into `extra`; others are read in place.
        let mut joined: Option<String> = None;
        while ends_with_continuation(line_str(bytes, line)) && pos < bytes.len() {
            let own = line_str(bytes, line);
            joined.get_or_insert_with(String::new).push_str(&own[..own.len() - 1]);
            let (l, n) = next_line(bytes, pos);
            line = l;
            pos = n;
            line_no += 1;
        }
        let mut ctx = LineCtx {
            line: first_line,
            base,
            extra: &mut extra,
        };
        match joined {
            Some(mut acc) => {
                acc.push_str(line_str(bytes, line));
                let start = base + ctx.extra.len() as u32;
                ctx.extra.push_str(&acc);
                handle_line(
                    start,
                    &acc,
                    &mut ctx,
                    &mut state,
                    &mut objects,
                    &mut directives,
                    &mut errors,
                );
            }
            None => handle_line(
                line.0 as u32,
                line_str(bytes, line),
                &mut ctx,
                &mut state,
                &mut objects,
                &mut directives,
                &mut errors,
            ),
        }
    }
    if let State::Inside(obj) = state {
        errors.push(SyntaxError {
            line: obj.line,
            message: format!("'define {}' is never closed with '}}'", obj.kind.keyword()),
        });
    }
    let mut buf = text;
    buf.push_str(&extra);
    ParsedFile {
        buf,
        objects,
        directives,
        errors,
    }
}

/// Where the parser is between lines.
enum State {
    Outside,
    Inside(RawObject),
    /// In a block of an unknown type, already reported: its lines are not directives.
    Skipping,
}

struct LineCtx<'e> {
    line: u32,
    base: u32,
    extra: &'e mut String,
}

/// (start, end) of the line at `pos` without its newline, and the position after the newline.
fn next_line(bytes: &[u8], pos: usize) -> ((usize, usize), usize) {
    let end = memchr_newline(&bytes[pos..]).map_or(bytes.len(), |i| pos + i);
    let mut line_end = end;
    if line_end > pos && bytes[line_end - 1] == b'\r' {
        line_end -= 1;
    }
    ((pos, line_end), end + 1)
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

fn line_str(bytes: &[u8], (start, end): (usize, usize)) -> &str {
    std::str::from_utf8(&bytes[start..end]).unwrap_or("")
}

fn ends_with_continuation(line: &str) -> bool {
    let trimmed = line.trim_end();
    trimmed.len() == line.len() && line.ends_with('\\') && !line.ends_with("\\\\")
}

fn handle_line(
    lstart: u32,
    ltext: &str,
    ctx: &mut LineCtx<'_>,
    state: &mut State,
    objects: &mut Vec<RawObject>,
    directives: &mut Vec<Directive>,
    errors: &mut Vec<SyntaxError>,
) {
    let line = ctx.line;
    let lead = ltext.len() - ltext.trim_start().len();
    let body = &ltext[lead..];
    if body.is_empty() || body.starts_with('#') || body.starts_with(';') {
        return;
    }
    // Cut the `;` comment; remember whether `\;` escapes need rewriting.
    let b = body.as_bytes();
    let mut cut = body.len();
    let mut escaped = false;
    for i in 0..b.len() {
        if b[i] == b';' {
            if i > 0 && b[i - 1] == b'\\' {
                escaped = true;
            } else {
                cut = i;
                break;
            }
        }
    }
    let content = body[..cut].trim_end();
    if content.is_empty() {
        return;
    }
    let cstart = lstart + lead as u32;
    let span_of = |s: &str| -> Span {
        let off = s.as_ptr() as usize - content.as_ptr() as usize;
        Span {
            start: cstart + off as u32,
            end: cstart + (off + s.len()) as u32,
        }
    };
    let value_span = |value: &str, ctx: &mut LineCtx<'_>| -> Span {
        if escaped && value.contains("\\;") {
            push_extra(ctx, &value.replace("\\;", ";"))
        } else {
            span_of(value)
        }
    };

    match state {
        State::Inside(obj) => {
            if content == "}" {
                close(state, objects);
                return;
            }
            let (key, value) = split_key_value(content);
            // A closing brace written at the end of the last property line.
            let (value, closes) = match value.strip_suffix('}') {
                Some(v) if !value.contains('{') => (v.trim_end(), true),
                _ => (value, false),
            };
            let key_span = if key.starts_with('_') && key.bytes().any(|c| c.is_ascii_lowercase()) {
                push_extra(ctx, &key.to_ascii_uppercase())
            } else {
                span_of(key)
            };
            let value = value_span(value, ctx);
            obj.props.push(RawProp {
                key: key_span,
                value,
                line,
            });
            if closes {
                close(state, objects);
            }
        }
        State::Skipping => {
            if content == "}" || content.ends_with('}') {
                *state = State::Outside;
            }
        }
        State::Outside => {
            if let Some(rest) = strip_word(content, "define") {
                let rest = rest.trim_start();
                let (word, after) = match rest.find(|c: char| c == '{' || c.is_whitespace()) {
                    Some(i) => (&rest[..i], rest[i..].trim_start()),
                    None => (rest, ""),
                };
                *state = match ObjectKind::from_keyword(word) {
                    Some(kind) => {
                        let Some(tail) = after.strip_prefix('{') else {
                            errors.push(SyntaxError {
                                line,
                                message: format!("expected '{{' after 'define {word}'"),
                            });
                            *state = State::Inside(RawObject {
                                kind,
                                line,
                                props: Vec::new(),
                            });
                            return;
                        };
                        *state = State::Inside(RawObject {
                            kind,
                            line,
                            props: Vec::new(),
                        });
                        // `define host { host_name a` : a property on the define line itself.
                        let tail = tail.trim();
                        if !tail.is_empty() {
                            let start = cstart + (tail.as_ptr() as usize - content.as_ptr() as usize) as u32;
                            handle_line(start, tail, ctx, state, objects, directives, errors);
                        }
                        return;
                    }
                    None => {
                        errors.push(SyntaxError {
                            line,
                            message: format!("unknown object type '{word}'"),
                        });
                        State::Skipping
                    }
                };
                return;
            }
            match content.find('=') {
                Some(eq) => {
                    let key = content[..eq].trim();
                    let value = content[eq + 1..].trim();
                    let value = value_span(value, ctx);
                    directives.push(Directive {
                        key: span_of(key),
                        value,
                        line,
                    });
                }
                None if content == "}" => {
                    errors.push(SyntaxError {
                        line,
                        message: "'}' without a matching 'define'".into(),
                    });
                }
                None => errors.push(SyntaxError {
                    line,
                    message: format!("unexpected text outside a definition: '{content}'"),
                }),
            }
        }
    }
}

fn close(state: &mut State, objects: &mut Vec<RawObject>) {
    if let State::Inside(obj) = std::mem::replace(state, State::Outside) {
        objects.push(obj);
    }
}

fn push_extra(ctx: &mut LineCtx<'_>, s: &str) -> Span {
    let start = ctx.base + ctx.extra.len() as u32;
    ctx.extra.push_str(s);
    Span {
        start,
        end: start + s.len() as u32,
    }
}

fn strip_word<'a>(s: &'a str, word: &str) -> Option<&'a str> {
    let head = s.get(..word.len())?;
    if !head.eq_ignore_ascii_case(word) {
        return None;
    }
    let rest = &s[word.len()..];
    match rest.chars().next() {
        None => Some(rest),
        Some(c) if c.is_whitespace() || c == '{' => Some(rest),
        _ => None,
    }
}

/// `key value…`: the key is the first word, the value the trimmed rest.
fn split_key_value(content: &str) -> (&str, &str) {
    match content.find(|c: char| c.is_whitespace()) {
        Some(i) => (&content[..i], content[i..].trim()),
        None => (content, &content[content.len()..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(f: &ParsedFile, i: usize) -> Vec<(String, String, u32)> {
        f.objects[i]
            .props
            .iter()
            .map(|p| (f.text(p.key).to_string(), f.text(p.value).to_string(), p.line))
            .collect()
    }

    #[test]
    fn reads_blocks_comments_and_directives() {
        let f = parse(
            "# comment\ncfg_dir=objects ; trailing\n\ndefine host{\n  host_name  web1 ; the name\n  alias Web\\; server\n  _snmp_community public\n}\n"
                .into(),
        );
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        assert_eq!(f.directives.len(), 1);
        assert_eq!(f.text(f.directives[0].key), "cfg_dir");
        assert_eq!(f.text(f.directives[0].value), "objects");
        assert_eq!(f.objects[0].kind, ObjectKind::Host);
        assert_eq!(f.objects[0].line, 4);
        assert_eq!(
            props(&f, 0),
            vec![
                ("host_name".into(), "web1".into(), 5),
                ("alias".into(), "Web; server".into(), 6),
                ("_SNMP_COMMUNITY".into(), "public".into(), 7),
            ]
        );
    }

    #[test]
    fn joins_continued_lines_and_keeps_first_line_number() {
        let f = parse("define command {\n command_name x\n command_line /bin/echo a \\\n   b\n}\n".into());
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        assert_eq!(props(&f, 0)[1], ("command_line".into(), "/bin/echo a    b".into(), 3));
    }

    #[test]
    fn reports_unclosed_and_unknown_blocks_with_lines() {
        let f = parse("define nosuch {\n a b\n}\ndefine host {\n host_name x\n".into());
        assert_eq!(f.errors.len(), 2, "{:?}", f.errors);
        assert_eq!(f.errors[0].line, 1);
        assert!(f.errors[0].message.contains("unknown object type 'nosuch'"));
        assert_eq!(f.errors[1].line, 4);
        assert!(f.errors[1].message.contains("never closed"));
    }

    #[test]
    fn empty_value_and_crlf() {
        let f = parse("define host {\r\n host_name a\r\n notes\r\n}\r\n".into());
        assert!(f.errors.is_empty(), "{:?}", f.errors);
        assert_eq!(props(&f, 0)[1].1, "");
        assert_eq!(props(&f, 0)[0].1, "a");
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(s in "\\PC*") {
            let _ = parse(s);
        }

        #[test]
        fn never_panics_on_mutated_definitions(
            cut in 0usize..200,
            junk in "[{};#\\\\= \n\tA-Za-z_$!+*]{0,20}",
        ) {
            let base = "define service {\n use generic\n host_name a,b ; c\n _X \\; y\\\n z\n}\ncfg_file=x.cfg\n";
            let cut = cut.min(base.len());
            let mut s = base[..cut].to_string();
            s.push_str(&junk);
            s.push_str(&base[cut..]);
            let f = parse(s);
            for o in &f.objects { for p in &o.props { let _ = f.text(p.key); let _ = f.text(p.value); } }
        }
    }
}
