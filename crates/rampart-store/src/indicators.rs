//! The indicator repository: what every backend offers, and the merge rule they share.

use std::future::Future;

use rampart_intel::{Indicator, ObservableKind, Provenance, Verdict};

use sqlx::{Any, Transaction};

use crate::sql::{Bind, Sql};
use crate::store::unsigned;
use crate::{Backend, Store, StoreError};

/// Which indicators [`IndicatorRepo::list`] returns. The default is all of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IndicatorFilter {
    /// Only this observable kind.
    pub kind: Option<ObservableKind>,
    /// Only indicators with this tag: its full form (`campaign:Foo`) or its name (`Foo`),
    /// ASCII case-insensitive.
    pub tag: Option<String>,
    /// Only this verdict.
    pub verdict: Option<Verdict>,
    /// At most this many (in insertion order).
    pub limit: Option<u32>,
    /// Only rows after this row id (the cursor of a paged listing: the last id of the
    /// previous page, see [`IndicatorRepo::list_with_ids`]).
    pub after: Option<i64>,
}

/// What an upsert did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UpsertReport {
    /// New rows.
    pub inserted: usize,
    /// Indicators merged into a row with the same value and provenance.
    pub merged: usize,
    /// The revision the rows written carry (see [`Store::indicator_revision`]); 0 when
    /// nothing was written.
    pub revision: i64,
}

/// A stored indicator with its row id and the revision that last wrote it
/// ([`Store::indicators_changed`]).
#[derive(Clone, Debug, PartialEq)]
pub struct StoredIndicator {
    pub id: i64,
    pub revision: i64,
    pub indicator: Indicator,
}

/// Rows read by one query of [`Store::indicators_changed`].
const CHANGED_PAGE: i64 = 10_000;

/// Indicator persistence. Every backend implements this; callers depend on it alone.
pub trait IndicatorRepo {
    /// Stores indicators in one transaction. An indicator whose value and provenance
    /// (see [`provenance_key`]) are already stored is merged into that row with
    /// [`merge_into`]; otherwise it is inserted.
    fn upsert_many(
        &self,
        indicators: &[Indicator],
    ) -> impl Future<Output = Result<UpsertReport, StoreError>> + Send;

    /// The indicators that pass `filter`, in insertion order.
    fn list(
        &self,
        filter: &IndicatorFilter,
    ) -> impl Future<Output = Result<Vec<Indicator>, StoreError>> + Send;

    /// [`IndicatorRepo::list`] with each indicator's row id (a stable cursor for paging).
    fn list_with_ids(
        &self,
        filter: &IndicatorFilter,
    ) -> impl Future<Output = Result<Vec<(i64, Indicator)>, StoreError>> + Send;

    /// Every indicator (to build an `IndicatorSet`), in insertion order.
    fn all(&self) -> impl Future<Output = Result<Vec<Indicator>, StoreError>> + Send;

    /// How many indicators are stored.
    fn count(&self) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

/// The provenance part of an indicator's identity: the feed, report or alert it came from,
/// without the line or object it was found at (so a re-import of an edited file merges).
pub fn provenance_key(provenance: &Provenance) -> String {
    match provenance {
        Provenance::Feed { name, .. } => format!("feed:{name}"),
        Provenance::Report { name } => format!("report:{name}"),
        Provenance::Alert { tenant, alert_id } => format!("alert:{tenant}:{alert_id}"),
        other => format!("{other:?}"),
    }
}

/// Merges `incoming` (the same value and provenance) into `stored`: sightings add up,
/// first seen is the earlier and last seen the later, tags are the union, a dated
/// indicator makes the row decay; verdict,
/// confidence, TLP, valid-until, location and description take the incoming indicator's
/// word (a description only when it has one).
pub fn merge_into(stored: &mut Indicator, incoming: &Indicator) {
    stored.sightings = stored.sightings.saturating_add(incoming.sightings);
    stored.first_seen = stored.first_seen.min(incoming.first_seen);
    stored.last_seen = stored.last_seen.max(incoming.last_seen);
    stored.decays |= incoming.decays;
    for tag in &incoming.tags {
        if !stored.tags.contains(tag) {
            stored.tags.push(tag.clone());
        }
    }
    stored.verdict = incoming.verdict;
    stored.confidence = incoming.confidence;
    stored.tlp = incoming.tlp;
    stored.valid_until = incoming.valid_until;
    stored.provenance = incoming.provenance.clone();
    if incoming.description.is_some() {
        stored.description.clone_from(&incoming.description);
    }
}

impl Store {
    fn decode_indicator(&self, id: i64, body: &str) -> Result<Indicator, StoreError> {
        serde_json::from_str(body).map_err(|e| self.corrupt(format!("indicator row {id}"), e))
    }

