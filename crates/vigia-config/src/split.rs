//! Cutting a resolved configuration into the parts the arbiter dispatches, one per active
//! scheduler (Alignak `Config.cut_into_parts`).
//!
//! - Realms form a tree (`realm_members`, `higher_realms`); a loop is an error. A host without a
//!   realm belongs to the default realm.
//! - Hosts linked by `parents`, host or service dependencies, or business-rule members form a
//!   *pack*: a pack is never split, because the engine needs every end of those links in one
//!   scheduler. A pack whose hosts sit in different realms is an error.
//! - Packs, largest first, go to the non-spare scheduler of their realm with the least load per
//!   unit of `weight` (ties to the first defined), so weights 1 and 3 share hosts about 1:3.
//! - Each part has a content hash (its hosts and services as resolved): the same configuration
//!   always yields the same parts with the same hashes, and an unchanged part keeps its hash
//!   across reloads.
use crate::diag::Diagnostics;
use crate::model::{Config, DaemonId, HostId, Part, RealmId, Role};

/// Fills `config.parts`; problems (realm loops, packs across realms, realms with hosts but no
/// scheduler or poller) go to `diags`.
pub fn cut(config: &mut Config, diags: &mut Diagnostics) {
    if !check_realm_loops(config, diags) {
        return;
    }
    let default_realm = RealmId(config.realms.iter().position(|r| r.default).unwrap_or(0) as u32);
    let host_realm: Vec<RealmId> = config.hosts.iter().map(|h| h.realm.unwrap_or(default_realm)).collect();
    let packs = packs(config);

    // Packs per realm; a pack across realms is refused (Alignak: "more than one realm in one pack").
    let mut by_realm: Vec<Vec<&Vec<HostId>>> = vec![Vec::new(); config.realms.len()];
    for pack in &packs {
        let realm = host_realm[pack[0].index()];
        if let Some(other) = pack.iter().find(|h| host_realm[h.index()] != realm) {
            let first = &config.hosts[pack[0].index()];
            let odd = &config.hosts[other.index()];
            diags.error(
                Some(odd.common.location.clone()),
                format!(
                    "host '{}' is in realm '{}' but is linked (parents, dependencies or business rules) to host '{}' in realm '{}': linked hosts must share a realm",
                    odd.name,
                    config.realms[host_realm[other.index()].index()].name,
                    first.name,
                    config.realms[realm.index()].name
                ),
            );
            continue;
        }
        if let Some(list) = by_realm.get_mut(realm.index()) {
            list.push(pack);
        }
    }

    let mut parts = Vec::new();
    for (r, mut realm_packs) in by_realm.into_iter().enumerate() {
        let realm = RealmId(r as u32);
        let schedulers: Vec<DaemonId> = config
            .daemons
            .iter()
            .enumerate()
            .filter(|(_, d)| d.role == Role::Scheduler && !d.spare && d.active && d.realm == realm)
            .map(|(i, _)| DaemonId(i as u32))
            .collect();
        let name = &config.realms[r].name;
        let host_count: usize = realm_packs.iter().map(|p| p.len()).sum();
        if host_count > 0 {
            if schedulers.is_empty() {
                diags.error(
                    config.realms[r].location.clone(),
                    format!("realm '{name}' has {host_count} host(s) but no active non-spare scheduler"),
                );
                continue;
            }
            if !has_satellite(config, realm, Role::Poller) {
                diags.error(
                    config.realms[r].location.clone(),
                    format!("realm '{name}' has {host_count} host(s) but no poller serves it"),
                );
            }
        }
        // Largest first, then by first host: deterministic, and big packs placed while the
        // schedulers are still empty balance best.
        realm_packs.sort_by_key(|p| (std::cmp::Reverse(p.len()), p[0]));
        let mut load = vec![0usize; schedulers.len()];
        let mut hosts: Vec<Vec<HostId>> = vec![Vec::new(); schedulers.len()];
        for pack in realm_packs {
            let weight = |i: usize| config.daemons[schedulers[i].index()].weight.max(1) as f64;
            let best = (0..schedulers.len())
                .min_by(|&a, &b| {
                    let la = (load[a] + pack.len()) as f64 / weight(a);
                    let lb = (load[b] + pack.len()) as f64 / weight(b);
                    la.total_cmp(&lb).then(a.cmp(&b))
                })
                .unwrap_or(0);
            load[best] += pack.len();
            hosts[best].extend_from_slice(pack);
        }
        for (i, mut part_hosts) in hosts.into_iter().enumerate() {
            part_hosts.sort_unstable();
            let services = part_hosts.iter().map(|h| config.hosts[h.index()].services.len()).sum();
            parts.push(Part {
                realm,
                scheduler: schedulers[i],
                hosts: part_hosts,
                services,
                hash: String::new(),
            });
        }
    }
    let hashes = crate::parallel::map(&parts, |p| part_hash(config, p));
    for (part, hash) in parts.iter_mut().zip(hashes) {
        part.hash = hash;
    }
    config.parts = parts;
}

