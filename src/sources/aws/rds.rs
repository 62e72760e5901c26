//! RDS: DescribeDBInstances and DescribeDBClusters (every page) joined
//! into the console's [`DbInstance`]s, and their CloudWatch metrics in one
//! GetMetricData call per poll (per 125 instances: the call's 500-query
//! limit).

use std::collections::HashMap;

use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use aws_sdk_rds::types::{DbCluster, PendingModifiedValues};
use chrono::{DateTime, TimeDelta, Utc};

use super::alarms::{aws_time, time};
use super::classify;
use crate::model::{DbInstance, DbMetrics, HistoryEntry};
use crate::state::{Delta, FeedData, SourceError};

/// How far back the sparklines reach, and their step.
pub const METRICS_WINDOW: TimeDelta = TimeDelta::minutes(30);
pub const METRICS_PERIOD_S: i32 = 60;
/// Instances per GetMetricData call: four queries each, 500 at most.
const INSTANCES_PER_CALL: usize = 125;

/// Every DB instance of the region, with cluster roles filled in.
pub async fn fetch_instances(client: &aws_sdk_rds::Client, login: &str) -> Result<Vec<DbInstance>, SourceError> {
    let mut instances = Vec::new();
    let mut pages = client.describe_db_instances().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify(&e, login))?;
        instances.extend(page.db_instances().iter().filter_map(instance));
    }
    let mut clusters = Vec::new();
    let mut pages = client.describe_db_clusters().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify(&e, login))?;
        clusters.extend(page.db_clusters().iter().cloned());
    }
    join_clusters(&mut instances, &clusters);
    Ok(instances)
}

fn text(s: Option<&str>) -> String {
    s.unwrap_or_default().to_string()
}

/// One instance as DescribeDBInstances describes it; `None` without an
/// identifier.
pub fn instance(i: &aws_sdk_rds::types::DbInstance) -> Option<DbInstance> {
    let endpoint = i.endpoint().map(|e| match (e.address(), e.port()) {
        (Some(a), Some(p)) => format!("{a}:{p}"),
        (a, _) => text(a),
    });
    Some(DbInstance {
        id: i.db_instance_identifier()?.to_string(),
        status: text(i.db_instance_status()),
        class: text(i.db_instance_class()),
        engine: text(i.engine()),
        engine_version: text(i.engine_version()),
        multi_az: i.multi_az().unwrap_or(false),
        az: text(i.availability_zone()),
        secondary_az: i.secondary_availability_zone().map(str::to_string),
        endpoint: endpoint.unwrap_or_default(),
        allocated_gib: i.allocated_storage().and_then(|g| u32::try_from(g).ok()).unwrap_or_default(),
        replica_of: i.read_replica_source_db_instance_identifier().map(str::to_string),
        cluster: i.db_cluster_identifier().map(str::to_string),
        replicas: i.read_replica_db_instance_identifiers().to_vec(),
        pending_modifications: i.pending_modified_values().map(pending).unwrap_or_default(),
        backup_retention_days: i.backup_retention_period().and_then(|d| u32::try_from(d).ok()).unwrap_or_default(),
        arn: text(i.db_instance_arn()),
    })
}

/// Pending modifications in words (`class db.r6g.xlarge`, `Multi-AZ on`).
pub fn pending(p: &PendingModifiedValues) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |what: &str, v: Option<String>| {
        if let Some(v) = v {
            out.push(format!("{what} {v}"));
        }
    };
    add("class", p.db_instance_class().map(str::to_string));
    add("storage", p.allocated_storage().map(|g| format!("{g} GiB")));
    add("engine version", p.engine_version().map(str::to_string));
    add("Multi-AZ", p.multi_az().map(|m| if m { "on".into() } else { "off".into() }));
    add("backup retention", p.backup_retention_period().map(|d| format!("{d} days")));
    add("storage type", p.storage_type().map(str::to_string));
    add("IOPS", p.iops().map(|i| i.to_string()));
    add("CA certificate", p.ca_certificate_identifier().map(str::to_string));
    add("identifier", p.db_instance_identifier().map(str::to_string));
    add("port", p.port().map(|p| p.to_string()));
    if p.master_user_password().is_some() {
        out.push("master password".into());
    }
    out
}

/// Cluster roles: each member knows its cluster, a reader reads from the
/// writer, and the writer lists its readers.
pub fn join_clusters(instances: &mut [DbInstance], clusters: &[DbCluster]) {
    let mut role: HashMap<&str, (&str, Option<&str>)> = HashMap::new();
    let mut readers: HashMap<&str, Vec<String>> = HashMap::new();
    for c in clusters {
        let Some(cluster) = c.db_cluster_identifier() else { continue };
        let writer = c
            .db_cluster_members()
            .iter()
            .find(|m| m.is_cluster_writer().unwrap_or(false))
            .and_then(|m| m.db_instance_identifier());
        for m in c.db_cluster_members() {
            let Some(id) = m.db_instance_identifier() else { continue };
            let reads_from = writer.filter(|w| *w != id);
            role.insert(id, (cluster, reads_from));
            if let (Some(w), Some(_)) = (writer, reads_from) {
                readers.entry(w).or_default().push(id.to_string());
            }
        }
    }
    for i in instances.iter_mut() {
        if let Some((cluster, reads_from)) = role.get(i.id.as_str()) {
            i.cluster = Some((*cluster).to_string());
            if let Some(w) = reads_from {
                i.replica_of = Some((*w).to_string());
            }
        }
        if let Some(r) = readers.get(i.id.as_str()) {
            for id in r {
                if !i.replicas.contains(id) {
                    i.replicas.push(id.clone());
                }
            }
        }
    }
}