    async fn upsert_indicator(
        &self,
        tx: &mut Transaction<'_, Any>,
        incoming: &Indicator,
        revision: i64,
    ) -> Result<bool, StoreError> {
        let qerr = self.query_err();
        let kind = incoming.observable.kind().as_str();
        let value = incoming.observable.to_string();
        let key = provenance_key(&incoming.provenance);
        let existing = sqlx::query(
            "SELECT id, body FROM indicators WHERE kind = $1 AND value = $2 AND provenance_key = $3",
        )
        .bind(kind)
        .bind(&value)
        .bind(&key)
        .fetch_optional(&mut **tx)
        .await
        .map_err(&qerr)?;
        let (indicator, id, merged) = match existing {
            Some(row) => {
                let id = self.get_i64(&row, "id")?;
                let body = self.get_str(&row, "body")?;
                let mut stored = self.decode_indicator(id, &body)?;
                merge_into(&mut stored, incoming);
                (stored, Some(id), true)
            }
            None => (incoming.clone(), None, false),
        };
        let body = serde_json::to_string(&indicator).map_err(|source| StoreError::Serialize {
            value: value.clone(),
            source,
        })?;
        let first = indicator.first_seen.as_microsecond();
        let last = indicator.last_seen.as_microsecond();
        let until = indicator.valid_until.map(|t| t.as_microsecond());
        let id = match id {
            Some(id) => {
                sqlx::query(
                    "UPDATE indicators SET verdict = $1, tlp = $2, confidence = $3, first_seen = $4, \
                     last_seen = $5, sightings = $6, valid_until = $7, body = $8, revision = $9 \
                     WHERE id = $10",
                )
                .bind(indicator.verdict.as_str())
                .bind(indicator.tlp.as_str())
                .bind(i64::from(indicator.confidence.get()))
                .bind(first)
                .bind(last)
                .bind(i64::from(indicator.sightings))
                .bind(until)
                .bind(&body)
                .bind(revision)
                .bind(id)
                .execute(&mut **tx)
                .await
                .map_err(&qerr)?;
                id
            }
            None => {
                let row = sqlx::query(
                    "INSERT INTO indicators (kind, value, provenance_key, verdict, tlp, confidence, \
                     first_seen, last_seen, sightings, valid_until, body, revision) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
                )
                .bind(kind)
                .bind(&value)
                .bind(&key)
                .bind(indicator.verdict.as_str())
                .bind(indicator.tlp.as_str())
                .bind(i64::from(indicator.confidence.get()))
                .bind(first)
                .bind(last)
                .bind(i64::from(indicator.sightings))
                .bind(until)
                .bind(&body)
                .bind(revision)
                .fetch_one(&mut **tx)
                .await
                .map_err(&qerr)?;
                self.get_i64(&row, "id")?
            }
        };
        for tag in &indicator.tags {
            sqlx::query(
                "INSERT INTO indicator_tags (indicator_id, tag, name) VALUES ($1, $2, $3) \
                 ON CONFLICT (indicator_id, tag) DO NOTHING",
            )
            .bind(id)
            .bind(tag.to_string().to_ascii_lowercase())
            .bind(tag.name.to_ascii_lowercase())
            .execute(&mut **tx)
            .await
            .map_err(&qerr)?;
        }
        Ok(merged)
    }

    /// The highest indicator revision stored (0 when there is none): every transaction
    /// that inserts or changes indicators raises it. Cheap (an index lookup), so a server
    /// polls it to notice indicators another process added or changed.
    pub async fn indicator_revision(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COALESCE(MAX(revision), 0) AS r FROM indicators")
            .fetch_one(&self.pool)
            .await
            .map_err(self.query_err())?;
        self.get_i64(&row, "r")
    }

