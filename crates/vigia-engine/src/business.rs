//! Business rules (Alignak `bp_rule`): a host or service whose check is an expression over other
//! hosts and services, e.g. `bp_rule!(web1,http | web2,http) & db1,mysql` or
//! `bp_rule!2 of: web1,http & web2,http & web3,http`. No process runs: the engine computes the
//! state itself, on the item's own schedule and whenever a member's HARD state, acknowledgement
//! or downtime changes; the result then goes through the usual SOFT/HARD rules.
//!
//! Grammar (Alignak `DependencyNodeFactory`): terms `host`, `host,service`, `g:hostgroup`,
//! `r:host-regex`, `*`, and on the service side `g:servicegroup`, `r:service-regex`, `*`; an
//! empty host is the rule owner's host; `!term`, parentheses; one operator per level (`&` worst
//! state, `|` best state; mixing them without parentheses is an error); `X of:` / `X,Y,Z of:` in
//! front of a level (counts, negative counts, percents; a lone `X` means `X,all,all`). Leaf
//! states are HARD states; host DOWN and UNREACHABLE count as CRITICAL (Alignak would let
//! UNREACHABLE's internal id 4 through); an acknowledged or downtimed problem counts as OK.
//! Labels (`l:`) and tags (`t:`) are not supported.
//!
//! The output is empty unless `business_rule_output_template` is set (Alignak): the template's
//! `$( … )$` part is repeated for each member not OK (or replaced by "all checks were
//! successful."), then macros are expanded, with Alignak's `$STATUS$`, `$SHORTSTATUS$` and
//! `$FULLNAME$`.
use regex::Regex;
use rustc_hash::FxHashMap;
use vigia_config::model::{Config, HostId, ServiceId};

use crate::engine::{CheckResult, Engine};
use crate::status::{Item, StateType};

/// A parsed rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub not: bool,
    pub node: Node,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Leaf(Item),
    And(Vec<Rule>),
    Or(Vec<Rule>),
    /// X of: with thresholds for OK, WARNING and CRITICAL as written (`"2"`, `"-1"`, `"50%"`),
    /// zeros already replaced by the number of sons.
    Of {
        ok: String,
        warning: String,
        critical: String,
        multiple: bool,
        sons: Vec<Rule>,
    },
}

impl Rule {
    fn leaf(item: Item) -> Rule {
        Rule {
            not: false,
            node: Node::Leaf(item),
        }
    }

    /// Every member, each once, in the order written.
    pub fn members(&self) -> Vec<Item> {
        let mut out = Vec::new();
        self.collect(&mut out);
        let mut seen = rustc_hash::FxHashSet::default();
        out.retain(|i| seen.insert(*i));
        out
    }

    fn collect(&self, out: &mut Vec<Item>) {
        match &self.node {
            Node::Leaf(i) => out.push(*i),
            Node::And(sons) | Node::Or(sons) | Node::Of { sons, .. } => {
                for s in sons {
                    s.collect(out);
                }
            }
        }
    }
}

/// Parses a rule against the configuration's objects; `owner` is the host of the item the rule
/// belongs to (an empty host name in a term means it).
pub fn parse(expr: &str, config: &Config, owner: Option<HostId>) -> Result<Rule, String> {
    let expr = expr.trim();
    if expr.is_empty() {
        return Err("empty business rule".into());
    }
    Parser { config, owner }.pattern(expr, 0)
}

struct Parser<'c> {
    config: &'c Config,
    owner: Option<HostId>,
}

/// `Of` thresholds as written, before zeros are replaced.
type OfValues = (String, String, String, bool);

