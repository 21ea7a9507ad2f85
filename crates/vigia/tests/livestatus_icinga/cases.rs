//! The compared requests: where both servers must agree with naemon (`cases`), and where
//! Icinga departs from naemon-livestatus (`departures`: Vigia answers as naemon does, and both
//! answers are written out with the reason).
use crate::cluster;

/// What the two servers must answer to one request.
pub enum Expect {
    /// The same code and, for 200, the same rows.
    Same,
    /// The same code and the same JSON type in every cell (for times and ids, which differ).
    SameTypes,
    /// The same number of rows (`Limit` without `Sort`: each server's own object order).
    SameCount,
    /// OutputFormat: python, both bodies read by Python and compared as values.
    SamePython,
    /// Icinga departs from naemon: `vigia` is naemon's answer, `icinga` Icinga's, each
    /// `"CODE BODY"` (see `wire::is`; `"0"`: no answer at all).
    Differs {
        why: &'static str,
        vigia: &'static str,
        icinga: &'static str,
    },
}

pub struct Case {
    pub lql: String,
    /// Rows in the order given (the request sorts); otherwise rows and lists compare as sets.
    pub ordered: bool,
    pub expect: Expect,
}

fn same(lql: &str) -> Case {
    Case {
        lql: lql.to_string(),
        ordered: false,
        expect: Expect::Same,
    }
}

fn same_types(lql: &str) -> Case {
    Case {
        lql: lql.to_string(),
        ordered: false,
        expect: Expect::SameTypes,
    }
}

fn same_count(lql: &str) -> Case {
    Case {
        lql: lql.to_string(),
        ordered: false,
        expect: Expect::SameCount,
    }
}

fn differs(lql: &str, why: &'static str, vigia: &'static str, icinga: &'static str) -> Case {
    Case {
        lql: lql.to_string(),
        ordered: false,
        expect: Expect::Differs { why, vigia, icinga },
    }
}

fn ordered(mut c: Case) -> Case {
    c.ordered = true;
    c
}

/// `GET table`, the given headers, as JSON.
fn json(table: &str, headers: &str) -> String {
    format!("GET {table}\n{headers}\nOutputFormat: json")
}