    /// The indicators inserted or changed by revisions `after < revision <= upto`, by row
    /// id (every indicator with `after` 0 and `upto` [`Store::indicator_revision`]).
    /// Writers are serialized and number their revisions in commit order, so a reader
    /// that read revision `upto` and then these rows misses nothing at or below it.
    pub async fn indicators_changed(
        &self,
        after: i64,
        upto: i64,
    ) -> Result<Vec<StoredIndicator>, StoreError> {
        let mut out = Vec::new();
        let mut after_id = i64::MIN;
        loop {
            let rows = sqlx::query(
                "SELECT id, revision, body FROM indicators \
                 WHERE revision > $1 AND revision <= $2 AND id > $3 ORDER BY id LIMIT $4",
            )
            .bind(after)
            .bind(upto)
            .bind(after_id)
            .bind(CHANGED_PAGE)
            .fetch_all(&self.pool)
            .await
            .map_err(self.query_err())?;
            for row in &rows {
                let id = self.get_i64(row, "id")?;
                let body = self.get_str(row, "body")?;
                out.push(StoredIndicator {
                    id,
                    revision: self.get_i64(row, "revision")?,
                    indicator: self.decode_indicator(id, &body)?,
                });
                after_id = id;
            }
            if (rows.len() as i64) < CHANGED_PAGE {
                return Ok(out);
            }
        }
    }
}

impl IndicatorRepo for Store {
    async fn upsert_many(&self, indicators: &[Indicator]) -> Result<UpsertReport, StoreError> {
        let qerr = self.query_err();
        let mut report = UpsertReport::default();
        if indicators.is_empty() {
            return Ok(report);
        }
        let mut tx = self.begin_write().await.map_err(&qerr)?;
        if self.backend() == Backend::Postgres {
            // Indicator writers one at a time (SQLite's write lock does this there), so
            // revisions are numbered in commit order: a reader that has seen revision N
            // will never later find a smaller one committed. Readers are not blocked.
            sqlx::query("LOCK TABLE indicators IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await
                .map_err(&qerr)?;
        }
        let row = sqlx::query("SELECT COALESCE(MAX(revision), 0) + 1 AS r FROM indicators")
            .fetch_one(&mut *tx)
            .await
            .map_err(&qerr)?;
        report.revision = self.get_i64(&row, "r")?;
        for indicator in indicators {
            if self
                .upsert_indicator(&mut tx, indicator, report.revision)
                .await?
            {
                report.merged += 1;
            } else {
                report.inserted += 1;
            }
        }
        tx.commit().await.map_err(&qerr)?;
        Ok(report)
    }

    async fn list(&self, filter: &IndicatorFilter) -> Result<Vec<Indicator>, StoreError> {
        Ok(self
            .list_with_ids(filter)
            .await?
            .into_iter()
            .map(|(_, i)| i)
            .collect())
    }

    async fn list_with_ids(
        &self,
        filter: &IndicatorFilter,
    ) -> Result<Vec<(i64, Indicator)>, StoreError> {
        let mut q = Sql::new(
            self.backend(),
            "SELECT id, body FROM indicators WHERE 1 = 1",
        );
        if let Some(kind) = filter.kind {
            q.and("kind = ", Bind::text(kind.as_str()));
        }
        if let Some(verdict) = filter.verdict {
            q.and("verdict = ", Bind::text(verdict.as_str()));
        }
        if let Some(after) = filter.after {
            q.and("id > ", Bind::I64(after));
        }
        if let Some(tag) = &filter.tag {
            let tag = tag.trim().to_ascii_lowercase();
            q.push(" AND id IN (SELECT indicator_id FROM indicator_tags WHERE tag = ");
            q.bind(Bind::Text(tag.clone()));
            q.push(" OR name = ");
            q.bind(Bind::Text(tag));
            q.push(")");
        }
        q.push(" ORDER BY id");
        if let Some(limit) = filter.limit {
            q.push(" LIMIT ");
            q.bind(Bind::I64(i64::from(limit)));
        }
        let rows = q.fetch_all(self).await?;
        rows.iter()
            .map(|row| {
                let id = self.get_i64(row, "id")?;
                let body = self.get_str(row, "body")?;
                Ok((id, self.decode_indicator(id, &body)?))
            })
            .collect()
    }

    async fn all(&self) -> Result<Vec<Indicator>, StoreError> {
        self.list(&IndicatorFilter::default()).await
    }

    async fn count(&self) -> Result<u64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM indicators")
            .fetch_one(&self.pool)
            .await
            .map_err(self.query_err())?;
        Ok(unsigned(self.get_i64(&row, "n")?))
    }
}
