//! The web UI's actions as Nagios external commands: a form names an action and one or more
//! targets (`host` or `host;service`), and becomes one command line per target, sent through a
//! receiver (its exactly-once path to the scheduler owning the host) with a wait for the
//! scheduler to apply them.

/// An action form, as posted.
#[derive(Clone, Debug, Default)]
pub struct ActionForm {
    pub csrf: String,
    pub action: String,
    /// Targets; a form with one target names it `target`, a list's checkboxes `t`.
    pub target: Vec<String>,
    pub comment: String,
    pub sticky: Option<String>,
    pub notify: Option<String>,
    pub persistent: Option<String>,
    /// Downtime: `fixed` or `flexible`.
    pub kind: String,
    /// Downtime: minutes from now until it ends (fixed) or how long it lasts (flexible).
    pub minutes: String,
    /// Passive result: the exit code (0-3) and the output.
    pub code: String,
    pub output: String,
    /// Where to go back to.
    pub back: String,
}

impl ActionForm {
    /// Reads an `application/x-www-form-urlencoded` body (`target` may repeat).
    pub fn parse(body: &[u8]) -> ActionForm {
        let mut f = ActionForm::default();
        for (k, v) in form_urlencoded::parse(body) {
            let v = v.into_owned();
            match &*k {
                "csrf" => f.csrf = v,
                "action" => f.action = v,
                "target" => f.target.push(v),
                "comment" => f.comment = v,
                "sticky" => f.sticky = Some(v),
                "notify" => f.notify = Some(v),
                "persistent" => f.persistent = Some(v),
                "kind" => f.kind = v,
                "minutes" => f.minutes = v,
                "code" => f.code = v,
                "output" => f.output = v,
                "back" => f.back = v,
                _ => {}
            }
        }
        f
    }
}

/// What a form can ask, with the words the UI shows.
pub const ACTIONS: &[(&str, &str)] = &[
    ("acknowledge", "Acknowledge"),
    ("downtime", "Schedule downtime"),
    ("comment", "Add comment"),
    ("recheck", "Re-check now"),
    ("disable_checks", "Disable active checks"),
    ("enable_checks", "Enable active checks"),
    ("disable_notifications", "Disable notifications"),
    ("enable_notifications", "Enable notifications"),
    ("remove_acknowledgement", "Remove acknowledgement"),
    ("passive", "Submit passive result"),
];

fn flag(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|v| matches!(v, "1" | "on" | "true" | "yes"))
}

/// Command text cannot hold `;` in free text fields or line breaks anywhere.
fn clean(text: &str) -> String {
    text.replace(['\n', '\r'], " ").trim().to_string()
}

