//! The shared secret every inter-daemon request carries (`X-Vigia-Secret`).
//!
//! A secret file holds one secret per line: the first is the one this daemon sends, every line
//! is accepted. Rotating without a gap is three edits of every daemon's file, each picked up
//! within [`RELOAD`] without a restart: `old` + `new` (send old, accept both), then `new` +
//! `old` (send new, accept both), then `new`.
//!
//! Secrets are compared in constant time (their BLAKE3 digests, with `subtle`), never printed
//! (`Debug` says how many there are), and never sent in an assignment: each daemon reads its own.
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use subtle::ConstantTimeEq;

/// How often a daemon reads its secret file again.
pub const RELOAD: Duration = Duration::from_secs(5);
/// The secret file `vigia run` creates in its data folder at first start.
pub const GENERATED_FILE: &str = "secret";

/// The secrets a daemon accepts, the first being the one it sends.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretSet {
    lines: Vec<String>,
}

impl std::fmt::Debug for SecretSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretSet({} secret(s))", self.lines.len())
    }
}

impl SecretSet {
    /// One secret per non-empty line (surrounding blanks ignored).
    pub fn parse(text: &str) -> SecretSet {
        SecretSet {
            lines: text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The secrets as a secret file holds them (to hand to a daemon's options).
    pub fn to_text(&self) -> String {
        self.lines.join("\n")
    }

    /// The secret this daemon sends.
    pub fn sent(&self) -> Option<&str> {
        self.lines.first().map(String::as_str)
    }

    /// Whether `given` is one of the secrets, in time that depends on neither.
    pub fn accepts(&self, given: Option<&[u8]>) -> bool {
        let Some(given) = given else { return false };
        let digest = blake3::hash(given);
        let mut ok = subtle::Choice::from(0);
        for line in &self.lines {
            ok |= blake3::hash(line.as_bytes()).as_bytes().ct_eq(digest.as_bytes());
        }
        ok.into()
    }
}

impl From<Option<String>> for SecretSet {
    fn from(text: Option<String>) -> SecretSet {
        text.map(|t| SecretSet::parse(&t)).unwrap_or_default()
    }
}

/// A daemon's secrets, shared by its server and every link it opens, and replaced in place
/// when its file changes (links send the new one from their next request).
#[derive(Clone, Debug, Default)]
pub struct Secrets(Arc<RwLock<SecretSet>>);

impl Secrets {
    pub fn new(set: SecretSet) -> Secrets {
        Secrets(Arc::new(RwLock::new(set)))
    }

    pub fn get(&self) -> SecretSet {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The secret to send, if any.
    pub fn sent(&self) -> Option<String> {
        self.0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .sent()
            .map(str::to_string)
    }

    pub fn accepts(&self, given: Option<&[u8]>) -> bool {
        self.0.read().unwrap_or_else(|e| e.into_inner()).accepts(given)
    }

    pub fn is_empty(&self) -> bool {
        self.0.read().unwrap_or_else(|e| e.into_inner()).is_empty()
    }

    fn set(&self, set: SecretSet) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = set;
    }

    /// Reads `path` again every [`RELOAD`] and takes what it holds when it changed (an
    /// unreadable or empty file keeps the current secrets, with a warning).
    pub fn follow(&self, path: PathBuf) -> tokio::task::JoinHandle<()> {
        let secrets = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(RELOAD).await;
                match read_file(&path) {
                    Ok(set) if set != secrets.get() => {
                        tracing::info!("secret file {} changed: {set:?} now", path.display());
                        secrets.set(set);
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!("{e:#}: keeping the current secrets"),
                }
            }
        })
    }
}

impl From<Option<String>> for Secrets {
    fn from(text: Option<String>) -> Secrets {
        Secrets::new(text.into())
    }
}

/// Reads a secret file: at least one secret. A file others may read is used, with a warning.
pub fn read_file(path: &Path) -> anyhow::Result<SecretSet> {
    use anyhow::Context;
    let text = std::fs::read_to_string(path).with_context(|| format!("reading the secret file {}", path.display()))?;
    let set = SecretSet::parse(&text);
    anyhow::ensure!(!set.is_empty(), "the secret file {} holds no secret", path.display());
    if let Ok(meta) = std::fs::metadata(path) {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(
                "the secret file {} can be read by others: chmod 600 {}",
                path.display(),
                path.display()
            );
        }
    }
    Ok(set)
}

/// 32 bytes from the kernel's random source (secrets, passwords, session keys).
pub fn random_bytes() -> anyhow::Result<[u8; 32]> {
    use anyhow::Context;
    let mut random = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut random))
        .context("reading /dev/urandom")?;
    Ok(random)
}

/// The secret file `vigia run` uses: `path` as it is, or made with a new random secret (mode
/// 0600) when it does not exist yet.
pub fn read_or_create(path: &Path) -> anyhow::Result<SecretSet> {
    use anyhow::Context;
    if path.exists() {
        return read_file(path);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let secret: String = random_bytes()?.iter().map(|b| format!("{b:02x}")).collect();
    crate::durable::create_new(path, format!("{secret}\n").as_bytes(), 0o600)
        .with_context(|| format!("creating the secret file {}", path.display()))?;
    tracing::info!("a new shared secret for every daemon: {}", path.display());
    Ok(SecretSet::parse(&secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_line_is_sent_and_every_line_accepted() {
        let set = SecretSet::parse("  new \n\nold\n");
        assert_eq!(set.sent(), Some("new"));
        assert!(set.accepts(Some(b"new")));
        assert!(set.accepts(Some(b"old")));
        assert!(!set.accepts(Some(b"ne")));
        assert!(!set.accepts(Some(b"new ")));
        assert!(!set.accepts(None));
        assert!(!SecretSet::default().accepts(Some(b"")));
        assert_eq!(format!("{set:?}"), "SecretSet(2 secret(s))", "never printed");
    }

    #[test]
    fn a_created_secret_file_is_private_and_read_back() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("run").join(GENERATED_FILE);
        let made = read_or_create(&path).expect("created");
        assert_eq!(made.sent().map(str::len), Some(64));
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(
            read_or_create(&path).expect("read"),
            made,
            "the same secret at the next start"
        );
        std::fs::write(dir.path().join("empty"), "\n").expect("write");
        assert!(read_file(&dir.path().join("empty")).is_err());
    }
}
