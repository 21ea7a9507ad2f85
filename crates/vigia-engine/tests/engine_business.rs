//! Business rules (Alignak `bp_rule`): parsing against a configuration, state computation, and
//! the engine recomputing a rule when a member changes.
use std::sync::Arc;

use vigia_engine::business::{parse, Node};
use vigia_engine::{Engine, Item, StateType};

const START: i64 = 1_704_067_200;

const CONFIG: &str = "define command {\n command_name check\n command_line /bin/true\n}\n\
define hostgroup {\n hostgroup_name web\n}\n\
define servicegroup {\n servicegroup_name front\n}\n\
define host {\n host_name web1\n hostgroups web\n check_command check\n check_interval 5\n}\n\
define host {\n host_name web2\n hostgroups web\n check_command check\n check_interval 5\n}\n\
define host {\n host_name db1\n check_command check\n check_interval 5\n}\n\
define service {\n host_name web1,web2\n service_description http\n servicegroups front\n check_command check\n check_interval 5\n}\n\
define service {\n host_name web1,web2\n service_description https\n check_command check\n check_interval 5\n}\n\
define service {\n host_name db1\n service_description mysql\n check_command check\n check_interval 5\n}\n\
define service {\n host_name db1\n service_description app\n check_command bp_rule!(web1,http | web2,http) & db1,mysql\n check_interval 5\n max_check_attempts 1\n}\n\
define service {\n host_name db1\n service_description quorum\n check_command bp_rule!2 of: web1,http & web2,http & db1,mysql\n check_interval 5\n max_check_attempts 1\n}\n\
define service {\n host_name db1\n service_description broken\n check_command bp_rule!web1,http & nosuch,http\n check_interval 5\n max_check_attempts 1\n}\n";

fn engine() -> Engine {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("main.cfg");
    std::fs::write(&path, CONFIG).expect("write");
    let config = vigia_config::load(&path).unwrap_or_else(|e| panic!("{:#?}", e.diagnostics.items));
    Engine::new(Arc::new(config), None, START, jiff::tz::TimeZone::UTC, 0)
}

fn svc(e: &Engine, host: &str, desc: &str) -> Item {
    Item::Service(e.find_service(host, desc).expect("service"))
}

fn leaves(node: &Node) -> usize {
    match node {
        Node::Leaf(_) => 1,
        Node::And(s) | Node::Or(s) | Node::Of { sons: s, .. } => s.iter().map(|r| leaves(&r.node)).sum(),
    }
}

#[test]
fn parsing_follows_alignak() {
    let e = engine();
    let c = e.config();
    let owner = e.find_host("db1");
    let rule = parse("(web1,http | web2,http) & db1,mysql", c, owner).expect("rule");
    match &rule.node {
        Node::And(sons) => {
            assert!(matches!(&sons[0].node, Node::Or(o) if o.len() == 2));
            assert_eq!(sons[1].node, Node::Leaf(svc(&e, "db1", "mysql")));
        }
        other => panic!("{other:?}"),
    }
    assert!(parse("web1,http & web2,http | db1,mysql", c, owner)
        .expect_err("mixed")
        .contains("mixes"));
    assert_eq!(
        parse("web1,http & nosuch,http", c, owner).expect_err("unknown"),
        "business rule uses unknown host nosuch"
    );
    // `X of:` alone means X,all,all (Alignak switch_zeros_of_values).
    let rule = parse("2 of: web1,http & web2,http & db1,mysql", c, owner).expect("of");
    match rule.node {
        Node::Of {
            ok,
            warning,
            critical,
            multiple,
            ..
        } => assert_eq!(
            (ok.as_str(), warning.as_str(), critical.as_str(), multiple),
            ("2", "3", "3", false)
        ),
        other => panic!("{other:?}"),
    }
    // Groups, regexes (anchored at the start, as Python's re.match), the owner's host.
    assert_eq!(leaves(&parse("g:web", c, owner).expect("g").node), 2);
    assert_eq!(leaves(&parse("r:web,http", c, owner).expect("r").node), 2);
    assert!(parse("r:eb1,http", c, owner).is_err(), "anchored");
    assert_eq!(
        leaves(&parse("web1,r:http", c, owner).expect("r").node),
        2,
        "http and https"
    );
    assert_eq!(leaves(&parse("*,g:front", c, owner).expect("sg").node), 2);
    assert_eq!(
        parse(",mysql", c, owner).expect("own host").node,
        Node::Leaf(svc(&e, "db1", "mysql"))
    );
    let not = parse("!web1", c, owner).expect("not");
    assert!(not.not);
}

