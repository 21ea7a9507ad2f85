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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawProp {
    pub key: Span,
    pub value: Span,
    pub line: u32,
}

/// One `define TYPE { … }` block as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawObject {
    pub kind: ObjectKind,
    pub line: u32,
    pub props: Vec<RawProp>,
}

/// One `key=value` line outside any block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    /// Only worth a warning (an object type Alignak ignores).
    pub warning: bool,
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

/// A file larger than this is cut into pieces of about this size, parsed on every core.
pub const PIECE_BYTES: usize = 1 << 20;

/// Parses one file's text. Never fails as a whole: problems are collected with their line.
/// A large file is cut into [`pieces`] parsed on every core, with the same result as one piece.
pub fn parse(text: String) -> ParsedFile {
    parse_cut(text, PIECE_BYTES)
}

/// [`parse`] with pieces of `piece_bytes` (at least one line each).
pub fn parse_cut(text: String, piece_bytes: usize) -> ParsedFile {
    let cuts = pieces(&text, piece_bytes);
    let parsed = crate::parallel::map(&cuts, |p| parse_piece(&text, *p));
    assemble(text, &cuts, parsed)
}

/// A range of a file's text that starts a line, and the number of that line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    pub start: usize,
    pub end: usize,
    pub first_line: u32,
}

/// What the lines of one piece define, before the pieces of a file are put together.
#[derive(Debug)]
pub struct PieceParse {
    /// Rewritten values; spans into them start after the file's text and a newline.
    extra: String,
    objects: Vec<RawObject>,
    directives: Vec<Directive>,
    errors: Vec<SyntaxError>,
    /// The state after the piece's last line: not `Outside` when a definition runs on.
    end: State,
}

impl PieceParse {
    /// Moves the spans into this piece's rewritten values `by` bytes on, where they go in the file.
    fn move_extra(&mut self, base: u32, by: u32) {
        let fix = |s: &mut Span| {
            if s.start >= base {
                s.start += by;
                s.end += by;
            }
        };
        let open = match &mut self.end {
            State::Inside(obj) => Some(obj),
            _ => None,
        };
        for obj in self.objects.iter_mut().chain(open) {
            for p in &mut obj.props {
                fix(&mut p.key);
                fix(&mut p.value);
            }
        }
        for d in &mut self.directives {
            fix(&mut d.key);
            fix(&mut d.value);
        }
    }
}

/// Cuts `text` into pieces of at least `piece_bytes`, each but the first starting at a line that
/// begins with `define` and does not continue the line before (`\` at its end). Whether such a
/// line is outside a definition is known only once the text before it is parsed: [`assemble`]
/// parses a piece again, after the one before it, when that one ended inside a definition.
pub fn pieces(text: &str, piece_bytes: usize) -> Vec<Piece> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0usize;
    let mut first_line = 1u32;
    while let Some(cut) = next_cut(text, start.saturating_add(piece_bytes.max(1))) {
        out.push(Piece {
            start,
            end: cut,
            first_line,
        });
        first_line = first_line.wrapping_add(count_newlines(&bytes[start..cut]));
        start = cut;
    }
    out.push(Piece {
        start,
        end: bytes.len(),
        first_line,
    });
    out
}

/// The start of the first line after `from` (not the one holding `from`) where a piece may start.
fn next_cut(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut pos = from.checked_sub(1)?;
    loop {
        // `pos` is in a line; the next one starts after its newline.
        let line_start = pos + memchr_newline(bytes.get(pos..)?)? + 1;
        if line_start >= bytes.len() {
            return None;
        }
        let (line, _) = next_line(bytes, line_start);
        let starts_define = strip_word(line_str(text, line).trim_start(), "define").is_some();
        if starts_define && !ends_with_continuation(line_str(text, previous_line(bytes, line_start))) {
            return Some(line_start);
        }
        pos = line_start;
    }
}

