//! Talking to a Livestatus server and comparing answers.
//!
//! Every compared request is sent with `ResponseHeader: fixed16` as its first header: Icinga
//! reads headers in order and stops at the first bad one, and it writes an error body only when
//! fixed16 is already on, so a later ResponseHeader line would hide its error codes.
//!
//! Answers are compared as JSON values, so that the JSON types count (a string is not a number,
//! `false` is not `0`); JSON has one number type, so `1` and `1.0` are the same. naemon and
//! Icinga list rows in different orders (naemon in object order, Icinga in hash order), and list
//! columns too (`members`, `parents`): unless a request sorts, rows and list cells compare as
//! sets.
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value as Json;

/// One answer: the fixed16 status code and the body; code 0 when the server wrote nothing.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    pub code: u16,
    pub body: String,
}

impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        if self.code == 0 {
            write!(f, "(no answer)")
        } else {
            // Icinga's error bodies carry a C++ stack trace: its first line says enough.
            let body = if self.code == 200 {
                self.body.trim_end()
            } else {
                self.body.lines().next().unwrap_or("")
            };
            write!(f, "{} {body}", self.code)
        }
    }
}

/// Everything the server writes for `bytes` on a new connection, until it closes.
pub fn exchange(ip: &str, port: u16, bytes: &[u8]) -> Option<Vec<u8>> {
    let mut s = TcpStream::connect((ip, port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    s.write_all(bytes).ok()?;
    // EOF after the blank line: both servers then answer and close (naemon too).
    s.shutdown(std::net::Shutdown::Write).ok()?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).ok()?;
    Some(out)
}

/// Sends `lql` (method line, headers) with fixed16 as the first header; `None` when the server
/// cannot be reached.
pub fn ask(ip: &str, port: u16, lql: &str) -> Option<Reply> {
    let (method, headers) = lql.split_once('\n').unwrap_or((lql, ""));
    let text = format!("{method}\nResponseHeader: fixed16\n{headers}\n\n");
    let out = exchange(ip, port, text.as_bytes())?;
    Some(parse_fixed16(&out))
}

/// `"%03d %11d\n"` then the body.
pub fn parse_fixed16(out: &[u8]) -> Reply {
    if out.len() < 16 {
        return Reply {
            code: 0,
            body: String::from_utf8_lossy(out).into_owned(),
        };
    }
    let header = String::from_utf8_lossy(&out[..16]);
    Reply {
        code: header[..3].parse().unwrap_or(0),
        body: String::from_utf8_lossy(&out[16..]).into_owned(),
    }
}

/// A cell as compared: numbers as floats, lists as sets (unless `ordered`), dicts by value.
fn cell(v: &Json, ordered: bool) -> Json {
    match v {
        Json::Number(n) => n.as_f64().map_or(Json::Null, |f| serde_json::json!(f)),
        Json::Array(items) => {
            let mut items: Vec<Json> = items.iter().map(|i| cell(i, ordered)).collect();
            if !ordered {
                items.sort_by_key(|i| i.to_string());
            }
            Json::Array(items)
        }
        Json::Object(map) => Json::Object(map.iter().map(|(k, v)| (k.clone(), cell(v, ordered))).collect()),
        other => other.clone(),
    }
}

/// A list of rows as compared: each row's cells in column order, the rows as a set unless
/// `ordered`.
fn rows(v: &Json, ordered: bool) -> Json {
    let Json::Array(rs) = v else { return cell(v, ordered) };
    let mut rs: Vec<Json> = rs
        .iter()
        .map(|r| match r {
            Json::Array(cells) => Json::Array(cells.iter().map(|c| cell(c, ordered)).collect()),
            other => cell(other, ordered),
        })
        .collect();
    if !ordered {
        rs.sort_by_key(|r| r.to_string());
    }
    Json::Array(rs)
}

/// A body as compared: JSON rows (or wrapped_json's object with its `data` rows); other text
/// by lines, as a set unless `ordered`.
pub fn normalize(body: &str, ordered: bool) -> Json {
    match serde_json::from_str::<Json>(body) {
        Ok(Json::Object(mut map)) => {
            if let Some(data) = map.get("data") {
                let data = rows(data, ordered);
                map.insert("data".into(), data);
            }
            Json::Object(map)
        }
        Ok(v) => rows(&v, ordered),
        Err(_) => {
            let mut lines: Vec<Json> = body.lines().map(|l| Json::String(l.to_string())).collect();
            if !ordered {
                lines.sort_by_key(|l| l.to_string());
            }
            Json::Array(lines)
        }
    }
}

/// A csv body as compared: rows by the request's dataset separator, fields by its field one, and
/// a field holding the list separator as a set of items (unless `ordered`).
pub fn normalize_csv(body: &str, lql: &str, ordered: bool) -> Json {
    let seps: Vec<char> = lql
        .lines()
        .find_map(|l| l.strip_prefix("Separators: "))
        .map(|s| {
            s.split_whitespace()
                .filter_map(|n| n.parse::<u8>().ok())
                .map(char::from)
                .collect()
        })
        .unwrap_or_else(|| vec!['\n', ';', ',', '|']);
    let [dataset, field, list, ..] = seps[..] else {
        return Json::Null;
    };
    let mut rows: Vec<Json> = body
        .split(dataset)
        .filter(|r| !r.is_empty())
        .map(|r| {
            Json::Array(
                r.split(field)
                    .map(|f| {
                        let mut items: Vec<&str> = f.split(list).collect();
                        if !ordered {
                            items.sort();
                        }
                        Json::Array(items.into_iter().map(|i| Json::String(i.to_string())).collect())
                    })
                    .collect(),
            )
        })
        .collect();
    if !ordered {
        rows.sort_by_key(|r| r.to_string());
    }
    Json::Array(rows)
}

/// Whether two answers to `lql` agree: same code, and for 200 the same normalized body (csv
/// unless the request asks for another format); for errors the code alone (each server words
/// its messages its own way).
pub fn agree(a: &Reply, b: &Reply, lql: &str, ordered: bool) -> bool {
    let csv = !lql
        .lines()
        .any(|l| l.starts_with("OutputFormat:") && !l.ends_with("csv"));
    a.code == b.code
        && (a.code != 200
            || if csv {
                normalize_csv(&a.body, lql, ordered) == normalize_csv(&b.body, lql, ordered)
            } else {
                normalize(&a.body, ordered) == normalize(&b.body, ordered)
            })
}

/// Whether `reply` is `expected`, written `"CODE BODY"` (`"0"`: no answer at all). For errors
/// BODY is the start of the message (Icinga's end in a stack trace); `rows=N` stands for any N
/// rows (an order of Icinga's own that no client can rely on).
pub fn is(reply: &Reply, expected: &str, ordered: bool) -> bool {
    let (code, body) = expected.split_once(' ').unwrap_or((expected, ""));
    let Ok(code) = code.parse::<u16>() else { return false };
    if reply.code != code {
        return false;
    }
    if let Some(n) = body.strip_prefix("rows=") {
        let rows = normalize(&reply.body, false);
        return rows.as_array().map(Vec::len) == n.parse().ok();
    }
    if code == 200 {
        normalize(&reply.body, ordered) == normalize(body, ordered)
    } else {
        reply.body.starts_with(body)
    }
}

/// The JSON type of every cell of every row ("number", "string", "list", "dict", "bool",
/// "null"), for columns whose values differ between servers (times, ids) but whose types must
/// not.
pub fn types(body: &str) -> Vec<Vec<&'static str>> {
    let Ok(Json::Array(rs)) = serde_json::from_str::<Json>(body) else {
        return Vec::new();
    };
    let mut out: Vec<Vec<&'static str>> = rs
        .iter()
        .map(|r| match r {
            Json::Array(cells) => cells
                .iter()
                .map(|c| match c {
                    Json::Number(_) => "number",
                    Json::String(_) => "string",
                    Json::Array(_) => "list",
                    Json::Object(_) => "dict",
                    Json::Bool(_) => "bool",
                    Json::Null => "null",
                })
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    out.sort();
    out
}

/// A `python` body as JSON, read by Python itself (`ast.literal_eval`): naemon writes `u"..."`,
/// Icinga `r"..."`, and both are the same Python values. `None` if Python cannot read it.
pub fn python_to_json(body: &str) -> Option<String> {
    let mut child = std::process::Command::new("python3")
        .args([
            "-c",
            "import ast, json, sys; print(json.dumps(ast.literal_eval(sys.stdin.read())))",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(body.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}
