//! Who is logged in to the web UI and what they may do.
//!
//! Users are the configuration's contacts with a `_VIGIA_PASSWORD` custom variable (an argon2
//! hash: `vigia passwd`), and the lines of the users file (`NAME:HASH[:admin]`, htpasswd's
//! shape; `vigia run` makes one with an `admin` at first start). A session is a cookie signed
//! with a key derived from the cluster's secret (every broker of the cluster accepts it, so a
//! spare broker taking over keeps users logged in); forms carry a token derived from the
//! session (CSRF).
//!
//! Rights follow Nagios's CGIs: a user sees and acts on the hosts and services they are a
//! contact of (directly, through a contact group, or through an escalation; a host's contact
//! sees its services), unless `cgi.cfg` lists them in `authorized_for_all_*` or they are an
//! admin (`is_admin 1` on the contact, or `:admin` in the users file).
use std::path::{Path, PathBuf};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use subtle::ConstantTimeEq;
use vigia_config::cgi::WebAccess;
use vigia_config::Config;

/// The custom variable holding a contact's password hash (`_VIGIA_PASSWORD` in a definition).
pub const PASSWORD_VARIABLE: &str = "VIGIA_PASSWORD";
/// The session cookie's name.
pub const COOKIE: &str = "vigia_session";
/// How long a session lasts without logging in again.
pub const SESSION_SECONDS: i64 = 12 * 3600;

/// An argon2id hash of `password` (PHC string), for the users file or `_VIGIA_PASSWORD`.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt_bytes = crate::secret::random_bytes()?;
    let salt = SaltString::encode_b64(&salt_bytes[..16]).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))
}

/// Whether `password` matches `hash` (an argon2 PHC string; anything else never matches).
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash.trim()).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// One line of the users file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileUser {
    pub name: String,
    pub hash: String,
    pub admin: bool,
}

/// Reads the users file: `NAME:HASH[:admin]` per line, `#` comments. Lines that are not that
/// shape are skipped with a warning (never a login with a half-read line).
pub fn read_users(path: &Path) -> Vec<FileUser> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    parse_users(path, &text)
}

fn parse_users(path: &Path, text: &str) -> Vec<FileUser> {
    let mut users = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.splitn(3, ':');
        match (fields.next(), fields.next(), fields.next()) {
            (Some(name), Some(hash), flags) if !name.is_empty() && hash.starts_with("$argon2") => {
                users.push(FileUser {
                    name: name.to_string(),
                    hash: hash.to_string(),
                    admin: flags.is_some_and(|f| f.split(',').any(|f| f.trim() == "admin")),
                })
            }
            _ => tracing::warn!(
                "{}:{}: not NAME:ARGON2-HASH[:admin] (make one with `vigia passwd`): skipped",
                path.display(),
                n + 1
            ),
        }
    }
    users
}

/// Adds or replaces `name` in the users file (written durably, mode 0600).
pub fn set_user(path: &Path, name: &str, hash: &str, admin: bool) -> anyhow::Result<()> {
    anyhow::ensure!(
        !name.is_empty() && !name.contains([':', '\n', '\r']),
        "a user name cannot be empty or hold ':' or a line break"
    );
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| l.split(':').next() != Some(name))
        .map(str::to_string)
        .collect();
    lines.push(format!("{name}:{hash}{}", if admin { ":admin" } else { "" }));
    let body = lines.join("\n") + "\n";
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    crate::durable::write(path, body.as_bytes())?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(())
}

/// What a logged-in user may see and do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rights {
    pub user: String,
    pub admin: bool,
    pub all_hosts: bool,
    pub all_services: bool,
    pub all_host_commands: bool,
    pub all_service_commands: bool,
    pub system_information: bool,
    /// May submit commands at all (a contact's `can_submit_commands`, `authorized_for_read_only`).
    pub can_submit: bool,
}

impl Rights {
    /// The rights of `user` from the configuration (contacts, `cgi.cfg`) and the users file.
    pub fn of(user: &str, config: Option<&Config>, file_admin: bool) -> Rights {
        let contact = config.and_then(|c| c.contacts.iter().find(|x| x.name == user));
        let access = config.map(|c| &c.web_access);
        let listed = |list: fn(&WebAccess) -> &Vec<String>| access.is_some_and(|a| WebAccess::names(list(a), user));
        let admin = file_admin || contact.is_some_and(|c| c.is_admin);
        let read_only = listed(|a| &a.read_only);
        Rights {
            user: user.to_string(),
            admin,
            all_hosts: admin || listed(|a| &a.all_hosts),
            all_services: admin || listed(|a| &a.all_services),
            all_host_commands: admin || listed(|a| &a.all_host_commands),
            all_service_commands: admin || listed(|a| &a.all_service_commands),
            system_information: admin || listed(|a| &a.system_information),
            can_submit: !read_only && (admin || contact.is_none_or(|c| c.can_submit_commands)),
        }
    }
}

