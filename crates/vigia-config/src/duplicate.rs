//! `duplicate_foreach` (Alignak/Shinken): one service per key of a host custom variable.
//!
//! The variable holds `key$(value1)$$(value2)$, key2$(…)$`; a key may hold ranges `disk[1-3]` or
//! `[1-10/2]` that expand into several keys. In the service, `$KEY$`, `$VALUE$` (= `$VALUE1$`)
//! and `$VALUEn$` are replaced.

/// The keys and their values, ranges expanded, in written order.
pub fn key_values(entry: &str) -> Result<Vec<(String, Vec<String>)>, String> {
    let mut out = Vec::new();
    for item in entry.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (key, rest) = match item.find("$(") {
            Some(at) => (item[..at].trim(), &item[at..]),
            None => (item, ""),
        };
        if key.is_empty() || key.contains('$') {
            return Err(format!("'{item}' is not a valid key$(value)$ entry"));
        }
        let mut values = Vec::new();
        let mut rest = rest.trim();
        while !rest.is_empty() {
            let inner = rest
                .strip_prefix("$(")
                .ok_or_else(|| format!("'{item}': expected '$(' before a value"))?;
            let close = inner
                .find(")$")
                .ok_or_else(|| format!("'{item}': a value is not closed with ')$'"))?;
            values.push(inner[..close].to_string());
            rest = inner[close + 2..].trim_start();
        }
        for key in expand_ranges(key)? {
            out.push((key, values.clone()));
        }
    }
    if out.is_empty() {
        return Err("at least one key must be present".into());
    }
    Ok(out)
}

/// `disk[1-3]` → disk1, disk2, disk3; `[1-10/2]` steps by 2; several ranges multiply.
fn expand_ranges(key: &str) -> Result<Vec<String>, String> {
    let Some(open) = key.find('[') else {
        return Ok(vec![key.to_string()]);
    };
    let Some(close) = key[open..].find(']').map(|c| open + c) else {
        return Ok(vec![key.to_string()]);
    };
    let spec = &key[open + 1..close];
    let (range, step) = match spec.split_once('/') {
        Some((r, s)) => (
            r,
            s.trim().parse::<u64>().map_err(|_| format!("bad step in '[{spec}]'"))?,
        ),
        None => (spec, 1),
    };
    let Some((from, to)) = range.split_once('-') else {
        return Ok(vec![key.to_string()]);
    };
    let (Ok(from), Ok(to)) = (from.trim().parse::<u64>(), to.trim().parse::<u64>()) else {
        return Ok(vec![key.to_string()]);
    };
    if step == 0 || to.saturating_sub(from) / step > 10_000 {
        return Err(format!("range '[{spec}]' is empty-stepped or too large"));
    }
    let mut out = Vec::new();
    let mut i = from;
    while i <= to {
        let expanded = format!("{}{i}{}", &key[..open], &key[close + 1..]);
        out.extend(expand_ranges(&expanded)?);
        i += step;
    }
    Ok(out)
}

/// Replaces `$KEY$`, `$VALUE$` and `$VALUEn$` in `text`.
pub fn substitute(text: &str, key: &str, values: &[String]) -> String {
    if !text.contains('$') {
        return text.to_string();
    }
    let mut out = text.replace("$KEY$", key);
    for (i, v) in values.iter().enumerate().rev() {
        out = out.replace(&format!("$VALUE{}$", i + 1), v);
    }
    out.replace("$VALUE$", values.first().map_or("", String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_values_and_ranges() {
        let kv = key_values("var$(/var)$, root $(/)$$(90%)$, disk[1-3]").unwrap();
        assert_eq!(kv[0], ("var".into(), vec!["/var".into()]));
        assert_eq!(kv[1], ("root".into(), vec!["/".into(), "90%".into()]));
        assert_eq!(
            kv.iter().skip(2).map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            ["disk1", "disk2", "disk3"]
        );
        assert_eq!(
            expand_ranges("X[1-10/2]Y").unwrap(),
            ["X1Y", "X3Y", "X5Y", "X7Y", "X9Y"]
        );
        assert_eq!(expand_ranges("[1-3/2] [1-2]").unwrap(), ["1 1", "1 2", "3 1", "3 2"]);
        assert!(key_values("").is_err());
        assert!(key_values("a$(x").is_err());
    }

    #[test]
    fn substitution() {
        let v = vec!["/var".to_string(), "80".to_string()];
        assert_eq!(substitute("Disk $KEY$", "var", &v), "Disk var");
        assert_eq!(
            substitute("check_disk!$VALUE$!$VALUE2$", "var", &v),
            "check_disk!/var!80"
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = key_values(&s);
        }
    }
}
