//! Templates: `name`, `use a,b,c`, `register 0`, additive `+value` and `null`.
//!
//! Rules (Nagios "Object Inheritance", Alignak `Item.get_property_by_inheritance`): an object's own
//! value wins; otherwise the first template of `use` (depth first through its own `use` chain)
//! that defines the property gives it, then the next one. A value starting with `+` is appended to
//! what the templates give, and the search goes on while the collected value is still additive.
//! `null` cancels an inherited value. `register`, `name` and `use` are never inherited.
use rustc_hash::FxHashMap as HashMap;
use std::rc::Rc;

use typed_arena::Arena;

use crate::diag::Diagnostics;
use crate::dialect::{Dialect, Duplicate};
use crate::grammar::RawObject;
use crate::kind::ObjectKind;
use crate::source::SourceTree;

/// A property after inheritance, with where its value was written.
#[derive(Clone, Debug)]
pub struct FlatProp<'a> {
    pub key: &'a str,
    pub value: &'a str,
    pub file: u32,
    pub line: u32,
}

/// A definition with its templates applied, in two layers: what it writes itself (additive
/// values already merged), and what its templates give, shared by every object with the same
/// `use` list. 100,000 services of one template share one copy of the template's properties.
#[derive(Clone, Debug)]
pub struct FlatObject<'a> {
    pub kind: ObjectKind,
    pub file: u32,
    pub line: u32,
    /// `register 0`: a template only (still kept: Alignak applies service templates to hosts).
    pub template_only: bool,
    /// The names of every template this object inherits from, nearest first, depth first.
    pub ancestry: Rc<[&'a str]>,
    own: Vec<FlatProp<'a>>,
    inherited: Rc<[FlatProp<'a>]>,
}

impl<'a> FlatObject<'a> {
    /// An object with no property: every read gives the schema default.
    pub fn empty(kind: ObjectKind) -> Self {
        FlatObject {
            kind,
            file: 0,
            line: 0,
            template_only: false,
            ancestry: Rc::from([]),
            own: Vec::new(),
            inherited: Rc::from([]),
        }
    }

    /// The property as the object ends up with it; `null` reads as unset.
    pub fn get(&self, key: &str) -> Option<&FlatProp<'a>> {
        let p = self
            .own
            .iter()
            .find(|p| p.key == key)
            .or_else(|| self.inherited.iter().find(|p| p.key == key))?;
        (p.value != "null").then_some(p)
    }

    /// The value, without the `+` an additive chain may leave at its start.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.get(key).map(|p| strip_plus(p.value))
    }

    /// The properties written in the object itself (additive ones merged), `null` included.
    pub fn own_props(&self) -> &[FlatProp<'a>] {
        &self.own
    }

    /// The template layer: the same slice (same address) for every object with the same `use`
    /// list, so work derived from it can be done once per list.
    pub fn inherited_props(&self) -> &[FlatProp<'a>] {
        &self.inherited
    }

    /// Every property the object ends up with, its own first.
    pub fn props(&self) -> impl Iterator<Item = &FlatProp<'a>> {
        let own = &self.own;
        own.iter()
            .chain(
                self.inherited
                    .iter()
                    .filter(move |p| !own.iter().any(|o| o.key == p.key)),
            )
            .filter(|p| p.value != "null")
    }
}

impl FlatProp<'_> {
    /// The value as the object ends up with it (no additive `+` marker).
    pub fn text(&self) -> &str {
        strip_plus(self.value)
    }
}

fn strip_plus(v: &str) -> &str {
    v.strip_prefix('+').unwrap_or(v)
}

/// Where a template is defined.
#[derive(Clone, Copy)]
struct ObjRef {
    file: u32,
    index: u32,
}

/// Resolved template: its flattened properties and ancestry, or `None` when it failed (reported).
type Memo<'a> = HashMap<(ObjectKind, &'a str), Option<(Vec<FlatProp<'a>>, Vec<&'a str>)>>;

