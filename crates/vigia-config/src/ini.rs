//! Alignak 2.x environment files (`alignak.ini` and `alignak.d/*.ini`), read as Python's
//! `ConfigParser` reads them: `[section]` headers, `key = value` or `key: value`, indented
//! continuation lines, `#`/`;` comment lines, keys lower-cased, `[DEFAULT]` values visible in every
//! section, and `%(name)s` interpolation.
use std::collections::BTreeMap;

/// One `key = value` with the line it starts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IniEntry {
    pub key: String,
    pub value: String,
    pub line: u32,
}

/// One `[name]` section, entries in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IniSection {
    pub name: String,
    pub line: u32,
    pub entries: Vec<IniEntry>,
}

/// A parsed ini file.
#[derive(Clone, Debug, Default)]
pub struct IniFile {
    pub sections: Vec<IniSection>,
    pub errors: Vec<(u32, String)>,
}

impl IniFile {
    pub fn parse(text: &str) -> IniFile {
        let mut file = IniFile::default();
        let mut current: Option<IniSection> = None;
        for (i, raw) in text.lines().enumerate() {
            let line = i as u32 + 1;
            let trimmed = raw.trim();
            let indented = raw.starts_with([' ', '\t']);
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            if indented {
                if let Some(last) = current.as_mut().and_then(|s| s.entries.last_mut()) {
                    last.value.push('\n');
                    last.value.push_str(trimmed);
                    continue;
                }
            }
            if let Some(name) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
                if let Some(done) = current.take() {
                    file.sections.push(done);
                }
                current = Some(IniSection {
                    name: name.trim().to_string(),
                    line,
                    entries: Vec::new(),
                });
                continue;
            }
            let Some(section) = current.as_mut() else {
                file.errors.push((line, "a value before any [section] header".into()));
                continue;
            };
            match trimmed.find(['=', ':']) {
                Some(at) => {
                    let key = trimmed[..at].trim();
                    let key = if key.starts_with('$') {
                        key.to_ascii_uppercase()
                    } else {
                        key.to_ascii_lowercase()
                    };
                    section.entries.push(IniEntry {
                        key,
                        value: trimmed[at + 1..].trim().to_string(),
                        line,
                    });
                }
                None => file
                    .errors
                    .push((line, format!("expected 'key = value', found '{trimmed}'"))),
            }
        }
        if let Some(done) = current.take() {
            file.sections.push(done);
        }
        file
    }
}

/// Several ini files read as one, like `ConfigParser.read([...])`: a later section of the same name
/// adds to, and overrides, an earlier one.
#[derive(Clone, Debug, Default)]
pub struct IniSet {
    sections: BTreeMap<String, BTreeMap<String, IniEntry>>,
    order: Vec<String>,
    origins: BTreeMap<String, (usize, u32)>,
}

impl IniSet {
    /// Adds a file; `file` is an index the caller uses to name it in messages.
    pub fn add(&mut self, file: usize, ini: IniFile) {
        for section in ini.sections {
            if !self.sections.contains_key(&section.name) {
                self.order.push(section.name.clone());
                self.origins.insert(section.name.clone(), (file, section.line));
            }
            let entries = self.sections.entry(section.name).or_default();
            for entry in section.entries {
                entries.insert(entry.key.clone(), entry);
            }
        }
    }

    /// Section names in the order first seen, `DEFAULT` excluded.
    pub fn section_names(&self) -> impl Iterator<Item = &str> {
        self.order.iter().map(String::as_str).filter(|n| *n != "DEFAULT")
    }

    /// Where a section was first written: (file index, line).
    pub fn origin(&self, section: &str) -> Option<(usize, u32)> {
        self.origins.get(section).copied()
    }

    /// The keys written in the section itself (not inherited from DEFAULT), in key order.
    pub fn own_entries(&self, section: &str) -> impl Iterator<Item = &IniEntry> {
        self.sections.get(section).into_iter().flat_map(|m| m.values())
    }

    /// Every key visible in a section (its own, then DEFAULT's), interpolated.
    pub fn items(&self, section: &str) -> Result<Vec<(String, String, u32)>, String> {
        let mut keys: BTreeMap<&str, &IniEntry> = BTreeMap::new();
        if let Some(defaults) = self.sections.get("DEFAULT") {
            keys.extend(defaults.iter().map(|(k, v)| (k.as_str(), v)));
        }
        if let Some(own) = self.sections.get(section) {
            keys.extend(own.iter().map(|(k, v)| (k.as_str(), v)));
        }
        keys.into_iter()
            .map(|(k, e)| Ok((k.to_string(), self.interpolate(section, &e.value, 0)?, e.line)))
            .collect()
    }

