//! LQL as naemon-livestatus answers it, on a small services table: every filter operator (and
//! its list meaning), the filter stack, stats with and without grouping, output formats, status
//! codes; and a property test that no request, however garbled, makes the server panic.
use proptest::prelude::*;
use vigia_livestatus::table::col as def;
use vigia_livestatus::{answer, parse, Answer, ColumnType, Method, Table, Value};

fn services() -> Table {
    let col = |name, ty| def(name, ty, "test");
    let row = |host: &str, desc: &str, state: i64, latency: f64, groups: &[&str], output: &str| {
        vec![
            Value::Str(host.into()),
            Value::Str(desc.into()),
            Value::Int(state),
            Value::Float(latency),
            Value::List(groups.iter().map(|g| Value::Str(g.to_string())).collect()),
            Value::Str(output.into()),
            Value::Dict(vec![("ROLE".into(), format!("{desc}-role"))]),
        ]
    };
    Table {
        name: "services".into(),
        columns: vec![
            col("host_name", ColumnType::String),
            col("description", ColumnType::String),
            col("state", ColumnType::Int),
            col("latency", ColumnType::Float),
            col("groups", ColumnType::List),
            col("plugin_output", ColumnType::String),
            col("custom_variables", ColumnType::Dict),
        ],
        rows: vec![
            row("web1", "http", 0, 0.5, &["front", "web"], "OK - fine"),
            row("web1", "load", 1, 1.5, &["web"], "WARNING - load 5"),
            row("web2", "http", 2, 2.0, &["front"], "CRITICAL - down"),
            row("db1", "mysql", 0, 1.0, &[], "OK - 42 queries"),
        ],
    }
}

fn run(lql: &str) -> (u16, String) {
    let req = parse(lql).expect("a valid request");
    let a = answer(&req, &services());
    (a.code, String::from_utf8(a.body).expect("utf-8"))
}

fn rows(lql: &str) -> Vec<String> {
    let (code, body) = run(lql);
    assert_eq!(code, 200, "{lql}: {body}");
    body.lines().map(str::to_string).collect()
}

#[test]
fn select_all_has_headers_selected_columns_do_not() {
    let all = rows("GET services");
    assert_eq!(
        all[0],
        "host_name;description;state;latency;groups;plugin_output;custom_variables"
    );
    // A custom variable as naemon writes it in csv: name|value.
    assert_eq!(all[1], "web1;http;0;0.5;front,web;OK - fine;ROLE|http-role");
    assert_eq!(all.len(), 5);
    assert_eq!(
        rows("GET services\nColumns: host_name state"),
        ["web1;0", "web1;1", "web2;2", "db1;0"]
    );
    assert_eq!(
        rows("GET services\nColumns: host_name state\nColumnHeaders: on\nLimit: 1"),
        ["host_name;state", "web1;0"]
    );
    let (_, json) =
        run("GET services\nColumns: description groups custom_variables\nOutputFormat: json\nFilter: host_name = web1");
    assert_eq!(
        json.trim(),
        r#"[["http",["front","web"],{"ROLE":"http-role"}],["load",["web"],{"ROLE":"load-role"}]]"#
    );
}

#[test]
fn every_operator_and_its_negation() {
    let descs =
        |filter: &str| -> Vec<String> { rows(&format!("GET services\nColumns: description\nFilter: {filter}")) };
    assert_eq!(descs("state = 0"), ["http", "mysql"]);
    assert_eq!(descs("state != 0"), ["load", "http"]);
    assert_eq!(descs("state > 0"), ["load", "http"]);
    assert_eq!(descs("state >= 1"), ["load", "http"]);
    assert_eq!(descs("state < 1"), ["http", "mysql"]);
    assert_eq!(descs("state <= 1"), ["http", "load", "mysql"]);
    assert_eq!(descs("latency > 1.2"), ["load", "http"]);
    assert_eq!(descs("plugin_output ~ ^OK"), ["http", "mysql"]);
    assert_eq!(descs("plugin_output !~ ^OK"), ["load", "http"]);
    assert_eq!(descs("plugin_output ~~ critical"), ["http"]);
    assert_eq!(descs("description =~ HTTP"), ["http", "http"]);
    assert_eq!(descs("description !=~ HTTP"), ["load", "mysql"]);
    assert_eq!(descs("host_name < web2"), ["http", "load", "mysql"]);
    // The value is the rest of the line, spaces included.
    assert_eq!(descs("plugin_output = OK - 42 queries"), ["mysql"]);
    // Lists: contains, does not contain, empty, not empty.
    assert_eq!(descs("groups >= front"), ["http", "http"]);
    assert_eq!(descs("groups < front"), ["load", "mysql"]);
    assert_eq!(descs("groups = "), ["mysql"]);
    assert_eq!(descs("groups != "), ["http", "load", "http"]);
    assert_eq!(descs("groups ~ ^fr"), ["http", "http"]);
    // Custom variables: NAME value.
    assert_eq!(descs("custom_variables = ROLE load-role"), ["load"]);
    assert_eq!(descs("custom_variables ~ ROLE ^my"), ["mysql"]);
}