/// Applies templates to every definition of the tree. Returns the flattened objects per kind,
/// in definition order (file order, then position in file).
/// Values that additive inheritance builds live in `arena`, so that every value is a plain `&str`.
pub fn flatten<'a>(
    tree: &'a SourceTree,
    objects: &[Vec<RawObject>],
    arena: &'a Arena<String>,
    dialect: Dialect,
    diags: &mut Diagnostics,
) -> HashMap<ObjectKind, Vec<FlatObject<'a>>> {
    let mut templates: HashMap<(ObjectKind, &'a str), ObjRef> = HashMap::default();
    for (f, (file, objs)) in tree.files.iter().zip(objects).enumerate() {
        for (i, obj) in objs.iter().enumerate() {
            for p in &obj.props {
                if file.parsed.text(p.key) == "name" {
                    let name = file.parsed.text(p.value);
                    let here = ObjRef {
                        file: f as u32,
                        index: i as u32,
                    };
                    if let Some(&prev) = templates.get(&(obj.kind, name)) {
                        // Nagios refuses a second definition. Alignak keeps the one with the
                        // lower `definition_order`, the last one when they are equal.
                        let prev_obj = &objects[prev.file as usize][prev.index as usize];
                        let at = Some(tree.location(f as u32, p.line));
                        let msg = format!(
                            "{} template '{name}' is defined twice (also at {})",
                            obj.kind.keyword(),
                            tree.location(prev.file, prev_obj.line)
                        );
                        let order = |o: &RawObject, file: u32| {
                            let parsed = &tree.files[file as usize].parsed;
                            o.props
                                .iter()
                                .find(|p| parsed.text(p.key) == "definition_order")
                                .and_then(|p| parsed.text(p.value).trim().parse::<i64>().ok())
                                .unwrap_or(100)
                        };
                        if dialect == Dialect::Nagios {
                            diags.error(at, msg);
                            continue;
                        }
                        let outcome = Duplicate::alignak(order(prev_obj, prev.file), order(obj, f as u32));
                        if outcome == Duplicate::UseLastWarned {
                            diags.warning(at, format!("{msg}: the last one is used, as Alignak does"));
                        }
                        if outcome != Duplicate::KeepFirst {
                            templates.insert((obj.kind, name), here);
                        }
                    } else {
                        templates.insert((obj.kind, name), here);
                    }
                }
            }
        }
    }
    let mut resolver = Resolver {
        tree,
        objects,
        arena,
        templates,
        memo: HashMap::default(),
        combined: HashMap::default(),
        stack: Vec::new(),
        dialect,
    };
    let mut out: HashMap<ObjectKind, Vec<FlatObject<'a>>> = HashMap::default();
    let no_templates: Inherited<'a> = (Rc::from([]), Rc::from([]));
    for (f, (file, objs)) in tree.files.iter().zip(objects).enumerate() {
        for obj in objs {
            let mut register = true;
            let mut own = Vec::with_capacity(obj.props.len());
            let mut uses: Option<(&'a str, u32)> = None;
            for p in &obj.props {
                let key = file.parsed.text(p.key);
                let value = file.parsed.text(p.value);
                match key {
                    "register" => register = value.trim() != "0",
                    "use" => uses = Some((value, p.line)),
                    "name" => {}
                    _ => push_own(&mut own, obj.kind, key, value, f as u32, p.line),
                }
            }
            let (inherited, ancestry) = match uses {
                Some((list, line)) => match resolver.combined(obj.kind, list, f as u32, line, diags) {
                    Some(r) => r,
                    None => continue,
                },
                None => no_templates.clone(),
            };
            for p in own.iter_mut() {
                if let Some(rest) = p.value.strip_prefix('+') {
                    if let Some(t) = inherited.iter().find(|t| t.key == p.key) {
                        p.value = arena.alloc(merge_additive(t.value, rest));
                    }
                }
            }
            if important_check_command(obj.kind, &inherited) {
                own.retain(|p| p.key != "check_command");
            }
            let flat = FlatObject {
                kind: obj.kind,
                file: f as u32,
                line: obj.line,
                template_only: !register,
                ancestry,
                own,
                inherited,
            };
            let list = out.entry(obj.kind).or_default();
            match name_range(&flat) {
                Some(range) => list.extend(range.expand(&flat, arena)),
                None => list.push(flat),
            }
        }
    }
    out
}

/// Alignak's generated names: a definition named `north_host_[0-19-%03d]` stands for twenty
/// objects `north_host_000` … `north_host_019` (`[MIN-MAX]` or `[MIN-MAX-FORMAT]`, `%d` by
/// default; Alignak `Items.add_item`). Templates are never expanded; a bracket without a range
/// is an ordinary character.
struct NameRange {
    key: &'static str,
    prefix: String,
    suffix: String,
    min: i64,
    max: i64,
    /// Zero-padded width from a `%0Nd` format (0: none).
    width: usize,
}

/// At most this many objects from one definition: a typo such as `[0-99999999]` must not
/// exhaust memory.
const MAX_GENERATED: i64 = 1_000_000;

fn name_range(obj: &FlatObject<'_>) -> Option<NameRange> {
    if obj.template_only {
        return None;
    }
    let key = obj.kind.name_key()?;
    let name = obj.own.iter().find(|p| p.key == key)?.value;
    let open = name.find('[')?;
    let close = open + name[open..].find(']')?;
    let inner = &name[open + 1..close];
    let mut parts = inner.splitn(3, '-');
    let (lo, hi, fmt) = (parts.next()?, parts.next()?, parts.next().unwrap_or("%d"));
    // Alignak: a limit that is not a number counts as 1.
    let min = lo.trim().parse().unwrap_or(1);
    let max = hi.trim().parse().unwrap_or(1);
    let width = fmt
        .strip_prefix("%0")
        .and_then(|w| w.strip_suffix('d'))
        .and_then(|w| w.parse().ok())
        .unwrap_or(0);
    Some(NameRange {
        key,
        prefix: name[..open].to_string(),
        suffix: name[close + 1..].to_string(),
        min,
        max: max.min(min.saturating_add(MAX_GENERATED - 1)),
        width,
    })
}

impl NameRange {
    fn expand<'a>(&self, obj: &FlatObject<'a>, arena: &'a Arena<String>) -> Vec<FlatObject<'a>> {
        let mut out = Vec::new();
        for i in self.min..=self.max {
            let name: &'a str = arena.alloc(format!("{}{:0w$}{}", self.prefix, i, self.suffix, w = self.width));
            let mut copy = obj.clone();
            for p in copy.own.iter_mut() {
                if p.key == self.key {
                    p.value = name;
                } else if matches!(p.key, "display_name" | "alias" | "notes" | "notes_url" | "action_url")
                    && p.value.contains("$HOSTNAME$")
                {
                    p.value = arena.alloc(p.value.replace("$HOSTNAME$", name));
                }
            }
            out.push(copy);
        }
        out
    }
}

/// A property written twice in one definition: the last one counts (as Nagios), both are kept
/// out of the flattened result. Except Alignak's `service_overrides`, one override per line:
/// every line is kept.
fn push_own<'a>(own: &mut Vec<FlatProp<'a>>, kind: ObjectKind, key: &'a str, value: &'a str, file: u32, line: u32) {
    let key = crate::schema::canonical_for(kind, key);
    if key == "service_overrides" {
        own.push(FlatProp { key, value, file, line });
        return;
    }
    match own.iter_mut().find(|p| p.key == key) {
        Some(p) => {
            p.value = value;
            p.line = line;
        }
        None => own.push(FlatProp { key, value, file, line }),
    }
}