/// The requests where Icinga agrees with naemon, table by table, then header by header.
pub fn cases() -> Vec<Case> {
    let mut c = Vec::new();
    // status: one row.
    c.push(same(&json("status", "Columns: num_hosts num_services")));
    c.push(same_types(&json(
        "status",
        "Columns: program_start nagios_pid interval_length",
    )));

    // hosts (acknowledged, is_flapping, check_command, notification_period and
    // custom_variables: see departures()).
    c.push(same(&json("hosts", "Columns: name alias display_name address")));
    c.push(same(&json(
        "hosts",
        "Columns: name state state_type hard_state has_been_checked plugin_output long_plugin_output perf_data \
         current_attempt max_check_attempts",
    )));
    c.push(same(&json(
        "hosts",
        "Columns: name acknowledgement_type scheduled_downtime_depth notifications_enabled active_checks_enabled \
         accept_passive_checks",
    )));
    c.push(same(&json(
        "hosts",
        "Columns: name in_notification_period in_check_period check_interval retry_interval check_period",
    )));
    c.push(same(&json(
        "hosts",
        "Columns: name notes notes_url action_url icon_image",
    )));
    c.push(same(&json(
        "hosts",
        "Columns: name groups contacts contact_groups parents childs",
    )));
    c.push(same(&json(
        "hosts",
        "Columns: name services services_with_state num_services num_services_ok num_services_warn \
         num_services_crit num_services_unknown num_services_pending",
    )));
    c.push(same(&json(
        "hosts",
        "Columns: name custom_variable_names custom_variable_values",
    )));
    c.push(same_types(&json(
        "hosts",
        "Columns: name last_check next_check last_state_change last_hard_state_change latency execution_time \
         comments downtimes",
    )));

    // services, and the host columns again with host_.
    c.push(same(&json(
        "services",
        "Columns: host_name description display_name state state_type has_been_checked plugin_output \
         long_plugin_output perf_data current_attempt max_check_attempts",
    )));
    c.push(same(&json(
        "services",
        "Columns: host_name description acknowledgement_type scheduled_downtime_depth notifications_enabled \
         active_checks_enabled accept_passive_checks",
    )));
    c.push(same(&json(
        "services",
        "Columns: host_name description in_check_period check_interval retry_interval check_period",
    )));
    c.push(same(&json(
        "services",
        "Columns: host_name description groups contacts contact_groups",
    )));
    c.push(same(&json(
        "services",
        "Columns: host_name description custom_variable_names custom_variable_values",
    )));
    c.push(same(&json(
        "services",
        "Columns: description host_name host_alias host_address host_state host_groups host_parents \
         host_custom_variable_names",
    )));
    c.push(same_types(&json(
        "services",
        "Columns: host_name description last_check next_check last_state_change last_hard_state_change latency \
         execution_time comments downtimes",
    )));

    // groups.
    c.push(same(&json(
        "hostgroups",
        "Columns: name alias members num_hosts num_hosts_up num_hosts_down num_hosts_unreach num_hosts_pending \
         worst_host_state",
    )));
    c.push(same(&json(
        "hostgroups",
        "Columns: name num_services num_services_ok num_services_warn num_services_crit num_services_unknown \
         num_services_pending",
    )));
    c.push(same(&json(
        "servicegroups",
        "Columns: name alias members num_services num_services_ok num_services_warn num_services_crit \
         num_services_unknown num_services_pending worst_service_state",
    )));

    // contacts (alias, groups, custom_variables: departures), contactgroups, timeperiods.
    c.push(same(&json(
        "contacts",
        "Columns: name email host_notification_period service_notification_period host_notifications_enabled \
         service_notifications_enabled in_host_notification_period in_service_notification_period",
    )));
    // A contact without a pager has an empty one (naemon: NULL written as "").
    c.push(same(&json("contacts", "Columns: name pager")));
    // can_submit_commands: Vigia reads this tree as Alignak's (a `vigia.cfg` main file), whose
    // default is 0; a `nagios.cfg` tree gets Nagios's 1 (vigia-config's dialect.rs). Written
    // explicitly, both agree.
    c.push(same(&json(
        "contacts",
        "Columns: name can_submit_commands\nFilter: name = admin",
    )));
    c.push(same(&json("contactgroups", "Columns: name members")));
    c.push(same(&json("timeperiods", "Columns: name alias in")));

    // comments and downtimes: what the commands made (the user comment, the acknowledgement's).
    c.push(same(&json(
        "comments",
        "Columns: author comment entry_type type is_service persistent host_name service_description\n\
         Filter: entry_type = 1\nFilter: entry_type = 4\nOr: 2",
    )));
    c.push(same_types(&json(
        "comments",
        "Columns: id entry_time\nFilter: entry_type = 1",
    )));
    c.push(same(&json(
        "downtimes",
        "Columns: author comment duration is_service host_name service_description",
    )));
    // A downtime's type: 1 a service's, 2 a host's (Nagios's SERVICE_DOWNTIME and HOST_DOWNTIME,
    // the other way round from comments).
    c.push(same(&json("downtimes", "Columns: host_name service_description type")));
    c.push(same_types(&json(
        "downtimes",
        "Columns: id entry_time start_time end_time",
    )));

    // log: the alerts the passive results raised (the OK ones and the host alerts: see
    // departures()).
    c.push(same(&json(
        "log",
        &format!(
            "Columns: class type host_name service_description state state_type plugin_output\n\
             Filter: time >= {}\nFilter: type = SERVICE ALERT\nFilter: state != 0",
            cluster::now() - 3600
        ),
    )));

    // The joined tables.
    c.push(same(&json(
        "hostsbygroup",
        "Columns: hostgroup_name hostgroup_alias name state",
    )));
    c.push(same(&json(
        "servicesbygroup",
        "Columns: servicegroup_name servicegroup_alias host_name description state",
    )));
    c.push(same(&json(
        "servicesbyhostgroup",
        "Columns: hostgroup_name hostgroup_alias host_name description state",
    )));

    // Filter: every operator, on strings and numbers, and its negation.
    for f in [
        "name = web1",
        "name != web1",
        "name ~ ^web",
        "name !~ ^web",
        "name =~ WEB1",
        "name !=~ WEB1",
        "name ~~ WEB",
        "name !~~ WEB",
        "name < web1",
        "name > web1",
        "name <= web1",
        "name >= web1",
        "state = 1",
        "state != 1",
        "state < 1",
        "state > 0",
        "state <= 0",
        "state >= 1",
        "address ~ ^10\\.0\\.0\\.1",
    ] {
        c.push(same(&json("hosts", &format!("Columns: name\nFilter: {f}"))));
    }
    for f in [
        "current_attempt = 1",
        "state >= 2",
        "plugin_output ~ CRITICAL",
        "display_name =~ http",
        "host_name = db1",
    ] {
        c.push(same(&json(
            "services",
            &format!("Columns: host_name description\nFilter: {f}"),
        )));
    }
    // List columns: >= contains, < does not, = and != with nothing: empty, not empty.
    for f in [
        "parents >= gw",
        "parents < gw",
        "parents =",
        "parents !=",
        "childs >= db1",
        "groups >= webs",
        "groups < webs",
        "contacts >= oncall",
        "contact_groups >= ops",
        "contact_groups =",
    ] {
        c.push(same(&json("hosts", &format!("Columns: name\nFilter: {f}"))));
    }
    c.push(same(&json("hostgroups", "Columns: name\nFilter: members >= web1")));
    c.push(same(&json(
        "services",
        "Columns: host_name description\nFilter: groups >= pings",
    )));
    c.push(same(&json(
        "services",
        "Columns: host_name description\nFilter: contacts >= admin",
    )));
    c.push(same(&json("contactgroups", "Columns: name\nFilter: members >= viewer")));
    // And, Or, Negate.
    c.push(same(&json(
        "services",
        "Columns: host_name description\nFilter: state = 1\nFilter: state = 3\nOr: 2",
    )));
    c.push(same(&json(
        "services",
        "Columns: host_name description\nFilter: host_name = web1\nFilter: description = http\nAnd: 2\n\
         Filter: state = 2\nOr: 2",
    )));
    c.push(same(&json(
        "services",
        "Columns: host_name description\nFilter: description = ping\nNegate:",
    )));
    c.push(same(&json(
        "services",
        "Columns: host_name description\nFilter: state = 0\nFilter: state = 2\nOr: 2\nNegate:\n\
         Filter: host_name ~ ^web\nNegate:\nOr: 2",
    )));

    // Stats: counts, aggregates (std as naemon: the sample deviation), their combinations,
    // grouped by a column.
    c.push(same(&json(
        "services",
        "Stats: state = 0\nStats: state = 1\nStats: state = 2\nStats: state = 3",
    )));
    c.push(same(&json(
        "services",
        "Stats: sum state\nStats: min state\nStats: max state\nStats: avg state\nStats: std state",
    )));
    c.push(same(&json(
        "services",
        "Stats: suminv current_attempt\nStats: avginv current_attempt",
    )));
    c.push(same(&json(
        "hosts",
        "Stats: sum num_services\nStats: avg num_services_ok",
    )));
    c.push(same(&json(
        "services",
        "Stats: state = 1\nStats: state = 2\nStatsOr: 2\nStats: host_name = web1\nStats: state = 0\nStatsAnd: 2",
    )));
    c.push(same(&json(
        "services",
        "Columns: host_name\nStats: state = 0\nStats: state != 0\nStats: max state",
    )));
    c.push(same(&json("services", "Filter: host_name = nosuch\nStats: state = 0")));

    // Limit (which rows: each server's object order), ColumnHeaders.
    c.push(same_count(&json(
        "services",
        "Columns: host_name description\nLimit: 3",
    )));
    c.push(same(&json("services", "Columns: host_name description\nLimit: 0")));
    c.push(same(&json("hosts", "Columns: name state\nColumnHeaders: on")));
    c.push(same(&json(
        "hosts",
        "Columns: name\nFilter: name = web1\nColumnHeaders: off",
    )));

    // Output formats: csv (the default) with its separators; python read by Python.
    c.push(same("GET hosts\nColumns: name groups parents"));
    c.push(same(
        "GET servicegroups\nColumns: name members\nSeparators: 10 59 44 124",
    ));
    c.push(same(
        "GET hosts\nColumns: name parents custom_variable_names services_with_state custom_variables\n\
         Filter: name = web1\nSeparators: 35 124 43 58",
    ));
    c.push(python("GET hosts\nColumns: name groups state\nOutputFormat: python"));

    // Errors: 404 unknown table.
    c.push(same("GET nosuchtable\nColumns: name"));
    c
}