#[test]
fn the_filter_stack() {
    let r = rows("GET services\nColumns: description\nFilter: state = 1\nFilter: state = 2\nOr: 2");
    assert_eq!(r, ["load", "http"]);
    let r = rows("GET services\nColumns: description\nFilter: host_name = web1\nFilter: state = 0\nAnd: 2\nNegate:");
    assert_eq!(r, ["load", "http", "mysql"]);
    // Filters left on the stack are ANDed.
    let r = rows("GET services\nColumns: description\nFilter: host_name ~ web\nFilter: state = 0");
    assert_eq!(r, ["http"]);
    let err = parse("GET services\nFilter: state = 1\nOr: 2").expect_err("too few filters");
    assert_eq!(err.code, 400);
}

#[test]
fn stats_count_aggregate_and_group() {
    assert_eq!(
        rows("GET services\nStats: state = 0\nStats: state = 1\nStats: state = 2\nStats: state = 3"),
        ["2;1;1;0"]
    );
    assert_eq!(
        rows("GET services\nColumns: host_name\nStats: state = 0\nStats: sum latency"),
        ["web1;1;2", "web2;0;2", "db1;1;1"]
    );
    let (_, json) = run("GET services\nStats: min latency\nStats: max latency\nStats: avg latency\nStats: suminv latency\nOutputFormat: json");
    assert_eq!(json.trim(), "[[0.5,2.0,1.25,4.166666666666666]]");
    let (_, std) = run("GET services\nStats: std state\nOutputFormat: json");
    // The sample deviation of 0, 1, 2, 0, as naemon computes it.
    assert_eq!(std.trim(), "[[0.9574271077563381]]");
    // StatsOr and StatsNegate combine count stats.
    assert_eq!(
        rows("GET services\nStats: state = 1\nStats: state = 2\nStatsOr: 2"),
        ["2"]
    );
    assert_eq!(rows("GET services\nStats: state = 0\nStatsNegate:"), ["2"]);
    assert_eq!(
        rows("GET services\nStats: state = 0\nColumnHeaders: on\nOutputFormat: csv"),
        ["stats_1", "2"]
    );
}

