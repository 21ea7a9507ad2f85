//! The web UI in a real browser (Debian's headless Chromium through chromedriver) against a
//! real cluster of `vigia` processes: log in, watch a problem appear without a reload,
//! acknowledge it with the form, read the comment; a user sees and acts only on what they are
//! a contact of, forged requests included; a kill -9 of the master scheduler while an operator
//! acknowledges; plugin output with HTML in it is shown as text. Screenshots of the main pages
//! go to `target/tmp/webui-screenshots/`.
mod cluster;
mod webui {
    pub mod webdriver;
}

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cluster::{base_objects, daemons_cfg, now, wait_for, Cluster, DEADLINE, VIGIA};
use webui::webdriver::Browser;

const ADMIN_PASSWORD: &str = "admin password 1";
const ANA_PASSWORD: &str = "ana's password";

fn screenshots() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("webui-screenshots")
}

/// `vigia passwd` as a user runs it, the password on stdin.
fn passwd(args: &[&str], password: &str) -> String {
    use std::io::Write;
    let mut child = Command::new(VIGIA)
        .arg("passwd")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vigia passwd");
    if let Some(mut stdin) = child.stdin.take() {
        writeln!(stdin, "{password}").expect("password");
    }
    let out = child.wait_with_output().expect("vigia passwd");
    assert!(
        out.status.success(),
        "vigia passwd: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Two hosts: `web1` (contacts admin and ana) and `db1` (admin only), passive services whose
/// state the test sets, and ana's password hash as a custom variable.
fn objects(notify: &std::path::Path) -> String {
    let ana_line = passwd(&["ana"], ANA_PASSWORD);
    let ana_hash = ana_line
        .lines()
        .find_map(|l| l.trim().strip_prefix("_VIGIA_PASSWORD "))
        .expect("the custom variable line")
        .to_string();
    let mut o = base_objects(notify);
    o += &format!(
        "define contact {{\n contact_name ana\n alias Ana\n host_notification_period 24x7\n service_notification_period 24x7\n host_notification_options n\n service_notification_options n\n host_notification_commands notify-log\n service_notification_commands notify-log\n can_submit_commands 1\n _VIGIA_PASSWORD {ana_hash}\n}}\n"
    );
    o += "define host {\n use host-tpl\n host_name web1\n contacts admin,ana\n}\n";
    o += "define host {\n use host-tpl\n host_name db1\n contacts admin\n}\n";
    for (host, service) in [("web1", "http"), ("web1", "html"), ("db1", "mysql")] {
        o += &format!(
            "define service {{\n use svc-tpl\n host_name {host}\n service_description {service}\n check_command dummy!0!fine\n active_checks_enabled 0\n passive_checks_enabled 1\n max_check_attempts 1\n contacts {}\n}}\n",
            if host == "web1" { "admin,ana" } else { "admin" }
        );
    }
    o += "define service {\n use svc-tpl\n host_name db1\n service_description ping\n check_command dummy!0!pong\n}\n";
    o
}

/// The cluster with a users file (an admin) given to the broker, started, every host checked.
fn started(c: &mut Cluster) -> PathBuf {
    let users = c.path("web-users");
    let said = passwd(
        &["admin", "--file", users.to_str().unwrap_or_default(), "--admin"],
        ADMIN_PASSWORD,
    );
    assert!(said.contains("administrator admin"), "{said}");
    for d in c.daemons.iter_mut().filter(|d| d.role == "broker") {
        d.extra.push("--web-users".into());
        d.extra.push(users.display().to_string());
    }
    c.start_all();
    wait_for("every host checked at the broker", DEADLINE, || {
        let hosts = c.hosts("broker-master");
        (hosts.len() >= 2 && hosts.iter().all(|h| cluster::field(h, "has_been_checked") == true)).then_some(())
    });
    users
}

fn login(b: &Browser, base: &str, user: &str, password: &str) {
    b.goto(&format!("{base}/"));
    b.wait("form[action='/login']", Duration::from_secs(20));
    assert!(b.url().contains("/login"), "not sent to the login page: {}", b.url());
    b.type_into("input[name=user]", user);
    b.type_into("input[name=password]", password);
    b.click_css("form[action='/login'] button[type=submit]");
    b.wait("header .user", Duration::from_secs(20));
    assert!(b.text_of("header .user").contains(user), "{}", b.source());
}

/// Whether a row of a problems table names `service`.
fn row_with(b: &Browser, table: &str, service: &str) -> bool {
    let script = format!(
        "return Array.from(document.querySelectorAll('#{table} tr')).some(r => r.innerText.includes({}));",
        serde_json::Value::String(service.to_string())
    );
    b.script(&script) == serde_json::json!(true)
}

#[test]
fn an_operator_sees_a_problem_live_acknowledges_it_and_reads_the_comment() {
    let notify = tempfile::NamedTempFile::new().expect("tmp");
    let mut c = Cluster::new("127.0.14.1", &objects(notify.path()));
    c.secret = Some("web ui test secret".into());
    started(&mut c);
    let base = c.url("broker-master");
    let b = Browser::start();
    let before_login = reqwest::blocking::get(format!("{base}/hosts")).expect("GET /hosts");
    assert!(before_login.url().path().starts_with("/login"), "pages need a login");

    // A wrong password is refused.
    b.goto(&format!("{base}/login"));
    b.type_into("input[name=user]", "admin");
    b.type_into("input[name=password]", "not the password");
    b.click_css("form[action='/login'] button[type=submit]");
    b.wait(".flash.error", Duration::from_secs(10));

    login(&b, &base, "admin", ADMIN_PASSWORD);
    b.wait("section.counts", Duration::from_secs(10));
    assert!(!row_with(&b, "unhandled", "http"));

    // CRITICAL: on the overview within seconds, without a reload.
    b.script("window.notReloaded = true; return 1;");
    let sent = Instant::now();
    assert!(c.command(&[
        "PROCESS_SERVICE_CHECK_RESULT;web1;http;2;CRITICAL - backend down|time=0.512s;1;2;0; 'open conns'=17;;;0;100"
            .into()
    ]));
    b.wait_until("http among the unhandled problems", Duration::from_secs(15), |b| {
        row_with(b, "unhandled", "http")
    });
    let shown = sent.elapsed();
    assert_eq!(
        b.script("return window.notReloaded === true;"),
        serde_json::json!(true),
        "the page was reloaded"
    );
    eprintln!(
        "CRITICAL result → on the overview (no reload): {:.2} s",
        shown.as_secs_f64()
    );
    assert!(shown < Duration::from_secs(10), "took {shown:?}");
    b.screenshot(&screenshots().join("overview.png"));

    // Acknowledge it with the overview's form.
    b.click_css("#unhandled input[type=checkbox][value='web1;http']");
    b.click_css("details.actions summary");
    b.click_css("#bulk select[name=action] option[value=acknowledge]");
    b.type_into("#bulk input[name=comment]", "looking into it (ui test)");
    b.click_css("#bulk button[type=submit]");
    b.wait(".flash", Duration::from_secs(30));
    let flash = b.text_of(".flash");
    assert!(flash.contains("1 command(s) applied"), "{flash}");
    b.wait_until("http among the handled problems", Duration::from_secs(15), |b| {
        row_with(b, "handled", "http") && !row_with(b, "unhandled", "http")
    });
    assert!(b.text_of("#handled").contains("ACK"), "{}", b.source());

    // The comment on its page.
    b.goto(&format!("{base}/service?host=web1&service=http"));
    b.wait("ul.comments li", Duration::from_secs(10));
    assert!(
        b.text_of("ul.comments").contains("looking into it (ui test)"),
        "{}",
        b.source()
    );
    assert!(b.text_of("dl.facts").contains("Acknowledged"), "{}", b.source());
    assert!(b.text_of("dl.facts").contains("CRITICAL"), "{}", b.source());
    let perf = b.text_of("table.perf");
    assert!(
        perf.contains("time") && perf.contains("0.512") && perf.contains("open conns") && perf.contains("100"),
        "{perf}"
    );
    b.screenshot(&screenshots().join("service.png"));

    // Plugin output with HTML in it: shown as text, never run.
    let html = "<b id=\"injected\">bold</b><script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">";
    assert!(c.command(&[format!("PROCESS_SERVICE_CHECK_RESULT;web1;html;1;{html}")]));
    b.goto(&format!("{base}/service?host=web1&service=html"));
    b.wait_until("the HTML output shown as text", Duration::from_secs(15), |b| {
        b.goto(&b.url());
        b.text_of("dl.facts dd.output").contains("<b id=\"injected\">bold</b>")
    });
    assert!(b.find("#injected").is_none(), "the plugin's HTML became an element");
    assert!(!b.title().contains("pwned"), "the plugin's script ran");

    // The other pages answer.
    for (path, marker) in [
        ("/hosts", "table#list"),
        ("/services?state=problems", "table#list"),
        ("/host?name=web1", "dl.facts"),
        ("/log?type=SERVICE+ALERT", "table.log"),
        ("/cluster", "table.daemons"),
    ] {
        b.goto(&format!("{base}{path}"));
        b.wait(marker, Duration::from_secs(10));
    }
    assert!(
        b.text_of("table.daemons").contains("scheduler-master"),
        "{}",
        b.source()
    );
    b.screenshot(&screenshots().join("cluster.png"));
    b.goto(&format!("{base}/log?type=SERVICE+ALERT"));
    assert!(b.text_of("table.log").contains("web1;http;CRITICAL"), "{}", b.source());
    // A phone-sized window still shows the problems.
    b.set_window(400, 850);
    b.goto(&format!("{base}/"));
    b.wait("#handled", Duration::from_secs(10));
    b.screenshot(&screenshots().join("overview-phone.png"));
}

#[test]
fn a_user_sees_and_acts_only_on_what_they_are_a_contact_of() {
    let notify = tempfile::NamedTempFile::new().expect("tmp");
    let mut c = Cluster::new("127.0.14.2", &objects(notify.path()));
    c.secret = Some("web ui test secret".into());
    started(&mut c);
    assert!(c.command(&[
        "PROCESS_SERVICE_CHECK_RESULT;web1;http;2;CRITICAL - web".into(),
        "PROCESS_SERVICE_CHECK_RESULT;db1;mysql;2;CRITICAL - db".into(),
    ]));
    let base = c.url("broker-master");
    let b = Browser::start();
    login(&b, &base, "ana", ANA_PASSWORD);
    b.wait_until("web1's problem on ana's overview", Duration::from_secs(15), |b| {
        b.goto(&format!("{base}/"));
        row_with(b, "unhandled", "http")
    });
    assert!(!row_with(&b, "unhandled", "mysql"), "ana sees db1:\n{}", b.source());
    b.goto(&format!("{base}/services"));
    b.wait("table#list", Duration::from_secs(10));
    let list = b.text_of("table#list");
    assert!(list.contains("http") && !list.contains("db1"), "{list}");
    b.goto(&format!("{base}/hosts"));
    b.wait("table#list", Duration::from_secs(10));
    assert!(!b.text_of("table#list").contains("db1"));
    b.goto(&format!("{base}/host?name=db1"));
    b.wait("h1", Duration::from_secs(10));
    assert!(b.text_of("h1").contains("Not found"), "{}", b.source());
    b.goto(&format!("{base}/log"));
    b.wait("table.log", Duration::from_secs(10));
    assert!(!b.text_of("table.log").contains("db1"), "ana reads db1's log lines");

    // Forged requests with ana's own session and form token.
    b.goto(&format!("{base}/service?host=web1&service=http"));
    let csrf = b.script("return document.querySelector('input[name=csrf]').value;");
    let csrf = csrf.as_str().expect("a form token").to_string();
    let session = b.cookie("vigia_session").expect("the session cookie");
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let post = |body: String| {
        http.post(format!("{base}/action"))
            .header("cookie", format!("vigia_session={session}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .expect("POST /action")
            .status()
            .as_u16()
    };
    let enc = |s: &str| -> String { s.replace(';', "%3B").replace(' ', "+") };
    let comment_before = c
        .get_json(&format!("{base}/api/v1/comments"))
        .and_then(|v| v.as_array().map(Vec::len))
        .unwrap_or(0);
    assert_eq!(
        post(format!(
            "csrf={csrf}&action=comment&comment=forged&target={}",
            enc("db1;mysql")
        )),
        403,
        "a forged action on a host ana is not a contact of"
    );
    assert_eq!(
        post(format!(
            "csrf={csrf}&action=comment&comment=two&target={}&target={}",
            enc("web1;http"),
            enc("db1")
        )),
        403,
        "one forbidden target refuses the whole form"
    );
    assert_eq!(
        post(format!(
            "csrf=wrong&action=comment&comment=x&target={}",
            enc("web1;http")
        )),
        403,
        "a wrong form token"
    );
    assert_eq!(
        post(format!("action=comment&comment=x&target={}", enc("web1;http"))),
        403,
        "no form token"
    );
    let no_session = http
        .post(format!("{base}/action"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}&action=comment&comment=x&target=web1"))
        .send()
        .expect("POST")
        .status()
        .as_u16();
    assert_eq!(no_session, 403, "no session");
    let get_action = http
        .get(format!("{base}/action?csrf={csrf}&action=recheck&target=web1"))
        .header("cookie", format!("vigia_session={session}"))
        .send()
        .expect("GET")
        .status()
        .as_u16();
    assert_eq!(get_action, 405, "no action by GET");
    let comments_after = c
        .get_json(&format!("{base}/api/v1/comments"))
        .and_then(|v| v.as_array().map(Vec::len))
        .unwrap_or(0);
    assert_eq!(comments_after, comment_before, "a refused action changed something");
    // Her own service: allowed.
    assert_eq!(
        post(format!(
            "csrf={csrf}&action=comment&comment=mine&back=/&target={}",
            enc("web1;http")
        )),
        303
    );
    wait_for("ana's comment applied", DEADLINE, || {
        let all = c.get_json(&format!("{base}/api/v1/comments"))?;
        all.as_array()?
            .iter()
            .any(|x| cluster::field(x, "text") == "mine" && cluster::field(x, "author") == "ana")
            .then_some(())
    });
}

/// A master and a spare scheduler on one address.
fn ha_daemons(ip: &str) -> String {
    daemons_cfg(ip)
        + &format!(
            "define scheduler {{\n scheduler_name scheduler-spare\n address {ip}\n port 7778\n spare 1\n realm All\n}}\n"
        )
}

#[test]
fn kill_9_of_the_master_scheduler_the_page_keeps_working_and_an_ack_made_meanwhile_is_applied_once() {
    let notify = tempfile::NamedTempFile::new().expect("tmp");
    let ip = "127.0.14.3";
    let mut c = Cluster::with_daemons(ip, &ha_daemons(ip), &objects(notify.path()));
    c.secret = Some("web ui test secret".into());
    started(&mut c);
    wait_for("the spare holds the master's state", DEADLINE, || {
        let copies = c.get_json(&format!("{}/v1/standby", c.url("scheduler-spare")))?;
        (copies.as_array()?.first()?.get(0)? == "scheduler-master").then_some(())
    });
    assert!(c.command(&["PROCESS_SERVICE_CHECK_RESULT;web1;http;2;CRITICAL - before the kill".into()]));
    let base = c.url("broker-master");
    let b = Browser::start();
    login(&b, &base, "admin", ADMIN_PASSWORD);
    b.goto(&format!("{base}/service?host=web1&service=http"));
    b.wait("form#act", Duration::from_secs(10));
    assert!(b.find("p.banner").is_none(), "a banner before any fail-over");

    // kill -9 of the master, then at once an acknowledgement through the page.
    let killed = Instant::now();
    let epoch = now();
    c.daemon("scheduler-master").kill();
    b.click_css("#act select[name=action] option[value=acknowledge]");
    b.type_into("#act input[name=comment]", "ack during the take-over");
    b.click_css("#act button[type=submit]");
    b.wait(".flash", Duration::from_secs(60));
    eprintln!(
        "ack submitted {:.2} s after the kill: {}",
        killed.elapsed().as_secs_f64(),
        b.text_of(".flash")
    );

    // The page keeps working and says where the part runs.
    b.goto(&format!("{base}/"));
    b.wait_until("the fail-over banner", Duration::from_secs(30), |b| {
        b.text_of("p.banner").contains("scheduler-spare")
    });
    b.goto(&format!("{base}/cluster"));
    b.wait_until("the take-over on the cluster page", Duration::from_secs(30), |b| {
        b.goto(&format!("{base}/cluster"));
        b.text_of("ol.ha-timeline").contains("takes over")
    });
    assert!(b.text_of("table.daemons").contains("DEAD"), "{}", b.source());
    b.screenshot(&screenshots().join("cluster-failover.png"));

    // Applied once: one acknowledgement comment, and it stays one once the spare runs checks.
    wait_for("the acknowledgement at the broker", DEADLINE, || {
        let s = c.service("broker-master", "web1", "http")?;
        (!cluster::field(&s, "acknowledgement").is_null() || cluster::field(&s, "acknowledged") == true).then_some(())
    });
    wait_for("checks run by the spare", DEADLINE, || {
        let s = c.service("broker-master", "db1", "ping")?;
        (cluster::field(&s, "last_check").as_u64()? > epoch).then_some(())
    });
    let comments = c.get_json(&format!("{base}/api/v1/comments")).expect("comments");
    let acks = comments
        .as_array()
        .expect("a list")
        .iter()
        .filter(|x| cluster::field(x, "text") == "ack during the take-over")
        .count();
    assert_eq!(acks, 1, "the acknowledgement applied {acks} times: {comments}");
    b.goto(&format!("{base}/service?host=web1&service=http"));
    b.wait("ul.comments li", Duration::from_secs(10));
    assert!(b.text_of("dl.facts").contains("Acknowledged"), "{}", b.source());
    assert!(
        b.text_of("dl.facts").contains("running on the spare scheduler-spare"),
        "{}",
        b.source()
    );
}