/// Where Icinga departs from naemon-livestatus: Vigia answers as naemon does, and Icinga's
/// answer is written out too.
pub fn departures() -> Vec<Case> {
    vec![
        differs(
            &json("hosts", "Columns: name acknowledged is_flapping"),
            "naemon's flags are ints (0/1); Icinga writes these two as JSON booleans",
            r#"200 [["db1",0,0],["gw",0,0],["web1",0,0],["web2",0,0]]"#,
            r#"200 [["db1",false,false],["gw",false,false],["web1",false,false],["web2",false,false]]"#,
        ),
        differs(
            &json("services", "Columns: host_name description acknowledged is_flapping\nFilter: host_name ~ ^web"),
            "naemon's flags are ints (0/1); Icinga writes these two as JSON booleans",
            r#"200 [["web1","http",0,0],["web1","ping",0,0],["web2","http",1,0],["web2","ping",0,0]]"#,
            r#"200 [["web1","http",false,false],["web1","ping",false,false],["web2","http",true,false],["web2","ping",false,false]]"#,
        ),
        differs(
            &json("hosts", "Columns: name check_command\nFilter: name = gw"),
            "naemon gives the object's check_command; Icinga makes one up from its CheckCommand's name \
             (check_ prefix, ! and the arguments)",
            r#"200 [["gw","check_ok"]]"#,
            r#"200 [["gw","check_check_ok!"]]"#,
        ),
        differs(
            &json("services", "Columns: host_name description check_command\nFilter: host_name = gw"),
            "as for hosts: Icinga's check_command is made up from its CheckCommand's name",
            r#"200 [["gw","ping","check_ok"]]"#,
            r#"200 [["gw","ping","check_check_ok!"]]"#,
        ),
        differs(
            &json("hosts", "Columns: name notification_period\nFilter: name = gw"),
            "naemon gives the host's notification_period; Icinga has none on hosts (only on Notification \
             objects) and answers empty",
            r#"200 [["gw","24x7"]]"#,
            r#"200 [["gw",""]]"#,
        ),
        differs(
            &json(
                "services",
                "Columns: host_name description notification_period in_notification_period\nFilter: host_name = gw",
            ),
            "naemon gives the service's notification_period (24x7, so in it); Icinga has none on services",
            r#"200 [["gw","ping","24x7",1]]"#,
            r#"200 [["gw","ping","",1]]"#,
        ),
        differs(
            &json("hosts", "Columns: name custom_variables\nFilter: name = web1"),
            "naemon's custom_variables is a dict (JSON object); Icinga writes a list of [name, value] pairs",
            r#"200 [["web1",{"OS":"linux","RACK":"r2"}]]"#,
            r#"200 [["web1",[["OS","linux"],["RACK","r2"]]]]"#,
        ),
        differs(
            &json("services", "Columns: host_name description custom_variables host_custom_variables\nFilter: host_name = web2\nFilter: description = http"),
            "naemon's custom_variables is a dict (JSON object); Icinga writes a list of [name, value] pairs",
            r#"200 [["web2","http",{"PORT":"8080"},{"OS":"bsd"}]]"#,
            r#"200 [["web2","http",[["PORT","8080"]],[["OS","bsd"]]]]"#,
        ),
        differs(
            &json("hosts", "Columns: name\nFilter: custom_variables = OS linux"),
            "naemon filters a custom variable by `NAME value`; Icinga compares the whole list and matches nothing",
            r#"200 [["db1"],["web1"]]"#,
            "200 []",
        ),
        differs(
            &json("log", &format!("Columns: host_name state state_type plugin_output\nFilter: time >= {}\nFilter: type = HOST ALERT", cluster::now() - 3600)),
            "naemon logs a HOST ALERT for db1 going DOWN only (its hosts start UP) and reads the host's \
             name from it; Icinga's hosts start pending, so every first result is an alert, and its log \
             table leaves host_name null for host alerts",
            r#"200 [["db1",1,"HARD","DOWN: unplugged"]]"#,
            r#"200 [[null,0,"HARD","PING OK - up"],[null,0,"HARD","UP"],[null,0,"HARD","UP"],[null,1,"HARD","DOWN: unplugged"]]"#,
        ),
        differs(
            &json("log", &format!("Columns: host_name service_description state\nFilter: time >= {}\nFilter: type = SERVICE ALERT\nFilter: state = 0", cluster::now() - 3600)),
            "naemon's services start OK, so an OK result is no state change and logs no alert; Icinga's \
             start pending and log one",
            "200 []",
            r#"200 [["gw","ping",0],["web1","ping",0],["web2","ping",0]]"#,
        ),
        differs(
            &json("log", &format!("Columns: host_name service_description state_type plugin_output\nFilter: time >= {}\nFilter: type = SERVICE DOWNTIME ALERT", cluster::now() - 3600)),
            "naemon reads STARTED into state_type and has no plugin_output (empty) on a downtime alert; \
             Icinga writes null",
            r#"200 [["db1","mysql","STARTED",""]]"#,
            r#"200 [["db1","mysql","STARTED",null]]"#,
        ),
        differs(
            &json("hosts", "Columns: name\nFilter: groups !>= webs"),
            "naemon negates any operator with !: on a list !>= is does-not-contain (as <); Icinga refuses \
             it (452)",
            r#"200 [["db1"],["gw"]]"#,
            "452 Error: Invalid operator for column 'groups': !>=",
        ),
        differs(
            &json("hosts", "Columns: name\nFilter: parents !< gw"),
            "naemon: on a list !< is contains (as >=); Icinga refuses it (452)",
            r#"200 [["db1"],["web1"],["web2"]]"#,
            "452 Error: Invalid operator for column 'parents': !<",
        ),
        differs(
            &json("hosts", "Columns: name worst_service_state\nFilter: name = db1"),
            "naemon ranks CRITICAL worst (OK < WARNING < UNKNOWN < CRITICAL); Icinga takes the highest \
             number, UNKNOWN (3) over CRITICAL (2)",
            r#"200 [["db1",2]]"#,
            r#"200 [["db1",3]]"#,
        ),
        differs(
            &json("hostgroups", "Columns: name worst_service_state"),
            "naemon ranks CRITICAL worst; Icinga takes the highest number",
            r#"200 [["dbs",2],["webs",2]]"#,
            r#"200 [["dbs",3],["webs",2]]"#,
        ),
        differs(
            &json("comments", "Columns: entry_type source\nFilter: entry_type = 4"),
            "naemon's acknowledgement comment is internal (source 0: the core adds it); Icinga's says \
             external (1)",
            "200 [[4,0]]",
            "200 [[4,1]]",
        ),
        differs(
            &json("hostgroups", "Columns: name members_with_state"),
            "naemon's members_with_state is [name, state, has_been_checked]; Icinga leaves out has_been_checked",
            r#"200 [["dbs",[["db1",1,1]]],["webs",[["web1",0,1],["web2",0,1]]]]"#,
            r#"200 [["dbs",[["db1",1]]],["webs",[["web1",0],["web2",0]]]]"#,
        ),
        differs(
            &json("contacts", "Columns: name alias"),
            "naemon's alias is the contact's alias; Icinga gives the name, not the User's display_name",
            r#"200 [["admin","Administrator"],["oncall","On call"],["viewer","Viewer"]]"#,
            r#"200 [["admin","admin"],["oncall","oncall"],["viewer","viewer"]]"#,
        ),
        differs(
            &json("contacts", "Columns: name groups custom_variables"),
            "naemon's contacts have groups and custom_variables; Icinga's have neither (vars_variables instead)",
            r#"200 [["admin",["ops"],{"TEAM":"core"}],["oncall",["ops"],{}],["viewer",["watchers"],{}]]"#,
            "452 Error: Column 'groups' does not exist in table 'contacts'.",
        ),
        differs(
            &json("contactgroups", "Columns: name alias"),
            "naemon's alias is the group's alias; Icinga gives the name, not the UserGroup's display_name",
            r#"200 [["ops","Operations"],["watchers","Watchers"]]"#,
            r#"200 [["ops","ops"],["watchers","watchers"]]"#,
        ),
        differs(
            &json("commands", "Columns: name line\nFilter: name = check_ok\nFilter: name = notify_none\nOr: 2"),
            "naemon lists the commands as defined; Icinga renames them (check_, notification_ prefixes) and \
             quotes every argument of the line",
            r#"200 [["check_ok","/usr/lib/nagios/plugins/check_dummy 0 ok"],["notify_none","/bin/true"]]"#,
            "200 []",
        ),
        differs(
            &json("comments", "Columns: host_name service_description entry_type expires expire_time"),
            "naemon comments a downtime when it starts (entry_type 2) and writes expires as an int; Icinga \
             does neither (no downtime comment, expires a boolean)",
            r#"200 [["db1","mysql",2,0,0],["web1","http",1,0,0],["web2","http",4,0,0]]"#,
            r#"200 [["web1","http",1,false,0],["web2","http",4,false,0]]"#,
        ),
        differs(
            &json("downtimes", "Columns: host_name fixed triggered_by"),
            "naemon's fixed is an int and triggered_by 0 when none; Icinga writes a boolean and null",
            r#"200 [["db1",1,0]]"#,
            r#"200 [["db1",true,null]]"#,
        ),
        differs(
            &json("columns", "Columns: table name type\nFilter: table = contactgroups"),
            "naemon describes every column in the columns table; Icinga has no columns table",
            r#"200 [["contactgroups","alias","string"],["contactgroups","members","list"],["contactgroups","name","string"]]"#,
            "404 Table 'columns' does not exist.",
        ),
        differs(
            &json(
                "columns",
                "Columns: table name type\nFilter: name = custom_variables\nFilter: name = in\nFilter: name = last_check\n\
                 Filter: name = check_interval\nOr: 4\nFilter: table = hosts\nFilter: table = timeperiods\nOr: 2",
            ),
            "naemon describes every column in the columns table; Icinga has no columns table",
            r#"200 [["hosts","check_interval","float"],["hosts","custom_variables","dict"],["hosts","last_check","time"],["timeperiods","in","int"]]"#,
            "404 Table 'columns' does not exist.",
        ),
        differs(
            &json("services", "Columns: state\nStats: state >= 0"),
            "naemon writes the group-by values of Stats as strings (valueAsString); Icinga keeps their type",
            r#"200 [["0",3],["1",1],["2",2],["3",1]]"#,
            "200 [[0,3],[1,1],[2,2],[3,1]]",
        ),
        differs(
            &json("services", "Stats: state = 0\nStatsNegate:\nStats: state = 2\nStatsNegate:"),
            "naemon negates the last Stats filter; Icinga's StatsNegate puts the filter back un-negated (a bug)",
            "200 [[4,5]]",
            "200 [[3,2]]",
        ),
        ordered(differs(
            &json("hosts", "Columns: name\nSort: name desc"),
            "naemon sorts (op5's Sort header); Icinga ignores Sort and answers in its own order",
            r#"200 [["web2"],["web1"],["gw"],["db1"]]"#,
            "200 rows=4",
        )),
        ordered(differs(
            &json("hosts", "Columns: name\nSort: name asc\nOffset: 1\nLimit: 2"),
            "naemon sorts, then skips Offset rows; Icinga ignores Sort and Offset, and keeps the Limit",
            r#"200 [["gw"],["web1"]]"#,
            "200 rows=2",
        )),
        differs(
            &json("hosts", "Columns: name\nFilter: name = nosuch\nColumnHeaders: on"),
            "naemon writes the header row even with no rows; Icinga writes it only above a first row",
            r#"200 [["name"]]"#,
            "200 []",
        ),
        differs(
            "GET hosts\nColumns: name\nFilter: state = 0\nLimit: 1\nSort: name asc\nOutputFormat: wrapped_json",
            "naemon's wrapped_json: data and total_count (the rows before Limit), columns only with \
             ColumnHeaders: on; Icinga has no wrapped_json and answers an empty body",
            r#"200 {"data":[["gw"]],"total_count":3}"#,
            "200 ",
        ),
        differs(
            "GET hosts\nColumns: name\nFilter: name = gw\nColumnHeaders: on\nOutputFormat: wrapped_json",
            "naemon's wrapped_json with ColumnHeaders: on carries the columns; Icinga has no wrapped_json",
            r#"200 {"columns":["name"],"data":[["gw"]],"total_count":1}"#,
            "200 ",
        ),
        differs(
            &json("hosts", "Columns: name\nFilter: name = gw\nFoo: bar"),
            "naemon refuses an unknown header with 400; Icinga ignores it",
            "400 Undefined request header 'Foo: bar'",
            r#"200 [["gw"]]"#,
        ),
        differs(
            &json("hosts", "Columns: name nosuchcolumn"),
            "an unknown column: the issue asks for 450 (naemon's RESPONSE_CODE_UNKNOWN_COLUMN; naemon \
             itself fills in an empty column); Icinga answers 452 with a C++ stack trace",
            "450 ",
            "452 Error: Column 'nosuchcolumn' does not exist in table 'hosts'.",
        ),
        differs(
            &json("hosts", "Columns: name\nFilter: name = gw\nAnd: 3"),
            "naemon: 400 for And: with more filters than the stack holds; Icinga 451",
            "400 ",
            "451 Or/StatsOr is referencing 3 filters; stack only contains 1 filters",
        ),
        differs(
            &json("hosts", "Columns: name\nFilter: state"),
            "naemon: 400 for a filter without an operator; Icinga throws and closes without an answer",
            "400 ",
            "0",
        ),
        differs(
            "GET",
            "naemon: 452 for GET without a table; Icinga throws and closes without an answer",
            "452 ",
            "0",
        ),
        differs(
            "FETCH hosts",
            "naemon: 452 for an unknown method; Icinga answers nothing (it stops reading before \
             ResponseHeader and writes error bodies only with fixed16)",
            "452 ",
            "0",
        ),
    ]
}

fn python(lql: &str) -> Case {
    Case {
        lql: lql.to_string(),
        ordered: false,
        expect: Expect::SamePython,
    }
}
