//! A value kept in memory for a short time, for data that every visitor reads and staff
//! rarely change (the site's catalogue): one query per interval instead of one per request.
//! Each app instance keeps its own copy; a change shows everywhere within the interval.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

pub struct Cached<T> {
    ttl: Duration,
    slot: RwLock<Option<(Instant, Arc<T>)>>,
}

impl<T> Cached<T> {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            slot: RwLock::new(None),
        }
    }

    /// The value, if it is younger than the interval.
    pub fn get(&self) -> Option<Arc<T>> {
        let slot = self.slot.read().ok()?;
        slot.as_ref()
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, value)| Arc::clone(value))
    }

    /// Stores a fresh value and returns it.
    pub fn put(&self, value: T) -> Arc<T> {
        let value = Arc::new(value);
        if let Ok(mut slot) = self.slot.write() {
            *slot = Some((Instant::now(), Arc::clone(&value)));
        }
        value
    }

    /// Forgets the value, so the next reader loads a fresh one (after a change it depends on).
    pub fn clear(&self) {
        if let Ok(mut slot) = self.slot.write() {
            *slot = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_expire_after_the_interval() {
        let cache = Cached::new(Duration::from_millis(30));
        assert!(cache.get().is_none());
        cache.put(7);
        assert_eq!(cache.get().as_deref(), Some(&7));
        std::thread::sleep(Duration::from_millis(40));
        assert!(cache.get().is_none());
    }
}
