//! The published landings as the site shows them, kept in memory for a few seconds: a landing
//! is read by every visitor of a campaign and changed by an editor now and then, so one read
//! of the landing and its variants per interval replaces one per visit. Each app instance
//! keeps its own copy; an editor's change clears the instance that made it at once and shows
//! on the others within [`PublishedLandings::TTL`].

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::db::{Db, DbError};

use super::form::FormField;
use super::{Blocks, LandingRow, VariantRow};

/// A published landing with its variants (at least one), and what every visit reads of them
/// already parsed from their JSON: the form's fields and each variant's content blocks.
#[derive(Debug)]
pub struct Published {
    pub landing: LandingRow,
    pub variants: Vec<VariantRow>,
    pub fields: Vec<FormField>,
    /// The blocks of `variants[i]` at `i`.
    pub blocks: Vec<Arc<Blocks>>,
}

impl Published {
    pub fn new(landing: LandingRow, variants: Vec<VariantRow>) -> Self {
        let fields = landing.fields();
        let blocks = variants
            .iter()
            .map(|variant| Arc::new(Blocks::from_json(&variant.blocks)))
            .collect();
        Self {
            landing,
            variants,
            fields,
            blocks,
        }
    }
}

#[derive(Default)]
pub struct PublishedLandings {
    by_slug: RwLock<HashMap<String, (Instant, Arc<Published>)>>,
}

impl PublishedLandings {
    pub const TTL: Duration = Duration::from_secs(5);

    /// The published landing at `slug` with its variants, from memory or (once per interval)
    /// from the database; `None` when no published landing with variants has that address.
    /// Only landings that exist are kept, so unknown addresses cannot fill the memory.
    pub async fn get(&self, db: &Db, slug: &str) -> Result<Option<Arc<Published>>, DbError> {
        if let Some(found) = self.fresh(slug) {
            return Ok(Some(found));
        }
        let wanted = slug.to_owned();
        let loaded = db
            .run(move |conn| {
                let Some(landing) = super::published_by_slug(conn, &wanted)? else {
                    return Ok::<_, DbError>(None);
                };
                let variants = super::variants(conn, landing.id)?;
                Ok(Some(Published::new(landing, variants)))
            })
            .await?;
        let Some(published) = loaded.filter(|p| !p.variants.is_empty()) else {
            return Ok(None);
        };
        let published = Arc::new(published);
        if let Ok(mut map) = self.by_slug.write() {
            map.insert(slug.to_owned(), (Instant::now(), Arc::clone(&published)));
        }
        Ok(Some(published))
    }

    fn fresh(&self, slug: &str) -> Option<Arc<Published>> {
        let map = self.by_slug.read().ok()?;
        map.get(slug)
            .filter(|(at, _)| at.elapsed() < Self::TTL)
            .map(|(_, published)| Arc::clone(published))
    }

    /// Forgets every landing (after an editor's change: its address, content, variants or
    /// publication may all have changed).
    pub fn clear(&self) {
        if let Ok(mut map) = self.by_slug.write() {
            map.clear();
        }
    }
}