/// Finds `user` and checks `password`: the users file first, then the contacts' hashes.
/// Returns whether the users file marks them admin.
pub fn authenticate(users_file: Option<&Path>, configs: &[&Config], user: &str, password: &str) -> Option<bool> {
    if let Some(u) = users_file
        .map(read_users)
        .unwrap_or_default()
        .into_iter()
        .find(|u| u.name == user)
    {
        return verify_password(&u.hash, password).then_some(u.admin);
    }
    let hash = configs
        .iter()
        .flat_map(|c| c.contacts.iter())
        .find(|c| c.name == user)
        .and_then(|c| {
            c.customs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(PASSWORD_VARIABLE))
                .map(|(_, v)| v)
        })?;
    verify_password(hash, password).then_some(false)
}

/// Failed logins in a row after which a user name is refused for [`LOCK_SECONDS`].
pub const MAX_FAILURES: u32 = 5;
pub const LOCK_SECONDS: i64 = 60;

/// Slows password guessing: after [`MAX_FAILURES`] failed logins in a row for one user name,
/// that name is refused for [`LOCK_SECONDS`] (whatever the password), counted from the last
/// failure. By name, not by address: guessing from many addresses is slowed as much.
#[derive(Default)]
pub struct LoginGuard {
    failures: std::sync::Mutex<std::collections::HashMap<String, (u32, i64)>>,
}