impl Parser<'_> {
    fn pattern(&self, expr: &str, depth: u32) -> Result<Rule, String> {
        if depth > 64 {
            return Err("business rule nested too deeply".into());
        }
        let expr = expr.trim();
        if expr.contains(['(', ')', '&', '|']) {
            self.complex(expr, depth)
        } else {
            self.simple(expr)
        }
    }

    /// Alignak `eval_complex_cor_pattern`.
    fn complex(&self, expr: &str, depth: u32) -> Result<Rule, String> {
        let (of, body) = split_of(expr);
        let mut sons = Vec::new();
        let mut operator: Option<char> = None;
        let mut tmp = String::new();
        let mut son_is_not = false;
        let mut level = 0i32;
        for c in body.chars() {
            match c {
                '(' => {
                    level += 1;
                    if level == 1 {
                        if !tmp.trim().is_empty() {
                            return Err(format!("bad expression near '{}' in '{expr}'", tmp.trim()));
                        }
                        tmp.clear();
                    } else {
                        tmp.push(c);
                    }
                }
                ')' => {
                    level -= 1;
                    if level < 0 {
                        return Err(format!("too many ')' in '{expr}'"));
                    }
                    if level == 0 {
                        let mut son = self.pattern(&tmp, depth + 1)?;
                        son.not ^= std::mem::take(&mut son_is_not);
                        sons.push(son);
                        tmp.clear();
                    } else {
                        tmp.push(c);
                    }
                }
                _ if level > 0 => tmp.push(c),
                '!' => {
                    if !tmp.trim().is_empty() {
                        return Err(format!("misplaced '!' near '{}' in '{expr}'", tmp.trim()));
                    }
                    son_is_not = true;
                }
                '&' | '|' => {
                    if of.is_none() && operator.is_some_and(|o| o != c) {
                        return Err(format!("'{expr}' mixes '&' and '|' at one level: add parentheses"));
                    }
                    operator = Some(c);
                    if !tmp.trim().is_empty() {
                        let mut son = self.pattern(&tmp, depth + 1)?;
                        son.not ^= std::mem::take(&mut son_is_not);
                        sons.push(son);
                    }
                    tmp.clear();
                }
                _ => tmp.push(c),
            }
        }
        if level != 0 {
            return Err(format!("unbalanced parentheses in '{expr}'"));
        }
        if !tmp.trim().is_empty() {
            let mut son = self.pattern(&tmp, depth + 1)?;
            son.not ^= son_is_not;
            sons.push(son);
        }
        if sons.is_empty() {
            return Err(format!("'{expr}' names nothing"));
        }
        let node = match (of, operator) {
            (Some(values), _) => of_node(values, sons),
            (None, Some('|')) => Node::Or(sons),
            (None, _) => Node::And(sons),
        };
        Ok(Rule { not: false, node })
    }

    /// Alignak `eval_simple_cor_pattern`: one term, maybe `X of:` and `!` in front.
    fn simple(&self, expr: &str) -> Result<Rule, String> {
        let (of, body) = split_of(expr);
        let body = body.trim();
        let (not, body) = match body.strip_prefix('!') {
            Some(rest) => (true, rest.trim()),
            None => (false, body),
        };
        let items = self.expand(body)?;
        let node = match (of, items.as_slice()) {
            (None, [one]) if !is_expression(body) => Node::Leaf(*one),
            (None, _) => Node::And(items.into_iter().map(Rule::leaf).collect()),
            (Some(values), _) => of_node(values, items.into_iter().map(Rule::leaf).collect()),
        };
        Ok(Rule { not, node })
    }

    /// The items a term names.
    fn expand(&self, term: &str) -> Result<Vec<Item>, String> {
        let c = self.config;
        let (host_expr, service_expr) = match term.split_once(',') {
            Some((h, s)) => (h.trim(), Some(s.trim())),
            None => (term.trim(), None),
        };
        let hosts: Vec<HostId> = if host_expr.is_empty() {
            vec![self
                .owner
                .ok_or("a term without a host name needs the rule's own host")?]
        } else if host_expr == "*" {
            (0..c.hosts.len() as u32).map(HostId).collect()
        } else if let Some(group) = host_expr.strip_prefix("g:") {
            let g = c
                .hostgroups
                .iter()
                .find(|g| g.name == group.trim())
                .ok_or_else(|| format!("business rule uses unknown hostgroup '{group}'"))?;
            g.members.clone()
        } else if let Some(pattern) = host_expr.strip_prefix("r:") {
            let re = anchored(pattern)?;
            (0..c.hosts.len())
                .filter(|h| re.is_match(&c.hosts[*h].name))
                .map(|h| HostId(h as u32))
                .collect()
        } else if host_expr.starts_with("l:") || host_expr.starts_with("t:") {
            return Err(format!("business rule labels and tags are not supported: '{term}'"));
        } else {
            let h = c
                .hosts
                .iter()
                .position(|h| h.name == host_expr)
                .ok_or_else(|| format!("business rule uses unknown host {host_expr}"))?;
            vec![HostId(h as u32)]
        };
        let items: Vec<Item> = match service_expr {
            None => hosts.into_iter().map(Item::Host).collect(),
            Some(svc) => {
                let matches: Box<dyn Fn(ServiceId) -> bool> = if svc == "*" {
                    Box::new(|_| true)
                } else if let Some(group) = svc.strip_prefix("g:") {
                    let g = c
                        .servicegroups
                        .iter()
                        .position(|g| g.name == group.trim())
                        .ok_or_else(|| format!("business rule uses unknown servicegroup '{group}'"))?;
                    Box::new(move |s: ServiceId| c.services[s.index()].servicegroups.iter().any(|sg| sg.index() == g))
                } else if let Some(pattern) = svc.strip_prefix("r:") {
                    let re = anchored(pattern)?;
                    Box::new(move |s: ServiceId| re.is_match(&c.services[s.index()].description))
                } else if svc.starts_with("l:") {
                    return Err(format!("business rule labels are not supported: '{term}'"));
                } else {
                    Box::new(move |s: ServiceId| &*c.services[s.index()].description == svc)
                };
                hosts
                    .iter()
                    .flat_map(|h| c.hosts[h.index()].services.iter().copied())
                    .filter(|s| matches(*s))
                    .map(Item::Service)
                    .collect()
            }
        };
        if items.is_empty() {
            return Err(if is_expression(term) {
                format!("business rule got an empty result for pattern '{term}'")
            } else {
                format!("business rule uses unknown service {term}")
            });
        }
        Ok(items)
    }
}

