//! Performance data: `'label'=value[UOM];[warn];[crit];[min];[max]`, space separated. Parsed
//! leniently as real plugins write it (trailing `;`, unknown units like `KiB`, labels with spaces
//! left unquoted as Alignak accepts them); a metric that cannot be read is skipped, never an error.
use serde::{Deserialize, Serialize};

/// One metric of a perfdata string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// The label with quotes removed (`''` inside a quoted label is one `'`).
    pub label: String,
    /// `None` when the plugin wrote `U` (value could not be determined).
    pub value: Option<f64>,
    /// Unit of measure as written (`s`, `%`, `B`, `c`, `KiB`…), possibly empty.
    pub uom: String,
    pub warn: Option<Threshold>,
    pub crit: Option<Threshold>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// A warning or critical threshold as written, with its range when it is a valid one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    pub raw: String,
    pub range: Option<Range>,
}

/// A plugin threshold range `[@][start:][end]`: alert outside `[start, end]`, or inside it with
/// `@`. `None` ends are infinite (`~:` start, empty end).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Range {
    pub start: Option<f64>,
    pub end: Option<f64>,
    pub inside: bool,
}

impl Range {
    /// Parses `10`, `10:`, `~:10`, `10:20`, `@10:20`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Range> {
        let (inside, rest) = match text.strip_prefix('@') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (start, end) = match rest.split_once(':') {
            Some((s, e)) => {
                let start = match s {
                    "~" => None,
                    "" => Some(0.0),
                    s => Some(number(s)?),
                };
                let end = if e.is_empty() { None } else { Some(number(e)?) };
                (start, end)
            }
            None if rest.is_empty() => return None,
            None => (Some(0.0), Some(number(rest)?)),
        };
        Some(Range { start, end, inside })
    }

    /// Whether `value` raises an alert under this range (ends inclusive).
    pub fn alerts(&self, value: f64) -> bool {
        let within = self.start.is_none_or(|s| value >= s) && self.end.is_none_or(|e| value <= e);
        within == self.inside
    }
}

/// Parses a whole perfdata string; metrics that cannot be read are left out.
pub fn parse(perfdata: &str) -> Vec<Metric> {
    let mut metrics = Vec::new();
    let mut rest = perfdata;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let (label, after_label) = match take_label(rest) {
            Some(found) => found,
            None => break,
        };
        let end = after_label.find(char::is_whitespace).unwrap_or(after_label.len());
        let (fields, tail) = after_label.split_at(end);
        if let Some(metric) = metric(label, fields) {
            metrics.push(metric);
        }
        rest = tail;
    }
    metrics
}

/// Reads a label and its `=`; returns the label and the text after `=`. `None` when there is no
/// further `=` at all (nothing more can be a metric).
fn take_label(text: &str) -> Option<(String, &str)> {
    if let Some(quoted) = text.strip_prefix('\'') {
        let mut label = String::new();
        let mut chars = quoted.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c != '\'' {
                label.push(c);
                continue;
            }
            if let Some((_, '\'')) = chars.peek() {
                label.push('\'');
                chars.next();
                continue;
            }
            let after = &quoted[i + 1..];
            return match after.strip_prefix('=') {
                Some(fields) => Some((label, fields)),
                // `'label' junk`: skip this token, resume after it.
                None => {
                    let skip = after.find(char::is_whitespace).unwrap_or(after.len());
                    Some((String::new(), &after[skip..]))
                }
            };
        }
        return None;
    }
    let eq = text.find('=')?;
    Some((text[..eq].trim().to_owned(), &text[eq + 1..]))
}

fn metric(label: String, fields: &str) -> Option<Metric> {
    if label.is_empty() {
        return None;
    }
    let mut parts = fields.split(';');
    let value_uom = parts.next()?;
    let (value, uom) = if let Some(uom) = value_uom.strip_prefix('U') {
        (None, uom)
    } else {
        let (v, uom) = leading_number(value_uom)?;
        (Some(v), uom)
    };
    let threshold = |s: Option<&str>| {
        s.filter(|s| !s.is_empty()).map(|raw| Threshold {
            raw: raw.to_owned(),
            range: Range::parse(raw),
        })
    };
    let warn = threshold(parts.next());
    let crit = threshold(parts.next());
    let min = parts.next().and_then(number);
    let max = parts.next().and_then(number);
    Some(Metric {
        label,
        value,
        uom: uom.to_owned(),
        warn,
        crit,
        min,
        max,
    })
}

