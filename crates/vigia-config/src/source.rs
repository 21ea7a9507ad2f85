//! Reading a configuration tree from disk: the main file and everything it names.
//!
//! The entry point is a Nagios/Alignak main file (`nagios.cfg`, `alignak.cfg`, `vigia.cfg`), an
//! Alignak 2.x `alignak.ini` (plus its `alignak.d/*.ini`), or a folder holding one of those (or,
//! failing that, read as one `cfg_dir`). Files are parsed in parallel, in waves: the files a wave
//! names (`cfg_file=`, `cfg_dir=`) form the next one. This is the only module of the crate that
//! touches the file system.
use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::diag::{Diagnostics, Location};
use crate::grammar::{self, ParsedFile, RawObject, RawProp, Span};
use crate::ini::{IniFile, IniSet};
use crate::kind::ObjectKind;
use crate::schema;

/// One file read, parsed.
#[derive(Debug)]
pub struct SourceFile {
    pub path: std::sync::Arc<Path>,
    pub parsed: ParsedFile,
}

/// A `key=value` setting that is not an object: a global parameter or a `$MACRO$` resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    pub key: String,
    pub value: String,
    pub location: Location,
}

/// Everything read from disk, before any resolution.
#[derive(Debug, Default)]
pub struct SourceTree {
    pub files: Vec<SourceFile>,
    /// Global parameters (`interval_length=60`, …), in the order read.
    pub globals: Vec<Setting>,
    /// `$USER1$=…` and other `$NAME$=` macros, key without the dollars.
    pub resources: Vec<Setting>,
    /// The entry file actually used.
    pub main: PathBuf,
}

impl SourceTree {
    pub fn location(&self, file: u32, line: u32) -> Location {
        match self.files.get(file as usize) {
            Some(f) => Location {
                file: f.path.clone(),
                line,
            },
            None => Location::new(Path::new(""), line),
        }
    }
}

/// Names, in order of preference, of the main file inside a configuration folder.
const MAIN_FILES: &[&str] = &["vigia.cfg", "alignak.ini", "alignak.cfg", "nagios.cfg"];

/// Reads a configuration tree. Problems are reported, never fatal: what could be read is returned.
pub fn read_tree(path: &Path, diags: &mut Diagnostics) -> SourceTree {
    let mut tree = SourceTree::default();
    let mut seen = HashSet::new();
    let mut wave: Vec<PathBuf> = Vec::new();
    if path.is_dir() {
        match MAIN_FILES.iter().map(|n| path.join(n)).find(|p| p.is_file()) {
            Some(main) => return read_tree(&main, diags),
            None => {
                tree.main = path.to_path_buf();
                collect_dir(path, &mut wave, diags, None);
            }
        }
    } else if path.extension().is_some_and(|e| e == "ini") {
        tree.main = path.to_path_buf();
        read_ini(path, &mut tree, &mut wave, diags);
    } else {
        tree.main = path.to_path_buf();
        wave.push(path.to_path_buf());
    }
    if !path.exists() {
        diags.error(None, format!("{}: no such file or folder", path.display()));
        return tree;
    }
    while !wave.is_empty() {
        wave.retain(|p| seen.insert(canonical(p)));
        let parsed = parse_files(&wave);
        let mut next = Vec::new();
        for (path, result) in wave.drain(..).zip(parsed) {
            let parsed = match result {
                Ok(parsed) => parsed,
                Err(err) => {
                    diags.error(None, format!("{}: cannot read: {err}", path.display()));
                    continue;
                }
            };
            let file_id = tree.files.len() as u32;
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            for err in &parsed.errors {
                let at = Some(Location::new(&path, err.line));
                if err.warning {
                    diags.warning(at, err.message.clone());
                } else {
                    diags.error(at, err.message.clone());
                }
            }
            for d in &parsed.directives {
                let key = parsed.text(d.key);
                let value = parsed.text(d.value);
                let location = Location::new(&path, d.line);
                apply_directive(key, value, &dir, location, &mut tree, &mut next, diags);
            }
            let _ = file_id;
            tree.files.push(SourceFile {
                path: path.into(),
                parsed,
            });
        }
        wave = next;
    }
    tree
}