impl LoginGuard {
    fn map(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, (u32, i64)>> {
        self.failures.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Seconds `user` must still wait (0: may try).
    pub fn wait(&self, user: &str, now: i64) -> i64 {
        match self.map().get(user) {
            Some(&(n, last)) if n >= MAX_FAILURES => (last + LOCK_SECONDS - now).max(0),
            _ => 0,
        }
    }

    pub fn failed(&self, user: &str, now: i64) {
        let mut map = self.map();
        if map.len() > 10_000 {
            // Names nobody tried for a while are forgotten: the map stays small under a flood.
            map.retain(|_, (_, last)| now - *last < LOCK_SECONDS);
        }
        let entry = map.entry(user.to_string()).or_insert((0, now));
        *entry = (entry.0 + 1, now);
    }

    pub fn succeeded(&self, user: &str) {
        self.map().remove(user);
    }
}

/// Signs and checks sessions and form tokens.
#[derive(Clone)]
pub struct Sessions {
    key: [u8; 32],
    pub users_file: Option<PathBuf>,
}

impl Sessions {
    /// The key comes from the cluster's secret when there is one (every broker of the cluster
    /// accepts the others' sessions), else from this process alone.
    pub fn new(secret: Option<&str>, users_file: Option<PathBuf>) -> anyhow::Result<Sessions> {
        let key = match secret {
            Some(s) => blake3::derive_key("vigia 2026 web ui session key", s.as_bytes()),
            None => crate::secret::random_bytes()?,
        };
        Ok(Sessions { key, users_file })
    }

    fn mac(&self, what: &str, parts: &[&[u8]]) -> String {
        let mut h = blake3::Hasher::new_keyed(&self.key);
        h.update(what.as_bytes());
        for p in parts {
            h.update(&(p.len() as u64).to_le_bytes());
            h.update(p);
        }
        h.finalize().to_hex().to_string()
    }

    /// The cookie value for `user` (admin per the users file) until `expires`.
    pub fn issue(&self, user: &str, admin: bool, expires: i64) -> String {
        let name = hex(user.as_bytes());
        let flags = if admin { "a" } else { "-" };
        let mac = self.mac(
            "session",
            &[name.as_bytes(), flags.as_bytes(), expires.to_string().as_bytes()],
        );
        format!("{expires}.{flags}.{name}.{mac}")
    }

    /// The user and their users-file admin flag, if `cookie` is one this cluster signed and it
    /// has not expired.
    pub fn check(&self, cookie: &str, now: i64) -> Option<(String, bool)> {
        let mut parts = cookie.split('.');
        let (expires, flags, name, mac) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let expected = self.mac("session", &[name.as_bytes(), flags.as_bytes(), expires.as_bytes()]);
        if !bool::from(expected.as_bytes().ct_eq(mac.as_bytes())) {
            return None;
        }
        if expires.parse::<i64>().ok()? <= now {
            return None;
        }
        let user = String::from_utf8(unhex(name)?).ok()?;
        Some((user, flags == "a"))
    }

    /// The token every form of this session carries.
    pub fn csrf(&self, cookie: &str) -> String {
        self.mac("csrf", &[cookie.as_bytes()])[..32].to_string()
    }

    pub fn csrf_ok(&self, cookie: &str, token: &str) -> bool {
        bool::from(self.csrf(cookie).as_bytes().ct_eq(token.as_bytes()))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_hash_verifies_only_its_password() {
        let h = hash_password("s3cret: with spaces").expect("hash");
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password(&h, "s3cret: with spaces"));
        assert!(!verify_password(&h, "s3cret"));
        assert!(
            !verify_password("plain-text", "plain-text"),
            "plain text is never a hash"
        );
    }

    #[test]
    fn a_session_is_refused_when_forged_expired_or_from_another_cluster() {
        let s = Sessions::new(Some("cluster secret"), None).expect("sessions");
        let cookie = s.issue("ana:lyst", false, 2_000);
        assert_eq!(s.check(&cookie, 1_000), Some(("ana:lyst".to_string(), false)));
        assert_eq!(s.check(&cookie, 2_000), None, "expired");
        let forged = cookie.replacen(".-.", ".a.", 1);
        assert_eq!(s.check(&forged, 1_000), None, "admin flag forged");
        let other = Sessions::new(Some("another secret"), None).expect("sessions");
        assert_eq!(other.check(&cookie, 1_000), None);
        let same = Sessions::new(Some("cluster secret"), None).expect("sessions");
        assert!(same.check(&cookie, 1_000).is_some(), "another broker of the cluster");
        assert!(s.csrf_ok(&cookie, &s.csrf(&cookie)));
        assert!(!s.csrf_ok(&cookie, &s.csrf(&s.issue("ana:lyst", false, 2_001))));
        assert_eq!(s.check("garbage", 0), None);
        assert_eq!(s.check("1.a.zz.00", 0), None);
    }

    #[test]
    fn five_failed_logins_lock_the_name_for_a_minute() {
        let guard = LoginGuard::default();
        for t in 0..4 {
            guard.failed("ana", 100 + t);
            assert_eq!(guard.wait("ana", 100 + t), 0);
        }
        guard.failed("ana", 110);
        assert_eq!(guard.wait("ana", 110), LOCK_SECONDS);
        assert_eq!(guard.wait("ana", 140), 30);
        assert_eq!(guard.wait("bob", 140), 0, "other names are not locked");
        assert_eq!(guard.wait("ana", 170), 0, "a minute after the last failure");
        guard.succeeded("ana");
        guard.failed("ana", 171);
        assert_eq!(guard.wait("ana", 171), 0, "a success starts the count again");
    }

    #[test]
    fn rights_come_from_cgi_cfg_and_the_admin_flag() {
        let config = Config {
            web_access: WebAccess {
                all_hosts: vec!["ops".into()],
                all_service_commands: vec!["*".into()],
                read_only: vec!["guest".into()],
                ..WebAccess::default()
            },
            ..Config::default()
        };
        let ops = Rights::of("ops", Some(&config), false);
        assert!(ops.all_hosts && !ops.all_services && ops.all_service_commands && ops.can_submit && !ops.admin);
        let guest = Rights::of("guest", Some(&config), false);
        assert!(!guest.can_submit && !guest.all_hosts, "read only");
        let admin = Rights::of("root", Some(&config), true);
        assert!(
            admin.admin && admin.all_hosts && admin.all_services && admin.all_host_commands && admin.system_information
        );
        let nobody = Rights::of("nobody", None, false);
        assert!(!nobody.all_hosts && !nobody.system_information);
    }

    #[test]
    fn the_users_file_is_read_written_and_bad_lines_skipped() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("web-users");
        let h = hash_password("pw").expect("hash");
        set_user(&path, "admin", &h, true).expect("write");
        set_user(&path, "ops", &h, false).expect("write");
        set_user(&path, "admin", &h, false).expect("replace");
        let mut text = std::fs::read_to_string(&path).expect("read");
        text.push_str("broken line\nmd5:$apr1$xyz\n");
        std::fs::write(&path, text).expect("write");
        let users = read_users(&path);
        assert_eq!(
            users.iter().map(|u| (&*u.name, u.admin)).collect::<Vec<_>>(),
            [("ops", false), ("admin", false)]
        );
        assert!(set_user(&path, "a:b", &h, false).is_err());
        assert_eq!(authenticate(Some(&path), &[], "ops", "pw"), Some(false));
        assert_eq!(authenticate(Some(&path), &[], "ops", "wrong"), None);
        assert_eq!(authenticate(Some(&path), &[], "nobody", "pw"), None);
    }
}