/// The longest prefix of `text` that is a number, and what follows it (the unit).
fn leading_number(text: &str) -> Option<(f64, &str)> {
    let candidate = text
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')))
        .unwrap_or(text.len());
    // `5e` or `10EB`: back off until the prefix parses.
    (1..=candidate)
        .rev()
        .find_map(|n| number(&text[..n]).map(|v| (v, &text[n..])))
}

/// A finite decimal number; Rust's parser also accepts `inf`/`nan`, which plugins never mean.
fn number(s: &str) -> Option<f64> {
    if !s
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
    {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Metric {
        let m = parse(text);
        assert_eq!(m.len(), 1, "{text:?} gave {m:?}");
        m.into_iter().next().unwrap()
    }

    #[test]
    fn full_metric() {
        let m = one("'time'=0.000397s;1;~:2;0.000000;10.000000");
        assert_eq!(m.label, "time");
        assert_eq!(m.value, Some(0.000397));
        assert_eq!(m.uom, "s");
        assert_eq!(m.warn.as_ref().unwrap().raw, "1");
        assert_eq!(
            m.warn.unwrap().range,
            Some(Range {
                start: Some(0.0),
                end: Some(1.0),
                inside: false
            })
        );
        assert_eq!(
            m.crit.unwrap().range,
            Some(Range {
                start: None,
                end: Some(2.0),
                inside: false
            })
        );
        assert_eq!((m.min, m.max), (Some(0.0), Some(10.0)));
    }

    #[test]
    fn real_plugin_outputs() {
        let m = parse("load1=0.220;5.000;10.000;0; load5=0.150;4.000;6.000;0; load15=0.100;3.000;4.000;0; ");
        assert_eq!(m.len(), 3);
        assert_eq!(m[2].label, "load15");
        assert_eq!(m[2].max, None);
        let m = parse("rta=0.306000ms;100.000000;200.000000;0.000000 pl=0%;20;50;0;");
        assert_eq!(
            (m[0].uom.as_str(), m[1].uom.as_str(), m[1].value),
            ("ms", "%", Some(0.0))
        );
        let m = parse("age=3122s;60;120 size=3B;0;0;0");
        assert_eq!((m[0].value, m[1].value, m[1].min), (Some(3122.0), Some(3.0), Some(0.0)));
        let m = parse("/=12262047744B;216442024755;243497277849;0;270552530944");
        assert_eq!((m[0].label.as_str(), m[0].value), ("/", Some(12262047744.0)));
    }

    #[test]
    fn labels_with_spaces_quotes_and_equals() {
        let m = parse("'disk usage /var'=42%;80;90 'it''s'=1 'a=b'=2c");
        assert_eq!(
            m.iter().map(|m| m.label.as_str()).collect::<Vec<_>>(),
            ["disk usage /var", "it's", "a=b"]
        );
        assert_eq!(m[2].uom, "c");
        // Unquoted label with a space, as Alignak accepts it.
        assert_eq!(one("free space=12MB").label, "free space");
    }

    #[test]
    fn unknown_value_exponents_and_units() {
        let m = one("x=U;1;2");
        assert_eq!((m.value, m.uom.as_str()), (None, ""));
        assert_eq!(one("x=1.5e3KiB").value, Some(1500.0));
        let m = one("x=10EB");
        assert_eq!((m.value, m.uom.as_str()), (Some(10.0), "EB"));
        assert_eq!(one("x=-3.5").value, Some(-3.5));
    }

    #[test]
    fn garbage_is_skipped() {
        assert!(parse("no metrics here").is_empty());
        assert!(parse("x=abc y=").is_empty());
        assert_eq!(parse("a=1 'bad' b=2").len(), 2);
        assert!(parse("'unterminated=1").is_empty());
        assert_eq!(one("a=inf b=2").label, "b");
    }

    #[test]
    fn ranges() {
        let r = |s| Range::parse(s).unwrap();
        assert!(r("10").alerts(11.0) && r("10").alerts(-1.0) && !r("10").alerts(10.0));
        assert!(r("10:").alerts(9.0) && !r("10:").alerts(1e9));
        assert!(r("~:10").alerts(11.0) && !r("~:10").alerts(-1e9));
        assert!(r("10:20").alerts(21.0) && !r("10:20").alerts(15.0));
        assert!(r("@10:20").alerts(15.0) && !r("@10:20").alerts(21.0));
        assert_eq!(Range::parse("abc"), None);
        assert_eq!(Range::parse(""), None);
        assert_eq!(Range::parse("@"), None);
    }
}
