//! Reading property values by their schema type, and checking every written property once.
//!
//! Values are checked where they are written (one report per line, however many objects inherit
//! it), so the typed readers used afterwards fall back to the default on a value already reported.
use std::collections::HashSet;

use crate::diag::Diagnostics;
use crate::dialect::Dialect;
use crate::effect::{self, Effect};
use crate::grammar::RawObject;
use crate::inherit::FlatObject;
use crate::kind::ObjectKind;
use crate::model::Letters;
use crate::schema::{self, PropType};
use crate::source::SourceTree;
use crate::timeperiod::Timeperiod;

/// Definitions checked as one job: a large file is checked on every core, as many files are.
const CHECK_CHUNK: usize = 4096;

/// Checks every property of every definition of the tree against the schema, in chunks of
/// definitions on every core; the reports come in file and line order all the same. An
/// unknown property is an error in the Nagios dialect (as `nagios -v` says "Invalid host
/// object directive"), a warning in Alignak's, both with the closest known name; an unknown
/// day in a timeperiod rule is an error in both (the rule would be lost). A property or type
/// Vigia reads but does not act on ([`effect`]) is a warning where written.
pub fn check_written(tree: &SourceTree, objects: &[Vec<RawObject>], dialect: Dialect, diags: &mut Diagnostics) {
    let chunks: Vec<(usize, &[RawObject])> = (0..tree.files.len().min(objects.len()))
        .flat_map(|f| objects[f].chunks(CHECK_CHUNK).map(move |c| (f, c)))
        .collect();
    let found = crate::parallel::map(&chunks, |&(f, chunk)| {
        let mut out = Diagnostics::default();
        let file = &tree.files[f].parsed;
        for obj in chunk {
            // A type Vigia keeps but does not act on: one warning for the definition, none
            // for its properties.
            let kept_only = match effect::object_type(obj.kind) {
                Effect::Inert(why) => {
                    out.warning(
                        Some(tree.location(f as u32, obj.line)),
                        format!("{} definitions have no effect in Vigia ({why})", obj.kind.keyword()),
                    );
                    true
                }
                Effect::Acted => false,
            };
            for p in &obj.props {
                let key = file.text(p.key);
                let value = file.text(p.value);
                // Alignak: `+` (add to the inherited list) means nothing on a single value.
                let single = |def: Option<&schema::PropDef>| {
                    def.is_some_and(|d| !matches!(d.ty, PropType::List | PropType::Dict | PropType::IntList))
                };
                if dialect == Dialect::Alignak
                    && value.starts_with('+')
                    && (key.starts_with('_') || single(schema::lookup(obj.kind, key)))
                {
                    out.error(
                        Some(tree.location(f as u32, p.line)),
                        format!("a '+' value for the single value '{key}' is not handled (Alignak refuses it)"),
                    );
                    continue;
                }
                if key.starts_with('_') || key == "use" || key == "name" {
                    continue;
                }
                if obj.kind == ObjectKind::Timeperiod && Timeperiod::is_rule_key(key) {
                    continue;
                }
                let index = schema::position(obj.kind, key);
                match index.and_then(|i| schema::props(obj.kind).get(i).map(|d| (i, d))) {
                    None if obj.kind == ObjectKind::Timeperiod && looks_like_time_ranges(value) => out.error(
                        Some(tree.location(f as u32, p.line)),
                        format!(
                            "'{key}' is not a day of a timeperiod rule (a weekday, a month, 'day N' or a date YYYY-MM-DD)"
                        ),
                    ),
                    None => {
                        let hint = effect::did_you_mean(key, schema::props(obj.kind).iter().map(|d| d.name));
                        let kind = obj.kind.keyword();
                        let at = Some(tree.location(f as u32, p.line));
                        match dialect {
                            Dialect::Nagios => out.error(
                                at,
                                format!("'{key}' is not a known {kind} property{hint}; Nagios refuses it"),
                            ),
                            Dialect::Alignak => {
                                out.warning(at, format!("'{key}' is not a known {kind} property{hint}; ignored"))
                            }
                        }
                    }
                    Some((index, def)) => {
                        let bare = value.strip_prefix('+').unwrap_or(value);
                        if bare == "null" {
                            continue;
                        }
                        if let Err(msg) = check_type(def.ty, bare) {
                            out.error(Some(tree.location(f as u32, p.line)), format!("'{key}': {msg}"));
                        } else if let (false, Effect::Inert(why)) = (kept_only, effect::property_at(obj.kind, index)) {
                            if effect::same_as_vigia(def.name, bare) {
                                continue;
                            }
                            out.warning(
                                Some(tree.location(f as u32, p.line)),
                                format!("'{key}' has no effect in Vigia ({why})"),
                            );
                        }
                    }
                }
            }
        }
        out
    });
    // An ini's [DEFAULT] entries are written once and read into every daemon section: one
    // report per place and message.
    let mut seen = HashSet::new();
    for d in found {
        for item in d.items {
            if seen.insert((item.location.clone(), item.message.clone())) {
                diags.items.push(item);
            }
        }
    }
}

