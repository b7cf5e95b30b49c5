//! The indicators live detection matches: the `--indicators` files plus every indicator in
//! the store, kept current while the server runs.
//!
//! [`LiveIndicators`] holds the set detection reads as an `Arc` behind a mutex: a round
//! takes it once ([`LiveIndicators::current`]) and judges all its sign-ins against that
//! one set, whatever changes meanwhile. [`LiveIndicators::refresh`] brings it up to the
//! store: it reads the store's indicator revision (one index lookup) and, only when it
//! moved, the rows written after the revision it last saw; they are applied to a *copy*
//! of the set (new rows inserted, changed rows — verdict, confidence, expiry, TLP,
//! provenance — updated in place by their row id), and the copy is swapped in. A refresh
//! thus costs one clone of the set plus the changed rows, never a reload of every stored
//! indicator. Refreshes are serialized.
//!
//! The engine refreshes at start, after an API add, before each retro-hunt job, and every
//! [`DetectSettings::indicator_poll`](crate::DetectSettings::indicator_poll) (what another
//! process wrote). Rows removed from the store are not unloaded: the store offers no
//! removal (an indicator is retired by re-importing it with an expiry, a lower verdict or
//! confidence, which *is* followed).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rampart_intel::{IndicatorId, IndicatorSet};
use rampart_store::Store;

use crate::EngineError;

/// The indicator set detection reads, swapped whole when indicators change. Cloning shares
/// it.
#[derive(Clone)]
pub struct LiveIndicators {
    inner: Arc<Inner>,
}

struct Inner {
    /// The files' indicators alone (what a failed refresh falls back to).
    fixed: Arc<IndicatorSet>,
    current: Mutex<Arc<IndicatorSet>>,
    /// What the refresher knows; held across a refresh (one at a time).
    loaded: tokio::sync::Mutex<Loaded>,
}

#[derive(Default)]
struct Loaded {
    /// The store revision the current set includes.
    revision: i64,
    /// Stored row id → its place in the set.
    rows: HashMap<i64, IndicatorId>,
}

/// What a refresh changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Refreshed {
    /// The store revision the set now includes.
    pub revision: i64,
    /// Stored indicators new to the set.
    pub added: usize,
    /// Stored indicators already in the set whose row changed.
    pub updated: usize,
}

impl Default for LiveIndicators {
    fn default() -> Self {
        LiveIndicators::new(IndicatorSet::new())
    }
}

impl std::fmt::Debug for LiveIndicators {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveIndicators")
            .field("indicators", &self.current().len())
            .finish_non_exhaustive()
    }
}

impl LiveIndicators {
    /// Starts from `fixed` (the `--indicators` files: never refreshed, never removed); the
    /// store's indicators join at the first [`LiveIndicators::refresh`].
    pub fn new(fixed: IndicatorSet) -> LiveIndicators {
        let fixed = Arc::new(fixed);
        LiveIndicators {
            inner: Arc::new(Inner {
                current: Mutex::new(Arc::clone(&fixed)),
                fixed,
                loaded: tokio::sync::Mutex::new(Loaded::default()),
            }),
        }
    }

    /// The set as it stands: what one detection round (or retro-hunt) judges against.
    pub fn current(&self) -> Arc<IndicatorSet> {
        match self.inner.current.lock() {
            Ok(set) => Arc::clone(&set),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    fn publish(&self, set: Arc<IndicatorSet>) {
        match self.inner.current.lock() {
            Ok(mut current) => *current = set,
            Err(poisoned) => *poisoned.into_inner() = set,
        }
    }

    /// The store revision the set includes (0 before the first refresh).
    pub async fn revision(&self) -> i64 {
        self.inner.loaded.lock().await.revision
    }

    /// Brings the set up to the store: the rows written after the revision last seen are
    /// added to (or updated in) a copy of the set, which then replaces it. Nothing is read
    /// but one revision number when nothing changed.
    pub async fn refresh(&self, store: &Store) -> Result<Refreshed, EngineError> {
        let mut loaded = self.inner.loaded.lock().await;
        let upto = store.indicator_revision().await?;
        if upto <= loaded.revision {
            return Ok(Refreshed {
                revision: loaded.revision,
                ..Refreshed::default()
            });
        }
        let changed = store.indicators_changed(loaded.revision, upto).await?;
        let base = self.current();
        let mut rows = std::mem::take(&mut loaded.rows);
        let built = tokio::task::spawn_blocking(move || {
            let mut set = IndicatorSet::clone(&base);
            let (mut added, mut updated) = (0, 0);
            for row in changed {
                match rows.get(&row.id) {
                    Some(&id) => {
                        let new = row.indicator;
                        set.update(id, |i| *i = new);
                        updated += 1;
                    }
                    None => {
                        if let Some(id) = set.insert(row.indicator) {
                            rows.insert(row.id, id);
                            added += 1;
                        }
                    }
                }
            }
            (set, rows, added, updated)
        })
        .await;
        let (set, rows, added, updated) = match built {
            Ok(b) => b,
            Err(e) => {
                // The row map went with the task: the files' set, and every stored row
                // again at the next refresh.
                *loaded = Loaded::default();
                self.publish(Arc::clone(&self.inner.fixed));
                return Err(EngineError::Internal(format!(
                    "updating the indicator set failed: {e}"
                )));
            }
        };
        self.publish(Arc::new(set));
        loaded.rows = rows;
        loaded.revision = upto;
        Ok(Refreshed {
            revision: upto,
            added,
            updated,
        })
    }
}