    /// One key of a section (or DEFAULT), interpolated.
    pub fn get(&self, section: &str, key: &str) -> Option<Result<String, String>> {
        let entry = self
            .sections
            .get(section)
            .and_then(|s| s.get(key))
            .or_else(|| self.sections.get("DEFAULT").and_then(|s| s.get(key)))?;
        Some(self.interpolate(section, &entry.value, 0))
    }

    fn interpolate(&self, section: &str, value: &str, depth: u32) -> Result<String, String> {
        if !value.contains('%') {
            return Ok(value.to_string());
        }
        if depth > 10 {
            return Err(format!(
                "interpolation of '{value}' is too deep (a loop of %(name)s references?)"
            ));
        }
        let mut out = String::with_capacity(value.len());
        let mut rest = value;
        while let Some(at) = rest.find('%') {
            out.push_str(&rest[..at]);
            let tail = &rest[at..];
            if let Some(after) = tail.strip_prefix("%%") {
                out.push('%');
                rest = after;
            } else if let Some(inner) = tail.strip_prefix("%(") {
                let close = inner
                    .find(")s")
                    .ok_or_else(|| format!("bad interpolation syntax in '{value}'"))?;
                let name = inner[..close].to_ascii_lowercase();
                let entry = self
                    .sections
                    .get(section)
                    .and_then(|s| s.get(&name))
                    .or_else(|| self.sections.get("DEFAULT").and_then(|s| s.get(&name)))
                    .ok_or_else(|| format!("'%({name})s' refers to an undefined value"))?;
                out.push_str(&self.interpolate(section, &entry.value, depth + 1)?);
                rest = &inner[close + 2..];
            } else {
                return Err(format!("'%' must be followed by '%' or '(name)s' in '{value}'"));
            }
        }
        out.push_str(rest);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_defaults_and_interpolation() {
        let text = "[DEFAULT]\n_dist=/usr/local/\netcdir=%(_dist)s/etc\n\n[alignak-configuration]\n; comment\ncfg=%(etcdir)s/alignak.cfg\n$USER1$=/usr/lib/nagios/plugins\nlong = first\n  second\n[daemon.scheduler-master]\ntype=scheduler\nport : 7768\n";
        let mut set = IniSet::default();
        let ini = IniFile::parse(text);
        assert!(ini.errors.is_empty(), "{:?}", ini.errors);
        set.add(0, ini);
        assert_eq!(
            set.get("alignak-configuration", "cfg"),
            Some(Ok("/usr/local//etc/alignak.cfg".into()))
        );
        assert_eq!(
            set.get("alignak-configuration", "$USER1$"),
            Some(Ok("/usr/lib/nagios/plugins".into()))
        );
        assert_eq!(
            set.get("alignak-configuration", "long"),
            Some(Ok("first\nsecond".into()))
        );
        assert_eq!(set.get("daemon.scheduler-master", "port"), Some(Ok("7768".into())));
        assert_eq!(
            set.get("daemon.scheduler-master", "etcdir"),
            Some(Ok("/usr/local//etc".into()))
        );
        assert_eq!(
            set.section_names().collect::<Vec<_>>(),
            ["alignak-configuration", "daemon.scheduler-master"]
        );
        assert_eq!(set.origin("daemon.scheduler-master"), Some((0, 11)));
    }

    #[test]
    fn interpolation_errors_are_reported_not_looped() {
        let mut set = IniSet::default();
        set.add(0, IniFile::parse("[DEFAULT]\na=%(b)s\nb=%(a)s\nc=%(nope)s\nd=50%\n"));
        assert!(set.get("DEFAULT", "a").is_some_and(|r| r.is_err()));
        assert!(set.get("DEFAULT", "c").is_some_and(|r| r.unwrap_err().contains("nope")));
        assert!(set.get("DEFAULT", "d").is_some_and(|r| r.is_err()));
    }

    #[test]
    fn later_files_override_earlier_ones() {
        let mut set = IniSet::default();
        set.add(0, IniFile::parse("[daemon.a]\nport=1\nspare=0\n"));
        set.add(1, IniFile::parse("[daemon.a]\nport=2\n"));
        assert_eq!(set.get("daemon.a", "port"), Some(Ok("2".into())));
        assert_eq!(set.get("daemon.a", "spare"), Some(Ok("0".into())));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC*") {
            let mut set = IniSet::default();
            set.add(0, IniFile::parse(&s));
            let names: Vec<String> = set.section_names().map(String::from).collect();
            for n in names { let _ = set.items(&n); }
        }
    }
}