/// `HH:MM-HH:MM[,…]`: what follows the days of a timeperiod rule.
fn looks_like_time_ranges(value: &str) -> bool {
    let last = value.split_whitespace().last().unwrap_or("");
    last.split(',').filter(|r| !r.is_empty()).all(|r| {
        r.split_once('-')
            .is_some_and(|(a, b)| a.contains(':') && b.contains(':'))
    }) && last.contains(':')
}

fn check_type(ty: PropType, value: &str) -> Result<(), String> {
    match ty {
        PropType::Bool => parse_bool(value).map(|_| ()),
        PropType::Int => parse_int(value).map(|_| ()),
        PropType::Float => parse_float(value).map(|_| ()),
        PropType::Char => match value.chars().count() {
            1 => Ok(()),
            _ => Err(format!("'{value}' is not a single letter")),
        },
        PropType::IntList => value
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .try_for_each(|v| parse_int(v).map(|_| ())),
        PropType::Str | PropType::List | PropType::Dict => Ok(()),
    }
}

/// Booleans as Alignak reads them (`1`/`0`, and the words Python's config parser knows).
pub fn parse_bool(value: &str) -> Result<bool, String> {
    let v = value.trim();
    match v {
        "1" => return Ok(true),
        "0" => return Ok(false),
        _ => {}
    }
    let is = |w: &str| v.eq_ignore_ascii_case(w);
    if is("true") || is("yes") || is("on") {
        Ok(true)
    } else if is("false") || is("no") || is("off") {
        Ok(false)
    } else {
        Err(format!("'{v}' is not a boolean (expected 0 or 1)"))
    }
}

pub fn parse_int(value: &str) -> Result<i64, String> {
    let v = value.trim();
    v.parse::<i64>().or_else(|_| {
        // Nagios reads integers with atoi: "5.0" is 5. Alignak does int(float(x)).
        v.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(|f| f as i64)
            .ok_or_else(|| format!("'{v}' is not an integer"))
    })
}

pub fn parse_float(value: &str) -> Result<f64, String> {
    let v = value.trim();
    v.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .ok_or_else(|| format!("'{v}' is not a number"))
}

/// Typed access to a flattened object, with the schema's defaults.
pub struct Reader<'r, 'a> {
    pub obj: &'r FlatObject<'a>,
}

impl<'r, 'a> Reader<'r, 'a> {
    pub fn new(obj: &'r FlatObject<'a>) -> Self {
        Reader { obj }
    }

    /// The value, else the schema default, else "".
    pub fn str(&self, key: &str) -> &str {
        match self.obj.value(key) {
            Some(v) => v,
            None => schema::lookup(self.obj.kind, key).and_then(|d| d.default).unwrap_or(""),
        }
    }

    pub fn opt(&self, key: &str) -> Option<&str> {
        self.obj.value(key).map(str::trim).filter(|v| !v.is_empty())
    }