/// The line that ends just before `line_start` (which follows a newline), as [`next_line`] reads it.
fn previous_line(bytes: &[u8], line_start: usize) -> (usize, usize) {
    let newline = line_start - 1;
    let start = bytes[..newline].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    next_line(bytes, start).0
}

/// Newlines in `bytes`, 64 bytes at a time in byte counters (which the compiler turns into vector
/// compares: several times faster than counting one byte at a time into a `usize`).
fn count_newlines(bytes: &[u8]) -> u32 {
    let mut n = 0usize;
    // A byte counter holds 255 before it would wrap.
    for block in bytes.chunks(64 * 255) {
        let mut counts = [0u8; 64];
        let chunks = block.chunks_exact(64);
        n += chunks.remainder().iter().filter(|&&b| b == b'\n').count();
        for chunk in chunks {
            for (c, &b) in counts.iter_mut().zip(chunk) {
                *c += u8::from(b == b'\n');
            }
        }
        n += counts.iter().map(|&c| usize::from(c)).sum::<usize>();
    }
    n as u32
}

/// Where the values rewritten while parsing `text` start in [`ParsedFile::buf`]: after the text and
/// a newline, so that no span into the text (even an empty one at its very end) is taken for one.
fn extra_base(text: &str) -> u32 {
    (text.len() as u32).wrapping_add(1)
}

/// Parses one piece of `text`, as if the line before it ended outside any definition.
pub fn parse_piece(text: &str, piece: Piece) -> PieceParse {
    parse_from(text, piece, State::Outside, extra_base(text))
}

/// The one way lines are parsed: from `state`, the piece's rewritten values spanning from `base`.
fn parse_from(text: &str, piece: Piece, mut state: State, base: u32) -> PieceParse {
    let mut extra = String::new();
    let mut objects = Vec::new();
    let mut directives = Vec::new();
    let mut errors = Vec::new();
    let text = text.get(..piece.end).unwrap_or(text);
    let bytes = text.as_bytes();
    let mut pos = piece.start;
    let mut line_no = piece.first_line.wrapping_sub(1);
    while pos < bytes.len() {
        line_no += 1;
        let first_line = line_no;
        let (mut line, next) = next_line(bytes, pos);
        pos = next;
        // A continued line is copied once, joined, into `extra`; others are read in place.
        let mut joined: Option<String> = None;
        while ends_with_continuation(line_str(text, line)) && pos < bytes.len() {
            let own = line_str(text, line);
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
                acc.push_str(line_str(text, line));
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
                line_str(text, line),
                &mut ctx,
                &mut state,
                &mut objects,
                &mut directives,
                &mut errors,
            ),
        }
    }
    PieceParse {
        extra,
        objects,
        directives,
        errors,
        end: state,
    }
}

/// Puts the parsed pieces of `text` together in order, as one parse of the whole text gives them.
/// A piece parsed as starting outside a definition when the one before it ended inside one is
/// parsed again from that state; the others' rewritten values move after those of the pieces
/// before them.
pub fn assemble(text: String, cuts: &[Piece], parsed: Vec<PieceParse>) -> ParsedFile {
    let base = extra_base(&text);
    let mut extra = String::new();
    let mut objects = Vec::with_capacity(parsed.iter().map(|p| p.objects.len()).sum());
    let mut directives = Vec::new();
    let mut errors = Vec::new();
    let mut carried = State::Outside;
    for (cut, piece) in cuts.iter().zip(parsed) {
        let offset = extra.len() as u32;
        let mut piece = match carried {
            State::Outside => {
                let mut piece = piece;
                if offset > 0 {
                    piece.move_extra(base, offset);
                }
                piece
            }
            state => parse_from(&text, *cut, state, base + offset),
        };
        extra.push_str(&piece.extra);
        objects.append(&mut piece.objects);
        directives.append(&mut piece.directives);
        errors.append(&mut piece.errors);
        carried = piece.end;
    }
    if let State::Inside(obj) | State::Opening(obj) = carried {
        errors.push(SyntaxError {
            line: obj.line,
            message: format!("'define {}' is never closed with '}}'", obj.kind.keyword()),
            warning: false,
        });
    }
    let mut buf = text;
    if !extra.is_empty() {
        buf.reserve_exact(1 + extra.len());
        buf.push('\n');
        buf.push_str(&extra);
    }
    ParsedFile {
        buf,
        objects,
        directives,
        errors,
    }
}