/// Whether a satellite of `role` serves `realm`: one in the realm itself, or in a realm above
/// it with `manage_sub_realms`.
fn has_satellite(config: &Config, realm: RealmId, role: Role) -> bool {
    config.daemons.iter().any(|d| {
        d.role == role && d.active && (d.realm == realm || (d.manage_sub_realms && is_below(config, realm, d.realm)))
    })
}

/// Whether `realm` is somewhere below `above` in the realm tree.
pub fn is_below(config: &Config, realm: RealmId, above: RealmId) -> bool {
    let mut stack = config.realms[above.index()].members.clone();
    let mut seen = vec![false; config.realms.len()];
    while let Some(r) = stack.pop() {
        if r == realm {
            return true;
        }
        if !std::mem::replace(&mut seen[r.index()], true) {
            stack.extend_from_slice(&config.realms[r.index()].members);
        }
    }
    false
}

/// Reports realm membership loops; false when there is one (the tree cannot be used).
fn check_realm_loops(config: &Config, diags: &mut Diagnostics) -> bool {
    let mut ok = true;
    for (i, realm) in config.realms.iter().enumerate() {
        if is_below(config, RealmId(i as u32), RealmId(i as u32)) {
            diags.error(
                realm.location.clone(),
                format!("realm '{}' is a member of itself (realm_members loop)", realm.name),
            );
            ok = false;
        }
    }
    ok
}

/// Hosts that must stay together, each pack sorted, packs in order of their first host.
pub fn packs(config: &Config) -> Vec<Vec<HostId>> {
    let mut sets = UnionFind::new(config.hosts.len());
    for (h, host) in config.hosts.iter().enumerate() {
        for p in &host.parents {
            sets.union(h, p.index());
        }
    }
    for d in &config.hostdependencies {
        sets.union(d.master.index(), d.dependent.index());
    }
    for d in &config.servicedependencies {
        let master = config.services[d.master.index()].host;
        let dependent = config.services[d.dependent.index()].host;
        sets.union(master.index(), dependent.index());
    }
    let host_index: rustc_hash::FxHashMap<&str, usize> = config
        .hosts
        .iter()
        .enumerate()
        .map(|(i, h)| (h.name.as_str(), i))
        .collect();
    let group_index: rustc_hash::FxHashMap<&str, usize> = config
        .hostgroups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.name.as_str(), i))
        .collect();
    let mut rule_owners: Vec<(usize, &str)> = Vec::new();
    for (h, host) in config.hosts.iter().enumerate() {
        if let Some(rule) = business_rule(config, &host.common) {
            rule_owners.push((h, rule));
        }
    }
    for s in &config.services {
        if let Some(rule) = business_rule(config, &s.common) {
            rule_owners.push((s.host.index(), rule));
        }
    }
    for (owner, rule) in rule_owners {
        for name in rule_members(rule) {
            if let Some(group) = name.strip_prefix("g:") {
                if let Some(&g) = group_index.get(group) {
                    for m in &config.hostgroups[g].members {
                        sets.union(owner, m.index());
                    }
                }
            } else if let Some(&m) = host_index.get(name) {
                sets.union(owner, m);
            }
        }
    }
    let mut packs: rustc_hash::FxHashMap<usize, Vec<HostId>> = Default::default();
    for h in 0..config.hosts.len() {
        packs.entry(sets.find(h)).or_default().push(HostId(h as u32));
    }
    let mut packs: Vec<Vec<HostId>> = packs.into_values().collect();
    packs.sort_unstable_by_key(|p| p[0]);
    packs
}