/// A `use` list resolved: the merged template properties and the ancestry.
type Inherited<'a> = (Rc<[FlatProp<'a>]>, Rc<[&'a str]>);

struct Resolver<'a, 'o> {
    tree: &'a SourceTree,
    arena: &'a Arena<String>,
    objects: &'o [Vec<RawObject>],
    templates: HashMap<(ObjectKind, &'a str), ObjRef>,
    memo: Memo<'a>,
    /// Per `use` list as written: objects sharing a list share its result.
    combined: HashMap<(ObjectKind, &'a str), Option<Inherited<'a>>>,
    stack: Vec<&'a str>,
    dialect: Dialect,
}

impl<'a> Resolver<'a, '_> {
    fn combined(
        &mut self,
        kind: ObjectKind,
        use_list: &'a str,
        file: u32,
        line: u32,
        diags: &mut Diagnostics,
    ) -> Option<Inherited<'a>> {
        if let Some(done) = self.combined.get(&(kind, use_list)) {
            return done.clone();
        }
        let result = self
            .apply_templates(kind, Vec::new(), use_list, file, line, diags)
            .map(|(props, ancestry)| (Rc::from(props), Rc::from(ancestry)));
        self.combined.insert((kind, use_list), result.clone());
        result
    }

    fn apply_templates(
        &mut self,
        kind: ObjectKind,
        mut props: Vec<FlatProp<'a>>,
        use_list: &'a str,
        file: u32,
        line: u32,
        diags: &mut Diagnostics,
    ) -> Option<(Vec<FlatProp<'a>>, Vec<&'a str>)> {
        let mut ancestry = Vec::new();
        let mut ok = true;
        for name in use_list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if self.stack.last() == Some(&name) {
                // Nagios resolves an object once: using itself adds nothing, and is no loop.
                // Alignak refuses it ("use/inherits from itself").
                let message = format!("{} template '{name}' uses itself", kind.keyword());
                let at = Some(self.tree.location(file, line));
                match self.dialect {
                    Dialect::Nagios => diags.warning(at, format!("{message} (ignored, as Nagios does)")),
                    Dialect::Alignak => {
                        diags.error(at, message);
                        ok = false;
                    }
                }
                continue;
            }
            let Some((tprops, tancestry)) = self.template(kind, name, file, line, diags) else {
                ok = false;
                continue;
            };
            ancestry.push(name);
            ancestry.extend(tancestry.iter().copied());
            for tp in tprops.iter() {
                match props.iter_mut().find(|p| p.key == tp.key) {
                    None => props.push(tp.clone()),
                    Some(p) if important_check_command(kind, std::slice::from_ref(tp)) => *p = tp.clone(),
                    Some(p) => {
                        if let Some(rest) = p.value.strip_prefix('+') {
                            p.value = self.arena.alloc(merge_additive(tp.value, rest));
                        }
                    }
                }
            }
        }
        ok.then_some((props, ancestry))
    }

    fn template(
        &mut self,
        kind: ObjectKind,
        name: &'a str,
        file: u32,
        line: u32,
        diags: &mut Diagnostics,
    ) -> Option<(Vec<FlatProp<'a>>, Vec<&'a str>)> {
        if let Some(done) = self.memo.get(&(kind, name)) {
            return done.clone();
        }
        let Some(at) = self.templates.get(&(kind, name)).copied() else {
            // Nagios refuses an object that uses an undefined template; Alignak only warns
            // (and the object takes nothing from it).
            let at = Some(self.tree.location(file, line));
            let msg = format!("{} template '{name}' is not defined", kind.keyword());
            return match self.dialect {
                Dialect::Nagios => {
                    diags.error(at, msg);
                    None
                }
                Dialect::Alignak => {
                    diags.warning(at, format!("{msg} (ignored, as Alignak does)"));
                    Some((Vec::new(), Vec::new()))
                }
            };
        };
        if self.stack.contains(&name) {
            let mut path: Vec<&str> = self.stack.clone();
            path.push(name);
            diags.error(
                Some(self.tree.location(file, line)),
                format!("template loop: {}", path.join(" -> ")),
            );
            self.memo.insert((kind, name), None);
            return None;
        }
        self.stack.push(name);
        let source = &self.tree.files[at.file as usize].parsed;
        let obj = &self.objects[at.file as usize][at.index as usize];
        let mut own = Vec::with_capacity(obj.props.len());
        let mut uses = None;
        for p in &obj.props {
            let key = source.text(p.key);
            let value = source.text(p.value);
            match key {
                "register" | "name" => {}
                "use" => uses = Some((value, p.line)),
                _ => push_own(&mut own, obj.kind, key, value, at.file, p.line),
            }
        }
        let result = match uses {
            Some((list, l)) => self.apply_templates(kind, own, list, at.file, l, diags),
            None => Some((own, Vec::new())),
        };
        self.stack.pop();
        self.memo.insert((kind, name), result.clone());
        result
    }
}

