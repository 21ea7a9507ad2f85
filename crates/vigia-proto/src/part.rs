//! A scheduler's part of the configuration on the wire: built once per part by the arbiter,
//! shared by the assignment, its re-sends and the spares, and named by its content so that an
//! unchanged part is never sent again.
//!
//! Layout: [`MAGIC`], the format version (u32 LE), the body's length (u64 LE), the body's
//! BLAKE3 hash (32 bytes), then the body: the part's [`Config`] (see
//! [`vigia_config::part::part_config`]) in postcard. The image's id is the start of that hash in
//! hex. A reader refuses, with a message that says which, anything that is not an image, a
//! version it does not read, a truncated image and one whose body does not match its hash:
//! the daemon keeps what it runs.
use std::sync::Arc;

use vigia_config::Config;

/// The first bytes of every part image.
pub const MAGIC: &[u8; 8] = b"VIGIAPRT";
/// Bumped whenever the body's meaning changes.
pub const PART_FORMAT: u32 = 1;
/// Content type of a part image body ([`crate::paths::PARTS`]).
pub const PART_CONTENT_TYPE: &str = "application/x-vigia-part";
const HEADER: usize = 8 + 4 + 8 + 32;

/// An encoded part, cheap to clone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartImage {
    /// Content address: equal ids, equal parts.
    pub id: String,
    pub bytes: Arc<[u8]>,
}

/// What a reader gets back.
#[derive(Debug)]
pub struct DecodedPart {
    pub id: String,
    pub config: Config,
}

fn id_of(hash: &[u8; 32]) -> String {
    blake3::Hash::from_bytes(*hash).to_hex()[..16].to_string()
}

impl PartImage {
    /// Encodes a part's configuration.
    pub fn encode(config: &Config) -> Result<PartImage, String> {
        let body = postcard::to_allocvec(config).map_err(|e| format!("encoding a part: {e}"))?;
        let hash = *blake3::hash(&body).as_bytes();
        let mut bytes = Vec::with_capacity(HEADER + body.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&PART_FORMAT.to_le_bytes());
        bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&hash);
        bytes.extend_from_slice(&body);
        Ok(PartImage {
            id: id_of(&hash),
            bytes: bytes.into(),
        })
    }

    /// Checks and decodes an image; equal shared values are made one allocation again.
    pub fn decode(bytes: &[u8]) -> Result<DecodedPart, String> {
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            return Err("not a part image (bad magic)".into());
        }
        if bytes.len() < HEADER {
            return Err(format!(
                "truncated part image: {} bytes, the header alone is {HEADER}",
                bytes.len()
            ));
        }
        let mut word = [0u8; 4];
        word.copy_from_slice(&bytes[8..12]);
        let version = u32::from_le_bytes(word);
        if version != PART_FORMAT {
            return Err(format!(
                "part image format {version} is not supported (this daemon reads format {PART_FORMAT}): run the same vigia version as the arbiter"
            ));
        }
        let mut len = [0u8; 8];
        len.copy_from_slice(&bytes[12..20]);
        let len = u64::from_le_bytes(len);
        let body = &bytes[HEADER..];
        if body.len() as u64 != len {
            return Err(format!(
                "truncated part image: body of {} bytes, {len} announced",
                body.len()
            ));
        }
        let mut hash = [0u8; 32];
        hash.copy_from_slice(&bytes[20..HEADER]);
        if blake3::hash(body).as_bytes() != &hash {
            return Err("corrupt part image: its body does not match its hash".into());
        }
        let mut config: Config = postcard::from_bytes(body).map_err(|e| format!("unreadable part image: {e}"))?;
        if config.parts.len() != 1 {
            return Err(format!("part image holds {} parts, not one", config.parts.len()));
        }
        vigia_config::part::share_repeated(&mut config);
        Ok(DecodedPart {
            id: id_of(&hash),
            config,
        })
    }
}