#[test]
fn states_by_alignak_rules() {
    let mut e = engine();
    let c = e.config().clone();
    let owner = e.find_host("db1");
    let and = parse("web1,http & web2,http", &c, owner).expect("and");
    let or = parse("web1,http | web2,http", &c, owner).expect("or");
    let two_of = parse("2 of: web1,http & web2,http & db1,mysql", &c, owner).expect("of");
    let not_host = parse("!web1", &c, owner).expect("not");
    assert_eq!(e.business_state(&and), 0);
    e.command("PROCESS_SERVICE_CHECK_RESULT;web1;http;1;warn").expect("cmd");
    assert_eq!(e.business_state(&and), 1, "worst of");
    assert_eq!(e.business_state(&or), 0, "best of");
    assert_eq!(e.business_state(&two_of), 0, "2 of 3 OK");
    e.command("PROCESS_SERVICE_CHECK_RESULT;web2;http;2;crit").expect("cmd");
    assert_eq!(e.business_state(&and), 2);
    assert_eq!(e.business_state(&or), 1);
    assert_eq!(e.business_state(&two_of), 2, "fewer than 2 OK: the worst");
    assert_eq!(e.business_state(&not_host), 2, "a negated UP host is DOWN");
    // An acknowledged problem counts as OK.
    e.command("ACKNOWLEDGE_SVC_PROBLEM;web2;http;2;0;0;ops;known")
        .expect("ack");
    assert_eq!(e.business_state(&and), 1);
}

#[test]
fn rules_are_recomputed_when_a_member_changes_and_errors_are_unknown() {
    let mut e = engine();
    let app = svc(&e, "db1", "app");
    e.advance(START + 600);
    e.command("PROCESS_SERVICE_CHECK_RESULT;web1;http;2;down").expect("cmd");
    e.advance(START + 600);
    assert_eq!(e.status(app).state, 0, "web2 still serves");
    e.command("PROCESS_SERVICE_CHECK_RESULT;web2;http;2;down").expect("cmd");
    let actions = e.advance(START + 600);
    assert!(actions.iter().all(|a| a.item != app), "a business rule runs no process");
    assert_eq!(e.status(app).state, 2, "recomputed at the member's HARD change");
    assert_eq!(e.status(app).state_type, StateType::Hard);
    assert_eq!(e.status(app).last_check, START + 600);
    let broken = svc(&e, "db1", "broken");
    e.advance(START + 1200);
    assert_eq!(e.status(broken).state, 3);
    assert_eq!(
        e.status(broken).output,
        "Error while re-evaluating business rule: business rule uses unknown host nosuch"
    );
}

/// A rule that names nothing or does not parse refuses the configuration, at its definition
/// (Alignak's arbiter refuses it too), whatever the other rules.
#[test]
fn a_broken_rule_refuses_the_configuration_with_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("main.cfg");
    let bad_regex = "define service {\n host_name db1\n service_description regex\n check_command bp_rule!r:web[,http\n check_interval 5\n max_check_attempts 1\n}\n";
    std::fs::write(&path, format!("{CONFIG}{bad_regex}")).expect("write");
    let err = vigia_engine::business::load(&path, &vigia_config::LoadOptions::default()).expect_err("refused");
    let errors: Vec<String> = err.diagnostics.errors().map(|d| d.to_string()).collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].contains("main.cfg:61") && errors[0].contains("db1;broken: bp_rule") && errors[0].contains("nosuch"),
        "{errors:?}"
    );
    assert!(
        errors[1].contains("main.cfg:68") && errors[1].contains("db1;regex"),
        "{errors:?}"
    );
    // With another error elsewhere, the rules are still checked: one run says everything.
    let other = "define host {\n host_name lone\n check_command check\n contacts nobody\n}\n";
    std::fs::write(&path, format!("{CONFIG}{bad_regex}{other}")).expect("write");
    let err = vigia_engine::business::load(&path, &vigia_config::LoadOptions::default()).expect_err("refused");
    let errors: Vec<String> = err.diagnostics.errors().map(|d| d.to_string()).collect();
    assert!(
        errors.iter().any(|e| e.contains("unknown contact 'nobody'")),
        "{errors:?}"
    );
    assert!(errors.iter().any(|e| e.contains("bp_rule")), "{errors:?}");
    // Without them, the same configuration loads.
    std::fs::write(
        &path,
        CONFIG.replace("bp_rule!web1,http & nosuch,http", "bp_rule!web1,http"),
    )
    .expect("write");
    assert!(vigia_engine::business::load(&path, &vigia_config::LoadOptions::default()).is_ok());
}