/// Whether a term names several objects by pattern (rather than one by name).
fn is_expression(term: &str) -> bool {
    let (h, s) = match term.split_once(',') {
        Some((h, s)) => (h.trim(), Some(s.trim())),
        None => (term.trim(), None),
    };
    let flagged = |t: &str| t == "*" || t.starts_with("g:") || t.starts_with("r:");
    flagged(h) || s.is_some_and(flagged)
}

/// Python's `re.match`: anchored at the start only.
fn anchored(pattern: &str) -> Result<Regex, String> {
    Regex::new(&format!("^(?:{pattern})")).map_err(|e| format!("business rule uses invalid regex {pattern}: {e}"))
}

fn of_node((ok, warning, critical, multiple): OfValues, sons: Vec<Rule>) -> Node {
    // Alignak `switch_zeros_of_values`: a zero means "all of them".
    let n = sons.len().to_string();
    let fix = |v: String| if v == "0" { n.clone() } else { v };
    Node::Of {
        ok: fix(ok),
        warning: fix(warning),
        critical: fix(critical),
        multiple,
        sons,
    }
}

/// `2 of:` / `1,2,3 of:` / `50% of:` in front of an expression (Alignak's
/// `^(-?\d+%?),*(-?\d*%?),*(-?\d*%?) *of: *(.+)`).
fn split_of(expr: &str) -> (Option<OfValues>, &str) {
    let Some(at) = expr.find("of:") else {
        return (None, expr);
    };
    let head = expr[..at].trim();
    let is_value = |v: &str| {
        let v = v.strip_prefix('-').unwrap_or(v);
        let v = v.strip_suffix('%').unwrap_or(v);
        !v.is_empty() && v.chars().all(|c| c.is_ascii_digit())
    };
    let parts: Vec<&str> = head.split(',').map(str::trim).collect();
    let body = &expr[at + 3..];
    match parts.as_slice() {
        [x] if is_value(x) => (Some((x.to_string(), "0".into(), "0".into(), false)), body),
        [a, b, c] if is_value(a) && is_value(b) && is_value(c) => {
            (Some((a.to_string(), b.to_string(), c.to_string(), true)), body)
        }
        _ => (None, expr),
    }
}