/// The command line for one target, or why the form is wrong.
pub fn command_line(form: &ActionForm, target: &str, user: &str, now: i64) -> Result<String, String> {
    if target.contains(['\n', '\r']) || target.is_empty() {
        return Err("no valid target".into());
    }
    let (kind, object) = match target.split_once(';') {
        Some(_) => ("SVC", target.to_string()),
        None => ("HOST", target.to_string()),
    };
    let comment = clean(&form.comment);
    let author = clean(user);
    let needs_comment = || {
        if comment.is_empty() {
            Err("a comment is needed".to_string())
        } else {
            Ok(())
        }
    };
    let body = match form.action.as_str() {
        "acknowledge" => {
            needs_comment()?;
            let sticky = if flag(&form.sticky) { 2 } else { 1 };
            format!(
                "ACKNOWLEDGE_{kind}_PROBLEM;{object};{sticky};{};{};{author};{comment}",
                flag(&form.notify) as u8,
                flag(&form.persistent) as u8
            )
        }
        "remove_acknowledgement" => format!("REMOVE_{kind}_ACKNOWLEDGEMENT;{object}"),
        "downtime" => {
            needs_comment()?;
            let minutes: i64 = form
                .minutes
                .trim()
                .parse()
                .ok()
                .filter(|m| (1..=525_600).contains(m))
                .ok_or("the duration is minutes, from 1 to 525600")?;
            let fixed = form.kind != "flexible";
            let seconds = minutes * 60;
            // Flexible: may start any time in the next `minutes` and lasts `minutes`.
            let end = now + seconds;
            format!(
                "SCHEDULE_{kind}_DOWNTIME;{object};{now};{end};{};0;{};{author};{comment}",
                fixed as u8,
                if fixed { 0 } else { seconds }
            )
        }
        "comment" => {
            needs_comment()?;
            format!(
                "ADD_{kind}_COMMENT;{object};{};{author};{comment}",
                flag(&form.persistent) as u8
            )
        }
        "recheck" => format!("SCHEDULE_FORCED_{kind}_CHECK;{object};{now}"),
        "disable_checks" => format!("DISABLE_{kind}_CHECK;{object}"),
        "enable_checks" => format!("ENABLE_{kind}_CHECK;{object}"),
        "disable_notifications" => format!("DISABLE_{kind}_NOTIFICATIONS;{object}"),
        "enable_notifications" => format!("ENABLE_{kind}_NOTIFICATIONS;{object}"),
        "passive" => {
            let code: u8 = form
                .code
                .trim()
                .parse()
                .ok()
                .filter(|c| *c <= if kind == "HOST" { 2 } else { 3 })
                .ok_or("the result code is 0-3 for a service, 0-2 for a host")?;
            let what = if kind == "HOST" { "HOST" } else { "SERVICE" };
            format!("PROCESS_{what}_CHECK_RESULT;{object};{code};{}", clean(&form.output))
        }
        other => return Err(format!("unknown action {other:?}")),
    };
    Ok(format!("[{now}] {body}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(action: &str) -> ActionForm {
        ActionForm {
            action: action.into(),
            comment: "disk\nfull".into(),
            minutes: "30".into(),
            ..ActionForm::default()
        }
    }

    #[test]
    fn each_action_is_the_nagios_command() {
        let mut f = form("acknowledge");
        f.sticky = Some("on".into());
        f.persistent = Some("1".into());
        assert_eq!(
            command_line(&f, "web1;http", "ana", 100).as_deref(),
            Ok("[100] ACKNOWLEDGE_SVC_PROBLEM;web1;http;2;0;1;ana;disk full")
        );
        assert_eq!(
            command_line(&form("downtime"), "web1", "ana", 100).as_deref(),
            Ok("[100] SCHEDULE_HOST_DOWNTIME;web1;100;1900;1;0;0;ana;disk full")
        );
        let mut flexible = form("downtime");
        flexible.kind = "flexible".into();
        assert_eq!(
            command_line(&flexible, "web1;http", "ana", 100).as_deref(),
            Ok("[100] SCHEDULE_SVC_DOWNTIME;web1;http;100;1900;0;0;1800;ana;disk full")
        );
        assert_eq!(
            command_line(&form("recheck"), "web1;http", "ana", 100).as_deref(),
            Ok("[100] SCHEDULE_FORCED_SVC_CHECK;web1;http;100")
        );
        let mut passive = form("passive");
        passive.code = "2".into();
        passive.output = "CRITICAL - <b>down</b>".into();
        assert_eq!(
            command_line(&passive, "web1;http", "ana", 100).as_deref(),
            Ok("[100] PROCESS_SERVICE_CHECK_RESULT;web1;http;2;CRITICAL - <b>down</b>")
        );
    }

    #[test]
    fn a_posted_form_keeps_every_target() {
        let f = ActionForm::parse(b"csrf=x&action=recheck&target=a%3Bb&target=c&comment=a+b%26c&sticky=on");
        assert_eq!(f.target, ["a;b", "c"]);
        assert_eq!(
            (f.csrf.as_str(), f.action.as_str(), f.comment.as_str()),
            ("x", "recheck", "a b&c")
        );
        assert!(flag(&f.sticky) && !flag(&f.notify));
    }

    #[test]
    fn bad_forms_say_why() {
        let mut f = form("acknowledge");
        f.comment = " ".into();
        assert!(command_line(&f, "web1", "ana", 1).is_err_and(|e| e.contains("comment")));
        let mut d = form("downtime");
        d.minutes = "-5".into();
        assert!(command_line(&d, "web1", "ana", 1).is_err_and(|e| e.contains("minutes")));
        let mut p = form("passive");
        p.code = "3".into();
        assert!(
            command_line(&p, "web1", "ana", 1).is_err(),
            "UNKNOWN is not a host state"
        );
        assert!(command_line(&form("shutdown"), "web1", "ana", 1).is_err());
        assert!(command_line(&form("recheck"), "web1\n[1] SHUTDOWN_PROGRAM", "ana", 1).is_err());
    }
}