fn canonical(p: &Path) -> PathBuf {
    fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Reads and parses files on every core: parsing is most of the cost of a large configuration.
/// A large file is cut into pieces ([`grammar::pieces`]), so that one big file is parsed on every
/// core as many small ones are; the pieces of all the files are handed out one at a time.
fn parse_files(paths: &[PathBuf]) -> Vec<Result<ParsedFile, std::io::Error>> {
    let texts = crate::parallel::map(paths, |p| fs::read_to_string(p));
    let cuts: Vec<Vec<grammar::Piece>> = texts
        .iter()
        .map(|t| match t {
            Ok(text) => grammar::pieces(text, grammar::PIECE_BYTES),
            Err(_) => Vec::new(),
        })
        .collect();
    let jobs: Vec<(usize, grammar::Piece)> = cuts
        .iter()
        .enumerate()
        .flat_map(|(file, pieces)| pieces.iter().map(move |p| (file, *p)))
        .collect();
    let mut parsed = crate::parallel::map(&jobs, |(file, piece)| match texts.get(*file) {
        Some(Ok(text)) => Some(grammar::parse_piece(text, *piece)),
        _ => None,
    })
    .into_iter()
    .flatten();
    texts
        .into_iter()
        .zip(&cuts)
        .map(|(text, pieces)| {
            let text = text?;
            let mine = parsed.by_ref().take(pieces.len()).collect();
            Ok(grammar::assemble(text, pieces, mine))
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn apply_directive(
    key: &str,
    value: &str,
    dir: &Path,
    location: Location,
    tree: &mut SourceTree,
    next: &mut Vec<PathBuf>,
    diags: &mut Diagnostics,
) {
    match key {
        "cfg_file" => {
            let p = dir.join(value);
            if p.is_file() {
                next.push(p);
            } else {
                diags.error(Some(location), format!("cfg_file '{}' does not exist", p.display()));
            }
        }
        "cfg_dir" => {
            let p = dir.join(value);
            if p.is_dir() {
                collect_dir(&p, next, diags, Some(&location));
            } else {
                diags.error(Some(location), format!("cfg_dir '{}' does not exist", p.display()));
            }
        }
        "resource_file" => read_resource_file(&dir.join(value), location, tree, diags),
        _ if key.len() > 2 && key.starts_with('$') && key.ends_with('$') => {
            tree.resources.push(Setting {
                key: key[1..key.len() - 1].to_ascii_uppercase(),
                value: value.to_string(),
                location,
            });
        }
        _ => tree.globals.push(Setting {
            key: key.to_string(),
            value: value.to_string(),
            location,
        }),
    }
}

fn read_resource_file(path: &Path, location: Location, tree: &mut SourceTree, diags: &mut Diagnostics) {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(err) => {
            diags.error(Some(location), format!("resource_file '{}': {err}", path.display()));
            return;
        }
    };
    let parsed = grammar::parse(text);
    for err in &parsed.errors {
        let at = Some(Location::new(path, err.line));
        if err.warning {
            diags.warning(at, err.message.clone());
        } else {
            diags.error(at, err.message.clone());
        }
    }
    for d in &parsed.directives {
        let key = parsed.text(d.key);
        let loc = Location::new(path, d.line);
        if key.len() > 2 && key.starts_with('$') && key.ends_with('$') {
            tree.resources.push(Setting {
                key: key[1..key.len() - 1].to_ascii_uppercase(),
                value: parsed.text(d.value).to_string(),
                location: loc,
            });
        } else {
            diags.warning(
                Some(loc),
                format!("'{key}' in a resource file is not a $MACRO$ and is ignored"),
            );
        }
    }
}

/// Every `*.cfg` below `dir`, recursively, in name order (Nagios reads in directory order, which
/// is not stable; sorting makes a configuration load the same way everywhere). Hidden entries are
/// skipped, as editors and version control leave them.
fn collect_dir(dir: &Path, out: &mut Vec<PathBuf>, diags: &mut Diagnostics, from: Option<&Location>) {
    let mut entries: Vec<PathBuf> = match fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(err) => {
            diags.error(from.cloned(), format!("cfg_dir '{}': {err}", dir.display()));
            return;
        }
    };
    entries.sort();
    for p in entries {
        let hidden = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if p.is_dir() {
            collect_dir(&p, out, diags, from);
        } else if p.extension().is_some_and(|e| e == "cfg") {
            out.push(p);
        }
    }
}

/// Alignak 2.x: `alignak.ini` and every `alignak.d/**/*.ini` beside it.
fn read_ini(path: &Path, tree: &mut SourceTree, next: &mut Vec<PathBuf>, diags: &mut Diagnostics) {
    let mut paths = vec![path.to_path_buf()];
    if let Some(dir) = path.parent() {
        let sub = dir.join("alignak.d");
        let mut extra = Vec::new();
        collect_ini(&sub, &mut extra);
        extra.sort();
        paths.extend(extra);
    }
    let mut set = IniSet::default();
    for (i, p) in paths.iter().enumerate() {
        match fs::read_to_string(p) {
            Ok(text) => {
                let ini = IniFile::parse(&text);
                for (line, msg) in &ini.errors {
                    diags.error(Some(Location::new(p, *line)), msg.clone());
                }
                set.add(i, ini);
            }
            Err(err) => diags.error(None, format!("{}: cannot read: {err}", p.display())),
        }
    }
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let loc_of = |section: &str, line: u32| -> Location {
        let file = set
            .origin(section)
            .and_then(|(f, _)| paths.get(f))
            .cloned()
            .unwrap_or_default();
        Location::new(&file, line)
    };
    // Objects defined in ini sections become a synthetic parsed file per section kind.
    let mut synthetic: Vec<ParsedFile> = paths.iter().map(|_| ParsedFile::default()).collect();
    let sections: Vec<String> = set.section_names().map(String::from).collect();
    for section in &sections {
        let items = match set.items(section) {
            Ok(items) => items,
            Err(msg) => {
                let line = set.origin(section).map_or(0, |(_, l)| l);
                diags.error(Some(loc_of(section, line)), format!("[{section}]: {msg}"));
                continue;
            }
        };
        if section == "alignak-configuration" {
            for (key, value, line) in items {
                let location = loc_of(section, line);
                let is_cfg = key.starts_with("cfg") && key[3..].chars().all(|c| c.is_ascii_digit());
                if is_cfg {
                    if value.is_empty() {
                        continue;
                    }
                    let p = dir.join(&value);
                    if p.is_file() {
                        next.push(p);
                    } else if p.is_dir() {
                        collect_dir(&p, next, diags, Some(&location));
                    } else {
                        diags.error(Some(location), format!("{key} '{}' does not exist", p.display()));
                    }
                } else {
                    apply_directive(&key, &value, &dir, location, tree, next, diags);
                }
            }
            continue;
        }
        let Some((prefix, name)) = section.split_once('.') else {
            continue;
        };
        let kind = match prefix {
            "daemon" => {
                let ty = items.iter().find(|(k, _, _)| k == "type").map(|(_, v, _)| v.as_str());
                match ty.and_then(ObjectKind::from_keyword).filter(|k| k.is_daemon()) {
                    Some(kind) => kind,
                    None => {
                        let line = set.origin(section).map_or(0, |(_, l)| l);
                        diags.error(
                            Some(loc_of(section, line)),
                            format!("[{section}]: 'type' must be one of arbiter, scheduler, poller, reactionner, broker, receiver"),
                        );
                        continue;
                    }
                }
            }
            "module" => ObjectKind::Module,
            _ => continue,
        };
        let (file_index, line) = set.origin(section).unwrap_or((0, 0));
        let Some(synthetic) = synthetic.get_mut(file_index) else {
            continue;
        };
        let own: HashSet<&str> = set.own_entries(section).map(|e| e.key.as_str()).collect();
        let mut obj = RawObject {
            kind,
            line,
            props: Vec::new(),
        };
        // Alignak names a daemon by its own `name=`, else by its section (`[daemon.NAME]`).
        let own_name = set
            .own_entries(section)
            .any(|e| e.key == "name")
            .then(|| items.iter().find(|(k, _, _)| k == "name"))
            .flatten()
            .map(|(_, v, _)| v.trim())
            .filter(|v| !v.is_empty());
        let name = own_name.unwrap_or(name);
        let name_key = kind.name_key().unwrap_or("name");
        push_synthetic(synthetic, &mut obj, name_key, name, line);
        // An ini daemon replaces a `.cfg` one of the same name (Alignak): it comes first in
        // the definition order.
        if !own.contains("definition_order") {
            push_synthetic(synthetic, &mut obj, "definition_order", "0", line);
        }
        for (key, value, line) in &items {
            let known = schema::lookup(kind, key).is_some();
            // DEFAULT carries daemon process settings (workdir, logdir, …) too: only the link
            // properties among them describe the object.
            if key == "type" || key == "name" || (!known && !own.contains(key.as_str())) {
                continue;
            }
            let key = if kind == ObjectKind::Module && key == "name" {
                "module_alias"
            } else {
                key.as_str()
            };
            push_synthetic(synthetic, &mut obj, key, value, *line);
        }
        synthetic.objects.push(obj);
    }
    for (path, parsed) in paths.into_iter().zip(synthetic) {
        if !parsed.objects.is_empty() {
            tree.files.push(SourceFile {
                path: path.into(),
                parsed,
            });
        }
    }
}

fn push_synthetic(file: &mut ParsedFile, obj: &mut RawObject, key: &str, value: &str, line: u32) {
    let k = Span {
        start: file.buf.len() as u32,
        end: (file.buf.len() + key.len()) as u32,
    };
    file.buf.push_str(key);
    let v = Span {
        start: file.buf.len() as u32,
        end: (file.buf.len() + value.len()) as u32,
    };
    file.buf.push_str(value);
    obj.props.push(RawProp { key: k, value: v, line });
}

fn collect_ini(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_ini(&p, out);
        } else if p.extension().is_some_and(|e| e == "ini") {
            out.push(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An ini daemon replaces one of the same name in a `.cfg` file (Alignak).
    #[test]
    fn an_ini_daemon_replaces_a_cfg_one_of_the_same_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(
            dir.path().join("alignak.ini"),
            "[alignak-configuration]\ncfg=objects.cfg\n\n[daemon.scheduler-master]\ntype=scheduler\nport=17768\n",
        )
        .expect("write");
        fs::write(
            dir.path().join("objects.cfg"),
            "define command {\n command_name c\n command_line /bin/true\n}\ndefine host {\n host_name h\n check_command c\n max_check_attempts 1\n}\n\
             define scheduler {\n scheduler_name scheduler-master\n address 127.0.0.1\n port 7999\n}\n",
        )
        .expect("write");
        let config = crate::load(&dir.path().join("alignak.ini")).expect("valid");
        let ports: Vec<u16> = config
            .daemons
            .iter()
            .filter(|d| d.name == "scheduler-master")
            .map(|d| d.port)
            .collect();
        assert_eq!(ports, [17768]);
    }

    /// Alignak names an ini daemon by its `name=` when it has one.
    #[test]
    fn an_ini_daemon_is_named_by_its_name_entry() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(
            dir.path().join("alignak.ini"),
            "[alignak-configuration]\ncfg=objects.cfg\n\n[daemon.sched-1]\ntype=scheduler\nname=scheduler-north\nport=17768\n\n[daemon.scheduler-south]\ntype=scheduler\nport=17769\n",
        )
        .expect("write");
        fs::write(
            dir.path().join("objects.cfg"),
            "define command {\n command_name c\n command_line /bin/true\n}\ndefine host {\n host_name h\n check_command c\n max_check_attempts 1\n}\n",
        )
        .expect("write");
        let config = crate::load(&dir.path().join("alignak.ini")).expect("valid");
        let mut names: Vec<&str> = config
            .daemons
            .iter()
            .filter(|d| d.role == crate::model::Role::Scheduler)
            .map(|d| d.name.as_str())
            .collect();
        names.sort();
        assert_eq!(names, ["scheduler-north", "scheduler-south"]);
    }

    /// A file larger than a piece is cut and parsed on every core, beside a small one, with the
    /// same result as one piece.
    #[test]
    fn a_large_file_is_read_as_one_piece_would_be() {
        let dir = tempfile::tempdir().unwrap();
        let mut big = String::from("cfg_file=small.cfg\n");
        let mut i = 0;
        while big.len() < 3 * grammar::PIECE_BYTES + 1000 {
            big.push_str(&format!(
                "# host {i}\ndefine host {{\n  host_name h{i} ; name\n  alias A\\; {i}\n  _lower \\\n  x\n}}\n"
            ));
            i += 1;
        }
        big.push_str("define host {\n  host_name unclosed\n");
        let main = dir.path().join("main.cfg");
        fs::write(&main, &big).unwrap();
        fs::write(dir.path().join("small.cfg"), "define command {\n command_name c\n}\n").unwrap();
        let mut diags = Diagnostics::default();
        let tree = read_tree(&main, &mut diags);
        assert_eq!(tree.files.len(), 2);
        assert!(grammar::pieces(&big, grammar::PIECE_BYTES).len() > 3);
        let one = grammar::parse_cut(big.clone(), usize::MAX);
        let read = &tree.files[0].parsed;
        assert_eq!(read.objects.len(), i);
        assert!(read.objects == one.objects);
        assert!(read.directives == one.directives);
        assert_eq!(read.errors, one.errors);
        assert!(read.buf == one.buf);
        let lines = big.lines().count() as u32;
        let errors: Vec<String> = diags.errors().map(|d| d.to_string()).collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains(&format!("main.cfg:{}: ", lines - 1)), "{errors:?}");
        assert_eq!(tree.files[1].parsed.objects.len(), 1);
    }
}