/// Where the parser is between lines.
#[derive(Debug)]
enum State {
    Outside,
    /// After `define TYPE` alone on its line: its `{` comes on the next one (Alignak reads
    /// that; so does Nagios).
    Opening(RawObject),
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

fn line_str(text: &str, (start, end): (usize, usize)) -> &str {
    // Lines end before a newline or a carriage return: always a character boundary.
    text.get(start..end).unwrap_or("")
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

    if let State::Opening(obj) = state {
        let obj = std::mem::replace(
            obj,
            RawObject {
                kind: obj.kind,
                line: obj.line,
                props: Vec::new(),
            },
        );
        let keyword = obj.kind.keyword();
        *state = State::Inside(obj);
        match content.strip_prefix('{') {
            Some(tail) => {
                let tail = tail.trim();
                if !tail.is_empty() {
                    let start = cstart + (tail.as_ptr() as usize - content.as_ptr() as usize) as u32;
                    handle_line(start, tail, ctx, state, objects, directives, errors);
                }
                return;
            }
            None => errors.push(SyntaxError {
                line,
                message: format!("expected '{{' after 'define {keyword}'"),
                warning: false,
            }),
        }
    }
    match state {
        State::Inside(obj) => {
            if content == "}" {
                close(state, objects);
                return;
            }
            let (key, value) = if obj.kind == ObjectKind::Timeperiod {
                split_period_rule(content)
            } else {
                split_key_value(content)
            };
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
        // Turned into `Inside` above.
        State::Opening(_) => {}
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
                        if after.is_empty() {
                            *state = State::Opening(RawObject {
                                kind,
                                line,
                                props: Vec::new(),
                            });
                            return;
                        }
                        let Some(tail) = after.strip_prefix('{') else {
                            errors.push(SyntaxError {
                                line,
                                message: format!("expected '{{' after 'define {word}'"),
                                warning: false,
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
                    // Shinken's discovery objects: Alignak ignores them.
                    None if matches!(word, "discoveryrule" | "discoveryrun") => {
                        errors.push(SyntaxError {
                            line,
                            message: format!("'define {word}' (Shinken discovery) is ignored, as Alignak does"),
                            warning: true,
                        });
                        State::Skipping
                    }
                    None => {
                        errors.push(SyntaxError {
                            line,
                            message: format!("unknown object type '{word}'"),
                            warning: false,
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
                        warning: false,
                    });
                }
                None => errors.push(SyntaxError {
                    line,
                    message: format!("unexpected text outside a definition: '{content}'"),
                    warning: false,
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

/// A timeperiod line: a rule's key is its whole day specification (`monday 3`, `day 1 - 15`,
/// `2007-01-01 - 2008-02-01 / 3`), its value the time ranges, so that two rules starting with
/// the same word (`monday 3`, `monday 1 - friday 2`) stay two properties, as in Nagios. Other
/// lines (`alias`, `exclude`, …) split as usual.
fn split_period_rule(content: &str) -> (&str, &str) {
    let (first, _) = split_key_value(content);
    if !crate::timeperiod::Timeperiod::is_rule_key(first) {
        return split_key_value(content);
    }
    // The ranges: the last word with a `:`, and the words before it that end with `,` (ranges
    // written with spaces after their commas).
    let words: Vec<(usize, &str)> = content
        .split_whitespace()
        .map(|w| (w.as_ptr() as usize - content.as_ptr() as usize, w))
        .collect();
    let Some(&(mut at, last)) = words.last() else {
        return split_key_value(content);
    };
    if !last.contains(':') || words.len() < 2 {
        return split_key_value(content);
    }
    for &(i, w) in words[..words.len() - 1].iter().rev() {
        if w.ends_with(',') && w.contains(':') {
            at = i;
        } else {
            break;
        }
    }
    let key = content[..at].trim_end();
    if key.is_empty() {
        return split_key_value(content);
    }
    (key, content[at..].trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shinken_discovery_objects_are_skipped_with_a_warning() {
        let f = parse("define discoveryrule {\n discoveryrule_name r\n}\ndefine host {\n host_name h\n}\n".into());
        assert_eq!(f.objects.len(), 1);
        assert_eq!(f.errors.len(), 1, "{:?}", f.errors);
        assert!(f.errors[0].warning && f.errors[0].message.contains("ignored"));
    }

    #[test]
    fn the_opening_brace_may_come_on_the_next_line() {
        let f = parse(
            "define       host\n   {\nuse generic\n host_name h ; x\n}\ndefine service\n host_name h\n}\n".into(),
        );
        assert_eq!(f.objects.len(), 2, "{:?}", f.errors);
        assert_eq!(props(&f, 0)[1], ("host_name".to_string(), "h".to_string(), 4));
        assert_eq!(f.errors.len(), 1, "{:?}", f.errors);
        assert_eq!(f.errors[0].line, 7);
        assert!(f.errors[0].message.contains("expected '{' after 'define service'"));
    }

    #[test]
    fn a_timeperiod_rule_keeps_its_whole_day_specification_as_key() {
        for (line, key, value) in [
            ("monday 3 00:00-24:00", "monday 3", "00:00-24:00"),
            (
                "monday 1 - friday 2   09:00-12:00, 13:00-17:00",
                "monday 1 - friday 2",
                "09:00-12:00, 13:00-17:00",
            ),
            (
                "2007-01-01 - 2008-02-01 / 3 00:00-24:00",
                "2007-01-01 - 2008-02-01 / 3",
                "00:00-24:00",
            ),
            ("monday 00:00-24:00", "monday", "00:00-24:00"),
            ("alias Work hours: 9 to 5", "alias", "Work hours: 9 to 5"),
            ("exclude holidays", "exclude", "holidays"),
            ("monday", "monday", ""),
        ] {
            assert_eq!(split_period_rule(line), (key, value), "{line}");
        }
    }

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

    /// Everything a parse gives, spans and their text, to compare two parses of one text.
    type Snapshot = (
        Vec<(ObjectKind, u32, Vec<(Span, Span, u32, String, String)>)>,
        Vec<(Span, Span, u32, String, String)>,
        Vec<SyntaxError>,
        String,
    );

    fn snapshot(f: &ParsedFile) -> Snapshot {
        let prop = |k: Span, v: Span, line: u32| (k, v, line, f.text(k).to_string(), f.text(v).to_string());
        (
            f.objects
                .iter()
                .map(|o| {
                    (
                        o.kind,
                        o.line,
                        o.props.iter().map(|p| prop(p.key, p.value, p.line)).collect(),
                    )
                })
                .collect(),
            f.directives.iter().map(|d| prop(d.key, d.value, d.line)).collect(),
            f.errors.clone(),
            f.buf.clone(),
        )
    }

    /// The text parsed as one piece, then cut every `piece_bytes`: both give the same.
    fn same_cut(text: &str, piece_bytes: usize) -> usize {
        let whole = pieces(text, usize::MAX);
        assert_eq!(whole.len(), 1);
        let one = snapshot(&assemble(text.to_string(), &whole, vec![parse_piece(text, whole[0])]));
        let cuts = pieces(text, piece_bytes);
        for w in cuts.windows(2) {
            assert_eq!(w[0].end, w[1].start);
            let lines = text[..w[1].start].matches('\n').count() as u32 + 1;
            assert_eq!(w[1].first_line, lines);
        }
        let cut = snapshot(&parse_cut(text.to_string(), piece_bytes));
        assert_eq!(one, cut, "cut every {piece_bytes} bytes into {cuts:?}");
        cuts.len()
    }

    /// A file with what a cut must not break: comments, continued lines, `;` comments and `\;`,
    /// custom variables, braces on the next line, unknown types, an unclosed definition.
    fn awkward_file(objects: usize) -> String {
        let mut s = String::from("# generated\ncfg_dir=objects ; trailing\n$USER1$=/usr/lib \\\n/nagios\n");
        for i in 0..objects {
            match i % 9 {
                0 => s.push_str(&format!("define host {{\n  host_name h{i} ; the name\n  alias A\\; b\n  _snmp x{i}\n}}\n")),
                1 => s.push_str(&format!("define command {{\n command_name c{i}\n command_line /bin/echo \\\ndefine host {{ \\\n  x\n}}\n")),
                2 => s.push_str(&format!("# define host {{ \\\ndefine host {{\n; define service {{\n   define service\n{{\n service_description s{i}\n}}\n")),
                3 => s.push_str(&format!("DEFINE contact{{contact_name k{i}\r\n email a@b }}\r\n\r\n")),
                4 => s.push_str("define nosuch {\n a b\ndefine host {\n}\n"),
                5 => s.push_str(&format!("define host {{\n host_name unclosed{i}\ndefine service {{\n _lower v\\; w\n}}\n")),
                6 => s.push_str(&format!("}}\nstray text {i}\ninterval_length={i}\n")),
                7 => s.push_str(&format!("define timeperiod {{\n timeperiod_name t{i}\n monday 00:00-24:00 \\\n\n}}\n")),
                _ => s.push_str(&format!("\n   \n\t; only a comment\ndefine hostgroup {{ hostgroup_name g{i}\n members \\\n h1,\\\n h2\n}}\n")),
            }
        }
        s.push_str("define host {\n host_name last\n notes \\");
        s
    }

    #[test]
    fn a_cut_file_parses_as_one_piece() {
        let text = awkward_file(200);
        let mut most = 0;
        for piece_bytes in [
            1,
            2,
            7,
            30,
            64,
            100,
            257,
            1000,
            4096,
            text.len() - 1,
            text.len(),
            usize::MAX,
        ] {
            most = most.max(same_cut(&text, piece_bytes));
        }
        assert!(most > 100, "{most} pieces at most");
        let f = parse_cut(text.clone(), 50);
        let last = f.errors.last().unwrap();
        assert_eq!(last.line, text.lines().count() as u32 - 2, "{last:?}");
        assert!(last.message.contains("'define host' is never closed"), "{last:?}");
        // The first unclosed host takes the service after it in, cut or not.
        let unclosed = f
            .objects
            .iter()
            .find(|o| f.text(o.props[0].value) == "unclosed5")
            .unwrap();
        assert_eq!(f.text(unclosed.props[1].key), "define");
        assert_eq!(f.text(unclosed.props[2].key), "_LOWER");
        assert_eq!(f.text(unclosed.props[2].value), "v; w");
    }

    #[test]
    fn cuts_only_before_a_define_that_starts_a_line() {
        let text =
            "define host {\n a b\n}\n# define x\nx=define \\\ndefine host {\n}\n  define host {\n}\ndefinehost\n";
        let starts: Vec<usize> = pieces(text, 1).iter().map(|p| p.start).collect();
        let at = |needle: &str| text.find(needle).unwrap();
        assert_eq!(starts, vec![0, at("  define host")]);
        assert_eq!(pieces(text, 1)[1].first_line, 8);
        assert_eq!(
            pieces("", 1),
            vec![Piece {
                start: 0,
                end: 0,
                first_line: 1
            }]
        );
        same_cut(text, 1);
    }

    #[test]
    fn a_definition_open_at_a_cut_is_parsed_on_from_the_piece_before() {
        // Cut before the service, which the unclosed host takes in: its `\;` value and custom
        // variable are rewritten values of the second piece, parsed again after the first.
        let text = "define host {\n host_name a\\;b\n _x y\ndefine service {\n _y z\\;\n}\ndefine nosuch {\ndefine host {\n}\n";
        assert_eq!(pieces(text, 1).len(), 4);
        same_cut(text, 1);
        let f = parse_cut(text.into(), 1);
        assert_eq!(f.objects.len(), 1);
        assert_eq!(f.errors.len(), 1, "{:?}", f.errors);
    }

    #[test]
    fn counts_newlines_past_a_byte_counter() {
        for len in [0, 1, 63, 64, 65, 64 * 255, 64 * 255 + 1, 64 * 300 + 7] {
            let text: Vec<u8> = (0..len).map(|i| if i % 3 == 0 { b'\n' } else { b'x' }).collect();
            assert_eq!(
                count_newlines(&text) as usize,
                text.iter().filter(|&&b| b == b'\n').count()
            );
            let all = vec![b'\n'; len];
            assert_eq!(count_newlines(&all) as usize, len);
        }
    }

    proptest::proptest! {
        #[test]
        fn cut_parse_equals_one_piece(
            blocks in proptest::collection::vec(
                (
                    0usize..8,
                    proptest::sample::select(vec!["host", "service", "command", "hostgroup", "nosuch", "HOST"]),
                    proptest::collection::vec(
                        (
                            proptest::sample::select(vec!["host_name", "_lower", "_UP", "alias", "define", "}", "{"]),
                            "[a-z0-9 ;\\\\{}]{0,8}",
                            0usize..6,
                        ),
                        0..5,
                    ),
                    0usize..6,
                ),
                0..40,
            ),
            piece_bytes in 1usize..300,
        ) {
            let mut text = String::new();
            for (shape, kind, props, close) in &blocks {
                match shape {
                    0 => text.push_str(&format!("define {kind} {{\n")),
                    1 => text.push_str(&format!("define {kind}\n{{\n")),
                    2 => text.push_str(&format!("  define {kind}{{ host_name x\n")),
                    3 => text.push_str(&format!("# define {kind} {{ \\\ndefine {kind} {{\n")),
                    4 => text.push_str("key=value \\\n more\n"),
                    5 => text.push_str(&format!("; define {kind} {{\n\n")),
                    6 => text.push_str(&format!("define {kind} {{\r\n")),
                    _ => text.push_str("}\n"),
                }
                for (key, value, end) in props {
                    let end = ["\n", " \\\n", "\\\n", " ; c\n", "\r\n", " }\n"][*end];
                    text.push_str(&format!(" {key} {value}{end}"));
                }
                match close {
                    0 => {}
                    1 => text.push('}'),
                    _ => text.push_str("}\n"),
                }
            }
            let whole = pieces(&text, usize::MAX);
            let one = snapshot(&assemble(text.clone(), &whole, whole.iter().map(|p| parse_piece(&text, *p)).collect()));
            let cut = snapshot(&parse_cut(text.clone(), piece_bytes));
            proptest::prop_assert_eq!(one, cut);
        }

        #[test]
        fn cut_parse_equals_one_piece_on_any_text(
            text in "(define host \\{|define|\\}|\\{|\\\\|;|#|=|\r|\n|\n|\n|[ a-z_]){0,300}",
            piece_bytes in 1usize..64,
        ) {
            let whole = pieces(&text, usize::MAX);
            let one = snapshot(&assemble(text.clone(), &whole, whole.iter().map(|p| parse_piece(&text, *p)).collect()));
            let cut = snapshot(&parse_cut(text.clone(), piece_bytes));
            proptest::prop_assert_eq!(one, cut);
        }

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