/// The instance's events of the last hour (DescribeEvents), newest first.
pub async fn events(client: &aws_sdk_rds::Client, id: &str, login: &str) -> Result<Vec<HistoryEntry>, SourceError> {
    let mut entries = Vec::new();
    let mut pages = client
        .describe_events()
        .source_identifier(id)
        .source_type(aws_sdk_rds::types::SourceType::DbInstance)
        .duration(60)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify(&e, login))?;
        entries.extend(page.events().iter().map(|e| HistoryEntry {
            at: time(e.date()),
            kind: e.event_categories().join(", "),
            text: e.message().unwrap_or_default().to_string(),
        }));
    }
    entries.sort_by_key(|e| std::cmp::Reverse(e.at));
    Ok(entries)
}

/// The four series per instance, in [`DbMetrics`] order.
const METRICS: [&str; 4] = ["CPUUtilization", "DatabaseConnections", "FreeStorageSpace", "ReplicaLag"];

/// The GetMetricData queries for `ids` (query `m{index}_{metric}`).
pub fn queries(ids: &[String]) -> Vec<MetricDataQuery> {
    let mut out = Vec::with_capacity(ids.len() * METRICS.len());
    for (n, id) in ids.iter().enumerate() {
        for (k, metric) in METRICS.iter().enumerate() {
            let stat = MetricStat::builder()
                .metric(
                    Metric::builder()
                        .namespace("AWS/RDS")
                        .metric_name(*metric)
                        .dimensions(Dimension::builder().name("DBInstanceIdentifier").value(id).build())
                        .build(),
                )
                .period(METRICS_PERIOD_S)
                .stat("Average")
                .build();
            out.push(MetricDataQuery::builder().id(format!("m{n}_{k}")).metric_stat(stat).return_data(true).build());
        }
    }
    out
}

/// Puts one query's points (all of them, any order) into its instance's
/// series, oldest first; free storage arrives in bytes and is kept in GiB.
pub fn absorb(metrics: &mut [DbMetrics], query_id: &str, points: &[(DateTime<Utc>, f64)]) {
    let Some((n, k)) = query_id.strip_prefix('m').and_then(|r| r.split_once('_')) else { return };
    let (Ok(n), Ok(k)) = (n.parse::<usize>(), k.parse::<usize>()) else { return };
    let Some(m) = metrics.get_mut(n) else { return };
    let mut points = points.to_vec();
    points.sort_by_key(|(t, _)| *t);
    let values = points.into_iter().map(|(_, v)| v);
    match k {
        0 => m.cpu.extend(values),
        1 => m.connections.extend(values),
        2 => m.free_storage_gib.extend(values.map(|b| b / 1024f64.powi(3))),
        3 => m.replica_lag_s.extend(values),
        _ => {}
    }
}

/// The metrics of `ids` over the last [`METRICS_WINDOW`], as one `Reset`.
pub async fn fetch_metrics(
    client: &aws_sdk_cloudwatch::Client,
    ids: &[String],
    now: DateTime<Utc>,
    login: &str,
) -> Result<FeedData, SourceError> {
    let mut all = Vec::with_capacity(ids.len());
    let (start, end) = (aws_time(now - METRICS_WINDOW), aws_time(now));
    for chunk in ids.chunks(INSTANCES_PER_CALL) {
        let mut metrics: Vec<DbMetrics> =
            chunk.iter().map(|id| DbMetrics { instance: id.clone(), ..DbMetrics::default() }).collect();
        let mut pages = client
            .get_metric_data()
            .set_metric_data_queries(Some(queries(chunk)))
            .start_time(start)
            .end_time(end)
            .into_paginator()
            .send();
        // A query's points can span pages: gather them, then sort once.
        let mut points: HashMap<String, Vec<(DateTime<Utc>, f64)>> = HashMap::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| classify(&e, login))?;
            for r in page.metric_data_results() {
                let id = r.id().unwrap_or_default().to_string();
                let series = r.timestamps().iter().map(|t| time(Some(t))).zip(r.values().iter().copied());
                points.entry(id).or_default().extend(series);
            }
        }
        for (id, series) in &points {
            absorb(&mut metrics, id, series);
        }
        all.extend(metrics);
    }
    Ok(FeedData::DbMetrics(Delta::Reset(all)))
}

#[cfg(test)]
mod tests;
