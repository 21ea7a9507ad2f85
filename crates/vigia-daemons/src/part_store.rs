//! The part images a scheduler holds: the one it runs, those its live standby copies run, and
//! those the arbiter sent ahead of an assignment or a take-over. Decoded once, shared (`Arc`)
//! by the engine that runs the part and by a standby copy of it.
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use vigia_config::Config;
use vigia_proto::{DecodedPart, PartHeld};

/// An image nothing uses is dropped this long after it came (an assignment naming it follows
/// its upload within a round of health checks).
pub const KEEP_UNUSED: Duration = Duration::from_secs(120);
/// The largest image taken (a part of a million services is some 140 MB).
pub const MAX_IMAGE_BYTES: usize = 1 << 30;

struct Staged {
    id: String,
    config: Arc<Config>,
    at: Instant,
}

#[derive(Default)]
pub struct PartStore {
    parts: Mutex<Vec<Staged>>,
}

impl PartStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Staged>> {
        self.parts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps a decoded image (again: its upload time is renewed).
    pub fn put(&self, part: DecodedPart) -> PartHeld {
        let held = PartHeld {
            id: part.id.clone(),
            hosts: part.config.hosts.len(),
            services: part.config.services.len(),
        };
        let mut parts = self.lock();
        parts.retain(|p| p.id != part.id);
        parts.push(Staged {
            id: part.id,
            config: Arc::new(part.config),
            at: Instant::now(),
        });
        held
    }

    /// Checks and decodes an image sent to `POST /v1/parts` (off the async threads) and keeps
    /// it. A bad image is refused with 400 and changes nothing.
    pub async fn receive(&self, body: axum::body::Bytes) -> Result<PartHeld, crate::daemon::ApiError> {
        use axum::http::StatusCode;
        let decoded = tokio::task::spawn_blocking(move || vigia_proto::PartImage::decode(&body))
            .await
            .map_err(|e| {
                crate::daemon::ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("decoding a part image: {e}"))
            })?
            .map_err(|e| crate::daemon::ApiError(StatusCode::BAD_REQUEST, e))?;
        Ok(self.put(decoded))
    }

    pub fn get(&self, id: &str) -> Option<Arc<Config>> {
        self.lock().iter().find(|p| p.id == id).map(|p| p.config.clone())
    }

    pub fn ids(&self) -> Vec<String> {
        self.lock().iter().map(|p| p.id.clone()).collect()
    }

    /// Drops the images not in `used` that came more than [`KEEP_UNUSED`] ago.
    pub fn prune(&self, used: &[String], now: Instant) {
        self.lock()
            .retain(|p| used.contains(&p.id) || now.saturating_duration_since(p.at) < KEEP_UNUSED);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(id: &str) -> DecodedPart {
        DecodedPart {
            id: id.into(),
            config: Config {
                interval_length: 60,
                ..Default::default()
            },
        }
    }

    #[test]
    fn images_in_use_stay_and_unused_ones_go_after_a_while() {
        let store = PartStore::default();
        store.put(part("a"));
        store.put(part("b"));
        store.put(part("a"));
        assert_eq!(store.ids(), vec!["b".to_string(), "a".to_string()], "one copy per id");
        let now = Instant::now();
        store.prune(&[], now);
        assert_eq!(store.ids().len(), 2, "just sent: kept for the assignment that follows");
        store.prune(&["a".to_string()], now + KEEP_UNUSED + Duration::from_secs(1));
        assert_eq!(store.ids(), vec!["a".to_string()]);
        assert!(store.get("a").is_some() && store.get("b").is_none());
    }
}