/// The rules of a configuration: by owner, and who watches each member.
#[derive(Default)]
pub(crate) struct Rules {
    /// The rule of each `bp_rule` item, or why it does not parse.
    pub by_item: FxHashMap<Item, Result<Rule, String>>,
    /// Rule owners by member.
    pub watchers: FxHashMap<Item, Vec<Item>>,
}

/// Every business rule of the configuration that does not parse or names nothing, as errors at
/// its object's definition: Alignak refuses such a configuration (the rule would be UNKNOWN
/// for ever).
pub fn check(config: &Config, diags: &mut vigia_config::Diagnostics) {
    let Some(bp) = config.commands.iter().position(|c| c.name == "bp_rule") else {
        return;
    };
    let owners = config
        .hosts
        .iter()
        .map(|host| (host.name.clone(), &host.common, None))
        .chain(config.services.iter().map(|svc| {
            let host = &config.hosts[svc.host.index()];
            (
                format!("{};{}", host.name, svc.description),
                &svc.common,
                Some(svc.host),
            )
        }));
    for (name, m, service_host) in owners {
        let Some(call) = m.check_command.as_ref().filter(|c| c.command.index() == bp) else {
            continue;
        };
        let expr = call.raw.split_once('!').map_or("", |(_, e)| e);
        let owner = service_host.or_else(|| {
            config
                .hosts
                .iter()
                .position(|h| h.name == name)
                .map(|h| HostId(h as u32))
        });
        if let Err(e) = parse(expr, config, owner) {
            diags.error(Some(m.location.clone()), format!("{name}: bp_rule: {e}"));
        }
    }
}

/// Loads a configuration ([`vigia_config::load_with`]) and checks what only the engine can:
/// its business rules. What every daemon and `check-config` load with.
pub fn load(path: &std::path::Path, options: &vigia_config::LoadOptions) -> Result<Config, vigia_config::LoadError> {
    // The rules are checked even when the configuration has other errors: one run says all.
    let (config, mut diags) = vigia_config::load_all(path, options);
    check(&config, &mut diags);
    vigia_config::finish(config, diags)
}

impl Rules {
    pub(crate) fn build(config: &Config) -> Rules {
        let mut rules = Rules::default();
        let Some(bp) = config.commands.iter().position(|c| c.name == "bp_rule") else {
            return rules;
        };
        let owners = config
            .hosts
            .iter()
            .enumerate()
            .map(|(h, host)| (Item::Host(HostId(h as u32)), &host.common, HostId(h as u32)))
            .chain(
                config
                    .services
                    .iter()
                    .enumerate()
                    .map(|(s, svc)| (Item::Service(ServiceId(s as u32)), &svc.common, svc.host)),
            );
        for (item, m, host) in owners {
            let Some(call) = m.check_command.as_ref().filter(|c| c.command.index() == bp) else {
                continue;
            };
            let expr = call.raw.split_once('!').map_or("", |(_, e)| e);
            let rule = parse(expr, config, Some(host));
            if let Ok(r) = &rule {
                for member in r.members() {
                    rules.watchers.entry(member).or_default().push(item);
                }
            }
            rules.by_item.insert(item, rule);
        }
        rules
    }
}

impl Engine {
    /// A rule's state now: 0 OK, 1 WARNING, 2 CRITICAL (3 UNKNOWN only from a leaf).
    pub fn business_state(&self, rule: &Rule) -> u8 {
        let state = match &rule.node {
            Node::Leaf(item) => {
                let st = self.status(*item);
                let hard = if st.state_type == StateType::Hard {
                    st.state
                } else {
                    st.last_hard_state
                };
                let hard = match item {
                    Item::Host(_) if hard != 0 => 2,
                    _ => hard,
                };
                let state = if st.acknowledgement.is_some() || st.downtime_depth > 0 {
                    0
                } else {
                    hard
                };
                // Alignak: a negated host is DOWN when UP and UP otherwise.
                if rule.not && matches!(item, Item::Host(_)) {
                    return if state == 0 { 2 } else { 0 };
                }
                state
            }
            Node::Or(sons) => sons.iter().map(|s| self.business_state(s)).min().unwrap_or(0),
            Node::And(sons) => worst(sons.iter().map(|s| self.business_state(s))),
            Node::Of {
                ok,
                warning,
                critical,
                multiple,
                sons,
            } => {
                let states: Vec<u8> = sons.iter().map(|s| self.business_state(s)).collect();
                let total = states.len();
                let count = |want: u8| states.iter().filter(|s| **s == want).count();
                let (n_ok, n_warn, n_crit) = (count(0), count(1), count(2));
                if of_applies(total, n_crit, critical) {
                    2
                } else if of_applies(total, n_warn + n_crit, warning) {
                    1
                } else if of_applies(total, n_ok, ok) || *multiple {
                    0
                } else {
                    worst(states.into_iter())
                }
            }
        };
        if rule.not {
            reverse(state)
        } else {
            state
        }
    }