#[test]
fn sort_offset_limit_and_wrapped_json() {
    assert_eq!(
        rows("GET services\nColumns: description latency\nSort: latency desc\nOffset: 1\nLimit: 2"),
        ["load;1.5", "mysql;1"]
    );
    let (_, wrapped) = run("GET services\nColumns: description\nLimit: 1\nOutputFormat: wrapped_json");
    assert_eq!(wrapped.trim(), r#"{"data":[["http"]],"total_count":4}"#);
    // The columns only with headers on, as naemon writes them.
    let (_, wrapped) =
        run("GET services\nColumns: description\nLimit: 1\nColumnHeaders: on\nOutputFormat: wrapped_json");
    assert_eq!(
        wrapped.trim(),
        r#"{"columns":["description"],"data":[["http"]],"total_count":4}"#
    );
    assert_eq!(
        rows("GET services\nColumns: host_name groups\nSeparators: 10 124 59 44\nLimit: 1"),
        ["web1|front;web"]
    );
}

#[test]
fn status_codes_and_fixed16() {
    let req = parse("GET services\nColumns: description\nFilter: state = 2\nOutputFormat: json\nResponseHeader: fixed16\nKeepAlive: on")
        .expect("valid");
    assert!(req.fixed16 && req.keepalive);
    let bytes = answer(&req, &services()).bytes(req.fixed16);
    assert_eq!(
        String::from_utf8(bytes).expect("utf-8"),
        "200          11\n[[\"http\"]]\n"
    );
    let unknown = answer(&parse("GET services\nColumns: nosuch").expect("parses"), &services());
    assert_eq!(unknown.code, 450);
    let unknown = answer(&parse("GET services\nFilter: nosuch = 1").expect("parses"), &services());
    assert_eq!(unknown.code, 450);
    let bad_regex = answer(
        &parse("GET services\nFilter: description ~ (").expect("parses"),
        &services(),
    );
    assert_eq!(bad_regex.code, 400);
    let e = Answer::error(&parse("GET services\nNoSuch: x").expect_err("bad header"));
    assert_eq!(
        String::from_utf8(e.bytes(true)).expect("utf-8"),
        "400          37\nUndefined request header 'NoSuch: x'\n"
    );
    assert_eq!(parse("GET").expect_err("no table").code, 452);
    assert_eq!(parse("PUT services").expect_err("bad method").code, 452);
    assert_eq!(parse("GET services\nFilter: state").expect_err("no operator").code, 400);
    assert_eq!(
        parse("GET services\nFilter: state <> 1")
            .expect_err("bad operator")
            .code,
        400
    );
    assert_eq!(parse("GET services\nOutputFormat: xml").expect_err("format").code, 400);
    assert_eq!(
        parse("COMMAND [1700000000] ACKNOWLEDGE_SVC_PROBLEM;web2;http;2;1;1;admin;on it")
            .expect("a command")
            .method,
        Method::Command("[1700000000] ACKNOWLEDGE_SVC_PROBLEM;web2;http;2;1;1;admin;on it".into())
    );
}

#[test]
fn the_columns_table_describes_columns() {
    let t = services();
    let cols = Table::columns_of(&[("services", &t.columns)]);
    let req = parse("GET columns\nColumns: name type\nFilter: table = services\nFilter: type = list").expect("valid");
    let a = answer(&req, &cols);
    assert_eq!(String::from_utf8(a.body).expect("utf-8"), "groups;list\n");
}

proptest! {
    /// Any bytes and any request made of LQL words: parsed or refused with a status code, and
    /// answered without a panic.
    #[test]
    fn no_request_panics(
        lines in proptest::collection::vec(
            prop_oneof![
                Just("GET services".to_string()),
                Just("Columns: host_name state nosuch".to_string()),
                "(Filter|Stats): (state|groups|latency|custom_variables|plugin_output|nosuch) (=|!=|~|~~|<|>|<=|>=|=~|!>=|x) [a-z0-9 ^(\\[.*]{0,8}",
                "(And|Or|StatsAnd|StatsOr|Limit|Offset): [0-9]{1,2}",
                Just("Negate:".to_string()),
                Just("StatsNegate:".to_string()),
                "Stats: (sum|min|max|avg|std|suminv|avginv) (state|latency|groups|description)",
                "OutputFormat: (csv|json|python|python3|wrapped_json|x)",
                "Sort: (state|latency|nosuch) (asc|desc)",
                "(WaitObject|AuthUser): [a-z0-9; ]{0,12}",
                "WaitCondition: (state|nosuch) (=|!=|x) [0-9]{0,2}",
                "(WaitConditionAnd|WaitConditionOr|WaitTimeout|Timelimit|Localtime): -?[0-9]{0,11}",
                Just("WaitConditionNegate:".to_string()),
                "WaitTrigger: (all|check|state|log|x)",
                "Separators: [0-9 ]{0,16}",
                "[ -~]{0,30}",
            ],
            0..12,
        )
    ) {
        let text = lines.join("\n");
        match parse(&text) {
            Ok(req) => {
                let a = answer(&req, &services());
                prop_assert!(matches!(a.code, 200 | 400 | 450), "{} for {text:?}", a.code);
            }
            Err(e) => prop_assert!(matches!(e.code, 400 | 413 | 452), "{} for {text:?}", e.code),
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(req) = parse(&text) {
            let _ = answer(&req, &services());
        }
    }
}

#[test]
fn wait_localtime_and_timelimit_headers_are_read() {
    let req = parse(
        "GET services\nWaitObject: web1;http\nWaitCondition: state = 0\nWaitCondition: has_been_checked = 1\n\
         WaitConditionOr: 2\nWaitConditionNegate:\nWaitTrigger: check\nWaitTimeout: 5000\nLocaltime: 1700000000\nTimelimit: 3",
    )
    .expect("valid");
    assert_eq!(req.wait.object.as_deref(), Some("web1;http"));
    assert_eq!(req.wait.conditions.len(), 1, "the two conditions ORed, then negated");
    assert!(matches!(
        req.wait.conditions[0],
        vigia_livestatus::filter::FilterSpec::Not(_)
    ));
    assert_eq!(req.wait.trigger.as_deref(), Some("check"));
    assert_eq!(req.wait.timeout_ms, 5000);
    assert_eq!(req.localtime, Some(1_700_000_000));
    assert_eq!(req.timelimit, Some(3));
    assert!(req.wait.is_set());
    for bad in [
        "GET services\nWaitTrigger: sometimes",
        "GET services\nWaitConditionAnd: 2",
        "GET services\nLocaltime: soon",
    ] {
        assert_eq!(parse(bad).map(|_| ()).map_err(|e| e.code), Err(400), "{bad}");
    }
}