/// The expression of a `bp_rule!EXPR` check command.
fn business_rule<'c>(config: &'c Config, m: &'c crate::model::Monitored) -> Option<&'c str> {
    let call = m.check_command.as_ref()?;
    if config.commands[call.command.index()].name != "bp_rule" {
        return None;
    }
    call.raw.split_once('!').map(|(_, expr)| expr)
}

/// Host names (and `g:group` names) a business rule refers to; regex terms (`r:`) are left to
/// the engine, which resolves them within its own part.
fn rule_members(expr: &str) -> impl Iterator<Item = &str> {
    expr.split(['&', '|', '(', ')'])
        .map(|term| {
            let term = term.trim();
            // `2 of: a,b` → `a,b`; `!a` → `a`.
            let term = term.rsplit_once("of:").map_or(term, |(_, t)| t).trim();
            let term = term.trim_start_matches('!').trim();
            term.split(',').next().unwrap_or("").trim()
        })
        .filter(|name| !name.is_empty() && !name.starts_with("r:"))
}

/// Hosts (with their services) written as one job of a part's hash: small enough that what a job
/// writes stays in the core's cache until it is hashed.
const HASH_CHUNK: usize = 16;

/// The part's content hash: every host and service in it, as resolved.
fn part_hash(config: &Config, part: &Part) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(config.realms[part.realm.index()].name.as_bytes());
    // Writing the objects out is most of the cost: chunks of hosts are written on every core,
    // 32 per core at a time (a million services written out would not fit in memory), and
    // hashed in order, so the hash is that of the objects written one after the other.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunks: Vec<&[HostId]> = part.hosts.chunks(HASH_CHUNK).collect();
    for window in chunks.chunks(32 * threads) {
        for written in crate::parallel::map(window, |hosts| write_for_hash(config, hosts)) {
            hasher.update(&written);
        }
    }
    hasher.finalize().to_hex()[..16].to_string()
}

/// `hosts` and their services, in the canonical form that [`part_hash`] hashes: serde_json of a
/// resolved object (fields in declaration order, maps sorted), without its location, so that
/// moving a definition to another file or line keeps the part's hash.
fn write_for_hash(config: &Config, hosts: &[HostId]) -> Vec<u8> {
    let nowhere = crate::diag::Location::new(std::path::Path::new(""), 0);
    // serde_json writes in small pieces: they are gathered in this buffer, which is hashed in one
    // go, several times faster than feeding the hasher directly.
    let mut buf = Vec::with_capacity(256 * 1024);
    // Host and service ids number the whole configuration: a host added anywhere shifts them.
    // They are written as names (parents) or left out (a host's services follow it, a service's
    // host precedes it), so a part's hash changes only when the part does.
    for h in hosts {
        let mut host = config.hosts[h.index()].clone();
        host.common.location = nowhere.clone();
        let parents = std::mem::take(&mut host.parents);
        let services = std::mem::take(&mut host.services);
        let _ = serde_json::to_writer(&mut buf, &host);
        for p in parents {
            buf.extend_from_slice(config.hosts[p.index()].name.as_bytes());
            buf.push(0);
        }
        for s in services {
            let mut service = config.services[s.index()].clone();
            service.common.location = nowhere.clone();
            service.host = HostId(0);
            let _ = serde_json::to_writer(&mut buf, &service);
        }
    }
    buf
}

struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n).collect(),
        }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            // The smaller index is the root: packs are the same whatever the link order.
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent[hi] = lo;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Config;

    fn load(text: &str) -> Result<Config, Vec<String>> {
        let dir = tempfile::tempdir().expect("tempdir");
        let main = dir.path().join("main.cfg");
        std::fs::write(&main, text).expect("write");
        crate::load(&main).map_err(|e| e.diagnostics.errors().map(|d| d.message.clone()).collect())
    }

    const BASE: &str = "define command {\n command_name c\n command_line /bin/true\n}\n\
        define realm {\n realm_name All\n default 1\n realm_members Europe\n}\n\
        define realm {\n realm_name Europe\n}\n\
        define poller {\n poller_name p\n realm All\n manage_sub_realms 1\n}\n";

    fn hosts(n: usize, realm: &str, prefix: &str) -> String {
        (0..n)
            .map(|i| format!("define host {{\n host_name {prefix}{i}\n check_command c\n max_check_attempts 1\n realm {realm}\n}}\n"))
            .collect()
    }

    fn schedulers(list: &[(&str, u32, bool, &str)]) -> String {
        list.iter()
            .map(|(n, w, spare, realm)| {
                format!(
                    "define scheduler {{\n scheduler_name {n}\n weight {w}\n spare {}\n realm {realm}\n}}\n",
                    *spare as u8
                )
            })
            .collect()
    }

    #[test]
    fn weights_share_hosts_and_spares_get_nothing() {
        let text = format!(
            "{BASE}{}{}",
            schedulers(&[
                ("s1", 1, false, "All"),
                ("s3", 3, false, "All"),
                ("spare", 1, true, "All")
            ]),
            hosts(400, "All", "h")
        );
        let c = load(&text).expect("valid");
        let count = |name: &str| {
            c.parts
                .iter()
                .filter(|p| c.daemons[p.scheduler.index()].name == name)
                .map(|p| p.hosts.len())
                .sum::<usize>()
        };
        assert_eq!((count("s1"), count("s3"), count("spare")), (100, 300, 0));
        // The same configuration always gives the same parts and hashes.
        let again = load(&text).expect("valid");
        assert_eq!(c.parts, again.parts);
    }

    /// A part of several windows of chunks hashes as its objects written one after the other.
    #[test]
    fn a_part_hash_is_that_of_its_objects_in_order() {
        // More chunks than one window on any machine up to 2 cores.
        let last = 70 * HASH_CHUNK + 4;
        let text = format!(
            "{BASE}{}{}define service {{\n service_description s\n host_name h0,h1,h300,h{last}\n check_command c\n max_check_attempts 1\n}}\n",
            schedulers(&[("s1", 1, false, "All")]),
            hosts(last + 1, "All", "h")
        );
        let c = load(&text).expect("valid");
        assert_eq!(c.parts.len(), 1);
        let part = &c.parts[0];
        assert_eq!((part.hosts.len(), part.services), (last + 1, 4));
        let mut hasher = blake3::Hasher::new();
        hasher.update(c.realms[part.realm.index()].name.as_bytes());
        hasher.update(&write_for_hash(&c, &part.hosts));
        assert_eq!(part.hash, hasher.finalize().to_hex()[..16].to_string());
        assert_eq!(part.hash, part_hash(&c, part));
    }

    #[test]
    fn packs_stay_whole() {
        // h0..h9 are chained by parents: one pack of 10, whatever the weights.
        let mut text = format!(
            "{BASE}{}",
            schedulers(&[("a", 1, false, "All"), ("b", 1, false, "All")])
        );
        for i in 0..10 {
            let parent = if i > 0 {
                format!(" parents h{}\n", i - 1)
            } else {
                String::new()
            };
            text += &format!("define host {{\n host_name h{i}\n check_command c\n max_check_attempts 1\n{parent}}}\n");
        }
        text += &hosts(4, "All", "x");
        let c = load(&text).expect("valid");
        let with_h0 = c
            .parts
            .iter()
            .find(|p| p.hosts.contains(&crate::model::HostId(0)))
            .expect("h0 placed");
        assert_eq!(with_h0.hosts.len(), 10, "the chained pack is whole and alone");
    }

    #[test]
    fn realms_have_their_own_parts_and_hashes_follow_content() {
        let text = format!(
            "{BASE}{}{}{}",
            schedulers(&[("all", 1, false, "All"), ("eu", 1, false, "Europe")]),
            hosts(3, "All", "a"),
            hosts(2, "Europe", "e")
        );
        let c = load(&text).expect("valid");
        let part = |s: &str| {
            c.parts
                .iter()
                .find(|p| c.daemons[p.scheduler.index()].name == s)
                .expect("part")
        };
        assert_eq!((part("all").hosts.len(), part("eu").hosts.len()), (3, 2));
        // Changing a host of Europe changes only Europe's hash.
        let changed = load(&text.replace(
            "host_name e1\n check_command c",
            "host_name e1\n check_command c\n notes x",
        ))
        .expect("valid");
        let part2 = |s: &str| {
            changed
                .parts
                .iter()
                .find(|p| changed.daemons[p.scheduler.index()].name == s)
                .expect("part")
        };
        assert_eq!(part("all").hash, part2("all").hash);
        assert_ne!(part("eu").hash, part2("eu").hash);
    }

    #[test]
    fn a_host_added_to_one_part_keeps_the_other_parts_hashes() {
        // Hosts alternate between the two schedulers (one pack each); a new host takes a
        // place in the middle of the id numbering.
        let base = format!(
            "{BASE}{}define service {{\n host_name h0,h1,h2,h3,h4,h5\n service_description s\n check_command c\n max_check_attempts 1\n}}\n",
            schedulers(&[("a", 1, false, "All"), ("b", 1, false, "All")])
        );
        let before = load(&format!("{base}{}", hosts(6, "All", "h"))).expect("valid");
        let after = load(&format!(
            "{base}define host {{\n host_name a-first\n check_command c\n max_check_attempts 1\n}}\n{}",
            hosts(6, "All", "h")
        ))
        .expect("valid");
        let hashes =
            |c: &Config| -> Vec<(usize, String)> { c.parts.iter().map(|p| (p.hosts.len(), p.hash.clone())).collect() };
        let (b, a) = (hashes(&before), hashes(&after));
        let unchanged = a.iter().filter(|x| b.contains(x)).count();
        assert_eq!(
            unchanged, 1,
            "the part without the new host keeps its hash: {b:?} → {a:?}"
        );
    }

    #[test]
    fn realm_without_scheduler_or_across_pack_is_an_error() {
        let text = format!(
            "{BASE}{}{}",
            schedulers(&[("all", 1, false, "All")]),
            hosts(1, "Europe", "e")
        );
        let e = load(&text).unwrap_err();
        assert!(
            e.iter()
                .any(|m| m.contains("realm 'Europe' has 1 host(s) but no active non-spare scheduler")),
            "{e:?}"
        );
        let text = format!(
            "{BASE}{}{}define host {{\n host_name b\n check_command c\n max_check_attempts 1\n realm Europe\n parents e0\n}}\n",
            schedulers(&[("all", 1, false, "All"), ("eu", 1, false, "Europe")]),
            hosts(1, "All", "e")
        );
        let e = load(&text).unwrap_err();
        assert!(e.iter().any(|m| m.contains("linked hosts must share a realm")), "{e:?}");
        let loops = "define command {\n command_name c\n command_line /bin/true\n}\n\
            define realm {\n realm_name A\n realm_members B\n default 1\n}\ndefine realm {\n realm_name B\n realm_members A\n}\n";
        let e = load(loops).unwrap_err();
        assert!(e.iter().any(|m| m.contains("realm_members loop")), "{e:?}");
    }
}