/// Nagios's "important" check command: a service template's `check_command !name!args` wins
/// over the one its users write (the `!` is dropped when the command is read).
fn important_check_command(kind: ObjectKind, inherited: &[FlatProp<'_>]) -> bool {
    kind == ObjectKind::Service
        && inherited
            .iter()
            .any(|p| p.key == "check_command" && p.value.trim_start().starts_with('!'))
}

/// `inherited` + `,` + `own` (without its `+`); stays additive while `inherited` is.
fn merge_additive(inherited: &str, own: &str) -> String {
    if inherited == "null" || inherited.is_empty() || inherited == "+" {
        return format!("+{own}");
    }
    format!("{inherited},{own}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grammar;
    use crate::source::SourceFile;

    fn tree(text: &str) -> SourceTree {
        SourceTree {
            files: vec![SourceFile {
                path: std::path::Path::new("t.cfg").into(),
                parsed: grammar::parse(text.to_string()),
            }],
            ..Default::default()
        }
    }

    fn host<'a>(objs: &'a HashMap<ObjectKind, Vec<FlatObject<'a>>>, name: &str) -> &'a FlatObject<'a> {
        objs[&ObjectKind::Host]
            .iter()
            .find(|o| o.value("host_name") == Some(name))
            .unwrap_or_else(|| panic!("no host {name}"))
    }

    #[test]
    fn multiple_templates_depth_first_precedence() {
        let t = tree(
            "define host { name a\n use a_parent\n register 0\n}\n\
             define host { name a_parent\n check_interval 7\n retry_interval 7\n register 0\n}\n\
             define host { name b\n check_interval 2\n max_check_attempts 2\n notes from_b\n register 0\n}\n\
             define host { host_name h\n use a,b\n notes own\n}\n",
        );
        let mut d = Diagnostics::default();
        let raw = vec![t.files[0].parsed.objects.clone()];
        let arena = Arena::new();
        let objs = flatten(&t, &raw, &arena, Dialect::Alignak, &mut d);
        assert!(d.items.is_empty(), "{:?}", d.items);
        let h = host(&objs, "h");
        assert_eq!(h.value("check_interval"), Some("7"), "a's parent comes before b");
        assert_eq!(h.value("max_check_attempts"), Some("2"));
        assert_eq!(h.value("notes"), Some("own"));
        assert_eq!(&*h.ancestry, &["a", "a_parent", "b"]);
        assert!(h.get("register").is_none() && h.get("name").is_none());
        assert_eq!(objs[&ObjectKind::Host].iter().filter(|o| !o.template_only).count(), 1);
    }

    #[test]
    fn additive_and_null() {
        let t = tree(
            "define host { name base\n hostgroups web\n notes n\n register 0\n}\n\
             define host { name mid\n use base\n hostgroups +db\n register 0\n}\n\
             define host { host_name h\n use mid\n hostgroups +mail\n notes null\n}\n\
             define host { name lone\n parents +r1\n register 0\n}\n\
             define host { host_name h2\n use lone\n parents +r2\n}\n",
        );
        let mut d = Diagnostics::default();
        let raw = vec![t.files[0].parsed.objects.clone()];
        let arena = Arena::new();
        let objs = flatten(&t, &raw, &arena, Dialect::Alignak, &mut d);
        assert!(d.items.is_empty(), "{:?}", d.items);
        assert_eq!(host(&objs, "h").value("hostgroups"), Some("web,db,mail"));
        assert_eq!(host(&objs, "h").value("notes"), None);
        assert_eq!(host(&objs, "h2").value("parents"), Some("r1,r2"));
    }

    #[test]
    fn a_template_using_itself_is_a_warning_for_nagios_an_error_for_alignak() {
        let t = tree(
            "define host { name base\n use base\n check_interval 7\n register 0\n}\n\
             define host { host_name h\n use base\n}\n",
        );
        let raw = vec![t.files[0].parsed.objects.clone()];
        let arena = Arena::new();
        let mut d = Diagnostics::default();
        let objs = flatten(&t, &raw, &arena, Dialect::Nagios, &mut d);
        assert!(!d.has_errors(), "{:?}", d.items);
        assert!(d.items.iter().any(|m| m.to_string().contains("uses itself")));
        assert_eq!(host(&objs, "h").value("check_interval"), Some("7"));
        let mut d = Diagnostics::default();
        let _ = flatten(&t, &raw, &arena, Dialect::Alignak, &mut d);
        assert!(
            d.errors()
                .any(|m| m.to_string().contains("t.cfg:2:") && m.message.contains("uses itself")),
            "{:?}",
            d.items
        );
    }

    #[test]
    fn an_important_check_command_wins_over_the_service_s_own() {
        let t = tree(
            "define service { name stale\n check_command !set_to_stale\n register 0\n}\n\
             define service { host_name h\n service_description s\n use stale\n check_command mine\n}\n\
             define service { host_name h\n service_description t\n check_command mine\n}\n",
        );
        let raw = vec![t.files[0].parsed.objects.clone()];
        let arena = Arena::new();
        let mut d = Diagnostics::default();
        let objs = flatten(&t, &raw, &arena, Dialect::Nagios, &mut d);
        let of = |desc: &str| {
            objs[&ObjectKind::Service]
                .iter()
                .find(|o| o.value("service_description") == Some(desc))
                .and_then(|o| o.value("check_command"))
        };
        assert_eq!(of("s"), Some("!set_to_stale"));
        assert_eq!(of("t"), Some("mine"));
    }

    #[test]
    fn an_undefined_template_is_an_error_for_nagios_a_warning_for_alignak() {
        let t = tree("define host { host_name g\n use nope\n check_interval 3\n}\n");
        let raw = vec![t.files[0].parsed.objects.clone()];
        let arena = Arena::new();
        let mut d = Diagnostics::default();
        let objs = flatten(&t, &raw, &arena, Dialect::Alignak, &mut d);
        assert!(!d.has_errors(), "{:?}", d.items);
        assert!(d
            .items
            .iter()
            .any(|m| m.to_string().starts_with("t.cfg:2: warning:") && m.message.contains("'nope' is not defined")));
        assert_eq!(host(&objs, "g").value("check_interval"), Some("3"));
        let mut d = Diagnostics::default();
        let _ = flatten(&t, &raw, &arena, Dialect::Nagios, &mut d);
        assert!(
            d.errors().any(|m| m.message.contains("'nope' is not defined")),
            "{:?}",
            d.items
        );
    }

    #[test]
    fn loops_and_unknown_templates_are_errors_with_lines() {
        let t = tree(
            "define host { name x\n use y\n register 0\n}\n\
             define host { name y\n use x\n register 0\n}\n\
             define host { host_name h\n use x\n}\n\
             define host { host_name g\n use nope\n}\n",
        );
        let mut d = Diagnostics::default();
        let raw = vec![t.files[0].parsed.objects.clone()];
        let arena = Arena::new();
        let _ = flatten(&t, &raw, &arena, Dialect::Nagios, &mut d);
        let msgs: Vec<String> = d.items.iter().map(|e| e.to_string()).collect();
        assert!(msgs.iter().any(|m| m.contains("template loop")), "{msgs:?}");
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("t.cfg:13:") && m.contains("'nope' is not defined")),
            "{msgs:?}"
        );
    }
}