    pub fn string(&self, key: &str) -> String {
        self.str(key).to_string()
    }

    fn default_of(&self, key: &str) -> &'static str {
        schema::lookup(self.obj.kind, key).and_then(|d| d.default).unwrap_or("")
    }

    /// [`Reader::bool`] with another default than the schema's (a dialect's).
    pub fn bool_or(&self, key: &str, default: Option<&str>) -> bool {
        match (self.obj.value(key), default) {
            (None, Some(d)) => parse_bool(d).unwrap_or(false),
            _ => self.bool(key),
        }
    }

    pub fn bool(&self, key: &str) -> bool {
        parse_bool(self.str(key))
            .or_else(|_| parse_bool(self.default_of(key)))
            .unwrap_or(false)
    }

    pub fn int(&self, key: &str) -> i64 {
        parse_int(self.str(key))
            .or_else(|_| parse_int(self.default_of(key)))
            .unwrap_or(0)
    }

    pub fn float(&self, key: &str) -> f64 {
        parse_float(self.str(key))
            .or_else(|_| parse_float(self.default_of(key)))
            .unwrap_or(0.0)
    }

    /// Option letters (`d,u,r`), lower-cased, `n` (none) removed.
    pub fn letters(&self, key: &str) -> Letters {
        letters(self.str(key))
    }

    /// A comma-separated list, trimmed, empty items dropped.
    pub fn list(&self, key: &str) -> Vec<&str> {
        split_list(self.str(key))
    }
}

/// Option letters (`d, u,r`); `n` means none. Only the first letter of each item counts, as
/// Nagios reads `w,warning`.
pub fn letters(value: &str) -> Letters {
    let mut out = Letters::default();
    for c in value.split(',').filter_map(|s| s.trim().chars().next()) {
        if c != 'n' && c != 'N' {
            out.insert(c);
        }
    }
    out
}

pub fn split_list(value: &str) -> Vec<&str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_booleans() {
        assert_eq!(parse_bool("1"), Ok(true));
        assert_eq!(parse_bool(" off "), Ok(false));
        assert!(parse_bool("2").is_err());
        assert_eq!(parse_int("5"), Ok(5));
        assert_eq!(parse_int("5.0"), Ok(5));
        assert!(parse_int("five").unwrap_err().contains("'five' is not an integer"));
        assert_eq!(parse_float("0.5"), Ok(0.5));
        assert!(parse_float("nan").is_err());
    }

    /// A file of more definitions than one job checks: every report, in line order.
    #[test]
    fn checks_a_large_file_in_order() {
        let n = CHECK_CHUNK * 2 + 10;
        let mut text = String::new();
        for i in 0..n {
            text.push_str(&format!(
                "define host {{\n host_name h{i}\n max_check_attempts x{i}\n}}\n"
            ));
        }
        let parsed = crate::grammar::parse(text);
        let mut tree = SourceTree::default();
        tree.files.push(crate::source::SourceFile {
            path: std::path::Path::new("big.cfg").into(),
            parsed,
        });
        let objects = vec![std::mem::take(&mut tree.files[0].parsed.objects)];
        let mut diags = Diagnostics::default();
        check_written(&tree, &objects, Dialect::Alignak, &mut diags);
        let lines: Vec<u32> = diags
            .items
            .iter()
            .filter_map(|d| d.location.as_ref().map(|l| l.line))
            .collect();
        assert_eq!(lines, (0..n as u32).map(|i| i * 4 + 3).collect::<Vec<_>>());
        assert!(
            diags.items[n - 1].message.contains(&format!("'x{}'", n - 1)),
            "{:?}",
            diags.items[n - 1]
        );
    }

    #[test]
    fn option_letters() {
        assert_eq!(letters("d, u,r").to_string(), "d,r,u");
        assert!(letters("n").is_empty());
        assert_eq!(letters("w,c,c").to_string(), "c,w");
        assert!(letters("w,c").contains('w') && !letters("w,c").contains('u'));
    }
}