    /// Runs a business rule "check": the state and output computed here, consumed like a result.
    pub(crate) fn run_business_rule(&mut self, item: Item) {
        let (code, output) = match self.business.by_item.get(&item) {
            Some(Ok(rule)) => {
                let state = self.business_state(rule);
                let output = self.business_output(item, rule);
                (i32::from(state), output)
            }
            Some(Err(e)) => (3, format!("Error while re-evaluating business rule: {e}")),
            None => return,
        };
        let now = self.now as f64;
        let out = crate::output::split(&output);
        self.consume(CheckResult {
            action: 0,
            item,
            exit_code: code,
            output: out.output,
            long_output: out.long_output,
            perfdata: out.perfdata,
            start: now,
            end: now,
            scheduled: 0.0,
        });
        self.reschedule_after_result(item);
    }

    /// A member's HARD state, acknowledgement or downtime changed: the rules watching it are
    /// computed again now.
    pub(crate) fn business_member_changed(&mut self, member: Item) {
        if self.business.watchers.is_empty() {
            return;
        }
        let Some(watchers) = self.business.watchers.get(&member).cloned() else {
            return;
        };
        let now = self.now;
        for w in watchers {
            if self.owns(w) && self.status(w).next_check > now {
                self.set_next_check(w, now);
            }
        }
    }

    fn business_output(&self, item: Item, rule: &Rule) -> String {
        let template = self
            .monitored(item)
            .details()
            .extra
            .get("business_rule_output_template")
            .cloned()
            .unwrap_or_default();
        if template.is_empty() {
            return String::new();
        }
        // Alignak: the greedy `\$\((.*)\)\$`.
        let (before, child, after) = match (template.find("$("), template.rfind(")$")) {
            (Some(a), Some(b)) if b >= a + 2 => (&template[..a], &template[a + 2..b], &template[b + 2..]),
            _ => (template.as_str(), "", ""),
        };
        let members = rule.members();
        let mut children = String::new();
        let mut ok = 0;
        for m in &members {
            // `last_hard_state` is the current HARD state (Alignak `last_hard_state_id`).
            if self.status(*m).last_hard_state == 0 {
                ok += 1;
                continue;
            }
            children.push_str(&self.expand_for(*m, child));
        }
        if ok == members.len() {
            children = "all checks were successful.".into();
        }
        let text = format!("{before}{children}{after}");
        self.expand_for(item, &text).trim().to_string()
    }
}

fn worst(states: impl Iterator<Item = u8>) -> u8 {
    let mut out = 0;
    for s in states {
        if s == 2 {
            return 2;
        }
        out = out.max(s);
    }
    out
}

/// Alignak `get_reverse_state`: OK and CRITICAL swap, the others stay.
fn reverse(state: u8) -> u8 {
    match state {
        0 => 2,
        2 => 0,
        other => other,
    }
}

/// Whether an `of:` threshold is met (Alignak `get_state_for`): a count or a percent, negative
/// meaning "all but".
fn of_applies(total: usize, real: usize, search: &str) -> bool {
    if let Some(p) = search.strip_suffix('%') {
        let Ok(mut p) = p.trim().parse::<i64>() else {
            return false;
        };
        if p < 0 {
            p = (100 + p).max(0);
        }
        real as f64 / (total.max(1) as f64) * 100.0 >= p as f64
    } else {
        let Ok(mut n) = search.trim().parse::<i64>() else {
            return false;
        };
        if n < 0 {
            n = (total as i64 + n).max(0);
        }
        real as i64 >= n
    }
}
